"""Seeds the admin API's contract run (tests/contract.sh, tests/schemathesis-admin.toml).

    python tests/contract_admin.py seed [--strict]
    python tests/contract_admin.py hold HOST:PORT

Both read the admin API's base URL and credentials from CONTRACT_ADMIN_URL,
CONTRACT_ADMIN_USER and CONTRACT_ADMIN_PASSWORD, its TLS settings from CONTRACT_CA or
CONTRACT_TLS_VERIFY (tests/contract_net.py), and the password the seeded users get (or
already have) from CONTRACT_ADMIN_SEED_PASSWORD (`seed` makes up one when it is empty).

`seed` makes, through the admin API, what the spec's examples name, so that the examples
(and the values schemathesis builds from them) reach real resources: the users
alice@localhost and bob@localhost, each other's contacts; the MUC Light room
lobby@muclight.localhost, owned by alice, with bob a member; the MUC room
lobby@conference.localhost, owned by alice; and a chat message from alice to bob in both
archives. What exists already is left as it is. Without --strict (against a deployment) a
seed that cannot be made is reported and the run goes on; with it, the script fails.

`hold` connects alice (resource `phone`) and bob (resource `laptop`) over XMPP to the c2s
listener at HOST:PORT (plain TCP, SASL PLAIN: the listener needs
`allow_plain_without_tls`), enters each into the MUC room as `alice` and `bob`, prints
`ready`, then reads until the server ends the streams or the process is killed. So the
session operations list, kick and end real sessions, and the MUC operations send to and
kick real occupants.
"""

import base64
import json
import os
import secrets
import socket
import sys
import threading
import urllib.error
import urllib.request

from contract_net import tls_context

DOMAIN = "localhost"
LIGHT = "muclight.localhost"
MUC = "conference.localhost"
ALICE, BOB = f"alice@{DOMAIN}", f"bob@{DOMAIN}"


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"contract_admin.py: set {name}")
    return value


def call(method, path, body=None):
    """The admin API's answer to one request: (status, body text)."""
    auth = f"{env('CONTRACT_ADMIN_USER')}:{env('CONTRACT_ADMIN_PASSWORD')}"
    request = urllib.request.Request(
        env("CONTRACT_ADMIN_URL").rstrip("/") + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(auth.encode()).decode(),
            "Content-Type": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10, context=tls_context()) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def seed(strict):
    password = os.environ.get("CONTRACT_ADMIN_SEED_PASSWORD") or secrets.token_urlsafe(16)
    # (what, method, path, body, the answers that mean it is there)
    seeds = [
        ("user alice", "POST", f"/users/{DOMAIN}", {"username": "alice", "password": password}, (201, 409)),
        ("user bob", "POST", f"/users/{DOMAIN}", {"username": "bob", "password": password}, (201, 409)),
        ("alice and bob as contacts", "PUT", f"/contacts/{ALICE}/{BOB}/manage", {"action": "connect"}, (204,)),
        (
            "MUC Light room lobby",
            "PUT",
            f"/muc-lights/{LIGHT}",
            {"id": "lobby", "owner": ALICE, "name": "Lobby", "subject": "Anything goes"},
            (201, 409),
        ),
        (
            "bob in the MUC Light room",
            "POST",
            f"/muc-lights/{LIGHT}/lobby/participants",
            {"sender": ALICE, "recipient": BOB},
            (204,),
        ),
        ("MUC room lobby", "POST", f"/mucs/{DOMAIN}", {"name": "lobby", "owner": ALICE, "nick": "alice"}, (201, 409)),
        ("a message", "POST", "/messages", {"caller": ALICE, "to": BOB, "body": "Hello, Bob"}, (204,)),
    ]
    missing = []
    for what, method, path, body, fine in seeds:
        try:
            status, text = call(method, path, body)
        except OSError as e:
            status, text = None, str(e)
        if status not in fine:
            missing.append(f"{what}: {method} {path} answered {status} {text}")
    for line in missing:
        print(f"contract: could not seed {line}", file=sys.stderr)
    if missing and strict:
        sys.exit(1)


class Stream:
    """A plain-TCP client stream, read until a marker shows up."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buffer = ""

    def send(self, text):
        self.sock.sendall(text.encode())

    def expect(self, *markers):
        while not any(m in self.buffer for m in markers):
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"the server closed the stream; it sent: {self.buffer[-500:]}")
            self.buffer += data.decode(errors="replace")
        found = next(m for m in markers if m in self.buffer)
        self.buffer = self.buffer[self.buffer.index(found) + len(found) :]
        return found

    def open(self):
        self.send(
            f"<?xml version='1.0'?><stream:stream to='{DOMAIN}' version='1.0' "
            "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
        )
        self.expect("</stream:features>")

    def drain(self):
        """Reads (and drops) everything until the stream ends."""
        self.sock.settimeout(None)
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass


def online(address, user, password, resource, nick):
    """`user` bound to `resource` and in the MUC room as `nick`."""
    stream = Stream(address)
    stream.open()
    plain = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    stream.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{plain}</auth>")
    if stream.expect("<success", "<failure") != "<success":
        raise ConnectionError(f"{user} could not log in over XMPP")
    stream.open()
    stream.send(
        "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        f"<resource>{resource}</resource></bind></iq>"
    )
    stream.expect("</iq>")
    stream.send(
        f"<presence to='lobby@{MUC}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
    )
    # The room's presence for the user's own occupant carries status 110.
    stream.expect("code='110'", 'code="110"')
    return stream


def hold(address):
    password = env("CONTRACT_ADMIN_SEED_PASSWORD")
    streams = [
        online(address, ALICE, password, "phone", "alice"),
        online(address, BOB, password, "laptop", "bob"),
    ]
    print("ready", flush=True)
    readers = [threading.Thread(target=s.drain, daemon=True) for s in streams]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()


if __name__ == "__main__":
    if sys.argv[1:2] == ["seed"]:
        seed(strict="--strict" in sys.argv[2:])
    elif sys.argv[1:2] == ["hold"] and len(sys.argv) == 3:
        hold(sys.argv[2])
    else:
        sys.exit(__doc__)
