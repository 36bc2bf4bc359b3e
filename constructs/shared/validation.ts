import { RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import type { InstanceType } from 'aws-cdk-lib/aws-ec2';
import type { IHostedZone } from 'aws-cdk-lib/aws-route53';
import type { IConstruct } from 'constructs';

/**
 * Thrown at synth time when a prop is outside what a construct accepts.
 *
 * The message names the construct path, the prop, the value given and what is accepted.
 */
export class WebTiersValidationError extends Error {
  /** The prop that was rejected, e.g. `dataVolumeSize`. */
  public readonly prop: string;

  constructor(scope: IConstruct | undefined, prop: string, message: string) {
    const where = scope ? `${scope.node.path}: ` : '';
    super(`${where}invalid ${prop}: ${message}`);
    this.name = 'WebTiersValidationError';
    this.prop = prop;
  }
}

/**
 * Recognises the errors cdk-web-tiers throws for invalid props (named `WebTiersValidationError`,
 * with a message naming the construct path, the prop, the value and what is accepted), in any
 * language the library is used from.
 */
export class WebTiersErrors {
  /** True for an invalid-prop error thrown at synth time by a cdk-web-tiers construct. */
  public static isValidationError(error: any): boolean {
    return error instanceof WebTiersValidationError;
  }

  private constructor() {}
}

/**
 * Props that moved in this release, given the old way (from JavaScript, or through a variable
 * TypeScript does not check for extra keys): an error pointing to the new place, never a setting
 * silently ignored.
 */
export function checkMovedProps(scope: IConstruct | undefined, value: object | undefined, path: string, moved: Record<string, string>): void {
  if (value === undefined || value === null || typeof value !== 'object') return;
  for (const [key, instead] of Object.entries(moved)) {
    if ((value as Record<string, unknown>)[key] !== undefined) {
      throw new WebTiersValidationError(scope, path ? `${path}.${key}` : key, `is no longer accepted; accepted instead: ${instead}`);
    }
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** An integer from `min` to `max`; tokens pass (they are checked by CloudFormation). */
export function checkIntegerRange(
  scope: IConstruct | undefined, prop: string, value: number | undefined, min: number, max: number, unit = '',
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    const suffix = unit ? ` ${unit}` : '';
    throw new WebTiersValidationError(scope, prop, `got ${show(value)}; accepted: an integer from ${min} to ${max}${suffix}`);
  }
}

/** A size in whole GiB from `min` to `max`. */
export function checkSizeGiB(scope: IConstruct | undefined, prop: string, size: Size | undefined, min: number, max: number): void {
  if (size === undefined) return;
  let gib: number;
  try {
    gib = size.toGibibytes();
  } catch {
    throw new WebTiersValidationError(scope, prop, `accepted: a whole number of GiB from ${min} to ${max}`);
  }
  checkIntegerRange(scope, prop, gib, min, max, 'GiB');
}

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;

/** An EC2 instance type of the form `family.size`, e.g. `t4g.small`. */
export function checkInstanceType(scope: IConstruct | undefined, prop: string, instanceType: InstanceType | undefined): void {
  if (instanceType === undefined) return;
  const name = instanceType.toString();
  if (Token.isUnresolved(name)) return;
  if (!INSTANCE_TYPE.test(name)) {
    throw new WebTiersValidationError(scope, prop,
      `got ${show(name)}; accepted: an EC2 instance type 'family.size' such as 't4g.small' or 'm7g.large'`);
  }
}

/** An absolute URL path, e.g. `/health`. */
export function checkUrlPath(scope: IConstruct | undefined, prop: string, path: string | undefined): void {
  if (path === undefined || Token.isUnresolved(path)) return;
  if (!/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/.test(path) || path.length > 1024) {
    throw new WebTiersValidationError(scope, prop, `got ${show(path)}; accepted: an absolute URL path starting with '/', such as '/health'`);
  }
}

// The top-level label: letters, or an internationalized TLD in its ASCII form (`xn--p1ai`).
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** A lower-case fully qualified domain name, e.g. `app.example.com`. */
export function checkDomainName(scope: IConstruct | undefined, prop: string, domainName: string | undefined): void {
  if (domainName === undefined || Token.isUnresolved(domainName)) return;
  if (!DOMAIN.test(domainName)) {
    throw new WebTiersValidationError(scope, prop,
      `got ${show(domainName)}; accepted: a lower-case fully qualified domain name such as 'app.example.com'`);
  }
}

/**
 * The name of a hosted zone when it is known at synth time, without the trailing dot; undefined
 * for a token or a zone imported with `HostedZone.fromHostedZoneId()` (which has no name).
 */
export function zoneNameOf(zone: IHostedZone): string | undefined {
  let name: string;
  try {
    name = zone.zoneName;
  } catch {
    return undefined;
  }
  return Token.isUnresolved(name) ? undefined : name.replace(/\.$/, '');
}

/** A domain name inside a hosted zone: the zone's own name or a name ending in `.<zone>` (skipped when either is unknown). */
export function checkDomainInZone(scope: IConstruct | undefined, prop: string, domainName: string, zone: IHostedZone): void {
  const zoneName = zoneNameOf(zone);
  if (zoneName === undefined || Token.isUnresolved(domainName)) return;
  if (domainName !== zoneName && !domainName.endsWith(`.${zoneName}`)) {
    throw new WebTiersValidationError(scope, prop,
      `${show(domainName)} is not in hosted zone '${zoneName}'; accepted: '${zoneName}' or a name ending in '.${zoneName}'`);
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Environment variable names that a shell and systemd both accept. */
export function checkEnvironment(scope: IConstruct | undefined, prop: string, env: Record<string, string> | undefined, reserved: string[]): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new WebTiersValidationError(scope, prop, `variable name ${show(name)}; accepted: letters, digits and '_', not starting with a digit`);
    }
    if (reserved.includes(name)) {
      throw new WebTiersValidationError(scope, prop, `variable ${show(name)} is set by the tier; reserved: ${reserved.join(', ')}`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new WebTiersValidationError(scope, prop, `variable ${show(name)}: accepted: a single-line string value`);
    }
  }
}

/**
 * One link of a timeout chain: whoever waits (`outer`) must wait at least as long as what it
 * waits for (`inner`), or callers see timeouts while the work goes on. The error names both.
 */
export function checkTimeoutChain(
  scope: IConstruct | undefined, inner: { prop: string; seconds: number }, outer: { prop: string; seconds: number },
): void {
  if (Token.isUnresolved(inner.seconds) || Token.isUnresolved(outer.seconds)) return;
  if (inner.seconds < 1 || inner.seconds > outer.seconds) {
    throw new WebTiersValidationError(scope, inner.prop,
      `${inner.seconds} s does not fit: ${outer.prop} is ${outer.seconds} s, and ${inner.prop} must end first; accepted: 1 to ${outer.seconds} s`);
  }
}

/**
 * The removal policy for resources that cannot be snapshotted (log groups, addresses):
 * destroyed only where the data itself is destroyed, retained otherwise.
 */
export function withoutSnapshot(removalPolicy: RemovalPolicy): RemovalPolicy {
  return removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

const EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

/** An e-mail address of plain characters (it goes into configuration files on the host). */
export function checkEmail(scope: IConstruct | undefined, prop: string, email: string | undefined): void {
  if (email === undefined || Token.isUnresolved(email)) return;
  if (!EMAIL.test(email) || email.length > 254) {
    throw new WebTiersValidationError(scope, prop, `got ${show(email)}; accepted: an e-mail address such as 'ops@example.com'`);
  }
}
