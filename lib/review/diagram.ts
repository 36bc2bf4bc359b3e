import { references, type Template } from './assembly';

/** Where a resource type sits in the picture; types not listed are not drawn. */
const ROLES: Record<string, { role: Role; label: string }> = {
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
  'AWS::DynamoDB::GlobalTable': { role: 'data', label: 'DynamoDB table' },
  'AWS::DynamoDB::Table': { role: 'data', label: 'DynamoDB table' },
  'AWS::S3::Bucket': { role: 'data', label: 'S3 bucket' },
  'AWS::EC2::Volume': { role: 'data', label: 'EBS volume' },
  'AWS::SecretsManager::Secret': { role: 'data', label: 'Secret' },
  'AWS::EC2::VPC': { role: 'network', label: 'VPC' },
};
/** Drawn once per stack, with a count, instead of once each. */
const COLLAPSED: Record<string, { role: Role; label: string }> = {
  'AWS::EC2::Subnet': { role: 'network', label: 'subnets' },
  'AWS::EC2::NatGateway': { role: 'network', label: 'NAT gateways' },
  'AWS::EC2::VPCEndpoint': { role: 'network', label: 'VPC endpoints' },
  'AWS::CloudWatch::Alarm': { role: 'observability', label: 'alarms' },
  'AWS::Logs::LogGroup': { role: 'observability', label: 'log groups' },
  'AWS::SNS::Topic': { role: 'observability', label: 'alarm topics' },
};
type Role = 'edge' | 'compute' | 'data' | 'network' | 'observability';
const CLUSTERS: Array<[Role, string, string]> = [
  ['edge', 'Edge', '#e8f0fe'], ['compute', 'Compute', '#e6f4ea'], ['data', 'Data', '#fef7e0'],
  ['network', 'Network', '#f1f3f4'], ['observability', 'Observability', '#fce8e6'],
];

/** aws-cdk-lib's own provider functions: drawn in one box, not as app compute. */
const PROVIDER = /^(Custom|LogRetention|AWSCDK|CustomCDK|BucketNotificationsHandler)/;

/**
 * A Graphviz picture of one stack, grouped by role (edge, compute, data, network, observability):
 * one box per load balancer, function, database or bucket; subnets, NAT, endpoints, alarms and
 * logs collapsed into counts; IAM, permissions and wiring left out. Arrows follow references.
 */
export function stackDot(name: string, template: Template): string {
  const resources = template.Resources ?? {};
  const nodes = new Map<string, { role: Role; label: string }>();
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
      nodes.set(id, { role: kind.role, label: `${kind.label}\\n${shorten(id)}` });
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

  // Edges between drawn boxes that are connected through up to three undrawn resources (a
  // listener and a target group between a load balancer and its instances, a role, an
  // integration…), whichever way the references point. Only edge, compute and data boxes get
  // arrows; the network is the frame they sit in.
  const neighbours = new Map<string, Set<string>>();
  const link = (a: string, b: string) => {
    if (!neighbours.has(a)) neighbours.set(a, new Set());
    neighbours.get(a)!.add(b);
  };
  for (const [id, r] of Object.entries(resources)) {
    for (const target of references(r.Properties ?? {})) {
      if (!resources[target]) continue;
      link(id, target);
      link(target, id);
    }
  }
  // Arrows follow the traffic: DNS and WAF, then CloudFront, then load balancers and APIs, then
  // function URLs and addresses, then compute, then data.
  const EDGE_ORDER: Record<string, number> = {
    'AWS::Route53::RecordSet': 0, 'AWS::WAFv2::WebACLAssociation': 0, 'AWS::CloudFront::Distribution': 1,
    'AWS::ElasticLoadBalancingV2::LoadBalancer': 2, 'AWS::ApiGatewayV2::Api': 2, 'AWS::ApiGateway::RestApi': 2, 'AWS::Cognito::UserPool': 2,
    'AWS::Lambda::Url': 3, 'AWS::EC2::EIP': 3,
  };
  const rank = (node: string): number | undefined => {
    const role = nodes.get(node)?.role;
    if (role === 'edge') return EDGE_ORDER[resources[node]?.Type ?? ''] ?? 3;
    return role === 'compute' ? 4 : role === 'data' ? 5 : undefined;
  };
  const edges = new Set<string>();
  for (const [id] of Object.entries(resources)) {
    const from = nodeOf.get(id);
    if (!from || from === 'providers' || rank(from) === undefined) continue;
    const seen = new Set([id]);
    let frontier = [id];
    for (let depth = 0; depth < 4 && frontier.length; depth++) {
      const next: string[] = [];
      for (const current of frontier) {
        for (const n of neighbours.get(current) ?? []) {
          if (seen.has(n)) continue;
          seen.add(n);
          const to = nodeOf.get(n);
          if (to && to !== from && to !== 'providers') {
            const [a, b] = [rank(from)!, rank(to)];
            if (b !== undefined && (a < b || (a === b && from < to))) edges.add(`"${from}" -> "${to}"`);
          } else if (!to) {
            next.push(n);
          }
        }
      }
      frontier = next;
    }
  }
  const lines = [
    `digraph "${name}" {`,
    '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, labelloc=t, label="' + name + '", nodesep=0.3, ranksep=0.8];',
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=10];',
    '  edge [color="#5f6368", arrowsize=0.6];',
  ];
  for (const [role, title, color] of CLUSTERS) {
    const members = [...nodes.entries()].filter(([, n]) => n.role === role);
    if (!members.length) continue;
    lines.push(`  subgraph cluster_${role} { label="${title}"; style="rounded,filled"; color="${color}"; fillcolor="${color}";`);
    for (const [id, n] of members) lines.push(`    "${id}" [label="${n.label}"];`);
    lines.push('  }');
  }
  for (const e of [...edges].sort()) lines.push(`  ${e};`);
  lines.push('}');
  return lines.join('\n');
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
