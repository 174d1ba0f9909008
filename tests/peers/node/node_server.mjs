// Node `ws` echo server for interop tests. Usage: node node_server.mjs PORT
// Selects `superchat`, echoes, obeys `close:CODE:REASON`, prints {"closed":[code,reason]}
// when a client closes.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2]),
  maxPayload: 64 << 20,
  handleProtocols: (protocols) => (protocols.has('superchat') ? 'superchat' : false),
});
wss.on('listening', () => console.log(`listening ${wss.address().port}`));
wss.on('connection', (ws) => {
  let serverClosing = false;
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text !== null && text.startsWith('close:')) {
      const [, code, ...rest] = text.split(':');
      serverClosing = true;
      ws.close(Number(code), rest.join(':'));
      return;
    }
    ws.send(data, { binary: isBinary });
  });
  ws.on('close', (code, reason) => {
    if (!serverClosing) console.log(JSON.stringify({ closed: [code, reason.toString()] }));
  });
});
