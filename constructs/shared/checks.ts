import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import { InstanceType } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { WebTiersValidationError } from './validation';

/**
 * Runtime checks of props at a construct's boundary. TypeScript checks types only for TypeScript
 * callers; JavaScript, other jsii languages, config files and copy-paste bring anything. A check
 * sees the raw value and throws `WebTiersValidationError` naming the prop, the value and what is
 * accepted, before any of it reaches aws-cdk-lib, so each construct states a prop's rules in one
 * line of its spec and never fails deep inside CDK.
 *
 * Token policy: a value only passed through to CloudFormation may be a token (CloudFormation
 * checks it at deploy); a value the construct computes with (a count it multiplies, a size it
 * compares) must be known at synth, and a token there is rejected by `literal`.
 */
export interface Check {
  /** What is accepted, in words, e.g. "an integer from 1 to 20". */
  readonly accepted: string;
  /** Throws when `value` is not accepted; `value` is never undefined or null here. */
  validate(value: unknown, at: At): void;
}

/** Where a value sits: the construct and the prop path, e.g. `capacity.min`. */
export interface At {
  readonly scope: IConstruct | undefined;
  readonly prop: string;
}

/** How a value reads in an error: enough to recognise it, never a whole object dump. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return Token.isUnresolved(value) ? 'a token' : `'${value.length > 80 ? `${value.slice(0, 77)}...` : value}'`;
  if (typeof value === 'number') return Token.isUnresolved(value) ? 'a token' : String(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return Token.isUnresolved(value) ? 'a token list' : `an array of ${value.length}`;
  if (value instanceof Duration) return value.isUnresolved() ? 'a token Duration' : value.toString();
  if (value instanceof Size) return 'a Size';
  // aws-cdk-lib's classes carry a numeric suffix in their runtime names (Vpc2, Secret2).
  const name = (value as object).constructor?.name?.replace(/\d+$/, '');
  if (Construct.isConstruct(value)) return `${/^[AEIOU]/.test(name ?? '') ? 'an' : 'a'} ${name ?? 'construct'} (${value.node.path})`;
  if (!name || name === 'Object') return `an object {${Object.keys(value as object).slice(0, 4).join(', ')}}`;
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function fail(at: At, value: unknown, accepted: string, why = ''): never {
  return failAs(at, describe(value), accepted, why);
}

/** As `fail`, with the value already in words (e.g. `0 GiB`). */
function failAs(at: At, got: string, accepted: string, why = ''): never {
  throw new WebTiersValidationError(at.scope, at.prop, `got ${got}${why ? ` (${why})` : ''}; accepted: ${accepted}`);
}

function isToken(value: unknown): boolean {
  return (typeof value === 'number' || typeof value === 'string' || Array.isArray(value)) && Token.isUnresolved(value);
}

/**
 * A number from `min` to `max`, in steps of `step` when given (1: an integer); a token passes
 * unless wrapped in `literal`.
 */
function numeric(accepted: string, min: number, max: number, step?: number): Check {
  return {
    accepted,
    validate(value, at) {
      if (typeof value === 'number' && Token.isUnresolved(value)) return;
      const inSteps = step === undefined || (typeof value === 'number' && Number.isInteger(value / step));
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || !inSteps) fail(at, value, accepted);
    },
  };
}

const inUnit = (unit: string) => (unit ? ` ${unit}` : '');

/** An integer from `min` to `max`; a token passes unless wrapped in `literal`. */
export function integer(min: number, max: number, unit = ''): Check {
  return numeric(`an integer from ${min} to ${max}${inUnit(unit)}`, min, max, 1);
}

/** A finite number from `min` to `max`, fractions allowed (in steps of `step` when given); a token passes unless wrapped in `literal`. */
export function number(min: number, max: number, unit = '', step?: number): Check {
  return numeric(`a number from ${min} to ${max}${inUnit(unit)}${step ? ` in steps of ${step}` : ''}`, min, max, step);
}

/** A value the construct computes with: a token is rejected, whatever `check` would say of it. */
export function literal(check: Check): Check {
  return {
    accepted: `${check.accepted}, known at synth`,
    validate(value, at) {
      if (isToken(value)) fail(at, value, `${check.accepted}, known at synth`, 'the construct computes with this value, so it cannot be a deploy-time token');
      check.validate(value, at);
    },
  };
}

