import type { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type { FunctionOptions } from '../shared/app-function';

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

enum ApiKind { HTTP = 'http', REST = 'rest' }

/** Which API Gateway API fronts the function. */
export class ServerlessApi {
  /** An HTTP API: cheaper and faster; JWT authorizers for any OIDC issuer. The default. */
  public static http(): ServerlessApi {
    return new ServerlessApi(ApiKind.HTTP, {});
  }

  /** A REST API, for what only REST offers: response caching, API keys and usage plans, WAF. */
  public static rest(options: RestApiOptions = {}): ServerlessApi {
    return new ServerlessApi(ApiKind.REST, options);
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

/** Stateless token authentication at the API. */
export class ServerlessAuth {
  /**
   * Tokens from a Cognito user pool: the one given, or a new one (email sign-in, strong
   * passwords, MFA optional) with an app client.
   */
  public static cognito(userPool?: cognito.IUserPool): ServerlessAuth {
    return new ServerlessAuth(AuthKind.COGNITO, userPool);
  }

  /** Tokens from any OIDC issuer (e.g. `https://example.eu.auth0.com/`) for the given audience. HTTP API only. */
  public static jwt(issuer: string, audience: string[]): ServerlessAuth {
    return new ServerlessAuth(AuthKind.JWT, undefined, issuer, audience);
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
