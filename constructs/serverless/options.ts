import { Duration, Token } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type { FunctionOptions } from '../shared/app-function';
import { arrayOf, checkSpec, describe, integer, matching, literal, required, satisfies, shape, string, type Check, type Spec } from '../shared/checks';
import { WebTiersValidationError } from '../shared/validation';

/** Options only a REST API offers. */
export interface RestApiOptions {
  /**
   * Cache responses at the API for this long (0–3600 s); GET requests only.
   * @default - no cache
   */
  readonly cacheTtl?: Duration;
  /**
   * Size of the cache cluster in GB: one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237.
   * @default '0.5' when `cacheTtl` is set
   */
  readonly cacheSize?: string;
  /**
   * Require an API key, with a usage plan limiting each key.
   * @default - no API keys
   */
  readonly usagePlan?: UsagePlanOptions;
  /**
   * A WAFv2 web ACL (REGIONAL scope) to associate with the stage.
   * @default - none
   */
  readonly webAclArn?: string;
  /**
   * JSON bodies API Gateway checks against a schema before the function runs (400 otherwise).
   * @default - none: the app validates its own input
   */
  readonly validatedRequests?: ValidatedRequest[];
}

/** A request whose JSON body API Gateway validates. */
export interface ValidatedRequest {
  /** e.g. 'POST' */
  readonly method: string;
  /** A literal path, e.g. '/api/entries'. */
  readonly path: string;
  /** The JSON schema (draft 4) the body must match. */
  readonly schema: apigw.JsonSchema;
}

/** Per-key limits of a REST API usage plan. */
export interface UsagePlanOptions {
  /** Requests per second per key. */
  readonly rateLimit: number;
  /** Burst per key. */
  readonly burstLimit: number;
  /**
   * Requests per day per key.
   * @default - no quota
   */
  readonly quotaPerDay?: number;
}

/** The cache sizes API Gateway offers, in GB. */
export const CACHE_SIZES = ['0.5', '1.6', '6.1', '13.5', '28.4', '58.2', '118', '237'];
/** The methods a validated request may have. */
export const VALIDATED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** A REGIONAL WAFv2 web ACL ARN; the region is group 1. */
export const REGIONAL_WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]+$/;
/** How a REGIONAL web ACL ARN is written. */
export const REGIONAL_WEB_ACL = "a REGIONAL WAFv2 web ACL ARN 'arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>' in the stack's region";

const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** An absolute URL path, e.g. '/api/entries': the construct builds routes from it, so it is known at synth. */
export const urlPath = literal(string(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/, "an absolute URL path starting with '/', such as '/api/entries'"));

/** A string token passes (CloudFormation checks it); a literal must be one of `values`. */
function stringOneOf(values: string[], accepted: string): Check {
  return {
    accepted,
    validate(value, at) {
      if (typeof value === 'string' && Token.isUnresolved(value)) return;
      if (typeof value !== 'string' || !values.includes(value)) {
        throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${accepted}`);
      }
    },
  };
}

/**
 * The cache TTL: whole seconds from 0 to 3600. It is passed through to API Gateway in seconds, so
 * a token passes only as `Duration.seconds(token)` (a token in minutes cannot be converted).
 */
const cacheTtl: Check = {
  accepted: 'a Duration of whole seconds from 0 to 3600 (e.g. Duration.minutes(5))',
  validate(value, at) {
    const accepted = this.accepted;
    const fail = (why = '') => {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}${why ? ` (${why})` : ''}; accepted: ${accepted}`);
    };
    if (!(value instanceof Duration)) return fail();
    if (value.isUnresolved()) {
      try {
        value.toSeconds();
      } catch {
        fail('a deploy-time token in a unit other than seconds: write Duration.seconds(token)');
      }
      return;
    }
    const seconds = value.toMilliseconds() / 1000;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 3600) fail();
  },
};

/** `webAclArn`: a REGIONAL ARN (a token passes); a CLOUDFRONT-scope one is told apart. */
const regionalWebAcl = matching(REGIONAL_WEB_ACL_ARN, REGIONAL_WEB_ACL, {
  pattern: /:wafv2:[a-z0-9-]+:\d{12}:global\//,
  why: () => 'a CLOUDFRONT-scope web ACL: API Gateway takes REGIONAL ones',
});

/**
 * The runtime checks of `ServerlessApi.rest(options)`, named as the tier's `api.…` props. The
 * paths and methods of validated requests are compared and build resources: known at synth.
 */
export const REST_API_SPEC: Spec = {
  cacheTtl,
  cacheSize: stringOneOf(CACHE_SIZES, `one of ${CACHE_SIZES.map((c) => `'${c}'`).join(', ')} (GB, as a string)`),
  usagePlan: shape({
    rateLimit: required(integer(1, 10000, 'requests per second')),
    burstLimit: required(integer(1, 5000)),
    quotaPerDay: integer(1, 1_000_000_000),
  }, 'an object { rateLimit, burstLimit, quotaPerDay? }'),
  webAclArn: regionalWebAcl,
  validatedRequests: arrayOf(shape({
    method: required(literal(stringOneOf(VALIDATED_METHODS, VALIDATED_METHODS.join(', ')))),
    path: required(urlPath),
    schema: required(satisfies(isPlainObject, 'a JSON schema object (apigw.JsonSchema)')),
  }, 'an object { method, path, schema }')),
};

enum ApiKind { HTTP = 'http', REST = 'rest' }

