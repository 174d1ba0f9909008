"""Python `websockets` echo server for interop tests. Usage: py_server.py PORT

Selects `superchat`, echoes, obeys `close:CODE:REASON`, and prints a JSON line
{"closed": [code, reason]} when a client closes."""
import asyncio
import json
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed


async def handler(ws):
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith("close:"):
                _, code, reason = msg.split(":", 2)
                await ws.close(code=int(code), reason=reason)
                return
            await ws.send(msg)
    except ConnectionClosed:
        pass
    rcvd = ws.protocol.close_rcvd
    if rcvd is not None and ws.protocol.close_rcvd_then_sent:
        print(json.dumps({"closed": [rcvd.code, rcvd.reason]}), flush=True)


def select_subprotocol(connection, offered):
    return "superchat" if "superchat" in offered else None


async def main(port):
    async with serve(handler, "127.0.0.1", port, select_subprotocol=select_subprotocol,
                     max_size=64 << 20) as server:
        print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().create_future()


asyncio.run(main(int(sys.argv[1])))
