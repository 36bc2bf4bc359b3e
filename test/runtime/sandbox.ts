// The server tiers' shell scripts run as a host runs them, in a throw-away root: every path they
// touch is under WEB_TIERS_ROOT, and every command that would reach AWS, systemd, the package
// manager, PostgreSQL or the disks is a small generated stub first on PATH. Stubs append their
// argv as one line to `<sandbox>/calls.log` and behave by state files under `<sandbox>/state`,
// so a test can make any of them fail. Real coreutils, `install`, `grep` and `unzip` do the rest.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { CADDY_VERSION, SCRIPTS_DIR } from '../../constructs/shared/server-bootstrap';

/** The instance id IMDS answers in a sandbox. */
export const INSTANCE_ID = 'i-0aaaabbbbccccdddd';
/** The data volume every `Ref` of an `AWS::EC2::Volume` becomes. */
export const VOLUME_ID = 'vol-0123456789abcdef0';
/** The allocation id every `Fn::GetAtt` of an Elastic IP's `AllocationId` becomes. */
export const ALLOCATION_ID = 'eipalloc-0123456789abcdef0';
/** The device the stubbed attach-volume makes appear (as Amazon Linux's udev rules name it). */
export const DEVICE = `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOLUME_ID.replace('-', '')}`;
/** The file system UUID the stubbed mkfs.xfs writes. */
export const FS_UUID = '5f1c2a9e-3b7d-4e8f-9a0b-1c2d3e4f5a6b';
export const FAKE = {
  region: 'eu-west-1',
  account: '123456789012',
  elasticIp: '203.0.113.10',
  instanceRef: 'i-0legacy0000000000',
} as const;

