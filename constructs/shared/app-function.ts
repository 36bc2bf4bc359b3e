import { Duration, RemovalPolicy, Token, Tokenization, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { notify } from './alarms';
import { boolean, checkSpec, describe, duration, integer, literal, type Spec } from './checks';
import { DATABASE_NAME, DATABASE_USER, type Database } from './database';
import { Deployment, DeploymentStrategy, type IDeployment } from './deployment';
import { WebTiersValidationError, checkTimeoutChain, withoutSnapshot } from './validation';
import type { WebApp } from './web-app';

/** The Lambda runtime of the serverless tiers: the newest Node.js LTS in aws-cdk-lib. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** Sizing and behaviour of an app function. */
export interface FunctionOptions {
  /**
   * Memory in MB, 128–10240 (CPU grows with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long one request may run. Must fit inside the timeout of whatever calls the function.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for (and capped at) this function.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * Instances kept initialized on the live alias, against cold starts (billed while idle).
   * @default 0
   */
  readonly provisionedConcurrency?: number;
  /**
   * Active X-Ray tracing.
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * The runtime checks of `FunctionOptions` (`function`, and each of `routes`). Memory and
 * concurrency are passed through to Lambda and may be tokens; the timeout is not: it is chained
 * against the caller's timeout and sets the latency alarm, so it must be known at synth.
 * (`provisionedConcurrency` is compared with `reservedConcurrency` when both are given: see AppFunction.)
 */
export const FUNCTION_SPEC: Spec = {
  memorySize: integer(128, 10240, 'MB'),
  timeout: duration(1, 900, 'seconds'),
  reservedConcurrency: integer(1, 10000),
  provisionedConcurrency: integer(0, 10000),
  tracing: boolean,
};

/** What `function` (and each route's options) accepts, in words. */
export const FUNCTION_OPTIONS = 'an object { memorySize?, timeout?, reservedConcurrency?, provisionedConcurrency?, tracing? }';

/** The checks of the factories' arguments: they name the construct id, so they are known at synth. */
const SHIFT_SPEC: Spec = {
  percent: literal(integer(1, 99, 'percent')),
  minutes: literal(integer(1, 60, 'minutes')),
};

enum Strategy { ALL_AT_ONCE = 'allAtOnce', CANARY = 'canary', LINEAR = 'linear', CODEDEPLOY_ALL_AT_ONCE = 'codeDeployAllAtOnce' }

/** How a new version of the function takes traffic. */
export class ServerlessDeployment implements IDeployment {
  /** Shift all traffic at once (no CodeDeploy): for development. */
  public static allAtOnce(): ServerlessDeployment {
    return new ServerlessDeployment(Strategy.ALL_AT_ONCE, 100, 0);
  }

  /**
   * Send `percent` (1–99) of traffic to the new version for `minutes` (1–60), then the rest; roll back on alarm.
   * Values outside those ranges, or of another type, fail here (`deployment.percent`, `deployment.minutes`).
   */
  public static canary(percent?: number, minutes?: number): ServerlessDeployment {
    return ServerlessDeployment.shifting(Strategy.CANARY, percent ?? 10, minutes ?? 5);
  }

  /**
   * Add `percent` (1–99) of traffic every `minutes` (1–60); roll back on alarm.
   * Values outside those ranges, or of another type, fail here (`deployment.percent`, `deployment.minutes`).
   */
  public static linear(percent?: number, minutes?: number): ServerlessDeployment {
    return ServerlessDeployment.shifting(Strategy.LINEAR, percent ?? 10, minutes ?? 1);
  }

  private static shifting(strategy: Strategy, percent: number, minutes: number): ServerlessDeployment {
    checkSpec(undefined, { percent, minutes }, SHIFT_SPEC, 'deployment');
    return new ServerlessDeployment(strategy, percent, minutes);
  }

  /**
   * `deployment` on tiers 5–6: a `ServerlessDeployment` as it is, or a `Deployment` mapped to
   * CodeDeploy — all at once, linear (`batchPercent` every `timeout`) or canary (`percent` for
   * `bake`) — rolling back on the function's alarms.
   * @internal
   */
  public static _of(scope: Construct, tier: string, deployment: IDeployment | undefined): ServerlessDeployment {
    if (deployment === undefined || deployment === null) return ServerlessDeployment.canary(10, 5);
    if (deployment instanceof ServerlessDeployment) return deployment;
    if (!(deployment instanceof Deployment)) {
      throw Deployment._unsupported(scope, tier, deployment,
        'Deployment.allAtOnce(), Deployment.rolling({ batchPercent, timeout }), Deployment.canary({ percent, bake }) or a ServerlessDeployment');
    }
    deployment._validate(scope, tier);
    switch (deployment.strategy) {
      case DeploymentStrategy.CANARY:
        return ServerlessDeployment.canary(deployment.percent, deployment._minutes(scope, tier, 'bake', 1, 60));
      case DeploymentStrategy.ROLLING: {
        // minHealthyPercent always holds: the old version serves the traffic not yet shifted.
        const interval = deployment._minutes(scope, tier, 'timeout', 1, 60);
        return deployment.batchPercent === 100
          ? new ServerlessDeployment(Strategy.CODEDEPLOY_ALL_AT_ONCE, 100, 0)
          : ServerlessDeployment.linear(deployment.batchPercent, interval);
      }
      default:
        return new ServerlessDeployment(Strategy.CODEDEPLOY_ALL_AT_ONCE, 100, 0);
    }
  }

  private constructor(private readonly strategy: Strategy, private readonly percent: number, private readonly minutes: number) {}

  /** @internal */
  public _validate(scope: Construct, prop: string): void {
    if (this.strategy === Strategy.ALL_AT_ONCE || this.strategy === Strategy.CODEDEPLOY_ALL_AT_ONCE) return;
    if (!Number.isInteger(this.percent) || this.percent < 1 || this.percent > 99) {
      throw new WebTiersValidationError(scope, prop, `${this.strategy} percent ${this.percent}; accepted: an integer from 1 to 99`);
    }
    if (!Number.isInteger(this.minutes) || this.minutes < 1 || this.minutes > 60) {
      throw new WebTiersValidationError(scope, prop, `${this.strategy} minutes ${this.minutes}; accepted: an integer from 1 to 60`);
    }
  }

  /** The CodeDeploy configuration, or undefined for all-at-once. @internal */
  public _config(scope: Construct): codedeploy.ILambdaDeploymentConfig | undefined {
    if (this.strategy === Strategy.ALL_AT_ONCE) return undefined;
    if (this.strategy === Strategy.CODEDEPLOY_ALL_AT_ONCE) return codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE;
    const id = `Deploy${this.strategy === Strategy.CANARY ? 'Canary' : 'Linear'}${this.percent}Percent${this.minutes}Minutes`;
    const existing = scope.node.tryFindChild(id) as codedeploy.LambdaDeploymentConfig | undefined;
    return existing ?? new codedeploy.LambdaDeploymentConfig(scope, id, {
      trafficRouting: this.strategy === Strategy.CANARY
        ? codedeploy.TrafficRouting.timeBasedCanary({ percentage: this.percent, interval: Duration.minutes(this.minutes) })
        : codedeploy.TrafficRouting.timeBasedLinear({ percentage: this.percent, interval: Duration.minutes(this.minutes) }),
    });
  }

  public toString(): string {
    if (this.strategy === Strategy.CODEDEPLOY_ALL_AT_ONCE) return 'all at once, through CodeDeploy';
    return this.strategy === Strategy.ALL_AT_ONCE ? 'all at once' : `${this.strategy} ${this.percent}% / ${this.minutes} min`;
  }
}

/** Inputs of {@link AppFunction}. */
export interface AppFunctionProps extends FunctionOptions {
  readonly app: WebApp;
  /** The app's DynamoDB table, given as `TABLE_NAME` (one of `table` and `database`). */
  readonly table?: dynamodb.ITableV2;
  /**
   * The app's PostgreSQL, reached through its RDS Proxy from the network's app subnets, given as
   * `DATABASE_URL` with an IAM token for a password (see runtime/database-auth.ts).
   */
  readonly database?: Database;
  readonly environment?: { [name: string]: string };
  readonly deployment: ServerlessDeployment;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly alarmTopic: sns.ITopic;
  /** The prop path that set these options, for error messages, e.g. 'function' or 'routes[0]'. */
  readonly propPath: string;
  /** The longest the caller waits, which the function timeout must not exceed. */
  readonly callerTimeout: { readonly seconds: number; readonly prop: string };
}

/**
 * Names the tier sets itself. `WEB_TIERS_NATIVE_FETCH` is not among them: the tier never sets it,
 * and README documents it as the switch to Node's own fetch classes (both bundles read it), which
 * tiers 1-4 accept in `environment` too.
 */
const TIER_ENV = ['TABLE_NAME', 'DATABASE_URL', 'WEB_TIERS_DATABASE_AUTH', 'PGPASSWORD', 'NODE_OPTIONS', 'HEALTH_CHECK_PATH'];

/** Names Lambda sets itself and refuses in a function's configuration. */
const LAMBDA_RESERVED_ENV = [
  'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

/** A name Lambda accepts: a letter, then at least one letter, digit or '_' (so not `X`, not `_X`). */
const LAMBDA_ENV_NAME = /^[A-Za-z][A-Za-z0-9_]+$/;

/** Lambda's limit on a function's environment, not adjustable. */
export const LAMBDA_ENVIRONMENT_BYTES = 4096;

/**
 * The size of a function's environment as Lambda measures it: the UTF-8 bytes of the variables
 * as a compact JSON object (`{"NAME":"value",…}`: names, values, quotes and separators; the error
 * Lambda gives quotes this string as "String measured"). Tokens count as empty (their length is
 * known only at deploy), so this is a lower bound when a value holds one.
 */
export function lambdaEnvironmentBytes(variables: Record<string, string>): number {
  const known = Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, Token.isUnresolved(value)
    ? String(Tokenization.reverseString(value).mapTokens({ mapToken: () => '' }).join({ join: (a, b) => `${a ?? ''}${b ?? ''}` }) ?? '')
    : value]));
  return Buffer.byteLength(JSON.stringify(known), 'utf8');
}

