// One cold start, in a fresh process: load the bundle, answer one HTTP API v2 event (GET /),
// print {load, first, total, cpu} in milliseconds (cpu: user + system time of the same span).
// Node's own start-up is the same for every bundle and is left out.
const event = require('./event.js'); // read before the clock starts
const start = performance.now();
const cpuStart = process.cpuUsage();
const { handler } = require(process.argv[2]);
const loaded = performance.now();
Promise.resolve(handler(event, {})).then((result) => {
  const done = performance.now();
  if (result.statusCode !== 200) throw new Error(`status ${result.statusCode}`);
  const cpu = process.cpuUsage(cpuStart);
  process.stdout.write(JSON.stringify({ load: loaded - start, first: done - loaded, total: done - start, cpu: (cpu.user + cpu.system) / 1000 }));
});
