#!/usr/bin/env node
/**
 * `npm run compliance`: synthesizes every tier, with prod's settings and with default props, under
 * the AwsSolutions, HIPAA Security, NIST 800-53 rev 5 and Control Tower Guard rules, and prints per
 * tier and pack how many findings were acknowledged (with reasons, in the constructs) and how many
 * were not.
 * `-v` lists the acknowledged rules. Exits 1 on any unacknowledged finding.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TIERS } from '../lib/config';
import { COMPLIANCE_SETTINGS, PACKS, complianceOf } from '../lib/nag';

process.env.CDK_VALIDATION ??= 'false';
const verbose = process.argv.includes('-v');
const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
let failed = 0;
console.log(['tier'.padEnd(31), ...PACKS.map((p) => p.padStart(24))].join(''));
for (const settings of COMPLIANCE_SETTINGS) for (const tier of TIERS) {
  const counts = complianceOf(tier, context, settings);
  const cells = PACKS.map((p) => {
    const acked = Object.values(counts[p].acknowledged).reduce((a, b) => a + b, 0);
    failed += counts[p].unacknowledged.length;
    return `${counts[p].unacknowledged.length} open, ${acked} ack'd`.padStart(24);
  });
  console.log([`${tier} (${settings})`.padEnd(31), ...cells].join(''));
  if (verbose) {
    for (const p of PACKS) for (const [rule, n] of Object.entries(counts[p].acknowledged)) console.log(`    ${n}× ${rule}`);
  }
  for (const p of PACKS) for (const open of counts[p].unacknowledged) console.log(`    OPEN ${open}`);
}
process.exitCode = failed ? 1 : 0;
