// Does the Lambda Node.js bootstrap (aws-lambda-ric, the runtime interface client used by the
// managed nodejs2x.x runtimes) load Node's fetch implementation (internal/deps/undici/undici)
// before our handler module is loaded, or before the first event reaches the handler?
// It starts a fake Lambda Runtime API on 127.0.0.1, runs the RIC the way the managed runtime
// does (node <ric>/index.mjs with AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT, _HANDLER), serves one
// API Gateway HTTP API v2 event, and reads process.moduleLoadList from inside the handler module:
// at module load, at handler entry, and ~300 ms after the response was posted. It does this for a
// buffered handler and for an awslambda.streamifyResponse handler, then kills the RIC.
//   npm install --prefix /tmp/ric aws-lambda-ric   (builds curl + a Node-API addon; needs cmake, g++, make)
//   RIC_DIR=/tmp/ric/node_modules/aws-lambda-ric LAMBDA_NODE=/path/to/node24 node bench/lambda-ric.js
// Optional: RIC_MODES=buffered,streaming. Only 127.0.0.1 is contacted; every wait is bounded.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const RIC_DIR = process.env.RIC_DIR;
const NODE = process.env.LAMBDA_NODE || process.execPath;
const MODES = (process.env.RIC_MODES || 'buffered,streaming').split(',');
const entry = RIC_DIR && ['index.mjs', 'bin/index.mjs', 'dist/index.mjs'].map((p) => path.join(RIC_DIR, p)).find((p) => fs.existsSync(p));
if (!entry) { console.error('set RIC_DIR to an installed aws-lambda-ric package directory'); process.exit(2); }
const ricVersion = JSON.parse(fs.readFileSync(path.join(RIC_DIR, 'package.json'), 'utf8')).version;
const nodeVersion = spawnSync(NODE, ['-p', 'process.versions.node'], { encoding: 'utf8', timeout: 10000 }).stdout.trim();
const UNDICI = 'NativeModule internal/deps/undici/undici';

const EVENT = require('./event.js');

// The user handler module. It must itself touch nothing that could load undici.
const handlerSource = (mode, afterFile) => `
const snap = () => { const l = process.moduleLoadList; return { total: l.length, all: l.slice() }; };
const atLoad = snap();
const fs = require('node:fs');
async function body(event) {
  const atInvoke = snap();
  setTimeout(() => fs.writeFileSync(${JSON.stringify(afterFile)}, JSON.stringify(snap())), 300);
  return { node: process.version, atLoad, atInvoke, path: event.rawPath };
}
exports.handler = ${JSON.stringify(mode)} === 'streaming'
  ? awslambda.streamifyResponse(async (event, stream) => { stream.write(JSON.stringify(await body(event))); stream.end(); })
  : async (event) => ({ statusCode: 200, body: JSON.stringify(await body(event)) });
`;

