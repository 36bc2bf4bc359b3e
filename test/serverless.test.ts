import * as path from 'node:path';
import { App, Aws, CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  ManagedServerlessTier, ServerlessApi, ServerlessAuth, ServerlessDeployment, ServerlessTier,
  type ManagedServerlessTierProps, type ServerlessTierProps,
} from '../constructs';
import { BeanstalkDeployment } from '../constructs/managed-auto-scaling';
import { Deployment } from '../constructs/shared/deployment';
import { MANAGED_SERVERLESS_SPEC } from '../constructs/managed-serverless/managed-serverless-tier';
import { SERVERLESS_SPEC } from '../constructs/serverless/serverless-tier';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { Database, DatabaseEngine } from '../constructs/shared/database';
import { Egress, Network } from '../constructs/shared/network';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { addNagChecks } from '../lib/nag';
import { PROJECT_CONTEXT, snapshotOf, testApp, testStack, webApp } from './helpers';

const ASSETS = path.join(__dirname, '..', 'webapp', 'assets');
const REGIONAL_CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
const WEB_ACL = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/web/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';

function serverless(props: Partial<ServerlessTierProps> = {}, stack = testStack()) {
  const tier = new ServerlessTier(stack, 'Api', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

function managed(props: Partial<ManagedServerlessTierProps> = {}, stack = testStack()) {
  const tier = new ManagedServerlessTier(stack, 'Site', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

const http = serverless();
const httpFull = (() => {
  const stack = testStack();
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
  return serverless({
    function: { memorySize: 1024, timeout: Duration.seconds(20), reservedConcurrency: 50, provisionedConcurrency: 2, tracing: true },
    routes: [{ path: '/api/entries', memorySize: 256 }],
    auth: { auth: ServerlessAuth.jwt('https://issuer.example.com/', ['guestbook']) },
    throttle: { rateLimit: 50, burstLimit: 100 },
    cors: { allowOrigins: ['https://app.example.com'] },
    domain: { domainName: 'api.example.com', certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', REGIONAL_CERT), domainZone: zone },
    deployment: ServerlessDeployment.linear(20, 2),
    removalPolicy: RemovalPolicy.DESTROY,
  }, stack);
})();
const rest = serverless({
  api: ServerlessApi.rest({ cacheTtl: Duration.minutes(5), cacheSize: '1.6', usagePlan: { rateLimit: 10, burstLimit: 20, quotaPerDay: 10000 }, webAclArn: WEB_ACL }),
  auth: { auth: ServerlessAuth.cognito() },
});
const site = managed();
const siteFull = (() => {
  const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Edge', { env: { account: '123456789012', region: 'us-east-1' } });
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
  return managed({ assets: ASSETS, domain: { domainName: 'www.example.com', domainZone: zone }, deployment: ServerlessDeployment.allAtOnce() }, stack);
})();

const fn = (t: Template) => Object.entries(t.findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.handler' } }));

describe('snapshots', () => {
  test('serverless default', () => expect(snapshotOf(http.template)).toMatchSnapshot());
  test('serverless fully configured (HTTP API)', () => expect(snapshotOf(httpFull.template)).toMatchSnapshot());
  test('serverless fully configured (REST API)', () => expect(snapshotOf(rest.template)).toMatchSnapshot());
  test('managed serverless default', () => expect(snapshotOf(site.template)).toMatchSnapshot());
  test('managed serverless fully configured', () => expect(snapshotOf(siteFull.template)).toMatchSnapshot());
});

describe('ServerlessTier: function', () => {
  test('arm64 on Node.js 24 with the lambda bundle, source maps on, its own log group', () => {
    http.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', MemorySize: 512, Timeout: 10,
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', TABLE_NAME: { Ref: Match.stringLikeRegexp('ApiTable') }, HEALTH_CHECK_PATH: '/health' }) },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('ApiAppLogs') } },
      TracingConfig: Match.absent(),
    });
  });

  test('a role of its own, no AWS-managed policy; table access only', () => {
    const [[, f]] = fn(http.template);
    const role = http.template.toJSON().Resources[f.Properties.Role['Fn::GetAtt'][0]];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = JSON.stringify(Object.values(http.template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument));
    expect(statements).toContain('dynamodb:PutItem');
    expect(statements).toContain('logs:PutLogEvents');
    expect(statements).not.toContain('"Resource":"*"');
  });

  test('sizing, concurrency and tracing follow props', () => {
    httpFull.template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, Timeout: 20, ReservedConcurrentExecutions: 50, TracingConfig: { Mode: 'Active' } });
    httpFull.template.hasResourceProperties('AWS::Lambda::Alias', { Name: 'live', ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 } });
  });

  test('the API calls the live alias, never $LATEST', () => {
    http.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationUri: { Ref: Match.stringLikeRegexp('ApiAppLive') }, PayloadFormatVersion: '2.0', TimeoutInMillis: 29000,
    });
  });

  test('canary by default, rolled back on errors or p99 latency', () => {
    http.template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      ComputePlatform: 'Lambda', TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 10, CanaryInterval: 5 } },
    });
    const [[, group]] = Object.entries(http.template.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(group.Properties.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']) });
    expect(group.Properties.AlarmConfiguration.Alarms).toHaveLength(2);
    http.template.hasResource('AWS::Lambda::Alias', { UpdatePolicy: { CodeDeployLambdaAliasUpdate: Match.anyValue() } });
    httpFull.template.hasResourceProperties('AWS::CodeDeploy::DeploymentConfig', {
      TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 20, LinearInterval: 2 } },
    });
    siteFull.template.resourceCountIs('AWS::CodeDeploy::DeploymentGroup', 0);
  });

  test('a route function from the same bundle serves its path and below', () => {
    expect(fn(httpFull.template)).toHaveLength(2);
    const code = fn(httpFull.template).map(([, f]) => JSON.stringify(f.Properties.Code));
    expect(code[0]).toEqual(code[1]);
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/entries' });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/entries/{proxy+}' });
    httpFull.template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 256 });
  });
});

describe('ServerlessTier: HTTP API', () => {
  test('throttled stage with JSON access logs', () => {
    http.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default', AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ApiAccessLogs'), 'Arn'] }, Format: Match.stringLikeRegexp('requestId') },
    });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
  });

  test('JWT authorizer on every route except the page and the health route', () => {
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://issuer.example.com/', Audience: ['guestbook'] },
    });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'JWT' });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health', AuthorizationType: 'NONE' });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /', AuthorizationType: 'NONE' });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/entries', AuthorizationType: 'JWT' });
    http.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  test('CORS and a custom domain with its alias record', () => {
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://app.example.com'] }) });
    httpFull.template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'api.example.com', DomainNameConfigurations: [Match.objectLike({ CertificateArn: REGIONAL_CERT })] });
    httpFull.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'A' });
    expect(httpFull.tier.url).toBe('https://api.example.com/');
  });
});

