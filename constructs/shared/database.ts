import { Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { restrictGrantsToAwsServices } from './alarms';
import { describeVpc } from './regions';
import { boolean, checkSpec, duration, instanceOf, instanceType as anInstanceType, integer, literal, number, removalPolicy, required, retentionDays, satisfies, sizeGiB, type Spec, network as networkCheck, vpc as vpcCheck, withoutNulls } from './checks';
import { acknowledgeAll, acknowledgeInherentFindings, guard, hipaaNist } from './compliance';
import type { Network } from './network';
import { WebTiersValidationError, checkIntegerRange, withoutSnapshot } from './validation';
import { SinglePointOfFailure, warnSinglePointOfFailure } from './warnings';

/**
 * A PostgreSQL database the server tiers can use: reachable through `connections`,
 * credentials in a Secrets Manager secret holding `host`, `port`, `username`,
 * `password` and `dbname` (the shape RDS attachments write).
 */
export interface IAppDatabase extends ec2.IConnectable {
  /** The VPC the database is in. */
  readonly vpc: ec2.IVpc;
  /** The secret with the connection JSON. */
  readonly secret: secretsmanager.ISecret;
  /** The database port. */
  readonly port: number;
  /** Lets `client` connect: network access on the port and read access to the secret. */
  allowFrom(client: ec2.IConnectable, grantee: iam.IGrantable): void;
}

/** Attributes of an existing database, for {@link Database.fromAttributes}. */
export interface AppDatabaseAttributes {
  readonly vpc: ec2.IVpc;
  /** A security group of the database, to which the tier's ingress rule is added. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly secret: secretsmanager.ISecret;
  /** @default 5432 */
  readonly port?: number;
}

/** Capacity of Aurora Serverless v2, in Aurora capacity units (ACUs: about 2 GiB of memory each, with CPU and network to match). */
export interface AuroraServerlessOptions {
  /**
   * Fewest ACUs, 0–256 in steps of 0.5. At 0 the database pauses after `pauseAfter` without
   * connections, costs only storage while paused, and resumes on the next connection (about 15 s).
   * @default 0
   */
  readonly minCapacity?: number;
  /**
   * Most ACUs, 1–256 in steps of 0.5.
   * @default 4
   */
  readonly maxCapacity?: number;
  /**
   * How long without connections before a database at `minCapacity: 0` pauses, 5 minutes to 1 day.
   * @default Duration.minutes(5)
   */
  readonly pauseAfter?: Duration;
}

/** How the database runs: RDS on an instance class, or Aurora Serverless v2. */
export class DatabaseEngine {
  /** RDS PostgreSQL on an instance class (`instanceType`, `allocatedStorage`): the default. */
  public static instance(): DatabaseEngine {
    return new DatabaseEngine('instance', undefined);
  }

  /**
   * Aurora PostgreSQL Serverless v2: capacity that follows the load between `minCapacity` and
   * `maxCapacity`, down to a pause at 0, and storage that grows by itself. Same encryption,
   * TLS, backups, deletion protection and secret as the instance; `multiAz` adds a reader in a
   * second AZ that takes over on failure.
   */
  public static auroraServerless(options: AuroraServerlessOptions = {}): DatabaseEngine {
    options = withoutNulls(options ?? {});
    const path = 'DatabaseEngine.auroraServerless(options)';
    // Known at synth: the range is compared here, and the estimate sizes capacity from it.
    checkSpec(undefined, options as unknown as Record<string, unknown>, {
      minCapacity: literal(number(0, 256, 'ACUs', 0.5)), maxCapacity: literal(number(1, 256, 'ACUs', 0.5)), pauseAfter: duration(5, 1440, 'minutes'),
    }, path);
    const min = options.minCapacity ?? 0;
    const max = options.maxCapacity ?? 4;
    if (min > max) throw new WebTiersValidationError(undefined, `${path}.minCapacity`, `got ${min}, more than maxCapacity ${max}; accepted: at most maxCapacity`);
    if (options.pauseAfter && min > 0) {
      throw new WebTiersValidationError(undefined, `${path}.pauseAfter`, `applies only at minCapacity 0 (got minCapacity ${min}); accepted: no pauseAfter, or minCapacity: 0`);
    }
    return new DatabaseEngine('aurora-serverless', { minCapacity: min, maxCapacity: max, pauseAfter: options.pauseAfter ?? Duration.minutes(5) });
  }

  private constructor(
    /** 'instance' or 'aurora-serverless'. */
    public readonly kind: string,
    /** The capacity of Aurora Serverless v2, with its defaults filled in. */
    public readonly aurora: AuroraServerlessOptions | undefined,
  ) {}
}

/** Props of {@link Database}. */
export interface DatabaseProps {
  /** The network; the database goes in its data subnets. */
  readonly network: Network;
  /**
   * RDS on an instance class, or Aurora Serverless v2 (`DatabaseEngine.auroraServerless({ maxCapacity: 8 })`).
   * @default DatabaseEngine.instance()
   */
  readonly engine?: DatabaseEngine;
  /**
   * Instance class (RDS instances only).
   * @default t4g.micro
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * Initial storage, 20–65536 GiB; storage grows automatically up to 4× this (RDS instances only:
   * Aurora's storage grows by itself).
   * @default Size.gibibytes(20)
   */
  readonly allocatedStorage?: Size;
  /**
   * A synchronous standby in a second AZ with automatic failover (on Aurora, a reader that is
   * promoted): an instance or AZ failure, or OS maintenance, costs a failover of a minute or two
   * instead of an outage. `false` halves the database's cost and raises the warning
   * `SinglePointOfFailure.SINGLE_AZ_DATABASE`.
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * Days of automated backups (point-in-time restore), 1–35.
   * @default 7
   */
  readonly backupRetentionDays?: number;
  /**
   * What happens to the database when it leaves the stack. Anything but `DESTROY` also turns on
   * deletion protection.
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Rotate the password every 30 days. The hosts pick up the new password within minutes.
   * @default false
   */
  readonly rotation?: boolean;
  /**
   * Retention of the exported PostgreSQL log.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The PostgreSQL major of every server tier: RDS on tiers 2-4, the Amazon Linux 2023 package
 * `postgresql<major>-server` on tier 1. Changing it upgrades tier 1's data at its next boot.
 */
export const POSTGRES_VERSION = rds.PostgresEngineVersion.VER_18;
/** {@link POSTGRES_VERSION}'s major as a number. */
export const POSTGRES_MAJOR = Number(POSTGRES_VERSION.postgresMajorVersion);
/** The Aurora PostgreSQL version of `DatabaseEngine.auroraServerless()`: the same major as {@link POSTGRES_VERSION}. */
export const AURORA_POSTGRES_VERSION = rds.AuroraPostgresEngineVersion.VER_18_6;
/** The database the app's tables live in, on every tier. */
export const DATABASE_NAME = 'webapp';
/** The database user of the generated secret, which the app connects as on every tier. */
export const DATABASE_USER = 'webapp';

/** The runtime checks of Database's props. The storage sizes the autoscaling limit: known at synth. */
export const DATABASE_SPEC: Spec = {
  network: required(networkCheck),
  engine: instanceOf([DatabaseEngine], 'DatabaseEngine.instance() or DatabaseEngine.auroraServerless({ … })'),
  instanceType: anInstanceType,
  allocatedStorage: sizeGiB(20, 65536),
  multiAz: boolean,
  backupRetentionDays: integer(1, 35, 'days'),
  removalPolicy,
  rotation: boolean,
  logRetention: retentionDays,
};

/**
 * RDS PostgreSQL in the network's isolated data subnets: generated credentials in
 * Secrets Manager, storage encrypted, SSL forced by the parameter group, automated
 * backups, deletion protection and a final snapshot unless removal is `DESTROY`, and a
 * security group that admits only the tiers given access with {@link allowFrom}.
 */
export class Database extends Construct implements IAppDatabase {
  /** An existing database. */
  public static fromAttributes(scope: Construct, id: string, attrs: AppDatabaseAttributes): IAppDatabase {
    attrs = withoutNulls(attrs);
    checkSpec(undefined, attrs as unknown as Record<string, unknown>, {
      vpc: required(vpcCheck),
      securityGroup: required(satisfies((v) => typeof v === 'object' && v !== null && 'securityGroupId' in v, 'an ec2.ISecurityGroup')),
      secret: required(satisfies((v) => typeof v === 'object' && v !== null && 'secretArn' in v, 'a secretsmanager.ISecret holding the RDS connection JSON')),
      port: integer(1, 65535),
    }, 'Database.fromAttributes(attrs)');
    return new ExistingDatabase(scope, id, attrs);
  }

  public readonly vpc: ec2.IVpc;
  /** The RDS instance (with `DatabaseEngine.instance()`). */
  public readonly instance?: rds.DatabaseInstance;
  /** The Aurora cluster (with `DatabaseEngine.auroraServerless()`). */
  public readonly cluster?: rds.DatabaseCluster;
  public readonly secret: secretsmanager.ISecret;
  public readonly connections: ec2.Connections;
  public readonly port = 5432;
  /** The key that encrypts storage, snapshots, Performance Insights and the secret. */
  public readonly encryptionKey: kms.Key;
  /** The network the database is in. */
  public readonly network: Network;
  private readonly target: rds.DatabaseInstance | rds.DatabaseCluster;
  private madeProxy?: rds.DatabaseProxy;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, DATABASE_SPEC);
    const aurora = props.engine?.aurora;
    if (aurora) {
      for (const prop of ['instanceType', 'allocatedStorage'] as const) {
        if (props[prop] !== undefined) {
          throw new WebTiersValidationError(this, prop, `applies to RDS instances, not to Aurora Serverless, whose capacity is engine: DatabaseEngine.auroraServerless({ minCapacity, maxCapacity }) and whose storage grows by itself; accepted: no ${prop} with this engine`);
        }
      }
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.SNAPSHOT;
    const storage = props.allocatedStorage?.toGibibytes() ?? 20;
    const multiAz = props.multiAz ?? true;
    this.vpc = props.network.vpc;
    this.network = props.network;

    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    const clusterEngine = rds.DatabaseClusterEngine.auroraPostgres({ version: AURORA_POSTGRES_VERSION });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine: aurora ? clusterEngine : engine,
      description: 'cdk-web-tiers: TLS required for every connection',
      parameters: { 'rds.force_ssl': '1' },
    });
    // The data outlives the stack when the database does, so the key that encrypts it must too.
    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Encrypts the database of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    restrictGrantsToAwsServices(this.encryptionKey);
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: `${this.node.path}: PostgreSQL from the app tier only`,
      allowAllOutbound: false,
    });

    const common = {
      vpc: this.vpc,
      vpcSubnets: props.network.dataSubnets,
      securityGroups: [securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret(DATABASE_USER, { encryptionKey: this.encryptionKey }),
      parameterGroup,
      port: this.port,
      storageEncrypted: true,
      storageEncryptionKey: this.encryptionKey,
      iamAuthentication: true,
      monitoringInterval: Duration.seconds(60),
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
      cloudwatchLogsRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    };
    let database: rds.DatabaseInstance | rds.DatabaseCluster;
    if (aurora) {
      const member = { enablePerformanceInsights: true, performanceInsightEncryptionKey: this.encryptionKey, caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1, autoMinorVersionUpgrade: true };
      this.cluster = new rds.DatabaseCluster(this, 'Cluster', {
        ...common,
        engine: clusterEngine,
        defaultDatabaseName: DATABASE_NAME,
        writer: rds.ClusterInstance.serverlessV2('Writer', member),
        // The standby of an instance is, on Aurora, a reader in another AZ that is promoted on failure.
        readers: multiAz ? [rds.ClusterInstance.serverlessV2('Reader', { ...member, scaleWithWriter: true })] : [],
        serverlessV2MinCapacity: aurora.minCapacity,
        serverlessV2MaxCapacity: aurora.maxCapacity,
        serverlessV2AutoPauseDuration: aurora.minCapacity === 0 ? aurora.pauseAfter : undefined,
        backup: { retention: Duration.days(props.backupRetentionDays ?? 7) },
        cloudwatchLogsExports: ['postgresql'],
      });
      database = this.cluster;
    } else {
      this.instance = new rds.DatabaseInstance(this, 'Instance', {
        ...common,
        engine,
        instanceType: new ec2.InstanceType(String(props.instanceType ?? 't4g.micro')),
        databaseName: DATABASE_NAME,
        allocatedStorage: storage,
        maxAllocatedStorage: Math.min(storage * 4, 65536),
        storageType: rds.StorageType.GP3,
        multiAz,
        backupRetention: Duration.days(props.backupRetentionDays ?? 7),
        autoMinorVersionUpgrade: true,
        cloudwatchLogsExports: ['postgresql', 'upgrade'],
        enablePerformanceInsights: true,
        performanceInsightEncryptionKey: this.encryptionKey,
        caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      });
      database = this.instance;
    }
    this.target = database;
    this.secret = database.secret!;
    this.connections = database.connections;
    // The attachment is database.secret; the generated secret itself must outlive a kept database.
    const generated = database.node.findChild('Secret') as secretsmanager.Secret;
    generated.applyRemovalPolicy(withoutSnapshot(removalPolicy));

    if (props.rotation) {
      database.addRotationSingleUser({ automaticallyAfter: Duration.days(30), vpcSubnets: props.network.appSubnets });
    } else {
      Validations.of(generated).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SMG4',
        reason: 'Rotation is opt-in (Database rotation: true); without it the generated password stays in Secrets Manager and is never in the template.',
      });
    }
    const acks = [
      { id: 'AwsSolutions::AwsSolutions-RDS11', reason: 'The default port is fine: the security group admits only the app tier, and a different port adds no protection.' },
    ];
    const singleAz = 'Single-AZ by explicit configuration (multiAz: false), which raises the single-point-of-failure warning ' +
      `${SinglePointOfFailure.SINGLE_AZ_DATABASE}; automated backups allow point-in-time restore.`;
    if (!multiAz) {
      acks.push({ id: 'AwsSolutions::AwsSolutions-RDS3', reason: singleAz });
    }
    if (removalPolicy === RemovalPolicy.DESTROY) {
      acks.push({ id: 'AwsSolutions::AwsSolutions-RDS10', reason: 'Deletion protection is off only when the removal policy is DESTROY, i.e. in development.' });
    }
    Validations.of(database).acknowledge(...acks);
    const monitoringRole = database.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      Validations.of(monitoringRole).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        reason: 'RDS enhanced monitoring publishes OS metrics with the service-role policy AWS maintains for it.',
      });
    }
    acknowledgeLogRetentionFunction(this);
    acknowledgeAll(database, hipaaNist('RDSInBackupPlan'),
      'Automated backups with point-in-time restore (backupRetentionDays) and a final snapshot on removal cover recovery; an AWS Backup plan is opt-in.');
    acknowledgeAll(database, [guard('rds_instance_no_default_ports_check')],
      'The default port is fine: the security group admits only the app tier, and a different port adds no protection.');
    if (!multiAz) {
      acknowledgeAll(database, [...hipaaNist('RDSMultiAZSupport'), guard('rds_instance_multi_az_support_check')], singleAz);
      warnSinglePointOfFailure(this, SinglePointOfFailure.SINGLE_AZ_DATABASE,
        'Database with multiAz false has no standby: an instance or AZ failure, and some maintenance, stop the site until the ' +
        'database is back or restored. Use multiAz: true (the default).');
    }
    if (!props.rotation) {
      acknowledgeAll(generated, hipaaNist('SecretsManagerRotationEnabled'),
        'Rotation is opt-in (Database rotation: true); without it the generated password stays in Secrets Manager, encrypted with the database key, and is never in the template.');
    }
    acknowledgeInherentFindings(this);
  }

  public allowFrom(client: ec2.IConnectable, grantee: iam.IGrantable): void {
    // The literal port, not the endpoint's port token: reviewers (and rule packs) can read it.
    this.connections.allowFrom(client, ec2.Port.tcp(this.port), 'PostgreSQL from the app tier');
    this.secret.grantRead(grantee);
  }

  /**
   * RDS Proxy in front of the database, made on first call (the serverless tiers call it): it
   * pools connections, so a burst of concurrent Lambda invocations opens a bounded number of
   * database connections instead of one each, and it keeps them open across a failover. Clients
   * authenticate with IAM tokens only (no password leaves Secrets Manager; the proxy reads the
   * secret itself) over TLS, from the network's data subnets.
   */
  public proxy(): rds.DatabaseProxy {
    if (this.madeProxy) return this.madeProxy;
    const securityGroup = new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
      vpc: this.vpc,
      description: `${this.node.path}: RDS Proxy, PostgreSQL from the app functions only`,
      allowAllOutbound: false,
    });
    const proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: this.target instanceof rds.DatabaseCluster ? rds.ProxyTarget.fromCluster(this.target) : rds.ProxyTarget.fromInstance(this.target),
      secrets: [this.secret],
      vpc: this.vpc,
      vpcSubnets: this.network.dataSubnets,
      securityGroups: [securityGroup],
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
    });
    // aws-cdk-lib admits the proxy on the database's port.
    this.madeProxy = proxy;
    return proxy;
  }
}

