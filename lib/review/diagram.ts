import { references, type Template } from './assembly';

/** Where a resource type sits in the picture; types not listed are not drawn. */
const ROLES: Record<string, { role: DiagramRole; label: string }> = {
  'AWS::CloudFront::Distribution': { role: 'edge', label: 'CloudFront' },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': { role: 'edge', label: 'Load balancer' },
  'AWS::ApiGatewayV2::Api': { role: 'edge', label: 'HTTP API' },
  'AWS::ApiGateway::RestApi': { role: 'edge', label: 'REST API' },
  'AWS::Lambda::Url': { role: 'edge', label: 'Function URL' },
  'AWS::EC2::EIP': { role: 'edge', label: 'Elastic IP' },
  'AWS::Route53::RecordSet': { role: 'edge', label: 'DNS record' },
  'AWS::WAFv2::WebACLAssociation': { role: 'edge', label: 'WAF' },
  'AWS::Cognito::UserPool': { role: 'edge', label: 'User pool' },
  'AWS::EC2::Instance': { role: 'compute', label: 'EC2 instance' },
  'AWS::AutoScaling::AutoScalingGroup': { role: 'compute', label: 'Auto Scaling group' },
  'AWS::Lambda::Function': { role: 'compute', label: 'Lambda' },
  'AWS::ElasticBeanstalk::Environment': { role: 'compute', label: 'Beanstalk environment' },
  'AWS::RDS::DBInstance': { role: 'data', label: 'RDS PostgreSQL' },
  'AWS::RDS::DBCluster': { role: 'data', label: 'Aurora PostgreSQL' },
  'AWS::RDS::DBProxy': { role: 'data', label: 'RDS Proxy' },
  'AWS::DynamoDB::GlobalTable': { role: 'data', label: 'DynamoDB table' },
  'AWS::DynamoDB::Table': { role: 'data', label: 'DynamoDB table' },
  'AWS::S3::Bucket': { role: 'data', label: 'S3 bucket' },
  'AWS::EC2::Volume': { role: 'data', label: 'EBS volume' },
  'AWS::SecretsManager::Secret': { role: 'data', label: 'Secret' },
  'AWS::EC2::VPC': { role: 'network', label: 'VPC' },
};
/** Drawn once per stack, with a count, instead of once each. */
const COLLAPSED: Record<string, { role: DiagramRole; label: string }> = {
  'AWS::EC2::Subnet': { role: 'network', label: 'subnets' },
  'AWS::EC2::NatGateway': { role: 'network', label: 'NAT gateways' },
  'AWS::EC2::VPCEndpoint': { role: 'network', label: 'VPC endpoints' },
  'AWS::CloudWatch::Alarm': { role: 'observability', label: 'alarms' },
  'AWS::Logs::LogGroup': { role: 'observability', label: 'log groups' },
  'AWS::SNS::Topic': { role: 'observability', label: 'alarm topics' },
};
/** The cluster a box is drawn in. */
export type DiagramRole = 'edge' | 'compute' | 'data' | 'network' | 'observability';
const CLUSTERS: Array<[DiagramRole, string, string]> = [
  ['edge', 'Edge', '#e8f0fe'], ['compute', 'Compute', '#e6f4ea'], ['data', 'Data', '#fef7e0'],
  ['network', 'Network', '#f1f3f4'], ['observability', 'Observability', '#fce8e6'],
];

/** aws-cdk-lib's own provider functions: drawn in one box, not as app compute. */
const PROVIDER = /^(Custom|LogRetention|AWSCDK|CustomCDK|BucketNotificationsHandler)/;

/** Where traffic goes next: DNS and WAF, CloudFront, load balancers and APIs, function URLs and addresses. */
const EDGE_ORDER: Record<string, number> = {
  'AWS::Route53::RecordSet': 0, 'AWS::WAFv2::WebACLAssociation': 0, 'AWS::CloudFront::Distribution': 1,
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 2, 'AWS::ApiGatewayV2::Api': 2, 'AWS::ApiGateway::RestApi': 2, 'AWS::Cognito::UserPool': 2,
  'AWS::Lambda::Url': 3, 'AWS::EC2::EIP': 3,
};

/** One box of a diagram. */
export interface DiagramNode {
  /**
   * The box's name in the DOT source: the logical id without the content hash aws-cdk-lib appends to
   * some of them (an instance's user-data hash, a generated secret's), so that the drawing does not
   * change when only an asset's bytes do. Collapsed boxes: `collapsed_<type>`, `providers`.
   */
  readonly id: string;
  readonly role: DiagramRole;
  /** The text in the box; `\n` breaks a line (DOT escape). */
  readonly label: string;
  /** The stack's resources the box stands for. */
  readonly logicalIds: readonly string[];
}

/** An arrow: traffic goes from one box to the other. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
}

/** The picture of one stack before it is written as DOT: boxes and arrows, both sorted. */
export interface Diagram {
  readonly name: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
}