describe('ServerlessTier: REST API', () => {
  test('cache, encrypted, on the live stage; binary bodies pass through', () => {
    rest.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'live', CacheClusterEnabled: true, CacheClusterSize: '1.6',
      MethodSettings: Match.arrayWith([Match.objectLike({ CachingEnabled: true, CacheTtlInSeconds: 300, CacheDataEncrypted: true, ThrottlingRateLimit: 500 })]),
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    rest.template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'], EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  test('API keys with a usage plan, WAF, and a Cognito authorizer with public paths', () => {
    rest.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 10, BurstLimit: 20 }, Quota: { Limit: 10000, Period: 'DAY' } });
    rest.template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    rest.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: WEB_ACL });
    rest.template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    const methods = Object.values(rest.template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
    expect(methods.every((m) => m.ApiKeyRequired === true)).toBe(true);
    expect(methods.filter((m) => m.AuthorizationType === 'NONE').length).toBe(2); // the page and /health
    expect(methods.filter((m) => m.AuthorizationType === 'COGNITO_USER_POOLS').length).toBe(1); // {proxy+}
  });

  test('request validation: API Gateway checks the JSON body of chosen requests against a schema', () => {
    const schema = { type: apigw.JsonSchemaType.OBJECT, required: ['name', 'message'], properties: { name: { type: apigw.JsonSchemaType.STRING, maxLength: 80 } } };
    const { template } = serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/api/entries', schema }] }), routes: [{ path: '/api' }] });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
    template.hasResourceProperties('AWS::ApiGateway::Model', { ContentType: 'application/json', Schema: Match.objectLike({ required: ['name', 'message'] }) });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST', RequestValidatorId: { Ref: Match.stringLikeRegexp('BodyValidator') },
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('Model1') } },
      // Served by the route function that owns /api.
      Integration: Match.objectLike({ Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: Match.stringLikeRegexp('ApiRoute1Live') }])]) }) }),
    });
  });

  test('the created user pool: strong passwords, optional TOTP, no self sign-up, kept outside dev', () => {
    rest.template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
        MfaConfiguration: 'OPTIONAL', AdminCreateUserConfig: { AllowAdminCreateUserOnly: true }, DeletionProtection: 'ACTIVE',
      }),
    });
  });
});

describe('data table', () => {
  test('on demand, point-in-time recovery, encrypted; retained and protected outside dev', () => {
    http.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        SSESpecification: Match.objectLike({ SSEEnabled: true }),
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
      }),
    });
    httpFull.template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});

