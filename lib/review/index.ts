import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAssembly, type AssemblyStack } from './assembly';
import { stackDot, renderSvg } from './diagram';
import { diffStack, partition, renderDiff, type DangerousChange } from './diff';
import { renderReport } from './report';
import { costAndAvailability } from '../cost/ratings';
import type { CfnTemplate } from '../cost/template';

export * from './assembly';
export * from './diagram';
export * from './diff';
export * from './report';

export interface ReviewOptions {
  /** The synthesized app to review. */
  readonly cdkOut: string;
  /** Where the report goes: summary.md, one <stack>.md and <stack>.svg per stack. */
  readonly out: string;
  /** The base branch's cloud assembly, for diff mode. */
  readonly base?: string;
  /** Logical ids whose dangerous changes are allowed. */
  readonly allow?: Set<string>;
  /** Draw a diagram per stack. */
  readonly diagrams?: boolean;
}

export interface ReviewResult {
  readonly summaryFile: string;
  /** Dangerous changes no allow-list entry names: the review fails. */
  readonly blocked: Array<DangerousChange & { stack: string }>;
  readonly allowed: Array<DangerousChange & { stack: string }>;
}

/** Writes the review of a cloud assembly (and, with a base, the diff against it). */
export async function review(options: ReviewOptions): Promise<ReviewResult> {
  const head = readAssembly(options.cdkOut);
  const baseTemplates = options.base ? new Map<string, AssemblyStack>(readAssembly(options.base).map((s) => [s.name, s])) : undefined;
  const reportFile = path.join(options.cdkOut, 'validation-report.json');
  const validation = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined;
  fs.mkdirSync(options.out, { recursive: true });

  const sections: string[] = [];
  for (const stack of head) {
    let diagram: string | undefined;
    if (options.diagrams !== false) {
      diagram = `${stack.name}.svg`;
      fs.writeFileSync(path.join(options.out, diagram), await renderSvg(stackDot(stack.name, stack.template)));
    }
    const report = renderReport(stack, validation, diagram) + '\n' + costSection(stack, baseTemplates?.get(stack.name));
    fs.writeFileSync(path.join(options.out, `${stack.name}.md`), report);
    sections.push(report);
  }

  let blocked: ReviewResult['blocked'] = [];
  let allowed: ReviewResult['allowed'] = [];
  let diffSection = '';
  if (options.base) {
    const base = baseTemplates!;
    const names = [...new Set([...base.keys(), ...head.map((s) => s.name)])].sort();
    const headByName = new Map(head.map((s) => [s.name, s]));
    const diffs = names.map((n) => diffStack(n, base.get(n)?.template, headByName.get(n)?.template));
    ({ blocked, allowed } = partition(diffs, options.allow ?? new Set()));
    diffSection = renderDiff(diffs, options.allow ?? new Set());
  }

  const summary = [
    '<!-- cdk-web-tiers-review -->',
    '# Infrastructure review',
    '',
    head.map((s) => `- **${s.name}**: ${Object.keys(s.template.Resources ?? {}).length} resources`).join('\n'),
    '',
    diffSection,
    ...sections,
  ].join('\n');
  const summaryFile = path.join(options.out, 'summary.md');
  fs.writeFileSync(summaryFile, summary);
  return { summaryFile, blocked, allowed };
}

/** The cost-and-availability section; a template the estimator cannot read gets a line saying so, never a failed review. */
function costSection(head: AssemblyStack, base: AssemblyStack | undefined): string {
  try {
    return costAndAvailability(head.template as CfnTemplate, base?.template as CfnTemplate | undefined);
  } catch (err) {
    return `### Cost and availability\n\nNot estimated: ${(err as Error).message.split('\n')[0]}\n`;
  }
}

/** Logical ids to allow: comma/space separated, and `review-allow: Id` lines (e.g. a pull request body). */
export function parseAllowList(...sources: Array<string | undefined>): Set<string> {
  const ids = new Set<string>();
  for (const source of sources) {
    for (const line of (source ?? '').split(/\r?\n/)) {
      const text = line.replace(/#.*/, '').trim();
      const m = /^review-allow:\s*(.+)$/i.exec(text);
      for (const id of (m ? m[1] : text).split(/[\s,]+/)) if (/^[A-Za-z0-9]+$/.test(id)) ids.add(id);
    }
  }
  return ids;
}
