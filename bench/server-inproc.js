// A server script's own per-request work, without the network: the real node:http machinery fed
// by in-memory sockets, 50 of them in a closed loop. Used by bench/server-instructions.ts under
// valgrind, whose instruction counts repeat to 0.1 % however busy the machine is.
//   COUNT=N WARM=W node bench/server-inproc.js <server.js> [route]
// answers W + N requests on `route`, then exits.
const http = require('node:http');
const path = require('node:path');
const { Duplex } = require('node:stream');

const [script, route = '/'] = process.argv.slice(2);
const total = Number(process.env.WARM ?? 20000) + Number(process.env.COUNT ?? 0);
let server;
http.Server.prototype.listen = function listen(...args) {
  server = this;
  this.address = () => ({ address: '127.0.0.1', family: 'IPv4', port: 3000 });
  const callback = args.find((a) => typeof a === 'function');
  if (callback) process.nextTick(callback);
  return this;
};
process.env.PORT = '3000';
process.env.HOST = '127.0.0.1';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = () => true; // the server's "listening" line
require(path.resolve(script));
process.stdout.write = write;

const request = Buffer.from(`GET ${route} HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n\r\n`);
let responses = 0;
let ready = [];
class MemorySocket extends Duplex {
  constructor() { super(); this.remoteAddress = '127.0.0.1'; this.remotePort = 5000; this.encrypted = false; }
  _read() {}
  _write(chunk, _encoding, callback) { this.received(chunk); callback(); }
  _writev(chunks, callback) { for (const c of chunks) this.received(c.chunk); callback(); }
  received(chunk) {
    if (chunk[0] !== 0x48 || chunk[1] !== 0x54) return; // a response starts 'HT'
    responses++;
    ready.push(this);
    if (responses >= total) process.exit(0);
  }
  setTimeout() { return this; }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
}
ready = Array.from({ length: 50 }, () => { const s = new MemorySocket(); server.emit('connection', s); return s; });
(function pump() {
  const batch = ready;
  ready = [];
  for (const socket of batch) socket.push(request);
  setImmediate(pump);
})();
