// One cold start, in a fresh process: load the bundle, answer one HTTP API v2 event (GET /),
// print {load, first, total, cpu} in milliseconds (cpu: user + system time of the same span).
// Node's own start-up is the same for every bundle and is left out.
const start = performance.now();
const cpuStart = process.cpuUsage();
const { handler } = require(process.argv[2]);
const loaded = performance.now();
const event = {
  version: '2.0', routeKey: '$default', rawPath: '/', rawQueryString: '',
  headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', accept: 'text/html', 'x-forwarded-proto': 'https' },
  requestContext: {
    accountId: '123456789012', apiId: 'abc123', domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', domainPrefix: 'abc123',
    http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' },
    requestId: 'bench', routeKey: '$default', stage: '$default', time: '22/Nov/2026:12:00:00 +0000', timeEpoch: 1795348800000,
  },
  isBase64Encoded: false,
};
Promise.resolve(handler(event, {})).then((result) => {
  const done = performance.now();
  if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}`);
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(JSON.stringify({ load: loaded - start, first: done - loaded, total: done - start, cpu: (cpu.user + cpu.system) / 1000 }));
});