/**
 * A Graphviz picture of one stack, grouped by role (edge, compute, data, network, observability):
 * one box per load balancer, function, database or bucket; subnets, NAT, endpoints, alarms and
 * logs collapsed into counts; IAM, permissions and wiring left out. Arrows are traffic paths only.
 */
export function stackDot(name: string, template: Template): string {
  return diagramDot(stackDiagram(name, template));
}

/**
 * The boxes and arrows of {@link stackDot}. The result depends on the template's resources, types
 * and references only: not on the order of its keys, nor on the content hashes in logical ids.
 *
 * An arrow is a traffic path, client → edge → compute → data: boxes connected through references
 * (either way, through up to three undrawn resources: a listener and a target group between a load
 * balancer and its instances, a role, an integration…) get one when it goes one step forward:
 *
 * - from an edge box to a later one (DNS → CloudFront → load balancer or API → function URL or address);
 * - from an edge box to compute;
 * - from compute to data (through RDS Proxy, when there is one: compute → proxy → database);
 * - from an edge box to data, unless compute sits between them and the edge box does not name
 *   the data itself (a CloudFront origin bucket does).
 *
 * Never between two boxes of the same step: two instances share a security group, a role and a
 * deploy order (DependsOn, which is not read at all), a database points at its secret; none of it
 * is traffic. References in logging settings (access logs, S3 server access logs, a distribution's
 * logs, a log group named after its database) are not traffic either, and a bucket they point at
 * is a log bucket, drawn with observability.
 * The network is the frame the boxes sit in and gets no arrows.
 */
export function stackDiagram(name: string, template: Template): Diagram {
  const resources = template.Resources ?? {};
  // Per resource, the references that may carry traffic; and whatever a logging setting points at.
  const traffic = new Map<string, Set<string>>();
  const logDestinations = new Set<string>();
  for (const [id, r] of Object.entries(resources)) {
    const refs = new Set<string>();
    splitReferences(r.Properties ?? {}, refs, logDestinations);
    traffic.set(id, new Set([...refs].filter((target) => resources[target])));
  }

  const nodes = new Map<string, { role: DiagramRole; label: string }>();
  const nodeOf = new Map<string, string>();
  let providers = 0;
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::Lambda::Function' && PROVIDER.test(id)) {
      providers += 1;
      nodeOf.set(id, 'providers');
      continue;
    }
    const kind = ROLES[r.Type];
    if (kind) {
      nodes.set(id, r.Type === 'AWS::S3::Bucket' && logDestinations.has(id)
        ? { role: 'observability', label: `Log bucket\\n${shorten(id)}` }
        : { role: kind.role, label: `${kind.label}\\n${shorten(id)}` });
      nodeOf.set(id, id);
      continue;
    }
    const collapsed = COLLAPSED[r.Type];
    if (collapsed) nodeOf.set(id, `collapsed_${r.Type}`);
  }
  for (const [type, c] of Object.entries(COLLAPSED)) {
    const count = Object.values(resources).filter((r) => r.Type === type).length;
    if (count) nodes.set(`collapsed_${type}`, { role: c.role, label: `${count} ${c.label}` });
  }
  if (providers) nodes.set('providers', { role: 'compute', label: `${providers} aws-cdk-lib\\nprovider functions` });

  // The NAT gateways' addresses belong to the NAT box, not to the edge.
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::EC2::NatGateway') continue;
    for (const target of references(r.Properties ?? {})) {
      if (resources[target]?.Type === 'AWS::EC2::EIP') {
        nodes.delete(target);
        nodeOf.set(target, 'collapsed_AWS::EC2::NatGateway');
      }
    }
  }

  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  for (const [id, targets] of traffic) {
    for (const target of targets) {
      link(id, target);
      link(target, id);
    }
  }
  // The step of the traffic a box is at: edge boxes 0-3 in EDGE_ORDER, compute 4, data 5.
  const step = (node: string): number | undefined => {
    const role = nodes.get(node)?.role;
    if (role === 'edge') return EDGE_ORDER[resources[node]?.Type ?? ''] ?? 3;
    // A proxy is the way from compute to the database: a step between them.
    if (resources[node]?.Type === 'AWS::RDS::DBProxy') return 4.5;
    return role === 'compute' && node !== 'providers' ? 4 : role === 'data' ? 5 : undefined;
  };
  const pair = (from: string, to: string) => JSON.stringify([from, to]);
  const edges = new Set<string>();
  const edgeToData: Array<[string, string]> = [];
  for (const id of Object.keys(resources)) {
    const from = nodeOf.get(id);
    if (from !== id || step(from) === undefined) continue;
    const seen = new Set([id]);
    let frontier = [id];
    for (let depth = 0; depth < 4 && frontier.length; depth++) {
      const next: string[] = [];
      for (const current of frontier) {
        for (const n of neighbours.get(current) ?? []) {
          if (seen.has(n)) continue;
          seen.add(n);
          const to = nodeOf.get(n);
          if (to === undefined) {
            next.push(n);
            continue;
          }
          const [a, b] = [step(from)!, step(to)];
          // Backwards or within a step (two instances, a database and its secret): not traffic.
          if (b === undefined || a >= b) continue;
          if (a <= 3 && b === 5) edgeToData.push([from, to]);
          else edges.add(pair(from, to));
        }
      }
      frontier = next;
    }
  }
  // An edge box and a data box with compute between them (an address and a volume, both named by
  // the instance's launch template) are not a path of their own, unless the edge box names the
  // data itself (an origin).
  const computeBoxes = [...nodes.keys()].filter((n) => step(n) === 4);
  for (const [from, to] of edgeToData) {
    const throughCompute = computeBoxes.some((c) => edges.has(pair(from, c)) && edges.has(pair(c, to)));
    if (traffic.get(from)!.has(to) || !throughCompute) edges.add(pair(from, to));
  }

  // Names without content hashes; a clash (not expected: the 8-hex path hash stays) keeps the logical id.
  const ids = new Map<string, string>();
  const taken = new Set<string>();
  for (const key of [...nodes.keys()].sort()) {
    const stable = stableId(key);
    const id = taken.has(stable) ? key : stable;
    taken.add(id);
    ids.set(key, id);
  }
  const members = (key: string) => [...nodeOf.entries()].filter(([, n]) => n === key).map(([id]) => id).sort();
  return {
    name,
    nodes: [...nodes.entries()]
      .map(([key, n]) => ({ id: ids.get(key)!, role: n.role, label: n.label, logicalIds: members(key) }))
      .sort((a, b) => compare(a.id, b.id)),
    edges: [...edges]
      .map((e) => JSON.parse(e) as [string, string])
      .map(([from, to]) => ({ from: ids.get(from)!, to: ids.get(to)! }))
      .sort((a, b) => compare(a.from, b.from) || compare(a.to, b.to)),
  };
}