/**
 * The app's `environment` on Lambda: names Lambda accepts, none the tier or Lambda sets, single-line
 * string values, and, with what the tier sets (`tierVariables`), within Lambda's 4 KB.
 */
export function checkLambdaEnvironment(scope: Construct, env: Record<string, string> | undefined, tierVariables: Record<string, string>): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!LAMBDA_ENV_NAME.test(name)) {
      throw new WebTiersValidationError(scope, 'environment',
        `variable name ${describe(name)} is not one Lambda accepts; accepted: a letter, then at least one more letter, digit or '_' (Lambda's [a-zA-Z][a-zA-Z0-9_]+)`);
    }
    if (TIER_ENV.includes(name)) {
      throw new WebTiersValidationError(scope, 'environment', `variable '${name}' is set by the tier; reserved: ${TIER_ENV.join(', ')}`);
    }
    if (LAMBDA_RESERVED_ENV.includes(name)) {
      throw new WebTiersValidationError(scope, 'environment', `variable '${name}' is set by Lambda, which refuses it in a function's configuration; reserved by Lambda: ${LAMBDA_RESERVED_ENV.join(', ')}`);
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new WebTiersValidationError(scope, 'environment', `variable '${name}' got ${describe(value)}; accepted: a single-line string value`);
    }
  }
  const bytes = lambdaEnvironmentBytes({ ...env, ...tierVariables });
  if (bytes > LAMBDA_ENVIRONMENT_BYTES) {
    const own = lambdaEnvironmentBytes(env ?? {});
    throw new WebTiersValidationError(scope, 'environment',
      `got ${own} bytes of variables, ${bytes} with the ${Object.keys(tierVariables).join(', ')} the tier sets, as Lambda measures them ` +
      `(the JSON of names and values; tokens counted as empty); accepted: at most ${LAMBDA_ENVIRONMENT_BYTES} bytes in all (Lambda's limit, not adjustable): ` +
      'move large values to SSM Parameter Store, Secrets Manager or the table');
  }
}

