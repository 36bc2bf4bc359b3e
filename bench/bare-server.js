// The baseline of the server benchmarks: a hand-written node:http server answering the same
// routes as bench/ok-app.ts, with the same headers and keep-alive settings as the adapter.
const http = require('node:http');
const server = http.createServer((req, res) => {
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': 2 });
    res.end('ok');
  } else if (req.url === '/json') {
    const body = JSON.stringify({ ok: true });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  }
});
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
server.listen(Number(process.env.PORT), process.env.HOST, () => {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'listening', port: server.address().port })}\n`);
});
