// The Lambda function of the NodePlatform custom resource. aws-cdk-lib's CustomResourceProvider
// wraps it (`__entrypoint__.js`), which sends the response to CloudFormation. Bundled at synth with
// @aws-sdk/* left out: the Lambda Node.js runtime provides the SDK.
import { ElasticBeanstalkClient, ListPlatformVersionsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { onPlatformEvent, type PlatformEvent, type PlatformResponse } from './resolve';

let client: ElasticBeanstalkClient | undefined;

export async function handler(event: PlatformEvent): Promise<PlatformResponse> {
  const eb = (client ??= new ElasticBeanstalkClient({}));
  return onPlatformEvent(event, (input) => eb.send(new ListPlatformVersionsCommand(input)));
}