/** Where a stub fails, as configured by {@link Sandbox.fail}. */
export interface FailOptions {
  /** Exit code. @default 1 */
  readonly exit?: number;
  /** Fail this many times, then behave. @default - every time */
  readonly times?: number;
  /** Printed on stderr when failing. */
  readonly message?: string;
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Sandbox {
  /** The sandbox folder: `root/`, `bin/`, `state/`, `calls.log`. */
  readonly dir: string;
  /** WEB_TIERS_ROOT of the runs. */
  readonly root: string;
  /** The stub folder, first on PATH. */
  readonly bin: string;
  readonly state: string;
  /** The environment scripts run with. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs a script text with bash in the sandbox (cwd: the sandbox folder). */
  runScript(text: string, env?: Record<string, string>): RunResult;
  /** Runs a file (a path under the root given as host path, or any absolute path) in the sandbox. */
  exec(file: string, args?: string[], env?: Record<string, string>): RunResult;
  /** The stub calls so far, one string per call: the command name, then its arguments. */
  calls(): string[];
  /** Forgets the calls so far (before a second boot). */
  clearCalls(): void;
  /** Makes the stub behaviour `key` fail (see the stubs for the keys). */
  fail(key: string, options?: FailOptions): void;
  /** Writes a state file (relative to `state/`). */
  setState(name: string, content: string): void;
  /** The boot log, `$ROOT/var/log/web-tiers-bootstrap.log`. */
  bootLog(): string;
  /** Absolute path in the sandbox's root of a host path. */
  path(hostPath: string): string;
  /** A host path's file in the sandbox root, or undefined. */
  read(hostPath: string): string | undefined;
}

/**
 * A fresh sandbox. `bundleZip` is what `aws s3 cp` of the bundle downloads (a `.sh` key gets
 * `scripts/server-boot.sh`); `node` is what
 * `/usr/bin/node-24` runs.
 */
export function sandbox(options: { bundleZip?: string; node?: string; nodeBin?: string } = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-tiers-sandbox-'));
  const root = path.join(dir, 'root');
  const bin = path.join(dir, 'bin');
  const state = path.join(dir, 'state');
  for (const d of [bin, state, path.join(state, 'fail'), path.join(state, 'tags'), path.join(state, 'users'), path.join(state, 'pg')]) {
    fs.mkdirSync(d, { recursive: true });
  }
  // What an Amazon Linux 2023 host has before the boot script runs.
  for (const d of ['etc/systemd/system', 'usr/local/sbin', 'usr/local/bin', 'usr/bin', 'tmp', 'dev/disk/by-id', 'var/log',
    'opt/aws/amazon-cloudwatch-agent/bin']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  fs.writeFileSync(path.join(root, 'etc/fstab'), 'UUID=0d6c1e2a-root / xfs defaults,noatime 1 1\n');
  fs.writeFileSync(path.join(root, 'dev/console'), '');
  fs.writeFileSync(path.join(state, 'instance-id'), INSTANCE_ID);
  fs.writeFileSync(path.join(dir, 'calls.log'), '');
  if (options.bundleZip) fs.symlinkSync(options.bundleZip, path.join(state, 'bundle.zip'));
  // The S3 asset of the main boot script holds exactly this file.
  fs.symlinkSync(path.join(SCRIPTS_DIR, 'server-boot.sh'), path.join(state, 'server-boot.sh'));

  const stub = (file: string, name: string, body: string) => {
    fs.writeFileSync(file, `#!/bin/bash\nSTUB=${q(name)}\n. ${q(path.join(bin, '.stub-lib.sh'))}\n${body}\n`, { mode: 0o755 });
  };
  fs.writeFileSync(path.join(bin, '.stub-lib.sh'), stubLibrary(dir));
  for (const [name, body] of Object.entries(STUBS)) stub(path.join(bin, name), name, body);
  stub(path.join(root, 'opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl'), 'amazon-cloudwatch-agent-ctl',
    'record "$@"; maybe_fail agent');
  stub(path.join(root, 'usr/local/bin/caddy'), 'caddy',
    `record "$@"; maybe_fail caddy\n[ "\${1:-}" = version ] && echo 'v${CADDY_VERSION} h1:Qf1pM6lUOjnfG4XfYAbWhuHeypsxyfmdkVdwMCnSnhk='\nexit 0`);
  fs.writeFileSync(path.join(root, (options.nodeBin ?? '/usr/bin/node-24').replace(/^\//, '')),
    `#!/bin/bash\nexec ${q(options.node ?? process.execPath)} "$@"\n`, { mode: 0o755 });

  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:/usr/bin:/bin`,
    WEB_TIERS_ROOT: root,
    HOME: dir,
    LANG: 'C.UTF-8',
    TMPDIR: path.join(dir, 'tmp'),
  };
  fs.mkdirSync(path.join(dir, 'tmp'));
  const run = (file: string, args: string[], extra: Record<string, string>): RunResult => {
    const r = spawnSync(file, args, { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const read = (hostPath: string) => {
    const p = path.join(root, hostPath);
    return fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined;
  };
  return {
    dir, root, bin, state, env,
    runScript(text, extra = {}) {
      const file = path.join(dir, `script-${fs.readdirSync(dir).length}.sh`);
      fs.writeFileSync(file, text, { mode: 0o755 });
      return run('/bin/bash', [file], extra);
    },
    exec(file, args = [], extra = {}) {
      return run(file.startsWith(dir) ? file : path.join(root, file), args, extra);
    },
    calls: () => fs.readFileSync(path.join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean),
    clearCalls: () => fs.writeFileSync(path.join(dir, 'calls.log'), ''),
    fail(key, o = {}) {
      fs.writeFileSync(path.join(state, 'fail', key), `${o.exit ?? 1} ${o.times ?? ''}\n${o.message ?? ''}`);
    },
    setState(name, content) {
      fs.mkdirSync(path.dirname(path.join(state, name)), { recursive: true });
      fs.writeFileSync(path.join(state, name), content);
    },
    bootLog: () => read('/var/log/web-tiers-bootstrap.log') ?? '',
    path: (hostPath) => path.join(root, hostPath),
    read,
  };
}

/** Single-quotes a value for bash. */
export function q(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function stubLibrary(dir: string): string {
  return `# Sourced by every stub.
SANDBOX=${q(dir)}
STATE=$SANDBOX/state
ROOT=$SANDBOX/root
# Appends the call to calls.log: the stub's name and its arguments, one line.
record() {
  local line=$STUB a
  for a in "$@"; do line+=" \${a//$'\\n'/\\\\n}"; done
  printf '%s\\n' "$line" >>"$SANDBOX/calls.log"
}
# Fails as state/fail/<key> says: its first line is "<exit code> [<times left>]", the rest goes to stderr.
maybe_fail() {
  local file=$STATE/fail/$1 code times
  [ -f "$file" ] || return 0
  read -r code times <"$file"
  if [ -n "$times" ]; then
    [ "$times" -gt 0 ] || return 0
    { echo "$code $((times - 1))"; tail -n +2 "$file"; } >"$file.next"
    mv "$file.next" "$file"
  fi
  tail -n +2 "$file" >&2
  exit "$code"
}
# The value following option $1 in the remaining arguments.
option() {
  local want=$1
  shift
  while [ $# -gt 1 ]; do
    [ "$1" = "$want" ] && { printf '%s' "$2"; return 0; }
    shift
  done
  return 1
}
`;
}

/** The stubs on PATH: bash bodies run after `record`/`maybe_fail`/`option` are defined. */
const STUBS: Record<string, string> = {
  dnf: `record "$@"; maybe_fail dnf
for a in "$@"; do
  case $a in postgresql*-server) v=\${a#postgresql}; echo "\${v%-server}" >"$STATE/pg-server" ;; esac
done`,
  systemctl: `record "$@"; maybe_fail systemctl; maybe_fail "systemctl-$1"`,
  aws: `record "$@"
case "$1 $2" in
  's3 cp')
    case $5 in
      *.sh) maybe_fail aws-s3-cp-boot; cp "$STATE/server-boot.sh" "\${!#}" ;;
      *) maybe_fail aws-s3-cp; cp "$STATE/bundle.zip" "\${!#}" ;;
    esac ;;
  'secretsmanager get-secret-value')
    maybe_fail aws-secret
    cat "$STATE/secret" ;;
  'ec2 attach-volume')
    maybe_fail aws-attach-volume
    holder=$(cat "$STATE/volume-holder" 2>/dev/null || true)
    if [ -n "$holder" ]; then
      echo "An error occurred (VolumeInUse) when calling the AttachVolume operation: $(option --volume-id "$@") is already attached to an instance" >&2
      exit 254
    fi
    option --instance-id "$@" >"$STATE/volume-holder"
    volume=$(option --volume-id "$@")
    touch "$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_\${volume/-/}"
    echo "attaching" ;;
  'ec2 describe-volumes')
    maybe_fail aws-describe-volumes
    holder=$(cat "$STATE/volume-holder" 2>/dev/null || true)
    if [ -n "$holder" ]; then printf '%s\t%s\n' "$holder" "$(cat "$STATE/volume-state" 2>/dev/null || echo attached)"; else echo None; fi ;;
  'ec2 describe-tags')
    maybe_fail aws-describe-tags
    for a in "$@"; do
      case $a in Name=resource-id,Values=*) id=\${a#Name=resource-id,Values=} ;; esac
    done
    cat "$STATE/tags/\${id:-none}" 2>/dev/null || echo None ;;
  'ec2 stop-instances')
    maybe_fail aws-stop-instances
    echo "STOPPINGINSTANCES $(option --instance-ids "$@")" ;;
  'ec2 wait')
    maybe_fail aws-wait
    # As EC2 does: a detach takes a while, and only the waiter sees it through.
    if [ "$3" = volume-available ]; then rm -f "$STATE/volume-holder" "$STATE/volume-state"; fi ;;
  'ec2 detach-volume')
    maybe_fail aws-detach-volume
    if [ "$(cat "$STATE/volume-state" 2>/dev/null)" = detaching ]; then
      echo "An error occurred (IncorrectState) when calling the DetachVolume operation: Volume $(option --volume-id "$@") is in the 'in-use' state." >&2
      exit 254
    fi
    echo detaching >"$STATE/volume-state"
    if [ "$(option --instance-id "$@")" = "$(cat "$STATE/instance-id")" ]; then
      rm -f "$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$(option --volume-id "$@" | tr -d -)"
    fi
    echo detaching ;;
  'ec2 start-instances')
    maybe_fail aws-start-instances
    echo "STARTINGINSTANCES $(option --instance-ids "$@")" ;;
  'ec2 associate-address')
    maybe_fail aws-associate-address
    echo eipassoc-0123456789abcdef0 ;;
  'cloudformation signal-resource')
    maybe_fail aws-signal ;;
  *)
    echo "aws stub: unexpected call: $*" >&2
    exit 252 ;;
