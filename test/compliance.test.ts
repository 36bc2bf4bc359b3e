import { SinglePointOfFailure } from '../constructs';
import { TIERS } from '../lib/config';
import { COMPLIANCE_SETTINGS, PACKS, complianceOf } from '../lib/nag';
import { PROJECT_CONTEXT } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

// Tier 1 warns of its one instance, tiers 2-4 with default props of the default network's NAT gateway.
captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT);

// Every tier, with prod's settings and with default props (`new XTier(stack, 'Web', { app })`),
// under AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and the Control Tower Guard rules
// (cfn-guard, as a policy-validation plugin). `npm run compliance` prints the same counts.
describe.each(COMPLIANCE_SETTINGS)('%s settings', (settings) => {
  describe.each(TIERS)('%s', (tier) => {
    const counts = complianceOf(tier, PROJECT_CONTEXT, settings);

    test.each(PACKS)('%s: nothing unacknowledged', (pack) => {
      expect(counts[pack].unacknowledged).toEqual([]);
    });

    test('every pack ran (each acknowledged something with a reason)', () => {
      for (const pack of PACKS) expect(Object.keys(counts[pack].acknowledged).length).toBeGreaterThan(0);
    });

    // Tiers 2-4 promise no single point of failure: their database is Multi-AZ, so the rules pass
    // rather than being acknowledged.
    if (['load-balanced', 'auto-scaling', 'managed-auto-scaling'].includes(tier)) {
      test('the database passes the Multi-AZ rules: neither open nor acknowledged', () => {
        const multiAzRules: Array<[string, string]> = [
          ['cdk-validator-cfnguard', 'rds_instance_multi_az_support_check'],
          ['HIPAA.Security', 'HIPAA.Security-RDSMultiAZSupport'],
          ['NIST.800.53.R5', 'NIST.800.53.R5-RDSMultiAZSupport'],
          ['AwsSolutions', 'AwsSolutions-RDS3'],
        ];
        for (const [pack, rule] of multiAzRules) {
          expect(counts[pack].unacknowledged.filter((f) => f.startsWith(`${rule} `))).toEqual([]);
          expect(counts[pack].acknowledged[rule]).toBeUndefined();
        }
      });
    }
  });
});
