#!/usr/bin/env python3
"""A slow-reader flood against a meerkat binary, and the server's RSS before, during
and after it (docs/security.md, "The memory bound").

Starts the binary with a temporary data directory on free loopback ports, registers the
accounts over the admin API, logs a few clients in and out and reads the baseline RSS
(`VmRSS` of /proc/PID/status). Then READERS clients log in over c2s (SASL PLAIN, no TLS),
send their presence and never read again (4 KiB receive buffers), while SENDERS clients
send each of them PER_READER messages of BODY bytes: more than a session queue holds, so
the server closes them as slow readers. Then every client leaves and the RSS is read
every 5 s for SETTLE seconds. Everything is on loopback and every wait is bounded; the
server is stopped on every way out.

    python3 bench/slow_flood.py target/release/meerkat [--readers 300] ...

Environment variables given to the script reach the server (MALLOC_ARENA_MAX, ...).
Standard library only.
"""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from loopback import free_port

DOMAIN = "localhost"
PASSWORD = "flood-password"
STREAM = (
    "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


def threads(pid):
    return status(pid, "Threads")


def split(pid):
    """RSS as anonymous memory (the heap) and file pages (the binary's code and data)."""
    return f"anon {mib(status(pid, 'RssAnon'))}, file {mib(status(pid, 'RssFile'))}"


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


def read_until(sock, buf, pattern, deadline):
    """Reads into `buf` until `pattern` matches; returns the rest after the match."""
    rx = re.compile(pattern)
    while True:
        m = rx.search(buf)
        if m:
            return buf[m.end():], m
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"waiting for {pattern!r}, have {buf[-200:]!r}")
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed while waiting for {pattern!r}")
        buf += chunk.decode("utf-8", "replace")


def login(port, user, slow=False, timeout=30.0):
    """A bound c2s session of `user`; a slow one has a tiny receive buffer."""
    s = socket.socket()
    if slow:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1024)
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.sendall(STREAM.encode())
    buf, _ = read_until(s, "", r"</stream:features>", deadline)
    token = base64.b64encode(f"\0{user}\0{PASSWORD}".encode()).decode()
    s.sendall(
        f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>".encode()
    )
    buf, m = read_until(s, buf, r"<success[^>]*/>|</success>|</failure>", deadline)
    if "failure" in m.group(0):
        raise RuntimeError(f"login of {user} refused")
    s.sendall(STREAM.encode())
    buf, _ = read_until(s, buf, r"</stream:features>", deadline)
    s.sendall(
        b"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        b"<resource>flood</resource></bind></iq>"
    )
    buf, _ = read_until(s, buf, r"</iq>", deadline)
    s.sendall(b"<presence/>")
    return s