esac`,
  curl: `record "$@"
url=
for a in "$@"; do case $a in http://* | https://*) url=$a ;; esac; done
case $url in
  http://169.254.169.254/latest/api/token) maybe_fail curl-token; printf AQAEAFakeToken== ;;
  http://169.254.169.254/latest/meta-data/instance-id) maybe_fail curl-instance-id; cat "$STATE/instance-id" ;;
  http://127.0.0.1:*) maybe_fail curl-health ;;
  *) echo "curl stub: no network in the sandbox: $url" >&2; exit 6 ;;
esac`,
  mount: `record "$@"; maybe_fail mount; touch "$STATE/mounted"`,
  mountpoint: `record "$@"; [ -e "$STATE/mounted" ] || exit 32`,
  umount: `record "$@"; maybe_fail umount; rm -f "$STATE/mounted"`,
  'mkfs.xfs': `record "$@"; maybe_fail mkfs; echo ${FS_UUID} >"$STATE/fs-uuid"`,
  blkid: `record "$@"; maybe_fail blkid
[ -s "$STATE/fs-uuid" ] || exit 2
if [ "\${1:-}" = -s ]; then cat "$STATE/fs-uuid"; else echo "\${!#}: UUID=\\"$(cat "$STATE/fs-uuid")\\" TYPE=\\"xfs\\""; fi`,
  'postgresql-setup': `record "$@"; maybe_fail postgresql-setup