/** A string; `pattern` (with `described`) narrows it. A token passes. */
export function string(pattern?: RegExp, described = 'a string'): Check {
  return {
    accepted: described,
    validate(value, at) {
      if (typeof value !== 'string') fail(at, value, described);
      if (Token.isUnresolved(value)) return;
      if (pattern && !pattern.test(value)) fail(at, value, described);
    },
  };
}

export const boolean: Check = {
  accepted: 'true or false',
  validate(value, at) {
    if (typeof value !== 'boolean') fail(at, value, 'true or false');
  },
};

/** A `Duration` of whole `unit`s from `min` to `max`; a token duration passes only where it is passed through. */
export function duration(min: number, max: number, unit: 'seconds' | 'minutes', tokens: 'pass' | 'reject' = 'reject'): Check {
  const accepted = `a Duration of whole ${unit} from ${min} to ${max} (e.g. Duration.${unit}(${Math.max(min, Math.min(max, unit === 'seconds' ? 30 : 5))}))`;
  return {
    accepted,
    validate(value, at) {
      if (!(value instanceof Duration)) fail(at, value, accepted);
      if (value.isUnresolved()) {
        if (tokens === 'pass') return;
        fail(at, value, accepted, 'a deploy-time token: the construct computes with it');
      }
      const amount = value.toMilliseconds({ integral: false }) / (unit === 'seconds' ? 1000 : 60_000);
      if (!Number.isInteger(amount) || amount < min || amount > max) failAs(at, value.toString(), accepted);
    },
  };
}

/** A `Size` of whole GiB from `min` to `max`. */
export function sizeGiB(min: number, max: number): Check {
  const accepted = `a Size of whole GiB from ${min} to ${max} (e.g. Size.gibibytes(${min}))`;
  return {
    accepted,
    validate(value, at) {
      if (!(value instanceof Size)) fail(at, value, accepted);
      if (value.isUnresolved()) fail(at, value, accepted, 'a deploy-time token: the construct computes with it');
      let gib: number;
      try {
        gib = value.toGibibytes();
      } catch {
        return fail(at, value, accepted, 'not a whole number of GiB');
      }
      if (!Number.isInteger(gib) || gib < min || gib > max) failAs(at, `${gib} GiB`, accepted);
    },
  };
}

/** An instance of one of the classes named, e.g. `Deployment.rolling()`'s class. */
export function instanceOf(classes: Function[], accepted: string): Check {
  return {
    accepted,
    validate(value, at) {
      if (!classes.some((c) => value instanceof c)) fail(at, value, accepted);
    },
  };
}

/** A value that `test` recognises, e.g. an `IVpc` or an `IHostedZone` (interfaces have no class). */
export function satisfies(test: (value: unknown) => boolean, accepted: string): Check {
  return {
    accepted,
    validate(value, at) {
      if (!test(value)) fail(at, value, accepted);
    },
  };
}

/** One of a fixed set of values, each with how to write it. */
export function oneOf(values: readonly unknown[], accepted: string): Check {
  return {
    accepted,
    validate(value, at) {
      if (!values.includes(value)) fail(at, value, accepted);
    },
  };
}

/** An array (not a token list) of `min` to `max` items, each accepted by `item`, no holes. */
export function arrayOf(item: Check, min = 0, max = Infinity): Check {
  const count = max === Infinity ? (min ? ` (at least ${min})` : '') : ` (${min} to ${max})`;
  const accepted = `an array${count} of ${item.accepted}`;
  return {
    accepted,
    validate(value, at) {
      if (!Array.isArray(value)) fail(at, value, accepted);
      if (Token.isUnresolved(value)) fail(at, value, accepted, 'a deploy-time token list: the construct goes through its items');
      if (value.length < min || value.length > max) fail(at, value, accepted);
      for (let i = 0; i < value.length; i++) {
        const itemAt = { scope: at.scope, prop: `${at.prop}[${i}]` };
        if (!(i in value) || value[i] === undefined || value[i] === null) fail(itemAt, value[i], item.accepted, 'an empty place in the array');
        item.validate(value[i], itemAt);
      }
    },
  };
}