describe('ManagedServerlessTier', () => {
  const { template } = site;

  test('CloudFront: HTTP/2 and 3, HTTPS, compression, security headers, access logs, no caching of the app', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        HttpVersion: 'http2and3',
        Logging: Match.objectLike({ Bucket: Match.anyValue(), Prefix: 'cdn/' }),
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https', Compress: true,
          CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // CachingDisabled
          OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // AllViewerExceptHostHeader
          ResponseHeadersPolicyId: '67f7725c-6f97-4210-82d7-5512b31e9d03', // SecurityHeadersPolicy
          AllowedMethods: Match.arrayWith(['PUT', 'PATCH', 'POST', 'DELETE']),
        }),
      }),
    });
  });

  test('the function URL only answers CloudFront: IAM auth on the live alias, OAC, and a permission for the distribution', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM', Qualifier: 'live' });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 'lambda', SigningBehavior: 'always' }) });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl', Principal: 'cloudfront.amazonaws.com',
      SourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp(':distribution/')])]) }),
    });
  });

  test('static assets: private bucket through OAC, deployed with the stack, cached as immutable', () => {
    const t = siteFull.template;
    t.hasResourceProperties('AWS::S3::Bucket', { PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicPolicy: true }), LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'assets/' }) });
    t.hasResourceProperties('AWS::CloudFront::OriginAccessControl', { OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3' }) });
    t.hasResourceProperties('Custom::CDKBucketDeployment', { DestinationBucketKeyPrefix: 'assets/', SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' }, Prune: false });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ CacheBehaviors: [Match.objectLike({ PathPattern: '/assets/*', CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6' })] }),
    });
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
  });

  test('a custom domain in us-east-1 gets a DNS-validated certificate, TLS 1.2+, and A/AAAA aliases', () => {
    const t = siteFull.template;
    t.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'www.example.com', ValidationMethod: 'DNS' });
    t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ Aliases: ['www.example.com'], ViewerCertificate: Match.objectLike({ MinimumProtocolVersion: 'TLSv1.2_2021' }) }),
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Type: 'A', Name: 'www.example.com.' });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Type: 'AAAA', Name: 'www.example.com.' });
    expect(siteFull.tier.url).toBe('https://www.example.com/');
  });

  test('alarms: function errors, latency, throttles, and the function URL 5xx rate', () => {
    expect(site.tier.alarms).toHaveLength(4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Url5xxCount' }) }) })]) });
  });
});

describe('validation', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['function timeout longer than the integration', () => serverless({ function: { timeout: Duration.seconds(40) } }),
      /invalid function\.timeout: 40 s does not fit: the HTTP API integration timeout is 29 s, and function\.timeout must end first; accepted: 1 to 29 s/],
    ['route timeout longer than the integration', () => serverless({ routes: [{ path: '/a', timeout: Duration.minutes(1) }] }), /invalid routes\[0\]\.timeout: 60 s does not fit/],
    ['memory of 64 MB', () => serverless({ function: { memorySize: 64 } }), /invalid function\.memorySize: got 64; accepted: an integer from 128 to 10240 MB/],
    ['provisioned above reserved', () => serverless({ function: { reservedConcurrency: 2, provisionedConcurrency: 5 } }), /invalid function\.provisionedConcurrency: 5 is above function\.reservedConcurrency 2/],
    ['route at /', () => serverless({ routes: [{ path: '/' }] }), /invalid routes\[0\]\.path: got '\/'; accepted: a literal path prefix/],
    ['route with a parameter', () => serverless({ routes: [{ path: '/items/{id}' }] }), /invalid routes\[0\]\.path/],
    ['the same route twice', () => serverless({ routes: [{ path: '/a' }, { path: '/a' }] }), /invalid routes: path '\/a' appears twice/],
    ['OIDC JWT on a REST API', () => serverless({ api: ServerlessApi.rest(), auth: { auth: ServerlessAuth.jwt('https://i.example.com/', ['a']) } }), /invalid auth: ServerlessAuth\.jwt\(\) needs the HTTP API/],
    ['an issuer that is not https', () => serverless({ auth: { auth: ServerlessAuth.jwt('http://i.example.com', ['a']) } }), /invalid auth\.auth\.issuer: got 'http:\/\/i\.example\.com'; accepted: an https:\/\/ OIDC issuer URL/],
    ['no audience', () => serverless({ auth: { auth: ServerlessAuth.jwt('https://i.example.com/', []) } }), /invalid auth\.auth\.audience: got an array of 0; accepted: an array of at least one audience string/],
    ['cache size without TTL', () => serverless({ api: ServerlessApi.rest({ cacheSize: '0.5' }) }), /invalid api\.cacheSize: is set without api\.cacheTtl/],
    ['unknown cache size', () => serverless({ api: ServerlessApi.rest({ cacheTtl: Duration.minutes(1), cacheSize: '2' }) }), /invalid api\.cacheSize: got '2'; accepted: one of '0\.5', '1\.6'/],
    ['cache TTL over an hour', () => serverless({ api: ServerlessApi.rest({ cacheTtl: Duration.hours(2) }) }), /invalid api\.cacheTtl: got Duration\.hours\(2\); accepted: a Duration of whole seconds from 0 to 3600/],
    ['a validated request with an unknown method', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'FETCH', path: '/a', schema: {} }] }) }), /invalid api\.validatedRequests\[0\]\.method: got 'FETCH'/],
    ['a validated request on a path parameter', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/a/{id}', schema: {} }] }) }), /invalid api\.validatedRequests\[0\]\.path: got '\/a\/\{id\}'/],
    ['the same validated request twice', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/a', schema: {} }, { method: 'POST', path: '/a', schema: {} }] }) }), /invalid api\.validatedRequests\[1\]: POST \/a appears twice/],
    ['a CloudFront web ACL on the REST API', () => serverless({ api: ServerlessApi.rest({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }) }), /invalid api\.webAclArn: .*REGIONAL/],
    ['throttle above the account limit', () => serverless({ throttle: { rateLimit: 20000, burstLimit: 10 } }), /invalid throttle\.rateLimit: got 20000/],
    ['canary of 0 %', () => serverless({ deployment: ServerlessDeployment.canary(0, 5) }), /invalid deployment\.percent: got 0; accepted: an integer from 1 to 99 percent/],
    ['linear every 90 minutes', () => serverless({ deployment: ServerlessDeployment.linear(10, 90) }), /invalid deployment\.minutes: got 90; accepted: an integer from 1 to 60 minutes/],
    ['a reserved variable', () => serverless({ environment: { TABLE_NAME: 'x' } }), /invalid environment: variable 'TABLE_NAME' is set by the tier/],
    ['a missing assets folder', () => managed({ assets: 'no/such/folder' }), /invalid assets: no folder at '.*no\/such\/folder'/],
    ['a regional web ACL on CloudFront', () => managed({ webAclArn: WEB_ACL }), /invalid webAclArn: .*CLOUDFRONT-scope/],
    ['a domain without a certificate outside us-east-1', () => {
      const stack = testStack();
      return managed({ domain: { domainName: 'www.example.com', domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z', { hostedZoneId: 'Z1', zoneName: 'example.com' }) } }, stack);
    }, /invalid domain\.certificate: is required: CloudFront reads certificates from us-east-1 and this stack is in an unknown region/],
    ['a certificate outside us-east-1', () => {
      const stack = testStack();
      return managed({ domain: { domainName: 'www.example.com', domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Z', { hostedZoneId: 'Z1', zoneName: 'example.com' }), certificate: acm.Certificate.fromCertificateArn(stack, 'C', REGIONAL_CERT) } }, stack);
    }, /invalid domain\.certificate: is in eu-west-1; accepted: a certificate in us-east-1/],
    ['a function slower than CloudFront waits', () => managed({ function: { timeout: Duration.seconds(45) } }), /invalid function\.timeout: 45 s does not fit: CloudFront's origin response timeout is 30 s/],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });

  test('a us-east-1 certificate is accepted in any stack', () => {
    const stack = testStack();
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Z', { hostedZoneId: 'Z1', zoneName: 'example.com' });
    const { template } = managed({ domain: { domainName: 'www.example.com', domainZone: zone, certificate: acm.Certificate.fromCertificateArn(stack, 'C', EDGE_CERT) } }, stack);
    template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });
});

/**
 * Runs `build` and returns the WebTiersValidationError it throws; fails the test on any other
 * outcome, or when the error names another prop or its message does not match.
 */
function invalid(build: () => unknown, prop: string, message: RegExp): WebTiersValidationError {
  let error: unknown;
  try {
    build();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof WebTiersValidationError)) throw new Error(`expected WebTiersValidationError naming ${prop}, got ${error ? String(error) : 'no error'}`);
  expect({ prop: error.prop, message: error.message }).toEqual({ prop, message: expect.stringMatching(message) });
  return error;
}

/** A stack in a known region. */
const stackIn = (region: string, id = 'Regional') => new Stack(new App({ context: PROJECT_CONTEXT }), id, { env: { account: '123456789012', region } });
const numberParam = (stack: Stack, id = 'N', value = 1) => new CfnParameter(stack, id, { type: 'Number', default: value }).valueAsNumber;
const stringParam = (stack: Stack, id = 'S') => new CfnParameter(stack, id, { default: 'x' }).valueAsString;
/** What a template must never carry where a value should be. */
const defects = (t: Template) => JSON.stringify(t.toJSON()).match(/null|\$\{Token\[|\[object Object\]|"undefined"|-1\.888\d*e\+289/g) ?? [];

describe('runtime checks: ServerlessTier props', () => {
  const bad = (props: Record<string, unknown>) => () => serverless(props as Partial<ServerlessTierProps>);

  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ["api as a string ('rest')", { api: 'rest' }, 'api', /^Test\/Api: invalid api: got 'rest'; accepted: ServerlessApi\.http\(\) or ServerlessApi\.rest\(\{/],
    ['api as a plain object', { api: { isRest: true } }, 'api', /got an object \{isRest\}; accepted: ServerlessApi\.http\(\) or ServerlessApi\.rest/],
    ["function.tracing 'false' (it turned tracing on)", { function: { tracing: 'false' } }, 'function.tracing', /got 'false'; accepted: true or false$/],
    ['function.timeout as a number of seconds', { function: { timeout: 10 } }, 'function.timeout', /got 10; accepted: a Duration of whole seconds from 1 to 900/],
    ['function.timeout not whole seconds', { function: { timeout: Duration.millis(1500) } }, 'function.timeout', /got Duration\.millis\(1500\); accepted: a Duration of whole seconds from 1 to 900/],
    ['function.memorySize as a string', { function: { memorySize: '512' } }, 'function.memorySize', /got '512'; accepted: an integer from 128 to 10240 MB/],
    ['function as a string', { function: 'large' }, 'function', /got 'large'; accepted: an object \{ memorySize\?, timeout\?, reservedConcurrency\?, provisionedConcurrency\?, tracing\? \}/],
    ['routes as a single object', { routes: { path: '/api' } }, 'routes', /got an object \{path\}; accepted: an array of an object \{ path: '\/api\/…'/],
    ['a hole in routes', { routes: [undefined, { path: '/api' }] }, 'routes[0]', /got undefined \(an empty place in the array\); accepted: an object \{ path/],
    ['a route without a path', { routes: [{ memorySize: 256 }] }, 'routes[0].path', /is required; accepted: an absolute URL path/],
    ['a route path without its slash', { routes: [{ path: 'api' }] }, 'routes[0].path', /got 'api'; accepted: an absolute URL path starting with '\/'/],
    ['a route timeout as a number', { routes: [{ path: '/api', timeout: 5 }] }, 'routes[0].timeout', /got 5; accepted: a Duration/],
    ["auth: 'cognito' (reported \"issuer 'undefined'\")", { auth: 'cognito' }, 'auth',
      /got 'cognito'; accepted: an object \{ auth: ServerlessAuth\.cognito\(userPool\?\) or ServerlessAuth\.jwt\(issuer, audience\), publicPaths\? \}$/],
    ['auth as a bare ServerlessAuth', { auth: ServerlessAuth.cognito() }, 'auth', /got a ServerlessAuth on its own; accepted: an object \{ auth: .*e\.g\. auth: \{ auth: ServerlessAuth\.cognito\(\) \}/],
    ["auth.auth: 'jwt'", { auth: { auth: 'jwt' } }, 'auth.auth', /got 'jwt'; accepted: ServerlessAuth\.cognito\(userPool\?\) or ServerlessAuth\.jwt\(issuer, audience\)$/],
    ['auth without auth.auth', { auth: { publicPaths: ['/'] } }, 'auth.auth', /is required; accepted: ServerlessAuth\.cognito/],
    ['auth.publicPaths as a string', { auth: { auth: ServerlessAuth.cognito(), publicPaths: '/about' } }, 'auth.publicPaths', /got '\/about'; accepted: an array of an absolute URL path/],
    ['throttle without burstLimit', { throttle: { rateLimit: 100 } }, 'throttle.burstLimit', /is required; accepted: an integer from 1 to 5000/],
    ['throttle.rateLimit as a string', { throttle: { rateLimit: '100', burstLimit: 10 } }, 'throttle.rateLimit', /got '100'; accepted: an integer from 1 to 10000 requests per second/],
    ['cors.allowOrigins as a string', { cors: { allowOrigins: 'https://app.example.com' } }, 'cors.allowOrigins', /got 'https:\/\/app\.example\.com'; accepted: an array \(at least 1\) of an origin/],
    ['cors.allowOrigins empty', { cors: { allowOrigins: [] } }, 'cors.allowOrigins', /got an array of 0; accepted: an array \(at least 1\)/],
    ["an origin with a trailing '/' (browsers never send one)", { cors: { allowOrigins: ['https://app.example.com/'] } }, 'cors.allowOrigins[0]', /got 'https:\/\/app\.example\.com\/'; accepted: an origin such as/],
    ['a CORS method API Gateway does not know', { cors: { allowOrigins: ['*'], allowMethods: ['FETCH'] } }, 'cors.allowMethods[0]', /got 'FETCH'; accepted: an HTTP method: 'GET'/],
    ['cors.allowCredentials as a string', { cors: { allowOrigins: ['https://a.example.com'], allowCredentials: 'yes' } }, 'cors.allowCredentials', /got 'yes'; accepted: true or false/],
    ["credentials with the origin '*' (CORS forbids it)", { cors: { allowOrigins: ['https://a.example.com', '*'], allowCredentials: true } }, 'cors.allowCredentials',
      /is true with allowOrigins '\*': browsers send no credentials to a wildcard origin \(CORS\); accepted: the origins named/],
    ["credentials with the origin '*' on a REST API", { api: ServerlessApi.rest(), cors: { allowOrigins: ['*'], allowCredentials: true } }, 'cors.allowCredentials', /is true with allowOrigins '\*'/],
    ['cors as an array of origins', { cors: ['https://a.example.com'] }, 'cors', /got an array of 1; accepted: an object \{ allowOrigins, allowMethods\?, allowHeaders\?, allowCredentials\? \}/],
    ['table as a plain object', { table: { tableName: 'app' } }, 'table', /got an object \{tableName\}; accepted: a dynamodb\.ITableV2 with string keys 'pk' and 'sk'/],
    ['table as a table name', { table: 'app-data' }, 'table', /got 'app-data'; accepted: a dynamodb\.ITableV2/],
    ["deployment: 'canary'", { deployment: 'canary' }, 'deployment', /"canary" \(string\) is not possible on ServerlessTier; accepted on ServerlessTier: /],
    ["removalPolicy: 'DESTROY'", { removalPolicy: 'DESTROY' }, 'removalPolicy', /got 'DESTROY'; accepted: RemovalPolicy\.RETAIN, RemovalPolicy\.SNAPSHOT or RemovalPolicy\.DESTROY/],
  ])('%s', (_name, props, prop, message) => {
    invalid(bad(props), prop, message);
  });

  test('another construct where the table goes', () => {
    const stack = testStack();
    invalid(() => serverless({ table: new s3.Bucket(stack, 'B') as never }, stack), 'table', /got a Bucket\d* \(Test\/B\); accepted: a dynamodb\.ITableV2/);
  });
});

describe('runtime checks: tokens', () => {
  test('a token timeout is rejected: it is chained against the 29 s integration timeout', () => {
    const stack = testStack();
    invalid(() => serverless({ function: { timeout: Duration.seconds(numberParam(stack)) } }, stack), 'function.timeout',
      /got a token Duration \(a deploy-time token: the construct computes with it\); accepted: a Duration of whole seconds from 1 to 900/);
  });

  test('token concurrencies are rejected when both are given: provisioned ≤ reserved is checked at synth', () => {
    const stack = testStack();
    invalid(() => serverless({ function: { reservedConcurrency: numberParam(stack), provisionedConcurrency: 2 } }, stack), 'function.reservedConcurrency',
      /got a token \(a deploy-time value\); accepted: an integer known at synth when both reservedConcurrency and provisionedConcurrency are given/);
    const other = testStack();
    invalid(() => serverless({ routes: [{ path: '/a', reservedConcurrency: 10, provisionedConcurrency: numberParam(other) }] }, other), 'routes[0].provisionedConcurrency', /got a token/);
  });

  test('a token cache TTL in minutes is rejected (API Gateway takes seconds; a token cannot be converted)', () => {
    const stack = testStack();
    invalid(() => ServerlessApi.rest({ cacheTtl: Duration.minutes(numberParam(stack)) }), 'api.cacheTtl',
      /\(a deploy-time token in a unit other than seconds: write Duration\.seconds\(token\)\); accepted: a Duration of whole seconds from 0 to 3600/);
  });

  test('a token canary percent is rejected: it names the deployment configuration', () => {
    const stack = testStack();
    invalid(() => ServerlessDeployment.canary(numberParam(stack)), 'deployment.percent', /got a token \(the construct computes with this value.*\); accepted: an integer from 1 to 99 percent, known at synth/);
  });

  test('tokens only passed through are accepted and reach the template as references', () => {
    const stack = testStack();
    const { template } = serverless({
      function: { memorySize: numberParam(stack, 'Memory', 1024), reservedConcurrency: numberParam(stack, 'Reserved', 5) },
      routes: [{ path: '/api', provisionedConcurrency: numberParam(stack, 'Provisioned', 1) }],
      throttle: { rateLimit: numberParam(stack, 'Rate', 10), burstLimit: numberParam(stack, 'Burst', 20) },
      environment: { BUCKET: stringParam(stack, 'Bucket'), PREFIXED: `s3://${stringParam(stack, 'Other')}/data` },
      api: ServerlessApi.rest({ cacheTtl: Duration.seconds(numberParam(stack, 'Ttl', 60)), webAclArn: stringParam(stack, 'Acl'), usagePlan: { rateLimit: numberParam(stack, 'KeyRate', 1), burstLimit: 2 } }),
    }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: { Ref: 'Memory' }, ReservedConcurrentExecutions: { Ref: 'Reserved' } });
    template.hasResourceProperties('AWS::Lambda::Alias', { ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: { Ref: 'Provisioned' } } });
    template.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: Match.arrayWith([Match.objectLike({ CacheTtlInSeconds: { Ref: 'Ttl' }, ThrottlingRateLimit: { Ref: 'Rate' } })]) });
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: { Ref: 'Acl' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BUCKET: { Ref: 'Bucket' } }) } });
    expect(defects(template)).toEqual([]);
  });

  test('a JWT audience from a list parameter and an issuer from a parameter pass through', () => {
    const stack = testStack();
    const audience = new CfnParameter(stack, 'Audience', { type: 'CommaDelimitedList', default: 'web' }).valueAsList;
    const { template } = serverless({ auth: { auth: ServerlessAuth.jwt(stringParam(stack, 'Issuer'), audience) } }, stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: { Ref: 'Issuer' }, Audience: { Ref: 'Audience' } } });
  });
});

