import { PassThrough } from 'node:stream';
import { ResourceImpact, formatDifferences, fullDiff } from '@aws-cdk/cloudformation-diff';
import { STATEFUL_RESOURCES } from '../../constructs/shared/stateful';
import type { Template } from './assembly';
import { iamStatements, ingressRules } from './report';

/** A change a reviewer must not approve unawares. */
export interface DangerousChange {
  /** The logical id an allow-list entry must name. */
  readonly logicalId: string;
  readonly kind: 'replace' | 'delete' | 'iam-wildcard' | 'open-ingress';
  readonly detail: string;
}

export interface StackDiff {
  readonly stack: string;
  /** No difference at all. */
  readonly empty: boolean;
  readonly dangerous: DangerousChange[];
  /** The full diff, as cdk diff prints it, without colours. */
  readonly text: string;
}

const REPLACING = [ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE];

/** Compares two templates of one stack; `base` is undefined for a new stack. */
export function diffStack(stack: string, base: Template | undefined, head: Template | undefined): StackDiff {
  const diff = fullDiff(base ?? {}, head ?? {});
  const dangerous: DangerousChange[] = [];

  diff.resources.forEachDifference((logicalId, change) => {
    const type = change.oldResourceType ?? change.newResourceType ?? '';
    if (!(type in STATEFUL_RESOURCES)) return;
    if (change.isRemoval) {
      const kept = ['Retain', 'RetainExceptOnCreate'].includes((change.oldValue as { DeletionPolicy?: string })?.DeletionPolicy ?? '');
      dangerous.push({ logicalId, kind: 'delete', detail: `${type} removed from the stack${kept ? ' (retained by its DeletionPolicy, but no longer managed)' : ': its data is deleted'}` });
    } else if (REPLACING.includes(change.changeImpact)) {
      const props = Object.entries(change.propertyUpdates).filter(([, p]) => REPLACING.includes(p.changeImpact as ResourceImpact)).map(([name]) => name);
      dangerous.push({
        logicalId, kind: 'replace',
        detail: `${type} ${change.changeImpact === ResourceImpact.WILL_REPLACE ? 'will be' : 'may be'} replaced (a new, empty one)${props.length ? ` because of ${props.join(', ')}` : ''}`,
      });
    }
  });

  const key = (s: { policy: string; actions: string[]; resources: string[] }) => JSON.stringify([s.policy, s.actions, s.resources]);
  const before = new Set(iamStatements(base ?? {}).map(key));
  for (const s of iamStatements(head ?? {})) {
    if (s.wildcard && !before.has(key(s))) {
      dangerous.push({ logicalId: s.policy.split(' ')[0], kind: 'iam-wildcard', detail: `new statement allows ${s.actions.join(', ')} on ${s.resources.join(', ')}` });
    }
  }

  const ruleKey = (r: { group: string; source: string; ports: string }) => `${r.group}|${r.source}|${r.ports}`;
  const opened = new Set(ingressRules(base ?? {}).map(ruleKey));
  for (const r of ingressRules(head ?? {})) {
    if (r.open && !opened.has(ruleKey(r))) {
      dangerous.push({ logicalId: r.logicalId, kind: 'open-ingress', detail: `${r.group} now admits ${r.source} on ${r.ports}` });
    }
  }

  return { stack, empty: diff.isEmpty, dangerous, text: formatted(diff) };
}

function formatted(diff: ReturnType<typeof fullDiff>): string {
  const stream = new PassThrough() as PassThrough & { columns?: number };
  stream.columns = 120;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  formatDifferences(stream, diff);
  stream.end();
  // eslint-disable-next-line no-control-regex
  return Buffer.concat(chunks).toString('utf8').replace(/\u001b\[[0-9;]*m/g, '').trim();
}

/** Splits dangerous changes into those the allow-list names (by logical id) and the rest. */
export function partition(diffs: StackDiff[], allow: Set<string>) {
  const all = diffs.flatMap((d) => d.dangerous.map((c) => ({ ...c, stack: d.stack })));
  return { blocked: all.filter((c) => !allow.has(c.logicalId)), allowed: all.filter((c) => allow.has(c.logicalId)) };
}

/** The diff section of the review: dangerous changes first, in bold, then every stack's diff. */
export function renderDiff(diffs: StackDiff[], allow: Set<string>): string {
  const { blocked, allowed } = partition(diffs, allow);
  const out: string[] = ['## Changes against the base', ''];
  if (blocked.length) {
    out.push(`**⛔ ${blocked.length} dangerous change(s) not allowed.** Allow one by naming its logical id in the pull request description (\`review-allow: LogicalId\`) or in \`.review-allow\`.`, '');
    for (const c of blocked) out.push(`- **${c.stack} \`${c.logicalId}\`: ${c.kind} — ${c.detail}**`);
    out.push('');
  }
  if (allowed.length) {
    out.push('Dangerous changes allowed by the allow-list:', '');
    for (const c of allowed) out.push(`- ${c.stack} \`${c.logicalId}\`: ${c.kind} — ${c.detail}`);
    out.push('');
  }
  if (!blocked.length && !allowed.length) out.push('No stateful resource is replaced or deleted; no new wildcard permission; no new ingress from the internet.', '');
  for (const d of diffs) {
    out.push(`### ${d.stack}`, '');
    out.push(d.empty ? 'no changes' : ['```', d.text, '```'].join('\n'), '');
  }
  return out.join('\n');
}
