/**
 * The logic of the NodePlatform custom resource, without AWS: it gets the ListPlatformVersions call
 * as a function, so tests pass a fake one. Types are the parts of the SDK's request and result it
 * uses (the SDK's own types are assignable to them).
 */

export interface PlatformFilter {
  readonly Type: string;
  readonly Operator: string;
  readonly Values: string[];
}

export interface ListPlatformVersionsInput {
  readonly Filters: PlatformFilter[];
  readonly NextToken?: string;
}

export interface ListPlatformVersionsOutput {
  readonly PlatformSummaryList?: ReadonlyArray<{ readonly PlatformArn?: string; readonly PlatformVersion?: string }>;
  readonly NextToken?: string;
}

/** One page of `elasticbeanstalk:ListPlatformVersions`. */
export type ListPlatformVersions = (input: ListPlatformVersionsInput) => Promise<ListPlatformVersionsOutput>;

/** What CloudFormation sends (the fields this resource reads). */
export interface PlatformEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly Branch?: string };
  readonly OldResourceProperties?: { readonly Branch?: string };
}

/** The physical id is the platform ARN, so the resource's `Ref` is the ARN. */
export interface PlatformResponse {
  readonly PhysicalResourceId?: string;
}

/**
 * Create resolves the newest Ready version of the branch. Update keeps the previous ARN while the
 * branch is unchanged (a deploy never upgrades the platform; managed updates do), and resolves anew
 * when it changed. Delete does nothing: a platform version is not ours to delete.
 */
export async function onPlatformEvent(event: PlatformEvent, list: ListPlatformVersions): Promise<PlatformResponse> {
  if (event.RequestType === 'Delete') return {};
  const branch = event.ResourceProperties.Branch;
  if (!branch) throw new Error('The Branch property is missing: the platform branch to resolve, such as "Node.js 24 running on 64bit Amazon Linux 2023".');
  const previous = event.PhysicalResourceId;
  if (event.RequestType === 'Update' && event.OldResourceProperties?.Branch === branch && previous && isPlatformArnOf(previous, branch)) {
    return { PhysicalResourceId: previous };
  }
  return { PhysicalResourceId: await newestPlatformArn(branch, list) };
}

/** The ARN of the highest Ready `PlatformVersion` of the branch, across all pages. */
export async function newestPlatformArn(branch: string, list: ListPlatformVersions): Promise<string> {
  const Filters: PlatformFilter[] = [
    { Type: 'PlatformBranchName', Operator: '=', Values: [branch] },
    { Type: 'PlatformStatus', Operator: '=', Values: ['Ready'] },
  ];
  let best: { version: number[]; arn: string } | undefined;
  const tokens = new Set<string>();
  let NextToken: string | undefined;
  do {
    const page = await list(NextToken ? { Filters, NextToken } : { Filters });
    for (const summary of page.PlatformSummaryList ?? []) {
      const version = parseVersion(summary.PlatformVersion);
      if (!version || !summary.PlatformArn) continue;
      if (!best || compareVersions(version, best.version) > 0) best = { version, arn: summary.PlatformArn };
    }
    NextToken = page.NextToken || undefined;
    if (NextToken && tokens.has(NextToken)) throw new Error(`ListPlatformVersions returned the page token '${NextToken}' twice`);
    if (NextToken) tokens.add(NextToken);
  } while (NextToken);
  if (!best) {
    throw new Error(`No Ready platform version of the Elastic Beanstalk branch '${branch}' in this region. `
      + 'Check the branch with `aws elasticbeanstalk list-platform-branches`, or pin a platform with solutionStackName.');
  }
  return best.arn;
}

/** `6.10.0` as [6, 10, 0]; undefined unless dot-separated integers. */
export function parseVersion(version: string | undefined): number[] | undefined {
  if (!version || !/^\d+(\.\d+)*$/.test(version)) return undefined;
  return version.split('.').map(Number);
}

/** Numeric, part by part; a missing part counts as 0 (6.10 = 6.10.0 < 6.10.1). */
export function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** `arn:<partition>:elasticbeanstalk:<region>::platform/<branch>/<version>` */
function isPlatformArnOf(arn: string, branch: string): boolean {
  return /^arn:[a-z-]+:elasticbeanstalk:[a-z0-9-]+::platform\//.test(arn) && arn.includes(`::platform/${branch}/`);
}