/**
 * The app's Lambda function with everything a production function needs: arm64 on the newest
 * Node.js LTS, the shared lambda bundle with source maps on, a log group with retention,
 * read/write access to the table, a `live` alias that callers use (with optional provisioned
 * concurrency), CodeDeploy canary or linear shifting that rolls back on its alarms (errors,
 * p99 duration), and throttle alarms.
 */
export class AppFunction extends Construct {
  public readonly function: lambda.Function;
  public readonly alias: lambda.Alias;
  /** The function's log group (the app's output). */
  public readonly logGroup: logs.LogGroup;
  public readonly deploymentGroup?: codedeploy.LambdaDeploymentGroup;
  public readonly alarms: cloudwatch.Alarm[];
  /** The function's security group, when it runs in the database's network. */
  public readonly securityGroup?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    const p = props.propPath;
    checkSpec(scope, props as unknown as Record<string, unknown>, FUNCTION_SPEC, p);
    props.deployment._validate(scope, 'deployment');
    const timeout = props.timeout ?? Duration.seconds(10);
    const seconds = timeout.toSeconds();
    checkTimeoutChain(scope, { prop: `${p}.timeout`, seconds }, props.callerTimeout);
    // Null (how other jsii languages may pass an option not given) is not given.
    const reserved = props.reservedConcurrency ?? undefined;
    const provisioned = props.provisionedConcurrency ?? undefined;
    if (reserved !== undefined && provisioned !== undefined) {
      // Compared at synth: both must be known then.
      for (const [prop, value] of [['provisionedConcurrency', provisioned], ['reservedConcurrency', reserved]] as const) {
        if (Token.isUnresolved(value)) {
          throw new WebTiersValidationError(scope, `${p}.${prop}`,
            `got a token (a deploy-time value); accepted: an integer known at synth when both reservedConcurrency and provisionedConcurrency are given (the construct checks provisioned ≤ reserved)`);
        }
      }
      if (provisioned > reserved) {
        throw new WebTiersValidationError(scope, `${p}.provisionedConcurrency`,
          `${provisioned} is above ${p}.reservedConcurrency ${reserved}; accepted: at most the reserved concurrency`);
      }
    }
    const proxy = props.database?.proxy();
    const tierVariables: Record<string, string> = {
      NODE_OPTIONS: '--enable-source-maps',
      ...(props.table ? { TABLE_NAME: props.table.tableName } : {}),
      // The server tiers' contract (a PostgreSQL URL, TLS verified) with the password left out:
      // the function signs an IAM token into PGPASSWORD (runtime/database-auth.ts). RDS Proxy's
      // certificate is from ACM, whose roots Node trusts without an extra CA bundle.
      ...(proxy ? {
        DATABASE_URL: `postgresql://${DATABASE_USER}@${proxy.endpoint}:${props.database!.port}/${DATABASE_NAME}?sslmode=verify-full`,
        WEB_TIERS_DATABASE_AUTH: 'iam',
      } : {}),
      HEALTH_CHECK_PATH: props.app.healthCheckPath,
    };
    checkLambdaEnvironment(scope, props.environment, tierVariables);

