// Headless Chromium against a websock server: the page's script uses the browser's own
// WebSocket. Usage: node chromium_check.mjs WS_URL
//
// The server at WS_URL must follow tests/peers/scripts/README.md (echo, select
// `superchat`, obey `close:CODE:REASON`). The page is served from 127.0.0.1 by this
// script. Prints one JSON line with the page's results; exits non-zero if any check failed.
import http from 'node:http';
import { chromium } from 'playwright-core';

const wsUrl = process.argv[2];
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const PAGE = `<!doctype html><meta charset="utf-8"><title>websock chromium check</title>
<script>
const url = ${JSON.stringify(wsUrl)};
function opened(protocols) {
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error('error event'));
  });
}
const nextMessage = (ws) => new Promise((r) => { ws.onmessage = (e) => r(e.data); });
const closed = (ws) => new Promise((r) => { ws.onclose = (e) => r({ code: e.code, reason: e.reason, wasClean: e.wasClean }); });
async function run() {
  const r = {};
  // The MDN example: send "Hello Server!" on open, receive the echo.
  let ws = await opened();
  r.readyStateOpen = ws.readyState;
  ws.send('Hello Server!');
  r.echo = await nextMessage(ws);
  r.extensions = ws.extensions;
  // binaryType = "arraybuffer" round trip.
  ws.binaryType = 'arraybuffer';
  ws.send(new Uint8Array([1, 2, 3, 250]));
  const buf = await nextMessage(ws);
  r.arraybuffer = buf instanceof ArrayBuffer ? Array.from(new Uint8Array(buf)) : String(buf);
  // bufferedAmount drains to 0.
  const big = new Uint8Array(8 << 20);
  const echoed = nextMessage(ws);
  ws.send(big);
  r.bufferedAfterSend = ws.bufferedAmount;
  while (ws.bufferedAmount > 0) await new Promise((s) => setTimeout(s, 10));
  r.bufferedDrained = ws.bufferedAmount;
  r.bigEchoLength = (await echoed).byteLength;
  // close(4000, "bye"), seen by the server.
  const c1 = closed(ws);
  ws.close(4000, 'bye');
  r.readyStateClosing = ws.readyState;
  r.clientClose = await c1;
  r.readyStateClosed = ws.readyState;
  // protocol after negotiating one of several offered.
  ws = await opened(['chat', 'superchat']);
  r.protocol = ws.protocol;
  // A server-initiated close.
  const c2 = closed(ws);
  ws.send('close:4001:server bye');
  r.serverClose = await c2;
  return r;
}
window.result = run().catch((e) => ({ error: String(e) }));
</script>`;

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(PAGE);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const pageUrl = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS, timeout: 60_000 });
let failed = [];
let result;
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  result = await page.evaluate(() => window.result);
  const expect = (name, cond) => { if (!cond) failed.push(name); };
  expect('no error', !result.error);
  expect('readyState OPEN is 1', result.readyStateOpen === 1);
  expect('echo of Hello Server!', result.echo === 'Hello Server!');
  expect('arraybuffer round trip', JSON.stringify(result.arraybuffer) === '[1,2,3,250]');
  expect('bufferedAmount > 0 after a big send', result.bufferedAfterSend > 0);
  expect('bufferedAmount drains to 0', result.bufferedDrained === 0);
  expect('big echo length', result.bigEchoLength === 8 << 20);
  expect('readyState CLOSING is 2', result.readyStateClosing === 2);
  expect('client close clean', result.clientClose && result.clientClose.wasClean === true && result.clientClose.code === 4000);
  expect('readyState CLOSED is 3', result.readyStateClosed === 3);
  expect('protocol superchat', result.protocol === 'superchat');
  expect('server close seen', result.serverClose && result.serverClose.code === 4001 &&
    result.serverClose.reason === 'server bye' && result.serverClose.wasClean === true);
} finally {
  await browser.close();
  server.close();
}
console.log(JSON.stringify({ result, failed }));
if (failed.length) {
  console.error(`chromium_check: FAILED: ${failed.join(', ')}`);
  process.exit(1);
}