data=$ROOT/var/lib/pgsql/data
if [ -n "$(ls -A "$data" 2>/dev/null)" ]; then echo "Data directory $data is not empty!" >&2; exit 1; fi
mkdir -p "$data"
cat "$STATE/pg-server" >"$data/PG_VERSION"
echo "initdb by server $(cat "$STATE/pg-server")" >"$data/initdb"`,
  sudo: `record "$@"
[ "\${1:-}" = -u ] && shift 2
exec "$@"`,
  psql: `record "$@"; maybe_fail psql
if file=$(option --file "$@"); then
  maybe_fail psql-restore
  while read -r kind name; do
    case $kind in ROLE) touch "$STATE/pg/role-$name" ;; DATABASE) touch "$STATE/pg/db-$name" ;; esac
  done <"$file"
  echo "psql:$file:3: ERROR:  role \\"postgres\\" already exists" >&2
  if [ -f "$STATE/restore-errors" ]; then cat "$STATE/restore-errors" >&2; fi
  exit 0
fi
case "$*" in
  *pg_roles*) [ -e "$STATE/pg/role-webapp" ] && echo 1 ;;
  *pg_database*) [ -e "$STATE/pg/db-webapp" ] && echo 1 ;;
esac
exit 0`,
  createuser: `record "$@"; maybe_fail createuser; touch "$STATE/pg/role-\${!#}"`,
  createdb: `record "$@"; maybe_fail createdb; touch "$STATE/pg/db-\${!#}"`,
  pg_dumpall: `record "$@"; maybe_fail pg_dumpall