def drain(sock, stop):
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            if not sock.recv(1 << 20):
                return
        except socket.timeout:
            continue
        except OSError:
            return


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--readers", type=int, default=300)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--body", type=int, default=2000, help="bytes of each message body")
    ap.add_argument("--per-reader", type=int, default=700, help="messages sent to each reader")
    ap.add_argument("--settle", type=int, default=60, help="seconds of readings after the flood")
    ap.add_argument("--rounds", type=int, default=1, help="floods one after the other, each with its settle time")
    ap.add_argument("--extra-config", default="", help="TOML appended to the config file")
    ap.add_argument("--probe-trim", action="store_true",
                    help="at the end, make the server call malloc_trim(0) through gdb and read RSS "
                         "again: what the allocator held free, apart from what is in use")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="meerkat-flood.")
    admin, c2s, api = free_port(), free_port(), free_port()
    with open(os.path.join(work, "meerkat.toml"), "w") as f:
        f.write(f"""[general]
hosts = ["localhost"]
data_dir = "{work}/data"
loglevel = "warn"

[[listen.http]]
port = {admin}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[[listen.http]]
port = {api}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.c2s]]
port = {c2s}
ip_address = "127.0.0.1"
allow_plain_without_tls = true
max_connections_per_ip = 100000
{args.extra_config}
""")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen(
        [os.path.abspath(args.binary), "--config", os.path.join(work, "meerkat.toml")],
        stdout=log, stderr=subprocess.STDOUT, cwd=work,
    )
    clients = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", c2s), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the server did not start; see " + log.name)
                time.sleep(0.2)

        names = [f"sender{i}" for i in range(args.senders)] + [f"slow{i}" for i in range(args.readers)]
        for name in names:
            req = urllib.request.Request(
                f"http://127.0.0.1:{admin}/api/users/{DOMAIN}",
                data=json.dumps({"username": name, "password": PASSWORD}).encode(),
                headers={"Content-Type": "application/json"}, method="POST",
            )
            urllib.request.urlopen(req, timeout=30).read()

        # Baseline: a few clients log in, exchange a few messages and leave.
        few = [login(c2s, f"sender{i}") for i in range(args.senders)]
        for i, s in enumerate(few):
            to = f"sender{(i + 1) % args.senders}@{DOMAIN}"
            s.sendall(f"<message to='{to}' type='chat'><body>hello</body></message>".encode())
        time.sleep(1)
        for s in few:
            s.sendall(b"</stream:stream>")
            s.close()
        time.sleep(5)
        baseline = rss_kib(server.pid)
        print(f"baseline      {mib(baseline)} ({split(server.pid)}), {threads(server.pid)} threads", flush=True)

        for round_no in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {round_no}", flush=True)
            peak = [baseline]
            sampling = threading.Event()

            def sample():
                while not sampling.is_set():
                    try:
                        peak[0] = max(peak[0], rss_kib(server.pid))
                    except (OSError, RuntimeError):
                        return
                    time.sleep(0.25)

            threading.Thread(target=sample, daemon=True).start()

            t0 = time.monotonic()
            readers = []
            lock = threading.Lock()

            def connect(batch):
                for i in batch:
                    s = login(c2s, f"slow{i}", slow=True)
                    with lock:
                        readers.append(s)

            workers = [threading.Thread(target=connect, args=(range(k, args.readers, 8),)) for k in range(8)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            clients.extend(readers)
            print(f"{len(readers)} slow readers logged in in {time.monotonic() - t0:.1f} s; "
                  f"RSS {mib(rss_kib(server.pid))}", flush=True)

            stop = threading.Event()
            body = "x" * args.body
            senders = [login(c2s, f"sender{i}") for i in range(args.senders)]
            clients.extend(senders)
            drains = [threading.Thread(target=drain, args=(s, stop), daemon=True) for s in senders]
            for d in drains:
                d.start()

            def send(k, sock):
                mine = list(range(k, args.readers, args.senders))
                try:
                    for n in range(args.per_reader):
                        out = "".join(
                            f"<message to='slow{i}@{DOMAIN}' type='chat' id='m{n}'><body>{body}</body></message>"
                            for i in mine
                        )
                        sock.settimeout(60)
                        sock.sendall(out.encode())
                except OSError as e:
                    print(f"sender{k}: {e}", file=sys.stderr)

            t1 = time.monotonic()
            sending = [threading.Thread(target=send, args=(k, s)) for k, s in enumerate(senders)]
            for t in sending:
                t.start()
            for t in sending:
                t.join()
            sent = args.readers * args.per_reader
            print(f"sent {sent} messages of {args.body} bytes in {time.monotonic() - t1:.1f} s; "
                  f"RSS {mib(rss_kib(server.pid))}", flush=True)
            time.sleep(5)
            stop.set()
            for s in clients:
                try:
                    s.close()
                except OSError:
                    pass
            clients.clear()
            sampling.set()
            print(f"peak          {mib(peak[0])}", flush=True)
            after = None
            for t in range(0, args.settle + 1, 5):
                after = rss_kib(server.pid)
                print(f"after {t:3d} s   {mib(after)}", flush=True)
                if t < args.settle:
                    time.sleep(5)
            ratio = after / baseline
            print(f"RESULT baseline={mib(baseline)} peak={mib(peak[0])} after={mib(after)} "
                  f"after/baseline={ratio:.2f} within25%={'yes' if ratio <= 1.25 else 'no'} "
                  f"threads={threads(server.pid)}", flush=True)
            print(f"after: {split(server.pid)}", flush=True)
        if args.probe_trim:
            subprocess.run(["gdb", "-p", str(server.pid), "-batch", "-ex", "call (int) malloc_trim(0)"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
            print(f"after malloc_trim(0) through gdb: {mib(rss_kib(server.pid))}", flush=True)
        with open(log.name) as f:
            full = sum(1 for line in f if "queue full" in line)
        print(f"sessions closed as slow readers (log lines 'queue full'): {full}", flush=True)
    finally:
        for s in clients:
            try:
                s.close()
            except OSError:
                pass
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        if os.environ.get("FLOOD_KEEP"):
            print("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
