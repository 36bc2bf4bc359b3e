// The same two routes as bench/ok-app.ts, as a Hono app (see bench/server-cpu.ts).
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('ok'));
app.get('/json', (c) => c.json({ ok: true }));

export default app;
