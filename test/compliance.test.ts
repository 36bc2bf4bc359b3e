import { TIERS } from '../lib/config';
import { PACKS, complianceOf } from '../lib/nag';
import { PROJECT_CONTEXT } from './helpers';

// Every tier, with prod's settings, under AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and the
// Control Tower Guard rules (cfn-guard, as a policy-validation plugin). `npm run compliance`
// prints the same counts.
describe.each(TIERS)('%s', (tier) => {
  const counts = complianceOf(tier, PROJECT_CONTEXT);

  test.each(PACKS)('%s: nothing unacknowledged', (pack) => {
    expect(counts[pack].unacknowledged).toEqual([]);
  });

  test('every pack ran (each acknowledged something with a reason)', () => {
    for (const pack of PACKS) expect(Object.keys(counts[pack].acknowledged).length).toBeGreaterThan(0);
  });
});