/** DOT source of a diagram: boxes in one cluster per role, then the arrows. */
export function diagramDot(diagram: Diagram): string {
  const { name } = diagram;
  const lines = [
    `digraph "${name}" {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label="' + name + '", nodesep=0.3, ranksep=0.8];',
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];',
    '  edge [color="#5f6368", arrowsize=0.6];',
  ];
  for (const [role, title, color] of CLUSTERS) {
    const members = diagram.nodes.filter((n) => n.role === role);
    if (!members.length) continue;
    lines.push(`  subgraph cluster_${role} { label="${title}"; style="rounded,filled"; color="${color}"; fillcolor="${color}";`);
    for (const n of members) lines.push(`    "${n.id}" [label="${n.label}"];`);
    lines.push('  }');
  }
  for (const e of diagram.edges) lines.push(`  "${e.from}" -> "${e.to}";`);
  lines.push('}');
  return lines.join('\n');
}

/** Words of a property or option name: `AccessLogsS3Bucket`, `access_logs.s3.bucket`, `LoggingConfiguration`. */
function isLogName(name: string): boolean {
  return (name.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? []).some((w) => /^log(s|ging)?$/i.test(w));
}

/**
 * References in `value`, split: those made by a logging setting (under a key such as `Logging`,
 * `LoggingConfiguration`, or in a list entry named like `access_logs.s3.bucket` or
 * `AccessLogsS3Bucket`) go to `logs`, the others to `traffic`.
 */
function splitReferences(value: unknown, traffic: Set<string>, logs: Set<string>): void {
  if (Array.isArray(value)) {
    for (const entry of value) {
      const setting = entry && typeof entry === 'object' ? (entry as Record<string, unknown>) : undefined;
      const name = setting && [setting.Key, setting.OptionName, setting.Name].find((n) => typeof n === 'string');
      if (typeof name === 'string' && isLogName(name)) references(entry, logs);
      else splitReferences(entry, traffic, logs);
    }
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'Ref' || key.startsWith('Fn::')) references({ [key]: child }, traffic);
      else if (isLogName(key)) references(child, logs);
      else splitReferences(child, traffic, logs);
    }
  }
}

/** A logical id without the lower-case content hash aws-cdk-lib appends after its 8-hex path hash. */
function stableId(logicalId: string): string {
  return logicalId.replace(/([0-9A-F]{8})(?:[0-9a-f]{16}|[0-9a-f]{32}|[0-9a-f]{40})$/, '$1');
}

/** Code-unit order, the same on every machine (unlike localeCompare). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function shorten(logicalId: string): string {
  // aws-cdk-lib's suffixes: an 8-hex path hash, sometimes followed by a lower-case content hash.
  return logicalId.replace(/[0-9A-F]{8}[0-9a-f]{16,40}$/, '').replace(/[0-9A-F]{8}$/, '').replace(/^WebTiers(dev|staging|prod)?/, '').slice(0, 40);
}

let viz: Promise<{ renderString(dot: string, options: { format: string }): string }> | undefined;

/** Renders DOT to SVG with Graphviz compiled to WebAssembly (no system package needed). */
export async function renderSvg(dot: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  viz ??= (require('@viz-js/viz') as { instance(): Promise<any> }).instance();
  return (await viz).renderString(dot, { format: 'svg' });
}
