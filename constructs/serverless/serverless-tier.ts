import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { alarmTopic, notify } from '../shared/alarms';
import { AppFunction, FUNCTION_OPTIONS, FUNCTION_SPEC, ServerlessDeployment, type FunctionOptions } from '../shared/app-function';
import { appDatabase, arrayOf, boolean, checkSpec, checkedWhereUsed, instanceOf, integer, oneOf, required, shape, string, type Check, type Spec, withoutNulls } from '../shared/checks';
import { acknowledgeAll, acknowledgeInherentFindings, guard } from '../shared/compliance';
import { checkDataTable, dataTable, serverlessStore } from '../shared/data-table';
import type { IAppDatabase } from '../shared/database';
import { regionOfDefined } from '../shared/regions';
import { WebTiersValidationError, checkMovedProps, checkUrlPath, withoutSnapshot } from '../shared/validation';
import { WEB_TIER_SPEC, checkWebTierDomain, domainCertificate, type IWebTier, type WebTierOutput, type WebTierProps } from '../shared/web-tier';
import {
  REGIONAL_WEB_ACL, REGIONAL_WEB_ACL_ARN, REST_API_SPEC, SERVERLESS_AUTH, ServerlessApi, ServerlessAuth, urlPath,
  type AuthOptions, type CorsOptions, type RouteFunction, type ThrottleOptions,
} from './options';

/** Props of {@link ServerlessTier}. */
export interface ServerlessTierProps extends WebTierProps {
  /**
   * The API in front of the function.
   * @default ServerlessApi.http()
   */
  readonly api?: ServerlessApi;
  /**
   * Memory, timeout, concurrency and tracing of the app function.
   * @default - 512 MB, 10 s, no reserved or provisioned concurrency, no tracing
   */
  readonly function?: FunctionOptions;
  /**
   * Paths served by functions of their own (same bundle), sized on their own.
   * @default - one function serves every path
   */
  readonly routes?: RouteFunction[];
  /**
   * Token authentication (JWT) at the API.
   * @default - none: the app is public
   */
  readonly auth?: AuthOptions;
  /**
   * Throttling of the whole API.
   * @default - 500 requests per second, bursts of 1000
   */
  readonly throttle?: ThrottleOptions;
  /**
   * Cross-origin requests.
   * @default - none allowed
   */
  readonly cors?: CorsOptions;
  /**
   * The app's table (string keys `pk`, `sk`), given to the app as `TABLE_NAME`.
   * @default - a new on-demand table with point-in-time recovery, unless `database` is given
   */
  readonly table?: dynamodb.ITableV2;
  /**
   * The app's PostgreSQL, shared with the server tiers: the function runs in the database's
   * network (its app subnets) and connects through RDS Proxy, which this puts in front of it,
   * with IAM authentication. The app gets `DATABASE_URL` as on the server tiers, its password an
   * IAM token the function signs itself (`PGPASSWORD`). No table is made.
   * @default - no database: a DynamoDB table (`table`)
   */
  readonly database?: IAppDatabase;
}

const AUTH_OPTIONS = `an object { auth: ${SERVERLESS_AUTH}, publicPaths? }`;
const authShape = shape({ auth: required(instanceOf([ServerlessAuth], SERVERLESS_AUTH)), publicPaths: arrayOf(urlPath) }, AUTH_OPTIONS);

/** `auth`: the options object; a bare ServerlessAuth gets told to wrap itself. */
const authOptions: Check = {
  accepted: AUTH_OPTIONS,
  validate(value, at) {
    if (value instanceof ServerlessAuth) {
      throw new WebTiersValidationError(at.scope, at.prop,
        `got a ServerlessAuth on its own; accepted: ${AUTH_OPTIONS}, e.g. auth: { auth: ServerlessAuth.cognito() }`);
    }
    authShape.validate(value, at);
  },
};