class ExistingDatabase extends Construct implements IAppDatabase {
  public readonly vpc: ec2.IVpc;
  public readonly secret: secretsmanager.ISecret;
  public readonly port: number;
  public readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, attrs: AppDatabaseAttributes) {
    super(scope, id);
    checkIntegerRange(this, 'port', attrs.port, 1, 65535);
    this.vpc = attrs.vpc;
    this.secret = attrs.secret;
    this.port = attrs.port ?? 5432;
    this.connections = new ec2.Connections({ securityGroups: [attrs.securityGroup], defaultPort: ec2.Port.tcp(this.port) });
  }

  public allowFrom(client: ec2.IConnectable, grantee: iam.IGrantable): void {
    // The literal port, not the endpoint's port token: reviewers (and rule packs) can read it.
    this.connections.allowFrom(client, ec2.Port.tcp(this.port), 'PostgreSQL from the app tier');
    this.secret.grantRead(grantee);
  }
}

/** Id aws-cdk-lib gives its stack-wide log-retention function. */
const LOG_RETENTION_FUNCTION = 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a';

/**
 * The exported PostgreSQL log group is created by RDS, so its retention is set by aws-cdk-lib's
 * log-retention function (one per stack). Its findings are inherent to that function.
 */
function acknowledgeLogRetentionFunction(scope: Construct): void {
  const fn = Stack.of(scope).node.tryFindChild(LOG_RETENTION_FUNCTION);
  if (!fn) return;
  Validations.of(fn).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "aws-cdk-lib's log-retention function writes its own logs with the AWS-managed basic execution policy.",
    },
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: "aws-cdk-lib's log-retention function sets retention on log groups that RDS creates, whose names it cannot know in advance.",
    },
  );
}

/**
 * A database in the network's VPC, as far as synth can tell: two VPCs this app creates are two
 * VPCs, ids known at synth tell, and anything else (two imports of one VPC by token) only a deploy can.
 */
export function checkDatabaseNetwork(scope: Construct, database: IAppDatabase | undefined, network: Network): void {
  if (!database) return;
  const [mine, theirs] = [database.vpc, network.vpc];
  if (mine === theirs) return;
  const known = !Token.isUnresolved(mine.vpcId) && !Token.isUnresolved(theirs.vpcId);
  const different = known ? mine.vpcId !== theirs.vpcId : mine instanceof ec2.Vpc && theirs instanceof ec2.Vpc;
  if (different) {
    throw new WebTiersValidationError(scope, 'database',
      `got a database in VPC ${describeVpc(mine)}, a different VPC from 'network' (${describeVpc(theirs)}); accepted: a database in the network's VPC (pass the same Network to both)`);
  }
}
