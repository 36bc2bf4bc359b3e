import { STATEFUL_RESOURCES } from '../../constructs/shared/stateful';
import { cell, show, type AssemblyStack, type Template } from './assembly';

/** CloudFormation's limit of resources per stack. */
export const RESOURCE_LIMIT = 500;

export interface IamStatementRow {
  /** The policy (or role) the statement is in. */
  readonly policy: string;
  /** The roles, users or groups it applies to. */
  readonly principals: string[];
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: string;
  /** An action or a resource with a wildcard. */
  readonly wildcard: boolean;
}

export interface IngressRow {
  readonly group: string;
  readonly source: string;
  readonly ports: string;
  readonly description: string;
  /** Open to the whole internet (0.0.0.0/0 or ::/0). */
  readonly open: boolean;
  /** The logical id that holds the rule (the group, or a separate ingress resource). */
  readonly logicalId: string;
}

export interface StatefulRow {
  readonly logicalId: string;
  readonly type: string;
  readonly deletionPolicy: string;
  readonly updateReplacePolicy: string;
  readonly deletionProtection: string;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const isWildcard = (s: string) => s === '*' || /\*/.test(s.split(':').pop() ?? '');

export function resourceCounts(template: Template): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const r of Object.values(template.Resources ?? {})) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Identity-policy statements: policies, inline role policies and managed policies the stack attaches. */
export function iamStatements(template: Template): IamStatementRow[] {
  const rows: IamStatementRow[] = [];
  const add = (policy: string, principals: string[], document: any) => {
    for (const s of list(document?.Statement) as Array<Record<string, unknown>>) {
      const actions = list(s.Action ?? s.NotAction).map(show);
      const resources = list(s.Resource ?? s.NotResource).map(show);
      rows.push({
        policy, principals, effect: String(s.Effect ?? 'Allow'), actions, resources,
        conditions: s.Condition ? JSON.stringify(s.Condition) : undefined,
        wildcard: s.Effect !== 'Deny' && (actions.some(isWildcard) || resources.some((r) => r === '*')),
      });
    }
  };
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      add(id, [...list(p.Roles), ...list(p.Users), ...list(p.Groups)].map(show), p.PolicyDocument);
    } else if (r.Type === 'AWS::IAM::Role') {
      for (const inline of list(p.Policies) as Array<{ PolicyName: string; PolicyDocument: unknown }>) add(`${id} (${inline.PolicyName})`, [id], inline.PolicyDocument);
      for (const arn of list(p.ManagedPolicyArns).map(show)) {
        rows.push({ policy: arn.replace(/^arn:\$\{AWS::Partition\}:iam::aws:policy\//, 'AWS managed: '), principals: [id], effect: 'Allow', actions: ['(managed policy)'], resources: [], wildcard: false });
      }
    }
  }
  return rows;
}

/** Ingress rules of every security group, inline or as separate resources. */
export function ingressRules(template: Template): IngressRow[] {
  const rows: IngressRow[] = [];
  const add = (logicalId: string, group: string, rule: Record<string, any>) => {
    const source = show(rule.CidrIp ?? rule.CidrIpv6 ?? rule.SourceSecurityGroupId ?? rule.SourcePrefixListId ?? '');
    const from = show(rule.FromPort);
    const to = show(rule.ToPort);
    const ports = rule.IpProtocol === '-1' ? 'all' : from === to ? `${rule.IpProtocol ?? 'tcp'} ${from}` : `${rule.IpProtocol ?? 'tcp'} ${from}-${to}`;
    rows.push({ logicalId, group, source, ports, description: String(rule.Description ?? ''), open: source === '0.0.0.0/0' || source === '::/0' });
  };
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type === 'AWS::EC2::SecurityGroup') for (const rule of list(r.Properties?.SecurityGroupIngress)) add(id, id, rule as Record<string, any>);
    if (r.Type === 'AWS::EC2::SecurityGroupIngress') add(id, show(r.Properties?.GroupId).replace(/\.GroupId$/, ''), r.Properties ?? {});
  }
  return rows;
}

/** What the internet can reach. */
export function publicEndpoints(template: Template): string[] {
  const found: string[] = [];
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer':
        if (p.Scheme !== 'internal') found.push(`internet-facing load balancer \`${id}\``);
        break;
      case 'AWS::EC2::EIP': {
        const nat = Object.values(template.Resources ?? {}).some((x) => x.Type === 'AWS::EC2::NatGateway' && show(x.Properties?.AllocationId).startsWith(id));
        found.push(nat ? `NAT gateway address \`${id}\` (egress only)` : `Elastic IP \`${id}\``);
        break;
      }
      case 'AWS::CloudFront::Distribution':
        found.push(`CloudFront distribution \`${id}\`${p.DistributionConfig?.Aliases ? ` (${list(p.DistributionConfig.Aliases).map(show).join(', ')})` : ''}`);
        break;
      case 'AWS::ApiGatewayV2::Api': found.push(`HTTP API \`${id}\``); break;
      case 'AWS::ApiGateway::RestApi': found.push(`REST API \`${id}\``); break;
      case 'AWS::Lambda::Url': found.push(`Lambda function URL \`${id}\` (auth: ${show(p.AuthType)})`); break;
      case 'AWS::ElasticBeanstalk::Environment': found.push(`Elastic Beanstalk environment \`${id}\``); break;
      case 'AWS::EC2::Instance':
        if ((p.NetworkInterfaces ?? []).some((n: any) => n.AssociatePublicIpAddress === true)) found.push(`instance with a public address \`${id}\``);
        break;
    }
  }
  for (const [name, o] of Object.entries(template.Outputs ?? {})) if (/url/i.test(name)) found.push(`output \`${name}\`: ${show(o.Value)}`);
  return found;
}

