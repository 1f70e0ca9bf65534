#!/usr/bin/env python3
"""`make stalled-flood`: request bodies that never arrive, from many addresses at once.

Starts meerkat (the binary named by MEERKAT_BIN) with its default HTTP limits
(max_connections 10,000, max_connections_per_ip 100, request_timeout 30 s) on free
loopback ports and a temporary data dir, registers alice, then:

1. opens FLOOD_CONNECTIONS (10,100) connections from FLOOD_ADDRESSES (101) loopback
   addresses (127.0.1.1 and up), each sending a BOSH request header announcing 1,000
   bytes of body and six of them, as fast as the server accepts them;
2. meanwhile and afterwards, sends `GET /api/contacts` as alice from 127.0.0.1 every
   half second (each on a new connection, after one request before the flood) and
   records how long each answer took;
3. records for every stalled connection when the server answered it (and with what) or
   closed it, for up to request_timeout + 15 s.

Prints a summary; exits 1 if a legitimate request failed or took 1 s or more, or if a
stalled connection was still open at the end. Loopback only; every wait is bounded.
"""

import asyncio
import base64
import json
import multiprocessing
import os
import queue
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from loopback import free_port, http

CONNECTIONS = int(os.environ.get("FLOOD_CONNECTIONS", "10100"))
ADDRESSES = int(os.environ.get("FLOOD_ADDRESSES", "101"))
REQUEST_TIMEOUT = 30
BIN = os.environ.get("MEERKAT_BIN", "target/release/meerkat")


def start_server(work):
    api, admin = free_port(), free_port()
    config = os.path.join(work, "meerkat.toml")
    with open(config, "w") as f:
        f.write(f"""
[general]
hosts = ["localhost"]
data_dir = "{work}/data"
loglevel = "warn"

[[listen.http]]
port = {api}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"
  [[listen.http.handlers.mod_bosh]]
  path = "/http-bind"

[[listen.http]]
port = {admin}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[modules.mod_bosh]
""")
    err = open(os.path.join(work, "meerkat.err"), "w")
    proc = subprocess.Popen([BIN, "--config", config], stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", api), timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        sys.exit("meerkat did not start")
    return proc, api, admin


async def stalled(addr, port, results, i):
    """A BOSH request whose body never arrives; records (outcome, seconds after header)."""
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(addr, 0))
    except OSError as e:
        results[i] = ("connect failed: " + e.__class__.__name__, 0.0)
        return
    w.write(b"POST /http-bind HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 1000\r\n\r\n<body ")
    started = time.monotonic()
    try:
        data = await asyncio.wait_for(r.read(), REQUEST_TIMEOUT + 15)
        took = time.monotonic() - started
        if data.startswith(b"HTTP/1.1 408"):
            results[i] = ("408 and closed", took)
        elif not data:
            results[i] = ("closed without an answer", took)
        else:
            results[i] = ("answered " + data.split(b"\r\n", 1)[0].decode(errors="replace"), took)
    except asyncio.TimeoutError:
        results[i] = ("still open", time.monotonic() - started)
    except OSError:
        results[i] = ("reset", time.monotonic() - started)
    finally:
        w.close()


async def flood(api, admin):
    auth = "Basic " + base64.b64encode(b"alice@localhost:secret").decode()
    status, _ = await http(admin, "POST", "/api/users/localhost",
                           [("Content-Type", "application/json")],
                           json.dumps({"username": "alice", "password": "secret"}).encode())
    assert status in (201, 204), f"registering alice: {status}"
    # Alice's first login derives her key; later ones find it cached, as for any client
    # that has logged in once.
    status, _ = await http(api, "GET", "/api/contacts", [("Authorization", auth)])
    assert status == 200, f"alice's first request: {status}"
    # The legitimate client is a process of its own, so that opening the flood's
    # connections here never delays it.
    stop = multiprocessing.Event()
    answers = multiprocessing.Queue()
    prober = multiprocessing.Process(target=legitimate, args=(api, auth, stop, answers))
    prober.start()
    started = time.monotonic()
    results = [None] * CONNECTIONS
    tasks = []
    for i in range(CONNECTIONS):
        addr = f"127.0.{1 + (i % ADDRESSES) // 254}.{1 + (i % ADDRESSES) % 254}"
        tasks.append(asyncio.create_task(stalled(addr, api, results, i)))
        if i % 500 == 499:
            await asyncio.sleep(0)  # let them connect
    opened = time.monotonic() - started
    await asyncio.gather(*tasks)
    stop.set()
    legit = []
    while len(legit) < 1 or prober.is_alive() or not answers.empty():
        try:
            legit.append(answers.get(timeout=1))
        except queue.Empty:
            if not prober.is_alive():
                break
    prober.join(10)
    return results, legit, opened


def legitimate(port, auth, stop, answers):
    """`GET /api/contacts` every half second on a new connection; (status, seconds) each."""
    started = time.monotonic()
    while not stop.is_set():
        at = time.monotonic() - started
        t0 = time.monotonic()
        status = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(f"GET /api/contacts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                          f"Authorization: {auth}\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            if data.startswith(b"HTTP/"):
                status = int(data.split(b" ", 2)[1])
        except OSError as e:
            print("legitimate request failed:", e.__class__.__name__, file=sys.stderr)
        took = time.monotonic() - t0
        if status != 200 or took >= 1.0:
            print(f"legitimate request at {at:.1f} s: {status} after {took * 1000:.0f} ms", file=sys.stderr)
        answers.put((status, took))
        time.sleep(0.5)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="meerkat-flood.")
    proc = None
    try:
        proc, api, admin = start_server(work)
        results, legit, opened = asyncio.run(flood(api, admin))
        outcomes = {}
        for outcome, took in results:
            o = outcomes.setdefault(outcome, [])
            o.append(took)
        print(f"{CONNECTIONS} stalled BOSH bodies from {ADDRESSES} addresses, started in {opened:.1f} s")
        for outcome, times in sorted(outcomes.items(), key=lambda x: -len(x[1])):
            times.sort()
            print(f"  {outcome}: {len(times)}, after {times[0]:.1f}-{times[-1]:.1f} s "
                  f"(median {times[len(times) // 2]:.1f} s)")
        took = sorted(t for _, t in legit)
        ok = [s for s, _ in legit if s == 200]
        print(f"legitimate GET /api/contacts from 127.0.0.1: {len(ok)} of {len(legit)} answered 200; "
              f"median {took[len(took) // 2] * 1000:.0f} ms, slowest {took[-1] * 1000:.0f} ms")
        failed = (len(ok) != len(legit) or took[-1] >= 1.0
                  or "still open" in outcomes)
        print("stalled-flood:", "FAILED" if failed else "passed")
        return 1 if failed else 0
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
