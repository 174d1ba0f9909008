"""Python `websockets` client for interop tests. Usage: py_client.py URL"""
import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def check(cond, what):
    if not cond:
        print(f"py_client: FAILED: {what}", file=sys.stderr)
        sys.exit(1)


async def main(url):
    async with connect(url, subprotocols=["chat", "superchat"], max_size=64 << 20) as ws:
        check(ws.subprotocol == "superchat", f"subprotocol {ws.subprotocol!r}")
        await ws.send("hello")
        check(await ws.recv() == "hello", "text echo")
        await ws.send(bytes(range(256)))
        check(await ws.recv() == bytes(range(256)), "binary echo")
        big = bytes(i % 251 for i in range(4 << 20))
        await ws.send(big)
        check(await ws.recv() == big, "4 MiB echo")
        await ws.send(["frag", "ment", "ed"])  # one message, three frames
        check(await ws.recv() == "fragmented", "fragmented echo")
        await ws.send("close:4001:server bye")
        try:
            await ws.recv()
            check(False, "expected the server to close")
        except ConnectionClosed as e:
            check(e.rcvd is not None and e.rcvd.code == 4001, f"close code {e.rcvd}")
            check(e.rcvd.reason == "server bye", f"close reason {e.rcvd.reason!r}")
            check(e.rcvd_then_sent is True, "server initiated the close")
    async with connect(url) as ws:
        await ws.send("ping-pong")
        check(await ws.recv() == "ping-pong", "second echo")
        pong = await ws.ping(b"are you there")
        await asyncio.wait_for(pong, 5)
        await ws.close(code=4002, reason="client bye")
        check(ws.close_code == 4002, f"echoed close code {ws.close_code}")
    print("py_client: OK")


asyncio.run(asyncio.wait_for(main(sys.argv[1]), 60))