    const bundle = props.app.lambdaBundle(scope);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: withoutSnapshot(props.removalPolicy) });
    this.logGroup = logGroup;
    // A role of its own that writes to its own log group only (no AWS-managed basic execution policy).
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${this.node.path}`,
    });
    logGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents');
    if (props.database && proxy) this.securityGroup = this.networkAccess(props.database, proxy, role);
    this.function = new lambda.Function(this, 'Function', {
      role,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(bundle.directory),
      handler: `${bundle.file.replace(/\.js$/, '')}.handler`,
      memorySize: props.memorySize ?? 512,
      timeout,
      reservedConcurrentExecutions: reserved,
      tracing: props.tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup,
      environment: { ...props.environment, ...tierVariables },
      ...(props.database && this.securityGroup ? { vpc: props.database.vpc, vpcSubnets: props.database.network.appSubnets, securityGroups: [this.securityGroup] } : {}),
    });
    props.table?.grantReadWriteData(this.function);
    if (proxy) proxy.grantConnect(this.function, DATABASE_USER);

    this.alias = new lambda.Alias(this, 'Live', {
      aliasName: 'live',
      version: this.function.currentVersion,
      provisionedConcurrentExecutions: provisioned || undefined,
    });

    const period = Duration.minutes(1);
    const errors = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: `${this.node.path}: function errors in 2 of the last 3 minutes.`,
      metric: this.alias.metricErrors({ period, statistic: 'Sum' }),
      threshold: 1, evaluationPeriods: 3, datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'LatencyAlarm', {
      alarmDescription: `${this.node.path}: p99 duration above 80% of the timeout for 3 minutes.`,
      metric: this.alias.metricDuration({ period, statistic: 'p99' }),
      threshold: seconds * 1000 * 0.8, evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const throttles = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      alarmDescription: `${this.node.path}: invocations throttled for 3 minutes.`,
      metric: this.alias.metricThrottles({ period, statistic: 'Sum' }),
      threshold: 1, evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [errors, latency, throttles].map((a) => notify(a, props.alarmTopic));

    const config = props.deployment._config(scope);
    if (config) {
      this.deploymentGroup = new codedeploy.LambdaDeploymentGroup(this, 'Deployment', {
        alias: this.alias,
        deploymentConfig: config,
        alarms: [errors, latency],
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      Validations.of(this.deploymentGroup).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason: 'The service-role policy AWS publishes for CodeDeploy on Lambda, limited to shifting alias traffic and invoking hooks.',
      });
    }
  }

  /**
   * The function's security group in the database's network: HTTPS out (AWS APIs, through NAT or
   * the network's endpoints) and PostgreSQL to the proxy, nothing else. Its role manages the
   * function's network interfaces with the policy AWS publishes for that alone.
   */
  private networkAccess(database: Database, proxy: rds.DatabaseProxy, role: iam.Role): ec2.SecurityGroup {
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: database.vpc,
      description: `${this.node.path}: HTTPS out and PostgreSQL to RDS Proxy`,
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');
    securityGroup.connections.allowTo(proxy, ec2.Port.tcp(database.port), 'PostgreSQL to RDS Proxy');
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaENIManagementAccess'));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaENIManagementAccess]',
      reason: 'A function in a VPC needs its network interfaces managed; AWS publishes this policy for exactly that.',
    });
    return securityGroup;
  }

}
