/** The guestbook page: static HTML that talks to the JSON API. */
export function page(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Guestbook</title>
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2430; }
  form { display: grid; gap: .5rem; margin-bottom: 2rem; }
  input, textarea, button { font: inherit; padding: .5rem; }
  li { margin: .75rem 0; list-style: none; border-left: 3px solid #4a7bd0; padding-left: .75rem; }
  small { color: #5b6576; }
  #error { color: #b3261e; }
</style>
</head>
<body>
<h1>Guestbook</h1>
<form id="sign">
  <input name="name" placeholder="Your name" maxlength="80" required>
  <textarea name="message" placeholder="Say hello" maxlength="500" required></textarea>
  <button>Sign</button>
  <p id="error" role="alert"></p>
</form>
<ul id="entries"></ul>
<script>
const list = document.getElementById('entries');
const error = document.getElementById('error');
function show(entries) {
  list.replaceChildren(...entries.map((e) => {
    const li = document.createElement('li');
    const who = document.createElement('strong');
    who.textContent = e.name;
    const when = document.createElement('small');
    when.textContent = ' ' + new Date(e.createdAt).toLocaleString();
    const text = document.createElement('div');
    text.textContent = e.message;
    li.append(who, when, text);
    return li;
  }));
}
async function load() {
  const res = await fetch('api/entries');
  if (res.ok) show((await res.json()).entries);
}
document.getElementById('sign').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = JSON.stringify({ name: form.get('name'), message: form.get('message') });
  const headers = { 'content-type': 'application/json' };
  // Behind CloudFront with a signed Lambda origin, POST bodies must carry their SHA-256.
  if (crypto.subtle) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
    headers['x-amz-content-sha256'] = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  const res = await fetch('api/entries', { method: 'POST', headers, body });
  error.textContent = res.ok ? '' : (await res.json()).error;
  if (res.ok) { event.target.reset(); load(); }
});
load();
</script>
</body>
</html>`;
}