/** A plain object of string keys whose values `item` accepts. */
export function recordOf(item: Check, accepted = `an object whose values are ${item.accepted}`): Check {
  return {
    accepted,
    validate(value, at) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Construct.isConstruct(value)) fail(at, value, accepted);
      for (const [key, v] of Object.entries(value as object)) item.validate(v, { scope: at.scope, prop: `${at.prop}.${key}` });
    },
  };
}

/** The spec of an object of props: each key's check, `required` for the keys that must be there. */
export type Spec = { readonly [key: string]: Check | Required };

/** Marks a prop that must be given. */
export interface Required { readonly required: Check }
export function required(check: Check): Required {
  return { required: check };
}

/** A nested object of props, checked by its own spec. */
export function shape(spec: Spec, accepted: string): Check {
  return {
    accepted,
    validate(value, at) {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || Construct.isConstruct(value)) fail(at, value, accepted);
      checkSpec(at.scope, value as Record<string, unknown>, spec, at.prop);
    },
  };
}

/**
 * Checks `props` against `spec`: every required key present, every given key (null counts as not
 * given, as jsii languages pass it) accepted by its check. Keys not in the spec are left to the
 * construct (some props hold user-defined names).
 */
export function checkSpec(scope: IConstruct | undefined, props: Record<string, unknown> | undefined, spec: Spec, path = ''): void {
  const at = (key: string): At => ({ scope, prop: path ? `${path}.${key}` : key });
  if (props === undefined || props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw new WebTiersValidationError(scope, path || 'props', `got ${describe(props)}; accepted: an object of props`);
  }
  for (const [key, entry] of Object.entries(spec)) {
    const check = 'required' in entry ? entry.required : entry;
    const value = props[key];
    if (value === undefined || value === null) {
      if ('required' in entry) throw new WebTiersValidationError(scope, at(key).prop, `is required; accepted: ${check.accepted}`);
      continue;
    }
    check.validate(value, at(key));
  }
}

/**
 * A string `pattern` accepts, such as an ARN of one kind (a token passes); a value `near`
 * recognises, a look-alike of the wrong kind, is named with what `near.why` says of it.
 */
export function matching(pattern: RegExp, accepted: string, near?: { readonly pattern: RegExp; why(match: RegExpExecArray): string }): Check {
  return {
    accepted,
    validate(value, at) {
      string(undefined, accepted).validate(value, at);
      const text = value as string;
      if (Token.isUnresolved(text) || pattern.test(text)) return;
      const look = near?.pattern.exec(text);
      fail(at, value, accepted, look ? near!.why(look) : '');
    },
  };
}

/** `RemovalPolicy` members, by how they are written. */
export const removalPolicy = oneOf([RemovalPolicy.RETAIN, RemovalPolicy.SNAPSHOT, RemovalPolicy.DESTROY],
  'RemovalPolicy.RETAIN, RemovalPolicy.SNAPSHOT or RemovalPolicy.DESTROY');

/** A CloudWatch Logs retention: one of `RetentionDays`. */
export const retentionDays = oneOf(Object.values(RetentionDays).filter((v) => typeof v === 'number'),
  `a RetentionDays member (${Object.values(RetentionDays).filter((v) => typeof v === 'number').join(', ')} days)`);

/** Duck types of the interfaces props take (interfaces have no class to test with `instanceof`). */
const has = (value: unknown, ...keys: string[]) => typeof value === 'object' && value !== null && keys.every((k) => k in value);
export const isVpc = (v: unknown) => has(v, 'vpcId', 'publicSubnets', 'selectSubnets');
export const isHostedZone = (v: unknown) => has(v, 'hostedZoneId', 'zoneName');
export const isCertificate = (v: unknown) => has(v, 'certificateArn');
export const isTopic = (v: unknown) => has(v, 'topicArn');
export const isMachineImage = (v: unknown) => has(v, 'getImage') && typeof (v as { getImage: unknown }).getImage === 'function';