/** Which API Gateway API fronts the function. */
export class ServerlessApi {
  /** An HTTP API: cheaper and faster; JWT authorizers for any OIDC issuer. The default. */
  public static http(): ServerlessApi {
    // From JavaScript, options given here would be dropped without a word: they are REST options.
    if (arguments.length > 0 && arguments[0] !== undefined) {
      throw new WebTiersValidationError(undefined, 'api', `ServerlessApi.http() got ${describe(arguments[0])}: it takes no options; accepted: ServerlessApi.http(), or ServerlessApi.rest(options) for caching, API keys, WAF and request validation`);
    }
    return new ServerlessApi(ApiKind.HTTP, {});
  }

  /**
   * A REST API, for what only REST offers: response caching, API keys and usage plans, WAF.
   * Options of the wrong type or out of range fail here, named as `api.<option>`.
   */
  public static rest(options: RestApiOptions = {}): ServerlessApi {
    checkSpec(undefined, (options ?? {}) as unknown as Record<string, unknown>, REST_API_SPEC, 'api');
    // A copy without the nulls other jsii languages pass for options not given.
    const given = Object.entries(options ?? {}).filter(([, v]) => v !== undefined && v !== null);
    return new ServerlessApi(ApiKind.REST, Object.fromEntries(given) as RestApiOptions);
  }

  private constructor(private readonly kind: ApiKind, public readonly restOptions: RestApiOptions) {}

  /** True for a REST API. */
  public get isRest(): boolean {
    return this.kind === ApiKind.REST;
  }

  /** The longest an integration may take on this API, in seconds (29 for both kinds). */
  public get integrationTimeoutSeconds(): number {
    return 29;
  }

  public toString(): string {
    return this.kind === ApiKind.REST ? 'REST API' : 'HTTP API';
  }
}

enum AuthKind { COGNITO = 'cognito', JWT = 'jwt' }

const COGNITO_SPEC: Spec = {
  userPool: satisfies((v) => typeof v === 'object' && v !== null && 'userPoolId' in v && 'userPoolArn' in v,
    'a cognito.IUserPool (e.g. new cognito.UserPool(…) or UserPool.fromUserPoolId(…)), or none for a new one'),
};

/** A list token (e.g. from a CfnParameter of type CommaDelimitedList) is passed through to the authorizer. */
const audienceList: Check = {
  accepted: "an array of at least one audience string, e.g. ['my-app-client-id']",
  validate(value, at) {
    if (Array.isArray(value) && Token.isUnresolved(value)) return;
    if (!Array.isArray(value) || value.length === 0) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${this.accepted}`);
    }
    arrayOf(string(/./, 'a non-empty audience string'), 1).validate(value, at);
  },
};

const JWT_SPEC: Spec = {
  issuer: required(string(/^https:\/\/[^\s/]+/, "an https:// OIDC issuer URL, e.g. 'https://example.eu.auth0.com/' (ServerlessAuth.jwt(issuer, audience))")),
  audience: required(audienceList),
};

/** What `auth.auth` accepts. */
export const SERVERLESS_AUTH = 'ServerlessAuth.cognito(userPool?) or ServerlessAuth.jwt(issuer, audience)';

/** Stateless token authentication at the API. */
export class ServerlessAuth {
  /**
   * Tokens from a Cognito user pool: the one given, or a new one (email sign-in, strong
   * passwords, MFA optional) with an app client.
   */
  public static cognito(userPool?: cognito.IUserPool): ServerlessAuth {
    checkSpec(undefined, { userPool }, COGNITO_SPEC, 'auth.auth');
    return new ServerlessAuth(AuthKind.COGNITO, userPool ?? undefined);
  }

  /**
   * Tokens from any OIDC issuer (e.g. `https://example.eu.auth0.com/`) for the given audience. HTTP API only.
   * An issuer that is not an https:// URL, or no audience, fails here (`auth.auth.issuer`, `auth.auth.audience`).
   */
  public static jwt(issuer: string, audience: string[]): ServerlessAuth {
    checkSpec(undefined, { issuer, audience }, JWT_SPEC, 'auth.auth');
    return new ServerlessAuth(AuthKind.JWT, undefined, issuer, Token.isUnresolved(audience) ? audience : [...audience]);
  }

  private constructor(
    private readonly kind: AuthKind,
    public readonly userPool?: cognito.IUserPool,
    public readonly issuer?: string,
    public readonly audience?: string[],
  ) {}

  /** True when tokens come from Cognito. */
  public get isCognito(): boolean {
    return this.kind === AuthKind.COGNITO;
  }
}

/** Paths that skip authorization. */
export interface AuthOptions {
  /** How tokens are checked. */
  readonly auth: ServerlessAuth;
  /**
   * Exact paths served without a token (always including the app's health route).
   * @default ['/'] and the health route
   */
  readonly publicPaths?: string[];
}

/** Request throttling of the whole API. */
export interface ThrottleOptions {
  /** Steady requests per second, 1–10000. */
  readonly rateLimit: number;
  /** Burst above the rate, 1–5000. */
  readonly burstLimit: number;
}

/** Cross-origin requests allowed by the API. */
export interface CorsOptions {
  /** Origins, e.g. ['https://app.example.com']. */
  readonly allowOrigins: string[];
  /** @default ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] */
  readonly allowMethods?: string[];
  /** @default ['content-type', 'authorization'] */
  readonly allowHeaders?: string[];
  /** @default false */
  readonly allowCredentials?: boolean;
}

/** A path served by a function of its own, from the same bundle. */
export interface RouteFunction extends FunctionOptions {
  /** The path prefix, e.g. '/api/entries'; the function gets the path and everything below it. */
  readonly path: string;
}