export function statefulRows(template: Template): StatefulRow[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type in STATEFUL_RESOURCES)
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const protection = p.DeletionProtection ?? p.DeletionProtectionEnabled ?? (Array.isArray(p.Replicas) ? p.Replicas.map((x: any) => x.DeletionProtectionEnabled).join('/') : undefined);
      return {
        logicalId, type: r.Type,
        deletionPolicy: r.DeletionPolicy ?? 'Delete',
        updateReplacePolicy: r.UpdateReplacePolicy ?? 'Delete',
        deletionProtection: protection === undefined ? '—' : String(protection),
      };
    })
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** Open and acknowledged findings of the validation plugins (cdk-nag packs, Guard), for one stack. */
export interface Findings {
  readonly open: Array<{ pack: string; rule: string; where: string }>;
  readonly acknowledged: Array<{ pack: string; rule: string; where: string; reason: string }>;
}

export function findingsFor(report: any, stackName: string): Findings {
  const open: Findings['open'] = [];
  const acknowledged: Findings['acknowledged'] = [];
  const inStack = (c: { constructPath?: string; templatePath?: string }) =>
    (c.constructPath ?? '').split('/')[0] === stackName || (c.templatePath ?? '').startsWith(`${stackName}.`);
  for (const plugin of report?.pluginReports ?? []) {
    if (plugin.pluginName === 'Construct Annotations') continue;
    for (const v of plugin.violations ?? []) {
      for (const c of (v.violatingConstructs ?? v.violatingResources ?? []).filter(inStack)) {
        open.push({ pack: plugin.pluginName, rule: v.ruleName, where: c.constructPath ?? c.resourceLogicalId ?? '' });
      }
    }
    for (const v of plugin.suppressedViolations ?? []) {
      for (const c of (v.violatingConstructs ?? []).filter(inStack)) {
        acknowledged.push({ pack: plugin.pluginName, rule: v.ruleName, where: c.constructPath ?? '', reason: String(v.reason ?? '') });
      }
    }
  }
  return { open, acknowledged };
}

/** The markdown report of one stack. */
export function renderReport(stack: AssemblyStack, validationReport: unknown, diagramFile?: string): string {
  const t = stack.template;
  const total = Object.keys(t.Resources ?? {}).length;
  const out: string[] = [`## ${stack.name}`, ''];
  if (diagramFile) out.push(`![${stack.name}](${diagramFile})`, '');

  out.push(`### Resources: ${total} of ${RESOURCE_LIMIT} (${RESOURCE_LIMIT - total} left before CloudFormation's limit)`, '');
  out.push('| type | count |', '|---|---|', ...resourceCounts(t).map(([type, n]) => `| ${type} | ${n} |`), '');

  const endpoints = publicEndpoints(t);
  out.push('### Public endpoints', '', ...(endpoints.length ? endpoints.map((e) => `- ${e}`) : ['- none']), '');

  const ingress = ingressRules(t);
  out.push('### Security group ingress', '');
  if (ingress.length) {
    out.push('| group | from | ports | description | |', '|---|---|---|---|---|');
    for (const r of ingress) out.push(`| ${cell(r.group)} | ${cell(r.source)} | ${cell(r.ports)} | ${cell(r.description)} | ${r.open ? '⚠ open to the internet' : ''} |`);
  } else {
    out.push('none');
  }
  out.push('');

  const iam = iamStatements(t);
  const wild = iam.filter((s) => s.wildcard).length;
  out.push(`### IAM statements (${iam.length}, ${wild} with a wildcard)`, '');
  if (iam.length) {
    out.push('| policy | applies to | effect | actions | resources | conditions | |', '|---|---|---|---|---|---|---|');
    for (const s of iam) {
      out.push(`| ${cell(s.policy)} | ${cell(s.principals.join(', '))} | ${s.effect} | ${cell(s.actions.join(', '))} | ${cell(s.resources.join(', '))} | ${cell(s.conditions ?? '')} | ${s.wildcard ? '⚠ wildcard' : ''} |`);
    }
  }
  out.push('');

  const stateful = statefulRows(t);
  out.push('### Stateful resources', '');
  if (stateful.length) {
    out.push('| resource | type | DeletionPolicy | UpdateReplacePolicy | deletion protection |', '|---|---|---|---|---|');
    for (const r of stateful) {
      const risky = r.deletionPolicy === 'Delete' ? ' ⚠' : '';
      out.push(`| ${r.logicalId} | ${r.type} | ${r.deletionPolicy}${risky} | ${r.updateReplacePolicy} | ${r.deletionProtection} |`);
    }
  } else {
    out.push('none');
  }
  out.push('');

  const findings = findingsFor(validationReport, stack.name);
  out.push(`### Rule packs: ${findings.open.length} open, ${findings.acknowledged.length} acknowledged`, '');
  for (const f of findings.open) out.push(`- **OPEN** ${f.pack} \`${f.rule}\` on \`${f.where}\``);
  if (findings.acknowledged.length) {
    out.push('', '<details><summary>Acknowledged findings and their reasons</summary>', '', '| pack | rule | where | reason |', '|---|---|---|---|');
    for (const f of findings.acknowledged) out.push(`| ${f.pack} | ${cell(f.rule)} | ${cell(f.where)} | ${cell(f.reason)} |`);
    out.push('', '</details>');
  }
  out.push('');
  return out.join('\n');
}
