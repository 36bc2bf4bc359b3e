import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { alarmTopic, notify } from '../shared/alarms';
import { AppFunction, FUNCTION_OPTIONS, FUNCTION_SPEC, ServerlessDeployment, type FunctionOptions } from '../shared/app-function';
import { appDatabase, checkSpec, checkedWhereUsed, literal, matching, shape, string, type Spec, withoutNulls } from '../shared/checks';
import { acknowledgeAll, acknowledgeInherentFindings, guard } from '../shared/compliance';
import { checkDataTable, dataTable, serverlessStore } from '../shared/data-table';
import type { IAppDatabase } from '../shared/database';
import { regionOfDefined } from '../shared/regions';
import { WebTiersValidationError, checkMovedProps } from '../shared/validation';
import { WEB_TIER_SPEC, checkWebTierDomain, type IWebTier, type WebTierOutput, type WebTierProps } from '../shared/web-tier';

/** Props of {@link ManagedServerlessTier}. */
export interface ManagedServerlessTierProps extends WebTierProps {
  /**
   * A folder of static files served from S3 under `/assets/`, cached for a year as immutable
   * (give them content-hashed names).
   * @default - no static assets
   */
  readonly assets?: string;
  /**
   * Memory, timeout, concurrency and tracing of the app function.
   * @default - 512 MB, 10 s
   */
  readonly function?: FunctionOptions;
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
  /**
   * A WAFv2 web ACL (CLOUDFRONT scope, in us-east-1) for the distribution.
   * @default - none
   */
  readonly webAclArn?: string;
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[0-9a-f-]{36}$/;
const GLOBAL_WEB_ACL_ARN = /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]+\/[0-9a-f-]+$/;
const GLOBAL_WEB_ACL = "a CLOUDFRONT-scope WAFv2 web ACL ARN in us-east-1 'arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>'";

/** `webAclArn`: a CLOUDFRONT-scope ARN (a token passes); a REGIONAL one is told apart. */
const globalWebAcl = matching(GLOBAL_WEB_ACL_ARN, GLOBAL_WEB_ACL, {
  pattern: /:wafv2:([a-z0-9-]+):\d{12}:regional\//,
  why: (m) => `a REGIONAL web ACL in ${m[1]}: CloudFront takes CLOUDFRONT-scope ones, which live in us-east-1`,
});

/**
 * The runtime checks of the props, before anything is built. `assets` is a folder read at synth
 * (known then); the function timeout is chained against CloudFront's origin timeout (known at
 * synth); the web ACL ARN is passed through and may be a token. `deployment` is checked by
 * `ServerlessDeployment._of`.
 */
export const MANAGED_SERVERLESS_SPEC: Spec = {
  ...WEB_TIER_SPEC,
  assets: literal(string(/./, 'the path of a folder of static files')),
  function: shape(FUNCTION_SPEC, FUNCTION_OPTIONS),
  table: dataTable,
  database: appDatabase,
  webAclArn: globalWebAcl,
  deployment: checkedWhereUsed('a Deployment or a ServerlessDeployment'),
};

/** CloudFront waits at most this long for an origin (its default origin response timeout). */
const ORIGIN_TIMEOUT_SECONDS = 30;

/**
 * Tier 6: zero-config — `new ManagedServerlessTier(this, 'Site', { app })` is a production site.
 *
 * CloudFront (HTTPS, HTTP/2 and HTTP/3, compression, security headers, access logs) in front of
 * the app's Lambda function URL, which only CloudFront can call (Origin Access Control signs
 * every request); static assets from a private S3 bucket through OAC, deployed with the stack
 * and cached as immutable; a DynamoDB table; canary deploys with rollback; alarms.
 */
export class ManagedServerlessTier extends Construct implements IWebTier {
  public readonly distribution: cloudfront.Distribution;
  public readonly function: lambda.Function;
  /** The `live` alias behind the function URL. */
  public readonly alias: lambda.Alias;
  public readonly functionUrl: lambda.FunctionUrl;
  /** The table the app uses (without `database`). */
  public readonly table?: dynamodb.ITableV2;
  /** The database the app uses, through its RDS Proxy. */
  public readonly database?: IAppDatabase;
  /** The static-asset bucket, when `assets` is given. */
  public readonly assetBucket?: s3.Bucket;
  public readonly logBucket: s3.Bucket;
  public readonly alarmTopic: sns.ITopic;
  /** Function errors, p99 latency, throttles, and the function URL's 5xx rate. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The URL users reach the app on. */
  public readonly url: string;
  /** The function's role: what the app runs as. */
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly appLogGroups: logs.ILogGroup[];
  public readonly outputs: { [name: string]: WebTierOutput };

