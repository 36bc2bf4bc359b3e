import * as path from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import {
  ManagedServerlessTier, ServerlessApi, ServerlessAuth, ServerlessDeployment, ServerlessTier,
  type ManagedServerlessTierProps, type ServerlessTierProps,
} from '../constructs';
import { BeanstalkDeployment } from '../constructs/managed-auto-scaling';
import { Deployment } from '../constructs/shared/deployment';
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
    ['an issuer that is not https', () => serverless({ auth: { auth: ServerlessAuth.jwt('http://i.example.com', ['a']) } }), /invalid auth: issuer 'http:\/\/i\.example\.com'; accepted: an https:\/\/ OIDC issuer URL/],
    ['no audience', () => serverless({ auth: { auth: ServerlessAuth.jwt('https://i.example.com/', []) } }), /invalid auth: no audience/],
    ['cache size without TTL', () => serverless({ api: ServerlessApi.rest({ cacheSize: '0.5' }) }), /invalid api\.cacheSize: is set without api\.cacheTtl/],
    ['unknown cache size', () => serverless({ api: ServerlessApi.rest({ cacheTtl: Duration.minutes(1), cacheSize: '2' }) }), /invalid api\.cacheSize: got '2'; accepted: 0\.5, 1\.6/],
    ['cache TTL over an hour', () => serverless({ api: ServerlessApi.rest({ cacheTtl: Duration.hours(2) }) }), /invalid api\.cacheTtl: got 7200/],
    ['a validated request with an unknown method', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'FETCH', path: '/a', schema: {} }] }) }), /invalid api\.validatedRequests\[0\]\.method: got 'FETCH'/],
    ['a validated request on a path parameter', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/a/{id}', schema: {} }] }) }), /invalid api\.validatedRequests\[0\]\.path: got '\/a\/\{id\}'/],
    ['the same validated request twice', () => serverless({ api: ServerlessApi.rest({ validatedRequests: [{ method: 'POST', path: '/a', schema: {} }, { method: 'POST', path: '/a', schema: {} }] }) }), /invalid api\.validatedRequests\[1\]: POST \/a appears twice/],
    ['a CloudFront web ACL on the REST API', () => serverless({ api: ServerlessApi.rest({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/w/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f' }) }), /invalid api\.webAclArn: .*REGIONAL/],
    ['throttle above the account limit', () => serverless({ throttle: { rateLimit: 20000, burstLimit: 10 } }), /invalid throttle\.rateLimit: got 20000/],
    ['canary of 0 %', () => serverless({ deployment: ServerlessDeployment.canary(0, 5) }), /invalid deployment: canary percent 0; accepted: an integer from 1 to 99/],
    ['linear every 90 minutes', () => serverless({ deployment: ServerlessDeployment.linear(10, 90) }), /invalid deployment: linear minutes 90/],
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