describe('runtime checks: factories', () => {
  test.each<[string, () => unknown, string, RegExp]>([
    ['ServerlessApi.rest({ cacheTtl: 300 })', () => ServerlessApi.rest({ cacheTtl: 300 as never }), 'api.cacheTtl', /^invalid api\.cacheTtl: got 300; accepted: a Duration of whole seconds from 0 to 3600/],
    ['ServerlessApi.rest({ cacheSize: 0.5 })', () => ServerlessApi.rest({ cacheTtl: Duration.minutes(1), cacheSize: 0.5 as never }), 'api.cacheSize', /got 0\.5; accepted: one of '0\.5', /],
    ['a usage plan without burstLimit', () => ServerlessApi.rest({ usagePlan: { rateLimit: 10 } as never }), 'api.usagePlan.burstLimit', /is required; accepted: an integer from 1 to 5000/],
    ['a usage plan quota of 0', () => ServerlessApi.rest({ usagePlan: { rateLimit: 10, burstLimit: 10, quotaPerDay: 0 } }), 'api.usagePlan.quotaPerDay', /got 0; accepted: an integer from 1 to 1000000000/],
    ['validatedRequests as one object', () => ServerlessApi.rest({ validatedRequests: { method: 'POST', path: '/a', schema: {} } as never }), 'api.validatedRequests', /got an object \{method, path, schema\}; accepted: an array of an object \{ method, path, schema \}/],
    ['a validated request in lower case', () => ServerlessApi.rest({ validatedRequests: [{ method: 'post', path: '/a', schema: {} }] }), 'api.validatedRequests[0].method', /got 'post'; accepted: GET, POST, PUT, PATCH, DELETE/],
    ['a validated request without a schema', () => ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/a' } as never] }), 'api.validatedRequests[0].schema', /is required; accepted: a JSON schema object/],
    ['a web ACL ARN that is no ARN', () => ServerlessApi.rest({ webAclArn: 'my-acl' }), 'api.webAclArn', /got 'my-acl'; accepted: a REGIONAL WAFv2 web ACL ARN/],
    ['a CLOUDFRONT-scope web ACL', () => ServerlessApi.rest({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }), 'api.webAclArn',
      /\(a CLOUDFRONT-scope web ACL: API Gateway takes REGIONAL ones\); accepted: a REGIONAL WAFv2 web ACL ARN/],
    ["ServerlessApi.rest('cache')", () => ServerlessApi.rest('cache' as never), 'api', /got 'cache'; accepted: an object of props/],
    ['options given to ServerlessApi.http()', () => (ServerlessApi.http as (o: unknown) => unknown)({ cacheTtl: Duration.minutes(1) }), 'api',
      /ServerlessApi\.http\(\) got an object \{cacheTtl\}: it takes no options; accepted: ServerlessApi\.http\(\), or ServerlessApi\.rest\(options\)/],
    ['ServerlessAuth.jwt without an issuer', () => ServerlessAuth.jwt(undefined as never, ['a']), 'auth.auth.issuer', /is required; accepted: an https:\/\/ OIDC issuer URL/],
    ['ServerlessAuth.jwt with one audience string', () => ServerlessAuth.jwt('https://i.example.com/', 'web' as never), 'auth.auth.audience', /got 'web'; accepted: an array of at least one audience string/],
    ['ServerlessAuth.jwt with an empty audience', () => ServerlessAuth.jwt('https://i.example.com/', ['']), 'auth.auth.audience[0]', /got ''; accepted: a non-empty audience string/],
    ['ServerlessAuth.cognito with a pool id', () => ServerlessAuth.cognito('eu-west-1_abc' as never), 'auth.auth.userPool', /got 'eu-west-1_abc'; accepted: a cognito\.IUserPool/],
    ["ServerlessDeployment.canary('10')", () => ServerlessDeployment.canary('10' as never), 'deployment.percent', /got '10'; accepted: an integer from 1 to 99 percent/],
    ['ServerlessDeployment.canary(100)', () => ServerlessDeployment.canary(100), 'deployment.percent', /got 100; accepted: an integer from 1 to 99 percent/],
    ['ServerlessDeployment.linear(10, 1.5)', () => ServerlessDeployment.linear(10, 1.5), 'deployment.minutes', /got 1\.5; accepted: an integer from 1 to 60 minutes/],
    ['ServerlessDeployment.linear(NaN)', () => ServerlessDeployment.linear(Number.NaN), 'deployment.percent', /got NaN; accepted: an integer from 1 to 99/],
  ])('%s', (_name, build, prop, message) => {
    invalid(build, prop, message);
  });

  test('factories keep their defaults, and null (from other jsii languages) is not given', () => {
    expect(String(ServerlessDeployment.canary())).toBe('canary 10% / 5 min');
    expect(String(ServerlessDeployment.linear(null as never, null as never))).toBe('linear 10% / 1 min');
    expect(ServerlessApi.rest({ cacheTtl: null as never, webAclArn: null as never }).restOptions).toEqual({});
    expect(ServerlessAuth.cognito(null as never).userPool).toBeUndefined();
  });
});

describe('runtime checks: Lambda environment', () => {
  /** The JSON Lambda measures, for the variables given and the three the tier sets (with a table named 'app-data'). */
  const measured = (env: Record<string, string>) => Buffer.byteLength(JSON.stringify({
    ...env, NODE_OPTIONS: '--enable-source-maps', TABLE_NAME: 'app-data', HEALTH_CHECK_PATH: '/health',
  }), 'utf8');
  const withTable = (env: Record<string, string>, tier: 'serverless' | 'managed' = 'serverless') => {
    const stack = testStack();
    const table = dynamodb.TableV2.fromTableName(stack, 'Table', 'app-data');
    return tier === 'serverless' ? serverless({ environment: env, table }, stack) : managed({ environment: env, table }, stack);
  };

  test('4096 bytes in all (as Lambda measures: the JSON of names and values, with what the tier sets) is accepted; one more fails naming environment', () => {
    const fill = 4096 - measured({ BIG: '' });
    expect(measured({ BIG: 'x'.repeat(fill) })).toBe(4096);
    withTable({ BIG: 'x'.repeat(fill) }).template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TABLE_NAME: 'app-data' }) } });
    const own = Buffer.byteLength(JSON.stringify({ BIG: 'x'.repeat(fill + 1) }));
    invalid(() => withTable({ BIG: 'x'.repeat(fill + 1) }), 'environment',
      new RegExp(`got ${own} bytes of variables, 4097 with the NODE_OPTIONS, TABLE_NAME, HEALTH_CHECK_PATH the tier sets, as Lambda measures them .*accepted: at most 4096 bytes in all \\(Lambda's limit, not adjustable\\)`));
    invalid(() => withTable({ BIG: 'x'.repeat(fill + 1) }, 'managed'), 'environment', /4097 with the NODE_OPTIONS, TABLE_NAME, HEALTH_CHECK_PATH the tier sets/);
  });

  test('bytes, not characters: a value in UTF-8', () => {
    const fill = 4096 - measured({ BIG: '' });
    invalid(() => withTable({ BIG: `${'x'.repeat(fill - 1)}é` }), 'environment', /4097 with the/);
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['a one-letter name', { X: '1' }, /variable name 'X' is not one Lambda accepts; accepted: a letter, then at least one more letter, digit or '_'/],
    ["a name starting with '_'", { _X: '1' }, /variable name '_X' is not one Lambda accepts/],
    ['a name starting with a digit', { '1ABC': '1' }, /variable name '1ABC' is not one Lambda accepts/],
    ['a name Lambda sets', { AWS_REGION: 'eu-west-1' }, /variable 'AWS_REGION' is set by Lambda, which refuses it in a function's configuration/],
    ['a name the tier sets', { NODE_OPTIONS: '--inspect' }, /variable 'NODE_OPTIONS' is set by the tier; reserved: TABLE_NAME, DATABASE_URL, WEB_TIERS_DATABASE_AUTH, PGPASSWORD, NODE_OPTIONS, HEALTH_CHECK_PATH$/],
  ])('%s fails naming environment', (_name, environment, message) => {
    invalid(() => serverless({ environment }), 'environment', message);
    invalid(() => managed({ environment }), 'environment', message);
  });

  test('WEB_TIERS_NATIVE_FETCH=1, the switch README documents, reaches the function (the tier never sets it)', () => {
    const { template } = serverless({ environment: { WEB_TIERS_NATIVE_FETCH: '1', AB: 'two letters are enough' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WEB_TIERS_NATIVE_FETCH: '1', AB: 'two letters are enough' }) } });
    managed({ environment: { WEB_TIERS_NATIVE_FETCH: '1' } }).template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ WEB_TIERS_NATIVE_FETCH: '1' }) } });
  });
});