file=$(option --file "$@")
{
  echo "-- dumped by server $(cat "$STATE/pg-server") from data version $(cat "$ROOT/var/lib/pgsql/data/PG_VERSION")"
  for f in "$STATE"/pg/role-*; do [ -e "$f" ] && echo "ROLE \${f##*/role-}"; done
  for f in "$STATE"/pg/db-*; do [ -e "$f" ] && echo "DATABASE \${f##*/db-}"; done
} >"$file"`,
  useradd: `record "$@"; maybe_fail useradd; touch "$STATE/users/\${!#}"`,
  id: `record "$@"; [ -e "$STATE/users/\${!#}" ] || { echo "id: '\${!#}': no such user" >&2; exit 1; }; echo "uid=990(\${!#})"`,
  chown: `record "$@"; maybe_fail chown`,
  chgrp: `record "$@"; maybe_fail chgrp`,
  restorecon: `record "$@"; maybe_fail restorecon`,
  sleep: 'record "$@"',
};

// ---------------------------------------------------------------------------------------------
// User data from a synthesized template, with CloudFormation's tokens made concrete.

type Resources = Record<string, { Type: string; Properties?: any }>;

/** What one host's user data holds, as cloud-init on the host would see it. */
export interface HostUserData {
  /** Logical id of the instance or launch template holding the user data. */
  readonly holder: string;
  readonly holderType: string;
  /** The cloud-config part. */
  readonly cloudConfig: string;
  /** The shell part: the generated prelude, then boot-loader.sh (which fetches server-boot.sh). */
  readonly script: string;
  /** Values of the prelude's assignments. */
  readonly inputs: Record<string, string>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': FAKE.region,
  'AWS::AccountId': FAKE.account,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Test',
  'AWS::StackId': `arn:aws:cloudformation:${FAKE.region}:${FAKE.account}:stack/Test/5f0e2d40-0000-11f0-8000-0a1b2c3d4e5f`,
  'AWS::NoValue': '',
};

/** What a `Ref` to a resource of this type returns, made concrete. */
function fakeRef(resources: Resources, id: string): string {
  if (PSEUDO[id] !== undefined) return PSEUDO[id];
  const type = resources[id]?.Type;
  if (!type) throw new Error(`Ref to unknown logical id ${id}`);
  switch (type) {
    case 'AWS::EC2::Volume': return VOLUME_ID;
    case 'AWS::EC2::EIP': return FAKE.elasticIp;
    case 'AWS::EC2::Instance': return FAKE.instanceRef;
    case 'AWS::Logs::LogGroup': return `Test-${id}-AbCdEf012345`;
    case 'AWS::SecretsManager::Secret':
    case 'AWS::SecretsManager::SecretTargetAttachment':
      return `arn:aws:secretsmanager:${FAKE.region}:${FAKE.account}:secret:${id}-AbCdEf`;
    default: return `fake-${id}`;
  }
}

function fakeGetAtt(resources: Resources, id: string, attribute: string): string {
  const type = resources[id]?.Type;
  if (!type) throw new Error(`Fn::GetAtt of unknown logical id ${id}`);
  if (type === 'AWS::EC2::EIP' && attribute === 'AllocationId') return ALLOCATION_ID;
  return `fake-${id}-${attribute}`;
}

/** Resolves the intrinsic functions CDK puts in user data, with fake concrete values. */
export function resolveIntrinsics(value: unknown, resources: Resources): any {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources));
  if (value === null || typeof value !== 'object') throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const entries = Object.entries(value);
  if (entries.length !== 1 || (!entries[0][0].startsWith('Fn::') && entries[0][0] !== 'Ref')) {
    return Object.fromEntries(entries.map(([k, v]) => [k, resolveIntrinsics(v, resources)]));
  }
  const [fn, arg] = entries[0] as [string, any];
  switch (fn) {
    case 'Ref': return fakeRef(resources, arg);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return fakeGetAtt(resources, id, attribute);
    }
    case 'Fn::Join': return (resolveIntrinsics(arg[1], resources) as string[]).join(arg[0]);
    case 'Fn::Base64': return Buffer.from(String(resolveIntrinsics(arg, resources)), 'utf8').toString('base64');
    case 'Fn::Select': return resolveIntrinsics(arg[1], resources)[Number(resolveIntrinsics(arg[0], resources))];
    case 'Fn::Split': return String(resolveIntrinsics(arg[1], resources)).split(arg[0]);
    case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${FAKE.region}${z}`);
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
      return String(text).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
        if (vars[name] !== undefined) return String(resolveIntrinsics(vars[name], resources));
        if (PSEUDO[name] !== undefined) return PSEUDO[name];
        const [id, attribute] = name.split('.');
        return attribute ? fakeGetAtt(resources, id, attribute) : fakeRef(resources, id);
      });
    }
    default: throw new Error(`no fake for ${fn}`);
  }
}

