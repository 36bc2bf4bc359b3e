// The rollback function of a HybridRouter, invoked by EventBridge when one of its alarms goes into
// ALARM. Bundled at synth with @aws-sdk/* left out: the Lambda Node.js runtime provides the SDK.
import { DescribeRulesCommand, ElasticLoadBalancingV2Client, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { configFromEnvironment, rollBack, type AlarmStateChange, type RollbackReport } from './rollback';

let client: ElasticLoadBalancingV2Client | undefined;

export async function handler(event: AlarmStateChange): Promise<RollbackReport> {
  const elb = (client ??= new ElasticLoadBalancingV2Client({}));
  return rollBack(event, configFromEnvironment(process.env), {
    describeRules: (input) => elb.send(new DescribeRulesCommand(input)),
    modifyRule: (input) => elb.send(new ModifyRuleCommand(input)),
  });
}