describe('runtime checks: imported resources', () => {
  const zoneIn = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });

  test.each([['HTTP API', ServerlessApi.http], ['REST API', ServerlessApi.rest]] as const)('%s: a certificate from another region fails; one from the stack\'s region passes', (kind, api) => {
    const stack = stackIn('eu-central-1');
    invalid(() => serverless({ api: api(), domain: { domainName: 'api.example.com', domainZone: zoneIn(stack), certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', REGIONAL_CERT) } }, stack),
      'domain.certificate', new RegExp(`is in eu-west-1 and the stack in eu-central-1: the ${kind}'s regional custom domain reads its certificate from its own region; accepted: a certificate in eu-central-1`));
    const same = stackIn('eu-west-1');
    serverless({ api: api(), domain: { domainName: 'api.example.com', domainZone: zoneIn(same), certificate: acm.Certificate.fromCertificateArn(same, 'Cert', REGIONAL_CERT) } }, same)
      .template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });

  test('a certificate defined in a stack of another region (its ARN a token) fails by that stack\'s region', () => {
    const app = new App({ context: PROJECT_CONTEXT });
    const certStack = new Stack(app, 'Certs', { env: { account: '123456789012', region: 'us-east-1' }, crossRegionReferences: true });
    const stack = new Stack(app, 'Api', { env: { account: '123456789012', region: 'eu-west-1' }, crossRegionReferences: true });
    const certificate = new acm.Certificate(certStack, 'Cert', { domainName: 'api.example.com' });
    invalid(() => new ServerlessTier(stack, 'Api', { app: webApp, domain: { domainName: 'api.example.com', domainZone: zoneIn(stack), certificate } }),
      'domain.certificate', /is in us-east-1 and the stack in eu-west-1/);
  });

  test('the region is read from an ARN whose partition is a token; an imported certificate whose ARN is a token passes (only deploy can tell)', () => {
    const stack = stackIn('eu-central-1');
    const partitioned = `arn:${Aws.PARTITION}:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f`;
    invalid(() => serverless({ domain: { domainName: 'api.example.com', domainZone: zoneIn(stack), certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', partitioned) } }, stack),
      'domain.certificate', /is in eu-west-1 and the stack in eu-central-1/);
    const other = stackIn('eu-central-1', 'Other');
    const fromParameter = acm.Certificate.fromCertificateArn(other, 'Cert', stringParam(other, 'CertArn'));
    expect(() => serverless({ domain: { domainName: 'api.example.com', domainZone: zoneIn(other), certificate: fromParameter } }, other)).not.toThrow();
    // Tier 6 in eu-west-1 with a us-east-1 certificate whose ARN comes from a parameter: the importing stack's region says nothing of it.
    const site = stackIn('eu-west-1', 'Site');
    const edgeCert = acm.Certificate.fromCertificateArn(site, 'Cert', stringParam(site, 'EdgeCertArn'));
    expect(() => managed({ domain: { domainName: 'www.example.com', domainZone: zoneIn(site), certificate: edgeCert } }, site)).not.toThrow();
  });

  test('a REST web ACL of another region fails; one of the stack\'s region passes', () => {
    const stack = stackIn('eu-central-1');
    invalid(() => serverless({ api: ServerlessApi.rest({ webAclArn: WEB_ACL }) }, stack), 'api.webAclArn',
      /got 'arn:aws:wafv2:eu-west-1:.*' \(in eu-west-1, and the stack in eu-central-1: a REGIONAL web ACL protects resources in its own region\); accepted: a REGIONAL WAFv2 web ACL ARN .* \(eu-central-1\)/);
    serverless({ api: ServerlessApi.rest({ webAclArn: WEB_ACL }) }, stackIn('eu-west-1')).template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  test('a table of another region fails on both tiers', () => {
    const arn = 'arn:aws:dynamodb:us-west-2:123456789012:table/app-data';
    const s1 = stackIn('eu-west-1');
    invalid(() => serverless({ table: dynamodb.TableV2.fromTableArn(s1, 'T', arn) }, s1), 'table',
      /is in us-west-2 and the stack in eu-west-1: the app finds its table by name in its own region; accepted: a table in eu-west-1/);
    const s2 = stackIn('eu-west-1', 'Other');
    invalid(() => managed({ table: dynamodb.TableV2.fromTableArn(s2, 'T', arn) }, s2), 'table', /is in us-west-2 and the stack in eu-west-1/);
  });

  test('a table defined with other keys fails; one with string pk and sk passes', () => {
    const stack = testStack();
    const other = new dynamodb.TableV2(stack, 'Other', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    invalid(() => serverless({ table: other }, stack), 'table',
      /has the keys 'id' \(partition key, string\); accepted: a table whose partition key is 'pk' and sort key 'sk', both strings/);
    const numeric = testStack();
    const sk = new dynamodb.TableV2(numeric, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER } });
    invalid(() => managed({ table: sk }, numeric), 'table', /has the keys 'pk' \(partition key, string\) and 'sk' \(sort key, number\)/);
    const good = testStack();
    const mine = new dynamodb.TableV2(good, 'Mine', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING } });
    serverless({ table: mine }, good).template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
  });
});

describe('runtime checks: ManagedServerlessTier props', () => {
  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ["function.tracing 'false'", { function: { tracing: 'false' } }, 'function.tracing', /^Test\/Site: invalid function\.tracing: got 'false'; accepted: true or false$/],
    ['function.timeout as a number', { function: { timeout: 10 } }, 'function.timeout', /got 10; accepted: a Duration of whole seconds from 1 to 900/],
    ['function.memorySize above Lambda\'s', { function: { memorySize: 10241 } }, 'function.memorySize', /got 10241; accepted: an integer from 128 to 10240 MB/],
    ['assets as a number', { assets: 42 }, 'assets', /got 42; accepted: the path of a folder of static files/],
    ['assets empty', { assets: '' }, 'assets', /got ''; accepted: the path of a folder of static files/],
    ['webAclArn as a number', { webAclArn: 42 }, 'webAclArn', /got 42; accepted: a CLOUDFRONT-scope WAFv2 web ACL ARN in us-east-1/],
    ['a REGIONAL web ACL, even in us-east-1', { webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/w/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }, 'webAclArn',
      /\(a REGIONAL web ACL in us-east-1: CloudFront takes CLOUDFRONT-scope ones, which live in us-east-1\); accepted: a CLOUDFRONT-scope WAFv2 web ACL ARN/],
    ['table as a name', { table: 'app-data' }, 'table', /got 'app-data'; accepted: a dynamodb\.ITableV2/],
    ['deployment as a plain object', { deployment: {} }, 'deployment', /an object of another shape is not possible on ManagedServerlessTier/],
  ])('%s', (_name, props, prop, message) => {
    invalid(() => managed(props as Partial<ManagedServerlessTierProps>), prop, message);
  });

  test('a us-east-1 certificate still required: one defined in a stack of another region fails, one from us-east-1 passes', () => {
    const app = new App({ context: PROJECT_CONTEXT });
    const certStack = new Stack(app, 'Certs', { env: { account: '123456789012', region: 'eu-west-1' }, crossRegionReferences: true });
    const stack = new Stack(app, 'Site', { env: { account: '123456789012', region: 'eu-west-1' }, crossRegionReferences: true });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
    invalid(() => new ManagedServerlessTier(stack, 'Site', { app: webApp, domain: { domainName: 'www.example.com', domainZone: zone, certificate: new acm.Certificate(certStack, 'Cert', { domainName: 'www.example.com' }) } }),
      'domain.certificate', /is in eu-west-1; accepted: a certificate in us-east-1, where CloudFront reads certificates/);
    const edge = new Stack(app, 'Edge', { env: { account: '123456789012', region: 'us-east-1' }, crossRegionReferences: true });
    expect(() => new ManagedServerlessTier(stack, 'Site2', { app: webApp, domain: { domainName: 'www.example.com', domainZone: zone, certificate: new acm.Certificate(edge, 'Cert', { domainName: 'www.example.com' }) } })).not.toThrow();
  });
});

describe('valid but unusual: the checks do not over-reach', () => {
  test('every optional prop null (as other jsii languages may pass it) is not given', () => {
    const nulls = { api: null, function: null, routes: null, auth: null, throttle: null, cors: null, table: null, domain: null, alarms: null, logRetention: null, removalPolicy: null, environment: null, deployment: null };
    expect(defects(serverless(nulls as never).template)).toEqual([]);
    const fnNulls = { memorySize: null, timeout: null, reservedConcurrency: null, provisionedConcurrency: null, tracing: null };
    expect(defects(serverless({ function: fnNulls, api: ServerlessApi.rest({ cacheTtl: null, cacheSize: null } as never) } as never).template)).toEqual([]);
    const siteNulls = { assets: null, function: fnNulls, table: null, webAclArn: null, domain: null, environment: null, deployment: null };
    expect(defects(managed(siteNulls as never).template)).toEqual([]);
  });

  test('an internationalized top-level domain (api.xn--p1ai) on both tiers', () => {
    const stack = testStack();
    const domainZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'xn--p1ai' });
    serverless({ domain: { domainName: 'api.xn--p1ai', domainZone, certificate: acm.Certificate.fromCertificateArn(stack, 'C', REGIONAL_CERT) } }, stack)
      .template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'api.xn--p1ai' });
    const edge = stackIn('us-east-1');
    const edgeZone = route53.HostedZone.fromHostedZoneAttributes(edge, 'Zone', { hostedZoneId: 'Z1', zoneName: 'xn--p1ai' });
    managed({ domain: { domainName: 'www.xn--p1ai', domainZone: edgeZone } }, edge).template.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'www.xn--p1ai' });
  });

  test('durations in other units that are whole seconds, empty routes, wildcard origins, an imported user pool, a table by name', () => {
    const stack = testStack();
    const { template } = serverless({
      function: { timeout: Duration.millis(15000) },
      routes: [],
      cors: { allowOrigins: ['*', 'https://*.example.com', 'http://localhost:5173'], allowMethods: ['*'], allowHeaders: ['*', 'x-api-key'] },
      auth: { auth: ServerlessAuth.cognito(cognito.UserPool.fromUserPoolId(stack, 'Pool', 'eu-west-1_abc')) },
      table: dynamodb.TableV2.fromTableName(stack, 'T', 'shared-data'),
    }, stack);
    template.hasResourceProperties('AWS::Lambda::Function', { Timeout: 15, Environment: { Variables: Match.objectLike({ TABLE_NAME: 'shared-data' }) } });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    expect(() => ServerlessApi.rest({ cacheTtl: Duration.seconds(0) })).not.toThrow();
  });

  test('the specs cover the props: each key is one the props interfaces declare', () => {
    // A misspelt key in a spec would check nothing; compare with the props a full example uses.
    expect(Object.keys(SERVERLESS_SPEC).sort()).toEqual(['alarms', 'api', 'app', 'auth', 'cors', 'database', 'deployment', 'domain', 'environment', 'function', 'logRetention', 'removalPolicy', 'routes', 'table', 'throttle']);
    expect(Object.keys(MANAGED_SERVERLESS_SPEC).sort()).toEqual(['alarms', 'app', 'assets', 'database', 'deployment', 'domain', 'environment', 'function', 'logRetention', 'removalPolicy', 'table', 'webAclArn']);
  });
});