  constructor(scope: Construct, id: string, props: ManagedServerlessTierProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    // A prop given where it used to be says where it moved, before the spec finds the new one missing.
    checkMovedProps(this, props?.domain ?? undefined, 'domain', { hostedZone: 'domain.domainZone (the same Route 53 zone)' });
    checkSpec(this, props as unknown as Record<string, unknown>, MANAGED_SERVERLESS_SPEC);
    const deployment = ServerlessDeployment._of(this, 'ManagedServerlessTier', props.deployment);
    const certificate = this.validate(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    this.alarmTopic = alarmTopic(this, props.alarms ?? undefined);
    const store = serverlessStore(this, props, removalPolicy);
    this.table = store.table;
    this.database = store.database;

    const app = new AppFunction(this, 'App', {
      ...props.function,
      app: props.app, table: store.table, database: store.database, environment: props.environment,
      deployment,
      logRetention, removalPolicy, alarmTopic: this.alarmTopic,
      propPath: 'function',
      callerTimeout: { seconds: ORIGIN_TIMEOUT_SECONDS, prop: "CloudFront's origin response timeout" },
    });
    this.function = app.function;
    this.grantPrincipal = app.function.grantPrincipal;
    this.appLogGroups = [app.logGroup];
    this.outputs = store.database
      ? { DatabaseSecretArn: { value: store.database.secret.secretArn, description: 'Connection JSON of the database' } }
      : { TableName: { value: store.table!.tableName, description: 'The app data' } };
    this.alias = app.alias;
    this.functionUrl = app.alias.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.logBucket = new s3.Bucket(this, 'Logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logs are delivered with an ACL.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(logRetention), noncurrentVersionExpiration: Duration.days(7) }],
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This bucket receives the CloudFront access logs; logging access to it would only log the log delivery.',
    });

    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: `${this.node.path}`.slice(0, 128),
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cdn/',
      domainNames: props.domain ? [props.domain.domainName] : undefined,
      certificate,
      webAclId: props.webAclArn ?? undefined,
      defaultBehavior: {
        origin: origins.FunctionUrlOrigin.withOriginAccessControl(this.functionUrl),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // Everything the viewer sent except Host: the function URL answers to its own host name.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      },
    });

    if (props.assets) {
      this.assetBucket = new s3.Bucket(this, 'Assets', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
        // Build output, not user data: the deployment below recreates it.
        removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        serverAccessLogsBucket: this.logBucket,
        serverAccessLogsPrefix: 'assets/',
      });
      this.distribution.addBehavior('/assets/*', origins.S3BucketOrigin.withOriginAccessControl(this.assetBucket), {
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        compress: true,
      });
      const deployment = new s3deploy.BucketDeployment(this, 'DeployAssets', {
        sources: [s3deploy.Source.asset(props.assets)],
        destinationBucket: this.assetBucket,
        destinationKeyPrefix: 'assets/',
        cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
        prune: false, // old hashed files keep serving pages that are still cached
        memoryLimit: 512,
      });
      acknowledgeBucketDeployment(this, deployment, this.assetBucket);
    }

    if (props.domain) {
      new route53.ARecord(this, 'DnsRecord', {
        zone: props.domain.domainZone,
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(this.distribution)),
      });
      new route53.AaaaRecord(this, 'DnsRecordIpv6', {
        zone: props.domain.domainZone,
        recordName: `${props.domain.domainName}.`,
        target: route53.RecordTarget.fromAlias(new route53Targets.CloudFrontTarget(this.distribution)),
      });
    }
    this.url = props.domain ? `https://${props.domain.domainName}/` : `https://${this.distribution.distributionDomainName}/`;

    const acks = [
      { id: 'AwsSolutions::AwsSolutions-CFR1', reason: 'A public site: no country is excluded by default; add geo restrictions to the distribution where the law requires.' },
    ];
    if (!props.webAclArn) acks.push({ id: 'AwsSolutions::AwsSolutions-CFR2', reason: 'WAF is opt-in (webAclArn): a web ACL is billed per rule and request; Lambda concurrency bounds the cost of abuse.' });
    if (!props.domain) acks.push({ id: 'AwsSolutions::AwsSolutions-CFR4', reason: 'Without a custom domain the *.cloudfront.net certificate is used, whose minimum TLS CloudFront sets; with a domain, TLS 1.2 (2021) is the minimum.' });
    Validations.of(this.distribution).acknowledge(...acks);

    // CloudFront metrics live in us-east-1 only; the function URL's own metrics are in-region.
    const period = Duration.minutes(1);
    const urlMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/Lambda', metricName, period, statistic: 'Sum',
      dimensionsMap: { FunctionName: this.function.functionName, Resource: `${this.function.functionName}:${this.alias.aliasName}` },
    });
    const urlErrors = notify(new cloudwatch.Alarm(this, 'UrlErrorRateAlarm', {
      alarmDescription: 'More than 5% of requests to the function URL answered with a 5xx in 3 of the last 5 minutes.',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
        usingMetrics: { requests: urlMetric('UrlRequestCount'), errors: urlMetric('Url5xxCount') },
        period,
        label: '5xx responses (%)',
      }),
      threshold: 5, evaluationPeriods: 5, datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }), this.alarmTopic);
    this.alarms = [...app.alarms, urlErrors];
    if (!props.domain) {
      acknowledgeAll(this.distribution, [guard('cloudfront_custom_ssl_certificate_check'), guard('cloudfront_security_policy_check'), guard('cloudfront_sni_enabled_check')],
        'Without a custom domain the *.cloudfront.net certificate is used, whose TLS policy CloudFront sets; with a domain: your certificate, SNI, TLS 1.2 (2021).');
    }
    acknowledgeAll(this.distribution, [guard('cloudfront_default_root_object_configured_check')], 'The app answers "/" itself; a default root object applies to S3 origins.');
    acknowledgeAll(this.distribution, [guard('cloudfront_origin_failover_enabled_check')], 'One origin, the app function, which Lambda runs across AZs; a failover origin would be a second copy of the app.');
    acknowledgeInherentFindings(this);
  }

  private validate(props: ManagedServerlessTierProps): acm.ICertificate | undefined {
    if (props.assets !== undefined && props.assets !== null) {
      const dir = path.resolve(props.assets);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new WebTiersValidationError(this, 'assets', `no folder at '${dir}'; accepted: the path of a folder of static files`);
      }
    }
    if (props.table) checkDataTable(this, props.table);
    const domain = props.domain;
    if (!domain) return undefined;
    checkWebTierDomain(this, domain);
    if (domain.certificate) {
      const arn = domain.certificate.certificateArn;
      const match = Token.isUnresolved(arn) ? undefined : CERTIFICATE_ARN.exec(arn);
      if (!Token.isUnresolved(arn) && !match) {
        throw new WebTiersValidationError(this, 'domain.certificate', `got '${arn}'; accepted: an ACM certificate ARN in us-east-1`);
      }
      // From the ARN, or from the stack of a certificate defined in CDK (a us-east-1 stack with crossRegionReferences).
      const region = match?.[1] ?? regionOfDefined(arn, domain.certificate);
      if (region !== undefined && region !== 'us-east-1') {
        throw new WebTiersValidationError(this, 'domain.certificate',
          `is in ${region}; accepted: a certificate in us-east-1, where CloudFront reads certificates`);
      }
      return domain.certificate;
    }
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) || region !== 'us-east-1') {
      throw new WebTiersValidationError(this, 'domain.certificate',
        `is required: CloudFront reads certificates from us-east-1 and this stack is in ${Token.isUnresolved(region) ? 'an unknown region' : region}; ` +
        'accepted: a us-east-1 certificate (e.g. from a us-east-1 stack with crossRegionReferences), or a stack in us-east-1');
    }
    return new acm.Certificate(this, 'Certificate', {
      domainName: domain.domainName,
      validation: acm.CertificateValidation.fromDns(domain.domainZone),
    });
  }
}