/** Parses a MIME multipart message into its parts (headers lower-cased, body decoded). */
function mimeParts(message: string): Array<{ headers: Record<string, string>; body: string }> {
  const [head] = message.split('\n\n', 1);
  const boundary = /boundary="([^"]+)"/.exec(head)?.[1];
  if (!boundary) throw new Error(`user data is not multipart:\n${message.slice(0, 300)}`);
  const parts = message.split(`--${boundary}`).slice(1).filter((p) => !p.startsWith('--'));
  return parts.map((part) => {
    const text = part.replace(/^\n/, '');
    const split = text.indexOf('\n\n');
    const headers = Object.fromEntries(text.slice(0, split).split('\n').map((line) => {
      const i = line.indexOf(':');
      return [line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim()];
    }));
    let body = text.slice(split + 2).replace(/\n$/, '');
    if (headers['content-transfer-encoding'] === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
    return { headers, body };
  });
}

/**
 * The user data of the hosts of a template (every instance, or the launch template), decoded as
 * cloud-init decodes it, tokens made concrete.
 */
export function hostUserData(template: Template): HostUserData[] {
  const resources = template.toJSON().Resources as Resources;
  const holders = Object.entries(resources).filter(([, r]) =>
    (r.Type === 'AWS::EC2::Instance' && r.Properties?.UserData) ||
    (r.Type === 'AWS::EC2::LaunchTemplate' && r.Properties?.LaunchTemplateData?.UserData));
  return holders.map(([holder, r]) => {
    const raw = r.Properties.UserData ?? r.Properties.LaunchTemplateData.UserData;
    const message = Buffer.from(resolveIntrinsics(raw, resources) as string, 'base64').toString('utf8');
    const parts = mimeParts(message);
    const shell = parts.find((p) => p.headers['content-type']?.startsWith('text/x-shellscript'));
    const config = parts.find((p) => p.headers['content-type']?.startsWith('text/cloud-config'));
    if (!shell) throw new Error(`${holder}: no shell part in its user data`);
    return { holder, holderType: r.Type, cloudConfig: config?.body ?? '', script: shell.body, inputs: preludeInputs(shell.body) };
  }).filter((h) => h.script.includes('web-tiers boot'));
}

/** The single-quoted assignments (`NAME='value'`) at the top of a boot script. */
export function preludeInputs(script: string): Record<string, string> {
  const inputs: Record<string, string> = {};
  const assignment = /^([A-Z_][A-Z0-9_]*)='((?:[^']|'"'"')*)'$/gm;
  for (const m of script.matchAll(assignment)) inputs[m[1]] ??= m[2].replace(/'"'"'/g, "'");
  return inputs;
}

/** The script with prelude inputs replaced (values quoted for bash). */
export function withInputs(script: string, inputs: Record<string, string>): string {
  let out = script;
  for (const [name, value] of Object.entries(inputs)) {
    const assignment = new RegExp(`^${name}='(?:[^']|'"'"')*'$`, 'm');
    if (!assignment.test(out)) throw new Error(`no input ${name} in the prelude`);
    out = out.replace(assignment, () => `${name}=${value.includes('\n') ? `$'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'` : q(value)}`);
  }
  return out;
}

/** The host paths a sandboxed run must never create on the machine running the tests. */
export const HOST_PATHS = [
  '/etc/webapp', '/etc/webapp.env', '/etc/caddy/Caddyfile', '/etc/systemd/system/webapp.service',
  '/etc/systemd/system/webapp-db-env.timer', '/opt/webapp', '/opt/webapp.next', '/opt/webapp.prev',
  '/usr/local/sbin/webapp-db-env', '/var/log/web-tiers-bootstrap.log', '/var/log/webapp', '/var/lib/pgsql/data/initdb',
  '/opt/aws/amazon-cloudwatch-agent/etc/web-tiers.json', '/tmp/webapp.zip',
];
