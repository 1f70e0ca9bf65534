"""What the loopback attack scripts (stalled_flood.py, hostile_cluster.py, slow_flood.py)
share: a free port, and one HTTP/1.1 request on a connection of its own."""

import asyncio
import socket
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http(port, method, path, headers=(), body=b"", addr="127.0.0.1", timeout=10):
    """One request to 127.0.0.1:`port` from the loopback address `addr`, on its own
    connection; (status, seconds), status 0 when the answer is not HTTP."""
    started = time.monotonic()
    r, w = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(addr, 0)), timeout
    )
    head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    for k, v in headers:
        head += f"{k}: {v}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    w.write(head.encode() + body)
    data = await asyncio.wait_for(r.read(), timeout)
    w.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, time.monotonic() - started