describe('on PostgreSQL: the database of tiers 2-4, through RDS Proxy, with IAM authentication', () => {
  const onDatabase = (() => {
    const stack = testStack();
    const database = new Database(stack, 'Db', { network: new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ }) });
    return { ...serverless({ database, routes: [{ path: '/api/entries' }] }, stack), database };
  })();
  const { template } = onDatabase;
  const functions = () => fn(template).filter(([id]) => id.startsWith('Api')).map(([, r]) => r.Properties);

  test('no table; every app function in the app subnets with DATABASE_URL to the proxy and no password anywhere', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(functions()).toHaveLength(2);
    for (const f of functions()) {
      expect(f.VpcConfig.SubnetIds).toEqual([{ Ref: expect.stringMatching(/^NetVpcAppSubnet1/) }, { Ref: expect.stringMatching(/^NetVpcAppSubnet2/) }]);
      expect(f.Environment.Variables).toEqual({
        DATABASE_URL: { 'Fn::Join': ['', ['postgresql://webapp@', { 'Fn::GetAtt': [expect.stringMatching(/^DbProxy/), 'Endpoint'] }, ':5432/webapp?sslmode=verify-full']] },
        WEB_TIERS_DATABASE_AUTH: 'iam', NODE_OPTIONS: '--enable-source-maps', HEALTH_CHECK_PATH: '/health',
      });
    }
    expect(onDatabase.tier.table).toBeUndefined();
    expect(onDatabase.tier.database).toBe(onDatabase.database);
    expect(Object.keys(template.findOutputs('*'))).toEqual([]);
    expect(onDatabase.tier.outputs).toEqual({ DatabaseSecretArn: expect.objectContaining({ description: 'Connection JSON of the database' }) });
  });

  test('one proxy, IAM auth required over TLS, in the data subnets, reading the secret itself', () => {
    template.resourceCountIs('AWS::RDS::DBProxy', 1);
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL', RequireTLS: true, DebugLogging: false,
      Auth: [{ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: Match.stringLikeRegexp('^DbInstanceSecretAttachment') } }],
      VpcSubnetIds: [{ Ref: Match.stringLikeRegexp('^NetVpcDataSubnet1') }, { Ref: Match.stringLikeRegexp('^NetVpcDataSubnet2') }],
    });
    template.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', { DBInstanceIdentifiers: [{ Ref: Match.stringLikeRegexp('^DbInstance') }] });
  });

  test('the functions may connect as webapp through this proxy and read no secret', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => /^ApiApp|^ApiRoute1/.test(id)).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((st: { Action: string | string[] }) => [st.Action].flat());
    expect(actions.filter((a) => a.startsWith('secretsmanager:') || a.startsWith('dynamodb:'))).toEqual([]);
    const connect = statements.filter((st: { Action: string }) => st.Action === 'rds-db:connect');
    expect(connect).toHaveLength(2);
    expect(JSON.stringify(connect[0].Resource)).toMatch(/:dbuser:.*DbProxy[0-9A-F]+","DBProxyArn".*\/webapp/);
  });

  test('security groups: a function reaches the proxy on 5432 and HTTPS out, the proxy the database, nothing else', () => {
    const groups = template.findResources('AWS::EC2::SecurityGroup');
    const appGroup = Object.entries(groups).find(([id]) => id.startsWith('ApiAppSecurityGroup'))!;
    expect(appGroup[1].Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [appGroup[0], 'GroupId'] }, FromPort: 5432, ToPort: 5432,
      DestinationSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbProxySecurityGroup'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbProxySecurityGroup'), 'GroupId'] }, FromPort: 5432,
      SourceSecurityGroupId: { 'Fn::GetAtt': [appGroup[0], 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbProxySecurityGroup'), 'GroupId'] },
    });
  });

  test('managed-serverless on Aurora: the proxy targets the cluster; without database, today\'s table', () => {
    const stack = testStack();
    const database = new Database(stack, 'Db', { network: new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ }), engine: DatabaseEngine.auroraServerless() });
    const { template: t } = managed({ database }, stack);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    t.hasResourceProperties('AWS::RDS::DBProxyTargetGroup', { DBClusterIdentifiers: [{ Ref: Match.stringLikeRegexp('^DbCluster') }] });
    expect(fn(t).find(([id]) => id.startsWith('Site'))![1].Properties.Environment.Variables.WEB_TIERS_DATABASE_AUTH).toBe('iam');
    expect(site.tier.table).toBeDefined();
    site.template.resourceCountIs('AWS::RDS::DBProxy', 0);
  });

  test('errors: a table with a database, a database the app does not create, something else', () => {
    const stack = testStack();
    const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ });
    const database = new Database(stack, 'Db', { network });
    const table = dynamodb.TableV2.fromTableName(stack, 'T', 'given');
    invalid(() => new ServerlessTier(stack, 'A', { app: webApp, database, table }), 'table', /is given together with database; accepted: one store, either database .* or table/);
    invalid(() => new ManagedServerlessTier(stack, 'B', { app: webApp, database, table }), 'table', /is given together with database/);
    const imported = Database.fromAttributes(stack, 'Imported', {
      vpc: network.vpc, securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-12345678'), secret: database.secret,
    });
    invalid(() => new ServerlessTier(stack, 'C', { app: webApp, database: imported }), 'database', /a database this app does not create .* accepted: a Database made in this app/);
    invalid(() => new ServerlessTier(stack, 'D', { app: webApp, database: 'postgres' as never }), 'database', /got 'postgres'; accepted: an IAppDatabase/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each<[string, (s: Stack) => void]>([
    ['HTTP API', (s) => new ServerlessTier(s, 'Api', { app: webApp })],
    ['HTTP API with Cognito and a route function', (s) => new ServerlessTier(s, 'Api', { app: webApp, auth: { auth: ServerlessAuth.cognito() }, routes: [{ path: '/api/entries' }] })],
    ['REST API', (s) => new ServerlessTier(s, 'Api', { app: webApp, api: ServerlessApi.rest(), removalPolicy: RemovalPolicy.DESTROY })],
    ['REST API with everything', (s) => new ServerlessTier(s, 'Api', {
      app: webApp, auth: { auth: ServerlessAuth.cognito() },
      api: ServerlessApi.rest({ cacheTtl: Duration.minutes(1), usagePlan: { rateLimit: 1, burstLimit: 1 }, webAclArn: WEB_ACL, validatedRequests: [{ method: 'POST', path: '/api/entries', schema: { type: apigw.JsonSchemaType.OBJECT } }] }),
    })],
    ['managed serverless', (s) => new ManagedServerlessTier(s, 'Site', { app: webApp })],
    ['managed serverless with assets', (s) => new ManagedServerlessTier(s, 'Site', { app: webApp, assets: ASSETS })],
  ])('%s: no unacknowledged finding', (_name, build) => {
    const app = testApp();
    build(new Stack(app, 'Nag'));
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('Deployment', () => {
  const tiers: Array<[string, (deployment: unknown) => Template]> = [
    ['ServerlessTier', (deployment) => serverless({ deployment: deployment as Deployment }).template],
    ['ManagedServerlessTier', (deployment) => managed({ deployment: deployment as Deployment }).template],
  ];

  /** The deployment group's DeploymentConfigName, and the traffic routing of a config the tier made. */
  function codeDeploy(t: Template) {
    const groups = Object.values(t.findResources('AWS::CodeDeploy::DeploymentGroup'));
    expect(groups).toHaveLength(1);
    const [group] = groups;
    expect(group.Properties.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: expect.arrayContaining(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']) });
    expect(group.Properties.AlarmConfiguration.Alarms).toHaveLength(2);
    const name = group.Properties.DeploymentConfigName;
    const routing = name.Ref ? t.toJSON().Resources[name.Ref].Properties.TrafficRoutingConfig : undefined;
    return { name, routing };
  }

  describe.each(tiers)('%s', (tier, build) => {
    test('allAtOnce() → CodeDeploy all at once, rolled back on the alarms', () => {
      expect(codeDeploy(build(Deployment.allAtOnce()))).toEqual({ name: 'CodeDeployDefault.LambdaAllAtOnce', routing: undefined });
    });

    test('rolling({ batchPercent, timeout }) → linear: batchPercent every timeout', () => {
      expect(codeDeploy(build(Deployment.rolling({ batchPercent: 25, minHealthyPercent: 100, timeout: Duration.minutes(2) })))).toEqual({
        name: { Ref: expect.stringMatching(/DeployLinear25Percent2Minutes/) },
        routing: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 25, LinearInterval: 2 } },
      });
      expect(codeDeploy(build(Deployment.rolling())).routing).toEqual({ Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 10, LinearInterval: 1 } });
      expect(codeDeploy(build(Deployment.rolling({ batchPercent: 100 }))).name).toBe('CodeDeployDefault.LambdaAllAtOnce');
    });

    test('canary({ percent, bake }) → canary: percent for bake minutes (10 % for 5 minutes is the default, unchanged)', () => {
      expect(codeDeploy(build(Deployment.canary({ percent: 20, bake: Duration.minutes(15) })))).toEqual({
        name: { Ref: expect.stringMatching(/DeployCanary20Percent15Minutes/) },
        routing: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 20, CanaryInterval: 15 } },
      });
      expect(build(Deployment.canary({ percent: 10, bake: Duration.minutes(5) })).toJSON()).toEqual(build(undefined).toJSON());
    });

    test.each<[string, unknown, RegExp]>([
      ['a bake of 90 minutes', Deployment.canary({ percent: 10, bake: Duration.minutes(90) }), new RegExp(`invalid deployment\\.bake: got 90 minutes on ${tier}; accepted: whole minutes from 1 to 60`)],
      ['a bake of 30 seconds', Deployment.canary({ percent: 10, bake: Duration.seconds(30) }), new RegExp(`invalid deployment\\.bake: got 0\\.5 minutes on ${tier}`)],
      ['a canary of 0 %', Deployment.canary({ percent: 0, bake: Duration.minutes(5) }), new RegExp(`invalid deployment\\.percent: got 0 on ${tier}; accepted: an integer from 1 to 99 percent`)],
      ['an interval of 2 hours', Deployment.rolling({ timeout: Duration.hours(2) }), new RegExp(`invalid deployment\\.timeout: got 120 minutes on ${tier}; accepted: whole minutes from 1 to 60`)],
      ["another tier's deployment type", BeanstalkDeployment.allAtOnce(),
        new RegExp(`invalid deployment: a BeanstalkDeployment is not possible on ${tier}; accepted on ${tier}: Deployment\\.allAtOnce\\(\\), .*or a ServerlessDeployment`)],
    ])('%s fails at synth, naming the option and the tier', (_name, deployment, message) => {
      expect(() => build(deployment)).toThrow(message);
    });
  });
});
