/**
 * The warnings a synth prints. cdk.json turns on `@aws-cdk/core:annotationsInValidationReport`, so
 * a test app, like `cdk synth`, prints a validation report on console.error whenever one of its
 * stacks has an unacknowledged warning. A suite whose stacks warn on purpose calls
 * `captureSynthWarnings(...ids)` at the top of the file, before anything is synthesized, with the
 * ids of the warnings it provokes; a test can `allow` more for itself. A report naming only allowed
 * warnings is kept instead of printed, and `take()` hands it to the test; anything else written to
 * console.error (an error, a report naming another warning) fails the test that wrote it.
 */
import { format, stripVTControlCharacters } from 'node:util';

export interface SynthWarnings {
  /** Accepts these warning ids too, in the running test only. */
  allow(...ids: string[]): void;
  /** The warning ids of each report printed since the test started (sorted, one list per synth), then forgets them. */
  take(): string[][];
}

const FOOTER = /^A copy of this report can be found in: /;
const ACKNOWLEDGE = /^\s+Acknowledge with 'Annotation::([^']+)'$/m;
const WARNING = /^WARNING .* \(Annotation\)$/m;
const WORSE = /^(ERROR|FATAL) /m;

/** The ids of the warnings a validation report names; undefined unless `text` is a report of construct warnings alone. */
export function warningsReported(text: string): string[] | undefined {
  const blocks = stripVTControlCharacters(text).split('\n\n');
  if (!FOOTER.test(blocks.pop() ?? '') || blocks.length === 0) return undefined;
  const ids: string[] = [];
  for (const block of blocks) {
    const id = ACKNOWLEDGE.exec(block)?.[1];
    if (id === undefined || !WARNING.test(block) || WORSE.test(block)) return undefined;
    ids.push(id);
  }
  return ids.sort();
}

export function captureSynthWarnings(...expected: string[]): SynthWarnings {
  let allowed = new Set(expected);
  let reports: string[][] = [];
  let unexpected: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    const text = format(...args);
    const ids = warningsReported(text);
    if (ids && ids.every((id) => allowed.has(id))) reports.push(ids);
    else unexpected.push(text);
  });
  const fail = (when: string) => {
    const found = unexpected;
    unexpected = [];
    if (found.length > 0) throw new Error(`unexpected console.error output ${when} (allowed warnings: ${[...allowed].join(', ')}):\n\n${found.join('\n\n')}`);
  };
  beforeEach(() => {
    fail('while the suite was set up');
    reports = [];
  });
  afterEach(() => {
    try {
      fail('in this test');
    } finally {
      allowed = new Set(expected);
      reports = [];
    }
  });
  afterAll(() => {
    spy.mockRestore();
    fail('after the last test');
  });
  return {
    allow: (...ids) => ids.forEach((id) => allowed.add(id)),
    take: () => {
      const taken = reports;
      reports = [];
      return taken;
    },
  };
}
