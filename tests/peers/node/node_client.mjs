// Node `ws` client for interop tests. Usage: node node_client.mjs URL
import WebSocket from 'ws';

const url = process.argv[2];
const fail = (what) => { console.error(`node_client: FAILED: ${what}`); process.exit(1); };
setTimeout(() => fail('timeout'), 60000).unref();

function open(protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { maxPayload: 64 << 20 });
    const queue = [];
    const waiters = [];
    ws.on('message', (data, isBinary) => {
      const m = { data, isBinary };
      if (waiters.length) waiters.shift()(m); else queue.push(m);
    });
    ws.next = () => new Promise((res) => { if (queue.length) res(queue.shift()); else waiters.push(res); });
    ws.closed = new Promise((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

const ws = await open(['chat', 'superchat']);
if (ws.protocol !== 'superchat') fail(`protocol ${ws.protocol}`);
ws.send('hello');
let m = await ws.next();
if (m.isBinary || m.data.toString() !== 'hello') fail('text echo');
const bin = Buffer.from([...Array(256).keys()]);
ws.send(bin);
m = await ws.next();
if (!m.isBinary || !m.data.equals(bin)) fail('binary echo');
const big = Buffer.alloc(4 << 20, 0).map((_, i) => i % 251);
ws.send(big);
m = await ws.next();
if (!m.data.equals(big)) fail('4 MiB echo');
ws.send('frag', { fin: false });
ws.send('ment', { fin: false });
ws.send('ed', { fin: true });
m = await ws.next();
if (m.isBinary || m.data.toString() !== 'fragmented') fail(`fragmented echo ${m.data}`);
ws.send('close:4001:server bye');
const c = await ws.closed;
if (c.code !== 4001 || c.reason !== 'server bye') fail(`server close ${JSON.stringify(c)}`);

const ws2 = await open([]);
ws2.send('ping-pong');
m = await ws2.next();
if (m.data.toString() !== 'ping-pong') fail('second echo');
await new Promise((res) => { ws2.once('pong', res); ws2.ping('are you there'); });
ws2.close(4002, 'client bye');
const c2 = await ws2.closed;
if (c2.code !== 4002) fail(`echoed close ${JSON.stringify(c2)}`);
console.log('node_client: OK');
