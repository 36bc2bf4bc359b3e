// The smallest fetch-handler app, no framework: `npx tsx bench/server-cpu.ts` serves it through the
// server adapter to measure what the adapter itself costs per request.
export default {
  fetch(request: Request): Response {
    const url = request.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    const query = url.indexOf('?', start);
    const path = query === -1 ? url.slice(start) : url.slice(start, query);
    if (path === '/') return new Response('ok');
    if (path === '/json') return Response.json({ ok: true });
    return new Response('not found', { status: 404 });
  },
};