/** Methods either API takes in a CORS preflight ('*' for all). */
const CORS_METHODS = ['GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'DELETE', '*'];

/**
 * The runtime checks of the props, before anything is built. Paths (of routes, public paths and
 * validated requests) build routes and are compared: known at synth; the function timeout is
 * chained against the integration timeout: known at synth; sizes, limits and ARNs are passed
 * through and may be tokens. `deployment` is checked by `ServerlessDeployment._of`.
 */
export const SERVERLESS_SPEC: Spec = {
  ...WEB_TIER_SPEC,
  api: instanceOf([ServerlessApi], 'ServerlessApi.http() or ServerlessApi.rest({ cacheTtl?, cacheSize?, usagePlan?, webAclArn?, validatedRequests? })'),
  function: shape(FUNCTION_SPEC, FUNCTION_OPTIONS),
  routes: arrayOf(shape({ path: required(urlPath), ...FUNCTION_SPEC }, "an object { path: '/api/…', memorySize?, timeout?, reservedConcurrency?, provisionedConcurrency?, tracing? }")),
  auth: authOptions,
  throttle: shape({
    rateLimit: required(integer(1, 10000, 'requests per second')),
    burstLimit: required(integer(1, 5000)),
  }, 'an object { rateLimit, burstLimit }'),
  cors: shape({
    allowOrigins: required(arrayOf(string(/^(\*|[a-z][a-z0-9+.-]*:\/\/[^\s/]+)$/, "an origin such as 'https://app.example.com' (scheme and host, no path or trailing '/'), or '*'"), 1)),
    allowMethods: arrayOf(oneOf(CORS_METHODS, `an HTTP method: ${CORS_METHODS.map((m) => `'${m}'`).join(', ')}`)),
    allowHeaders: arrayOf(string(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "a header name such as 'content-type', or '*'")),
    allowCredentials: boolean,
  }, 'an object { allowOrigins, allowMethods?, allowHeaders?, allowCredentials? }'),
  table: dataTable,
  database: appDatabase,
  deployment: checkedWhereUsed('a Deployment or a ServerlessDeployment'),
};

/**
 * Tier 5: the app on Lambda behind API Gateway — no servers, no scaling metrics.
 *
 * An HTTP API by default (a REST API when caching, API keys or WAF are needed), a `live`
 * alias with canary or linear shifting that rolls back on errors or p99 latency, optional
 * JWT authorization, throttling, access logs, CORS and a custom domain, and a DynamoDB table.
 */
export class ServerlessTier extends Construct implements IWebTier {
  /** The function serving every path not given to a route function. */
  public readonly function: lambda.Function;
  /** The `live` alias the API invokes. */
  public readonly alias: lambda.Alias;
  /** Route functions, in the order of `routes`. */
  public readonly routeFunctions: lambda.Function[];
  /** The HTTP API (undefined with a REST API). */
  public readonly httpApi?: apigwv2.HttpApi;
  /** The REST API (undefined with an HTTP API). */
  public readonly restApi?: apigw.RestApi;
  /** The table the app uses (without `database`). */
  public readonly table?: dynamodb.ITableV2;
  /** The database the app uses, through its RDS Proxy. */
  public readonly database?: IAppDatabase;
  /** The user pool, when `auth` uses Cognito. */
  public readonly userPool?: cognito.IUserPool;
  /** The app client of a user pool the tier created. */
  public readonly userPoolClient?: cognito.UserPoolClient;
  public readonly alarmTopic: sns.ITopic;
  /** Errors, p99 latency and throttles per function; the API's 5xx rate. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The URL users reach the app on. */
  public readonly url: string;
  /** The main function's role: what the app runs as (route functions have roles of their own). */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The log groups of the main function and of each route function. */
  public readonly appLogGroups: logs.ILogGroup[];
  public readonly outputs: { [name: string]: WebTierOutput };

  constructor(scope: Construct, id: string, props: ServerlessTierProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    // A prop given where it used to be says where it moved, before the spec finds the new one missing.
    checkMovedProps(this, props?.domain ?? undefined, 'domain', { hostedZone: 'domain.domainZone (the same Route 53 zone)' });
    checkSpec(this, props as unknown as Record<string, unknown>, SERVERLESS_SPEC);
    const api = props.api ?? ServerlessApi.http();
    const deployment = ServerlessDeployment._of(this, 'ServerlessTier', props.deployment);
    this.validate(props, api);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    this.alarmTopic = alarmTopic(this, props.alarms ?? undefined);
    const store = serverlessStore(this, props, removalPolicy);
    this.table = store.table;
    this.database = store.database;

    const callerTimeout = { seconds: api.integrationTimeoutSeconds, prop: `the ${api} integration timeout` };
    const common = {
      app: props.app, table: store.table, database: store.database, environment: props.environment, deployment,
      logRetention, removalPolicy, alarmTopic: this.alarmTopic, callerTimeout,
    };
    const main = new AppFunction(this, 'App', { ...props.function, ...common, propPath: 'function' });
    const routes = (props.routes ?? []).map((route, i) =>
      ({ route, fn: new AppFunction(this, `Route${i + 1}`, { ...route, ...common, propPath: `routes[${i}]` }) }));
    this.function = main.function;
    this.alias = main.alias;
    this.routeFunctions = routes.map((r) => r.fn.function);
    this.grantPrincipal = main.function.grantPrincipal;
    this.appLogGroups = [main.logGroup, ...routes.map((r) => r.fn.logGroup)];
    this.outputs = store.database
      ? { DatabaseSecretArn: { value: store.database.secret.secretArn, description: 'Connection JSON of the database' } }
      : { TableName: { value: store.table!.tableName, description: 'The app data' } };

    if (props.auth?.auth.isCognito) {
      this.userPool = props.auth.auth.userPool ?? this.createUserPool(removalPolicy);
      if (!props.auth.auth.userPool) this.userPoolClient = (this.userPool as cognito.UserPool).addClient('Client', { authFlows: { userSrp: true } });
    }

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: withoutSnapshot(removalPolicy) });
    const publicPaths = [...new Set(['/', ...(props.auth?.publicPaths ?? []), props.app.healthCheckPath])];
    let requests: cloudwatch.IMetric;
    let serverErrors: cloudwatch.IMetric;
    if (api.isRest) {
      this.restApi = this.restApiFor(props, api, main, routes, accessLogs, publicPaths);
      requests = this.restApi.metricCount({ period: Duration.minutes(1), statistic: 'Sum' });
      serverErrors = this.restApi.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' });
      this.url = props.domain ? `https://${props.domain.domainName}/` : this.restApi.url;
    } else {
      this.httpApi = this.httpApiFor(props, main, routes, accessLogs, publicPaths);
      requests = this.httpApi.metricCount({ period: Duration.minutes(1), statistic: 'Sum' });
      serverErrors = this.httpApi.metricServerError({ period: Duration.minutes(1), statistic: 'Sum' });
      this.url = props.domain ? `https://${props.domain.domainName}/` : this.httpApi.apiEndpoint + '/';
    }

    const errorRate = notify(new cloudwatch.Alarm(this, 'ApiErrorRateAlarm', {
      alarmDescription: 'More than 5% of API requests answered with a 5xx in 3 of the last 5 minutes.',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
        usingMetrics: { requests, errors: serverErrors },
        period: Duration.minutes(1),
        label: '5xx responses (%)',
      }),
      threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }), this.alarmTopic);
    this.alarms = [...main.alarms, ...routes.flatMap((r) => r.fn.alarms), errorRate];
    if (this.httpApi) {
      acknowledgeAll(this.httpApi, [guard('api_gw_v2_authorization_type_configured_check')], props.auth
        ? 'Only the public paths (auth.publicPaths: the page and the health route by default) skip authorization.'
        : 'A public web app: authorization at the API is opt-in (auth); the app authorizes what it serves.');
    }
    acknowledgeInherentFindings(this);
  }

  private validate(props: ServerlessTierProps, api: ServerlessApi): void {
    checkWebTierDomain(this, props.domain);
    const region = Stack.of(this).region;
    const regionKnown = !Token.isUnresolved(region);
    const certificate = props.domain?.certificate;
    const certificateRegion = certificate && regionOfDefined(certificate.certificateArn, certificate);
    if (certificateRegion !== undefined && regionKnown && certificateRegion !== region) {
      throw new WebTiersValidationError(this, 'domain.certificate',
        `is in ${certificateRegion} and the stack in ${region}: the ${api}'s regional custom domain reads its certificate from its own region; accepted: a certificate in ${region}`);
    }
    if (props.table) checkDataTable(this, props.table);
    (props.routes ?? []).forEach((r, i) => {
      checkUrlPath(this, `routes[${i}].path`, r.path);
      if (r.path === '/' || /[{}]/.test(r.path) || r.path.endsWith('/')) {
        throw new WebTiersValidationError(this, `routes[${i}].path`, `got '${r.path}'; accepted: a literal path prefix such as '/api/entries' (not '/', no '{…}', no trailing '/')`);
      }
    });
    const paths = (props.routes ?? []).map((r) => r.path);
    const duplicate = paths.find((p, i) => paths.indexOf(p) !== i);
    if (duplicate) throw new WebTiersValidationError(this, 'routes', `path '${duplicate}' appears twice; accepted: each path once`);
    (props.auth?.publicPaths ?? []).forEach((p, i) => checkUrlPath(this, `auth.publicPaths[${i}]`, p));
    if (props.cors?.allowCredentials && props.cors.allowOrigins.includes('*')) {
      throw new WebTiersValidationError(this, 'cors.allowCredentials',
        "is true with allowOrigins '*': browsers send no credentials to a wildcard origin (CORS); accepted: the origins named, e.g. ['https://app.example.com'], or allowCredentials false");
    }
    if (props.auth && !props.auth.auth.isCognito && api.isRest) {
      throw new WebTiersValidationError(this, 'auth', 'ServerlessAuth.jwt() needs the HTTP API; accepted with ServerlessApi.rest(): ServerlessAuth.cognito()');
    }
    const rest = api.restOptions;
    // Checked when ServerlessApi.rest() made them; again here, with the construct's path.
    checkSpec(this, rest as unknown as Record<string, unknown>, REST_API_SPEC, 'api');
    if (rest.cacheSize !== undefined && rest.cacheTtl === undefined) {
      throw new WebTiersValidationError(this, 'api.cacheSize', 'is set without api.cacheTtl; accepted: cacheSize together with cacheTtl');
    }
    const acl = rest.webAclArn === undefined || Token.isUnresolved(rest.webAclArn) ? undefined : REGIONAL_WEB_ACL_ARN.exec(rest.webAclArn);
    if (acl && regionKnown && acl[1] !== region) {
      throw new WebTiersValidationError(this, 'api.webAclArn',
        `got '${rest.webAclArn}' (in ${acl[1]}, and the stack in ${region}: a REGIONAL web ACL protects resources in its own region); accepted: ${REGIONAL_WEB_ACL} (${region})`);
    }
    const seenRequests = new Set<string>();
    (rest.validatedRequests ?? []).forEach((r, i) => {
      const prop = `api.validatedRequests[${i}]`;
      checkUrlPath(this, `${prop}.path`, r.path);
      if (r.path === '/' || /[{}]/.test(r.path)) throw new WebTiersValidationError(this, `${prop}.path`, `got '${r.path}'; accepted: a literal path such as '/api/entries'`);
      if (seenRequests.has(`${r.method} ${r.path}`)) throw new WebTiersValidationError(this, prop, `${r.method} ${r.path} appears twice; accepted: each method and path once`);
      seenRequests.add(`${r.method} ${r.path}`);
    });
  }

  private createUserPool(removalPolicy: RemovalPolicy): cognito.UserPool {
    const pool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // Users are user data: kept unless the whole environment is disposable.
      removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
    });
    Validations.of(pool).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-COG2', reason: 'MFA is optional (TOTP) so sign-in works for every user; require it by passing a user pool of your own with Mfa.REQUIRED.' },
      { id: 'AwsSolutions::AwsSolutions-COG3', reason: 'Threat protection needs the Cognito Plus plan, billed per active user; opt in by passing a user pool of your own.' },
      { id: 'AwsSolutions::AwsSolutions-COG8', reason: 'The Plus plan is billed per active user; the Essentials plan covers sign-in and MFA. Pass a user pool of your own to choose Plus.' },
    );
    return pool;
  }

  private httpApiFor(
    props: ServerlessTierProps, main: AppFunction, routes: Array<{ route: RouteFunction; fn: AppFunction }>,
    accessLogs: logs.LogGroup, publicPaths: string[],
  ): apigwv2.HttpApi {
    const integration = (name: string, fn: AppFunction) => new integrations.HttpLambdaIntegration(name, fn.alias, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      timeout: Duration.seconds(props.api?.integrationTimeoutSeconds ?? 29),
    });
    const auth = props.auth?.auth;
    let authorizer: apigwv2.IHttpRouteAuthorizer | undefined;
    if (auth?.isCognito) {
      authorizer = new authorizers.HttpUserPoolAuthorizer('Authorizer', this.userPool!, { userPoolClients: this.userPoolClient ? [this.userPoolClient] : undefined });
    } else if (auth) {
      authorizer = new authorizers.HttpJwtAuthorizer('Authorizer', auth.issuer!, { jwtAudience: auth.audience! });
    }
    const cors = props.cors;
    const httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: `${this.node.path}: the web app`,
      defaultIntegration: integration('AppIntegration', main),
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
      corsPreflight: cors && {
        allowOrigins: cors.allowOrigins,
        allowMethods: (cors.allowMethods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).map((m) => m as apigwv2.CorsHttpMethod),
        allowHeaders: cors.allowHeaders ?? ['content-type', 'authorization'],
        allowCredentials: cors.allowCredentials ?? false,
        maxAge: Duration.hours(1),
      },
    });
    let domainName: apigwv2.DomainName | undefined;
    if (props.domain) {
      domainName = new apigwv2.DomainName(this, 'Domain', { domainName: props.domain.domainName, certificate: domainCertificate(this, props.domain) });
    }
    const throttle = props.throttle ?? { rateLimit: 500, burstLimit: 1000 };
    new apigwv2.HttpStage(this, 'Stage', {
      httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: apigw.AccessLogFormat.jsonWithStandardFields() },
      domainMapping: domainName && { domainName },
    });
    if (authorizer) {
      for (const path of publicPaths) {
        const routes = httpApi.addRoutes({ path, methods: [apigwv2.HttpMethod.GET, apigwv2.HttpMethod.HEAD], integration: integration(`Public${path}`, main), authorizer: new apigwv2.HttpNoneAuthorizer() });
        for (const route of routes) {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions::AwsSolutions-APIG4',
            reason: `'${path}' is public by configuration (auth.publicPaths; the page and the health route by default); every other path needs a token.`,
          });
        }
      }
    } else {
      Validations.of(httpApi).acknowledge({
        id: 'AwsSolutions::AwsSolutions-APIG4',
        reason: 'A public web app: authorization at the API is opt-in (auth: ServerlessAuth.cognito() or .jwt()); the app authorizes what it serves.',
      });
    }
    routes.forEach(({ route, fn }, i) => {
      const target = integration(`Route${i + 1}`, fn);
      httpApi.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod.ANY], integration: target });
      httpApi.addRoutes({ path: `${route.path}/{proxy+}`, methods: [apigwv2.HttpMethod.ANY], integration: target });
    });
    if (props.domain && domainName) {
      new route53.ARecord(this, 'DnsRecord', {
        zone: props.domain.domainZone,
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId)),
      });
    }
    return httpApi;
  }

  private restApiFor(
    props: ServerlessTierProps, api: ServerlessApi, main: AppFunction, routes: Array<{ route: RouteFunction; fn: AppFunction }>,
    accessLogs: logs.LogGroup, publicPaths: string[],
  ): apigw.RestApi {
    const o = api.restOptions;
    const throttle = props.throttle ?? { rateLimit: 500, burstLimit: 1000 };
    const cors = props.cors;
    const restApi = new apigw.RestApi(this, 'RestApi', {
      description: `${this.node.path}: the web app`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Every body arrives base64-encoded and is decoded by the adapter: binary uploads work.
      binaryMediaTypes: ['*/*'],
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'live',
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        tracingEnabled: props.function?.tracing ?? false,
        metricsEnabled: true,
        cachingEnabled: o.cacheTtl !== undefined,
        cacheClusterEnabled: o.cacheTtl !== undefined,
        cacheClusterSize: o.cacheTtl !== undefined ? (o.cacheSize ?? '0.5') : undefined,
        cacheTtl: o.cacheTtl,
        cacheDataEncrypted: o.cacheTtl !== undefined ? true : undefined,
      },
      defaultCorsPreflightOptions: cors && {
        allowOrigins: cors.allowOrigins,
        allowMethods: cors.allowMethods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: cors.allowHeaders ?? ['content-type', 'authorization'],
        allowCredentials: cors.allowCredentials ?? false,
        maxAge: Duration.hours(1),
      },
      domainName: props.domain && { domainName: props.domain.domainName, certificate: domainCertificate(this, props.domain), endpointType: apigw.EndpointType.REGIONAL },
    });

    const authorizer = props.auth ? new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [this.userPool!] }) : undefined;
    const protectedMethod: apigw.MethodOptions = {
      authorizer,
      authorizationType: authorizer ? apigw.AuthorizationType.COGNITO : apigw.AuthorizationType.NONE,
      apiKeyRequired: Boolean(o.usagePlan),
    };
    const publicMethod: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: Boolean(o.usagePlan) };
    const integration = (fn: AppFunction) => new apigw.LambdaIntegration(fn.alias, { proxy: true, timeout: Duration.seconds(api.integrationTimeoutSeconds) });
    const mainIntegration = integration(main);
    const isPublic = (path: string) => Boolean(authorizer) && publicPaths.includes(path);

    restApi.root.addMethod('ANY', mainIntegration, isPublic('/') ? publicMethod : protectedMethod);
    restApi.root.addProxy({ defaultIntegration: mainIntegration, anyMethod: true, defaultMethodOptions: protectedMethod });
    if (authorizer) {
      for (const path of publicPaths.filter((p) => p !== '/')) {
        restApi.root.resourceForPath(path).addMethod('GET', mainIntegration, publicMethod);
      }
    }
    routes.forEach(({ route, fn }) => {
      const resource = restApi.root.resourceForPath(route.path);
      const target = integration(fn);
      resource.addMethod('ANY', target, protectedMethod);
      resource.addProxy({ defaultIntegration: target, anyMethod: true, defaultMethodOptions: protectedMethod });
    });

    if (o.validatedRequests?.length) {
      const validator = restApi.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
      o.validatedRequests.forEach((r, i) => {
        const model = restApi.addModel(`Model${i + 1}`, { contentType: 'application/json', schema: r.schema });
        const route = routes.find(({ route: x }) => r.path === x.path || r.path.startsWith(`${x.path}/`));
        restApi.root.resourceForPath(r.path).addMethod(r.method, route ? integration(route.fn) : mainIntegration, {
          ...protectedMethod, requestValidator: validator, requestModels: { 'application/json': model },
        });
      });
    }
    if (o.usagePlan) {
      const plan = restApi.addUsagePlan('UsagePlan', {
        throttle: { rateLimit: o.usagePlan.rateLimit, burstLimit: o.usagePlan.burstLimit },
        quota: o.usagePlan.quotaPerDay ? { limit: o.usagePlan.quotaPerDay, period: apigw.Period.DAY } : undefined,
        apiStages: [{ api: restApi, stage: restApi.deploymentStage }],
      });
      plan.addApiKey(restApi.addApiKey('ApiKey'));
    }
    if (o.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', { resourceArn: restApi.deploymentStage.stageArn, webAclArn: o.webAclArn });
    }
    if (props.domain) {
      new route53.ARecord(this, 'DnsRecord', {
        zone: props.domain.domainZone,
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.ApiGateway(restApi)),
      });
    }

    const acks = [
      { id: 'AwsSolutions::AwsSolutions-APIG6', reason: 'Execution logging needs the account-wide API Gateway CloudWatch role, which this construct does not own; access logs are on.' },
    ];
    if (!o.validatedRequests?.length) {
      acks.push({ id: 'AwsSolutions::AwsSolutions-APIG2', reason: 'A proxy to the app, which validates its own input (400 with a JSON error); add api.validatedRequests to have API Gateway check bodies first.' });
    }
    if (!o.webAclArn) acks.push({ id: 'AwsSolutions::AwsSolutions-APIG3', reason: 'WAF is opt-in (api: ServerlessApi.rest({ webAclArn })): a web ACL is billed per rule and request.' });
    if (!authorizer) {
      acks.push(
        { id: 'AwsSolutions::AwsSolutions-APIG4', reason: 'A public web app: authorization at the API is opt-in (auth: ServerlessAuth.cognito()); the app authorizes what it serves.' },
        { id: 'AwsSolutions::AwsSolutions-COG4', reason: 'No Cognito authorizer because the app is public by configuration; auth: ServerlessAuth.cognito() adds one.' },
      );
    } else if (publicPaths.length) {
      acks.push(
        { id: 'AwsSolutions::AwsSolutions-APIG4', reason: 'Only the public paths (the page and the health route by default) skip authorization, by configuration (auth.publicPaths).' },
        { id: 'AwsSolutions::AwsSolutions-COG4', reason: 'Only the public paths (the page and the health route by default) skip the Cognito authorizer, by configuration (auth.publicPaths).' },
      );
    }
    Validations.of(restApi).acknowledge(...acks);
    return restApi;
  }
}