export const vpc = satisfies(isVpc, 'an ec2.IVpc (e.g. new ec2.Vpc(…) or ec2.Vpc.fromVpcAttributes(…))');
export const hostedZone = satisfies(isHostedZone, 'a route53.IHostedZone (e.g. HostedZone.fromHostedZoneAttributes(…))');
export const certificate = satisfies(isCertificate, 'an acm.ICertificate (e.g. Certificate.fromCertificateArn(…))');
export const topic = satisfies(isTopic, 'an sns.ITopic');
export const machineImage = satisfies(isMachineImage, 'an ec2.IMachineImage (e.g. ec2.MachineImage.latestAmazonLinux2023())');

const INSTANCE_FAMILY = /^[a-z][a-z0-9-]*$/;
const INSTANCE_SIZE = /^(nano|micro|small|medium|large|xlarge|[1-9]\d*xlarge|metal(-[1-9]\d*xl)?)$/;

/** An EC2 instance type: an `ec2.InstanceType` or its name, `family.size` with a size EC2 has (`t4g.small`, `m7g.2xlarge`, `c7i.metal-24xl`). */
export const instanceType: Check = {
  accepted: "an ec2.InstanceType or its name 'family.size', such as 't4g.small' or 'm7g.2xlarge' (sizes: nano, micro, small, medium, large, xlarge, Nxlarge, metal)",
  validate(value, at) {
    const name = typeof value === 'string' ? value : (value as { constructor?: { name?: string } })?.constructor?.name === 'InstanceType' ? String(value) : undefined;
    if (name === undefined) fail(at, value, this.accepted);
    if (Token.isUnresolved(name)) fail(at, value, this.accepted, 'a deploy-time token: the construct picks the image for its architecture');
    const [family, size, ...rest] = name.split('.');
    if (rest.length || !family || !size || !INSTANCE_FAMILY.test(family) || !INSTANCE_SIZE.test(size)) fail(at, name, this.accepted);
    try {
      // The tiers pick the image by architecture; aws-cdk-lib cannot tell it for every family (u-6tb1, mac2-m2pro).
      void new InstanceType(name).architecture;
    } catch {
      fail(at, name, this.accepted, 'aws-cdk-lib cannot tell its architecture, which picks the image: give a general-purpose family');
    }
  },
};

/**
 * A prop the construct checks itself where it maps it, because what is accepted depends on the
 * construct (e.g. `deployment`, whose error names the tier and what it can do): listed in the spec
 * so every declared prop has its check, and still fuzzed with wrong types.
 */
export function checkedWhereUsed(accepted: string): Check {
  return { accepted, validate: () => undefined };
}

/**
 * Props with `null` left out, as if not given (jsii languages pass null for an omitted optional
 * prop, and so do JavaScript callers): a shallow copy, and a copy of each nested plain object.
 * Constructs take their props through this first, so no null reaches code that tests for undefined.
 */
export function withoutNulls<T>(props: T): T {
  if (props === null || props === undefined || typeof props !== 'object' || Array.isArray(props) || Object.getPrototypeOf(props) !== Object.prototype) return props;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    copy[key] = typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype ? withoutNulls(value) : value;
  }
  return copy as T;
}

/**
 * A Network, by its shape (a second copy of the library in node_modules has its own class), and an
 * IAppDatabase (an interface). One definition, used by every construct that takes them.
 */
export const isNetwork = (v: unknown) => has(v, 'vpc', 'appSubnets', 'publicSubnets', 'dataSubnets') && isVpc((v as { vpc: unknown }).vpc);
export const isAppDatabase = (v: unknown) => has(v, 'vpc', 'secret', 'connections', 'allowFrom') && isVpc((v as { vpc: unknown }).vpc) &&
  typeof (v as { secret?: { secretArn?: unknown } }).secret?.secretArn === 'string' && typeof (v as { allowFrom?: unknown }).allowFrom === 'function';
export const network = satisfies(isNetwork, 'a Network: new Network(scope, id), or new Network(scope, id, { vpc }) around an existing VPC');
export const appDatabase = satisfies(isAppDatabase, 'an IAppDatabase: new Database(scope, id, { network }) or Database.fromAttributes(…)');
