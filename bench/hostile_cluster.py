#!/usr/bin/env python3
"""The hostile attacks once against a running three-node cluster (bench/hostile_cluster.sh
starts it): stalled request bodies on every node, password guessing spread over the
nodes, and readers that never read, each bounded in count and time, loopback only.

Usage: hostile_cluster.py API0,API1,API2 ADMIN0 PID0,PID1,PID2 REQUEST_TIMEOUT SEND_TIMEOUT

Prints one section per attack; exits 1 when a bound the server promises did not hold
(a legitimate request failing or taking 1 s or more, a stalled connection left open, a
node's memory not coming back within 100 MiB of where it started).
"""

import asyncio
import base64
import json
import os
import resource
import sys
import time

from loopback import http

PER_NODE = int(os.environ.get("HOSTILE_PER_NODE", "1010"))  # stalled bodies per node: over its max_connections of 1,000
ADDRESSES = 11  # loopback source addresses per node (max_connections_per_ip is 100)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}@localhost:{password}".encode()).decode()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def stalled_bodies(apis, request_timeout):
    """PER_NODE stalled REST bodies on each node while a client asks every node."""
    auth = basic("alice", "secret")
    outcomes = {}
    legit = []

    async def one(port, addr):
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(addr, 0))
        except OSError as e:
            outcomes.setdefault("connect failed " + e.__class__.__name__, []).append(0)
            return
        w.write(("POST /api/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + auth +
                 "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"to\":").encode())
        started = time.monotonic()
        try:
            data = await asyncio.wait_for(r.read(), request_timeout + 15)
            what = ("408 and closed" if data.startswith(b"HTTP/1.1 408")
                    else "closed to make room" if not data
                    else "answered " + data.split(b"\r\n\r\n", 1)[-1][:60].decode(errors="replace")
                    + " (" + data.split(b"\r\n", 1)[0].decode(errors="replace") + ")")
        except asyncio.TimeoutError:
            what = "still open"
        except OSError:
            what = "reset"
        outcomes.setdefault(what, []).append(time.monotonic() - started)
        w.close()

    done = asyncio.Event()

    async def ask():
        while not done.is_set():
            for port in apis:
                try:
                    legit.append(await http(port, "GET", "/api/contacts", [("Authorization", auth)],
                                            timeout=5))
                except Exception:  # noqa: BLE001 - any failure counts as one
                    legit.append((0, 5.0))
            await asyncio.sleep(0.5)

    for port in apis:  # alice's key, cached on every node
        await http(port, "GET", "/api/contacts", [("Authorization", auth)])
    asker = asyncio.create_task(ask())
    tasks = []
    for n, port in enumerate(apis):
        for i in range(PER_NODE):
            addr = f"127.0.{10 + n}.{1 + i % ADDRESSES}"
            tasks.append(asyncio.create_task(one(port, addr)))
            if i % 500 == 499:
                await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    done.set()
    await asker
    print(f"## Stalled bodies: {PER_NODE} per node from {ADDRESSES} addresses each "
          f"(max_connections 1,000 per node), request_timeout {request_timeout} s")
    for what, times in sorted(outcomes.items(), key=lambda x: -len(x[1])):
        times.sort()
        print(f"- {what}: {len(times)}, after {times[0]:.1f}-{times[-1]:.1f} s")
    took = sorted(t for _, t in legit)
    ok = sum(1 for s, _ in legit if s == 200)
    print(f"- legitimate GET /api/contacts, each node in turn: {ok} of {len(legit)} answered 200, "
          f"median {took[len(took) // 2] * 1000:.0f} ms, slowest {took[-1] * 1000:.0f} ms")
    return ok == len(legit) and took[-1] < 1.0 and set(outcomes) <= {"408 and closed", "closed to make room"}