/** The asset deployment runs aws-cdk-lib's bucket-deployment function; its findings are inherent to it. */
function acknowledgeBucketDeployment(scope: Construct, deployment: s3deploy.BucketDeployment, destination: s3.Bucket): void {
  const stack = Stack.of(scope);
  const handler = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
  // The function reads the CDK staging bucket (named after the bootstrap qualifier) and writes the asset bucket.
  const qualifier = stack.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  const known = !Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region);
  const staging = known
    ? `arn:${stack.partition}:s3:::cdk-${qualifier}-assets-${stack.account}-${stack.region}/*`
    : `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`;
  const assetBucketId = stack.getLogicalId(destination.node.defaultChild as s3.CfnBucket);
  for (const target of [deployment, handler].filter((c): c is Construct => c !== undefined)) {
    Validations.of(target).acknowledge(
      { id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: "aws-cdk-lib's bucket-deployment function logs with the AWS-managed basic execution policy." },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetObject*]', reason: "aws-cdk-lib's bucket-deployment function reads the staged asset; its grant covers the asset's object versions." },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: "aws-cdk-lib's bucket-deployment function reads the staging bucket's location and settings." },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:List*]', reason: "aws-cdk-lib's bucket-deployment function lists the asset and destination prefixes it syncs." },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: "aws-cdk-lib's bucket-deployment function replaces changed files under the assets prefix." },
      { id: 'AwsSolutions::AwsSolutions-IAM5[Action::s3:Abort*]', reason: "aws-cdk-lib's bucket-deployment function aborts its own failed multipart uploads." },
      { id: 'AwsSolutions::AwsSolutions-L1', reason: "aws-cdk-lib pins the bucket-deployment function's runtime; it is updated with aws-cdk-lib." },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::${staging}]`, reason: "aws-cdk-lib's bucket-deployment function reads the staged asset from the CDK staging bucket." },
      { id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${assetBucketId}.Arn>/*]`, reason: "aws-cdk-lib's bucket-deployment function writes the files under the site's own asset bucket." },
    );
  }
}