function runOnce(mode) {
  return new Promise((resolve) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ric-bench-'));
    const afterFile = path.join(dir, 'after.json');
    fs.writeFileSync(path.join(dir, 'index.js'), handlerSource(mode, afterFile));
    const out = { mode, log: '' };
    let served = false, child, done = false;
    const finish = (why) => {
      if (done) return; done = true; out.why = why;
      clearTimeout(timer); if (child) child.kill('SIGKILL');
      server.close(); server.closeAllConnections();
      try { out.after = JSON.parse(fs.readFileSync(afterFile, 'utf8')); } catch { /* not written */ }
      fs.rmSync(dir, { recursive: true, force: true });
      resolve(out);
    };
    const timer = setTimeout(() => finish('timeout'), 20000);
    const server = http.createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8').on('data', (c) => { data += c; }).on('end', () => {
        const url = req.url;
        if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
          if (served) return; // second poll: leave it hanging, the harness ends the run
          served = true;
          res.writeHead(200, {
            'Content-Type': 'application/json', 'Lambda-Runtime-Aws-Request-Id': 'req-1',
            'Lambda-Runtime-Deadline-Ms': String(Date.now() + 30000),
            'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:eu-west-1:123456789012:function:bench',
            'Lambda-Runtime-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
          });
          return res.end(JSON.stringify(EVENT));
        }
        res.writeHead(202, { 'Content-Type': 'application/json' }); res.end('{"status":"OK"}');
        if (/\/invocation\/[^/]+\/response$/.test(url)) {
          out.responseMode = req.headers['lambda-runtime-function-response-mode'] || 'buffered';
          try { const r = JSON.parse(data); out.result = mode === 'streaming' ? r : JSON.parse(r.body); } catch { out.raw = data; }
          const t0 = Date.now();
          const wait = () => (fs.existsSync(afterFile) || Date.now() - t0 > 2000 ? finish('response') : setTimeout(wait, 50));
          wait();
        } else if (/\/error$/.test(url)) { out.error = `${url} ${data}`; finish('error'); }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const env = {
        PATH: process.env.PATH, LANG: 'en_US.UTF-8', TZ: ':UTC',
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${server.address().port}`, LAMBDA_TASK_ROOT: dir, _HANDLER: 'index.handler',
        AWS_EXECUTION_ENV: `AWS_Lambda_nodejs${nodeVersion.split('.')[0]}.x`, AWS_REGION: 'eu-west-1',
        AWS_LAMBDA_FUNCTION_NAME: 'bench', AWS_LAMBDA_FUNCTION_VERSION: '$LATEST', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
        AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/bench', AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/22/[$LATEST]bench',
      };
      // Same flags as the managed runtime's bootstrap script passes to node.
      child = spawn(NODE, ['--expose-gc', '--max-http-header-size', '81920', entry], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const keep = (c) => { out.log = (out.log + c).slice(-2000); };
      child.stdout.on('data', keep); child.stderr.on('data', keep);
      child.on('exit', (code, sig) => setTimeout(() => finish(`RIC exited (${code ?? sig})`), 200));
    });
  });
}

const related = (list) => list.filter((m) => /undici|internal\/deps|http|fetch|stream\/web/.test(m));
const yn = (snapshot) => (snapshot ? (snapshot.all.includes(UNDICI) ? 'YES' : 'no') : 'n/a');

(async () => {
  const src = fs.readFileSync(entry, 'utf8').split('\n');
  const refs = src.map((l, i) => [i + 1, l.trim()])
    .filter(([, l]) => /\b(fetch|Headers|Request|Response|FormData)\s*\(|new\s+(Headers|Request|Response|FormData)\b|undici/.test(l));
  console.log(`node v${nodeVersion} (${NODE})\naws-lambda-ric ${ricVersion} (${entry})`);
  console.log(`RIC source lines calling fetch/Headers/Request/Response/FormData or naming undici: ${refs.length}`);
  for (const [n, l] of refs) console.log(`  ${path.basename(entry)}:${n}: ${l.slice(0, 120)}`);
  for (const mode of MODES) {
    const r = await runOnce(mode);
    console.log(`\n[${mode} handler] run ended by: ${r.why}${r.responseMode ? `, response mode: ${r.responseMode}` : ''}`);
    if (!r.result) { console.log(`  no result. ${r.error || r.raw || ''}\n  RIC output: ${r.log.trim()}`); process.exitCode = 1; continue; }
    const { atLoad, atInvoke } = r.result;
    console.log(`  undici loaded before handler module: ${yn(atLoad)}; before handler ran: ${yn(atInvoke)}; 300 ms after response: ${yn(r.after)}`);
    console.log(`  modules loaded before handler module: ${atLoad.total}; at handler entry: ${atInvoke.total}${r.after ? `; after response: ${r.after.total}` : ''}`);
    console.log(`  related modules before handler module: ${related(atLoad.all).join(', ') || '(none)'}`);
    const added = (a, b) => related(b.all.filter((m) => !a.all.includes(m))).join(', ') || '(none)';
    console.log(`  related modules added by handler entry: ${added(atLoad, atInvoke)}`);
    if (r.after) console.log(`  related modules added after response: ${added(atInvoke, r.after)}`);
  }
})();