async def guessing(apis):
    """Wrong passwords for bob from one address, each node in turn, then bob himself."""
    statuses = []
    for i in range(60):
        port = apis[i % len(apis)]
        status, _ = await http(port, "GET", "/api/contacts", [("Authorization", basic("bob", f"guess{i}"))],
                               addr="127.0.20.1")
        statuses.append(status)
    refused_after = {}
    for n in range(len(apis)):
        mine = statuses[n::len(apis)]
        refused_after[n] = next((k for k, s in enumerate(mine) if s == 429), None)
    wrong = statuses.count(401)
    owner, _ = await http(apis[0], "GET", "/api/contacts", [("Authorization", basic("bob", "secret"))])
    print("## Password guessing: 60 wrong passwords for bob from one address, spread over the nodes")
    print(f"- answered 401 (checked): {wrong}; 429 (throttled): {statuses.count(429)}")
    for n, k in refused_after.items():
        print(f"- node{n}: throttled from its guess {'none' if k is None else k + 1} on")
    print(f"- bob from another address meanwhile: {owner}")
    return owner == 200


async def slow_readers(apis, admin, pids, send_timeout):
    """Four event streams per node that never read; 80 messages of 256 KiB to them."""
    before = [rss_mib(p) for p in pids]
    streams = []
    for n, port in enumerate(apis):
        for k in range(4):
            user = f"reader{n}"
            r, w = await asyncio.open_connection("127.0.0.1", port)
            w.write(f"GET /api/sse HTTP/1.1\r\nHost: localhost\r\nAuthorization: {basic(user, 'secret')}\r\n\r\n"
                    .encode())
            streams.append((n, r, w))
    await asyncio.sleep(1)
    body = json.dumps({"to": "", "body": "x" * (256 * 1024)})
    sent = 0
    for i in range(80):
        port = apis[i % len(apis)]
        to = f"reader{(i + 1) % len(apis)}@localhost"  # always to a reader on another node
        status, _ = await http(port, "POST", "/api/messages",
                               [("Authorization", basic("alice", "secret")), ("Content-Type", "application/json")],
                               body.replace('"to": ""', f'"to": "{to}"').encode())
        sent += status == 200
    peak = [rss_mib(p) for p in pids]
    await asyncio.sleep(send_timeout + 5)
    closed = 0
    for _, r, w in streams:
        try:
            while True:
                chunk = await asyncio.wait_for(r.read(1 << 20), 5)
                if not chunk:
                    closed += 1
                    break
        except (asyncio.TimeoutError, OSError):
            pass
        w.close()
    await asyncio.sleep(2)
    after = [rss_mib(p) for p in pids]
    print(f"## Readers that never read: 4 event streams per node, {sent} of 80 messages of 256 KiB "
          f"sent to them from other nodes, send_timeout {send_timeout} s")
    print(f"- streams the server closed: {closed} of {len(streams)} (the rest: refused at the session limit or not yet)")
    for n in range(len(pids)):
        print(f"- node{n} RSS: {before[n]:.0f} MiB before, {peak[n]:.0f} at the end of the sends, "
              f"{after[n]:.0f} after")
    return sent == 80 and all(a < b + 100 for a, b in zip(after, before))


async def main():
    apis = [int(a) for a in sys.argv[1].split(",")]
    admin = int(sys.argv[2])
    pids = [int(p) for p in sys.argv[3].split(",")]
    request_timeout, send_timeout = int(sys.argv[4]), int(sys.argv[5])
    for user in ["alice", "bob"] + [f"reader{n}" for n in range(len(apis))]:
        status, _ = await http(admin, "POST", "/api/users/localhost", [("Content-Type", "application/json")],
                               json.dumps({"username": user, "password": "secret"}).encode())
        assert status in (201, 204), f"registering {user}: {status}"
    results = [
        await stalled_bodies(apis, request_timeout),
        await guessing(apis),
        await slow_readers(apis, admin, pids, send_timeout),
    ]
    print("hostile-cluster:", "passed" if all(results) else f"FAILED {results}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.exit(asyncio.run(main()))
