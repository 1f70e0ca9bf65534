"""The contract run's own HTTP requests (tests/contract.sh, tests/contract_admin.py): the TLS
settings that schemathesis gets too, and the first request that stops the run early when
the URL, the certificate or the credentials are wrong.

    python tests/contract_net.py check client
    python tests/contract_net.py check admin
    python tests/contract_net.py seed-client

TLS, for every request of the run (the same as schemathesis' `--tls-verify`):
CONTRACT_CA, a PEM file of the certificates to trust (a server's own self-signed
certificate is `data/self-signed-cert.pem` in its data directory), or CONTRACT_TLS_VERIFY
`false` (no verification at all); neither: the system's trusted certificates.

`check client` sends `GET /contacts` to CONTRACT_URL as CONTRACT_USER, then as
CONTRACT_PEER; `check admin` sends `GET /domains` to CONTRACT_ADMIN_URL with
CONTRACT_ADMIN_USER's credentials. Each must answer `200`; anything else ends the run
(exit status 2) with one line that names what is wrong and what to give instead.

`seed-client` writes the two identities of the client run as an auth document (Basic
credentials as fixed headers) to CONTRACT_AUTH_FILE, and adds CONTRACT_CONTACT, when set,
to CONTRACT_USER's contacts, so that the contact operations have an item to act on.
"""

import base64
import http.client
import json
import os
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 10


def tls_context():
    """The TLS settings of the run, as CONTRACT_CA and CONTRACT_TLS_VERIFY give them."""
    ca = os.environ.get("CONTRACT_CA", "")
    if ca:
        return ssl.create_default_context(cafile=ca)
    if os.environ.get("CONTRACT_TLS_VERIFY", "") == "false":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context()


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def call(method, url, authorization, body=None):
    """One request: (status, body text); a failure to get any answer raises OSError."""
    request = urllib.request.Request(
        url,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": authorization, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=tls_context()) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def tls_hint():
    ca = os.environ.get("CONTRACT_CA", "")
    if ca:
        return (
            f"it is not signed by a certificate in CA={ca}: give the server's certificate or "
            "the CA that signed it (for a server's own self-signed certificate, "
            "data/self-signed-cert.pem in its data directory), or TLS_VERIFY=false"
        )
    return (
        "give CA=<PEM file> with the server's certificate or the CA that signed it (for a "
        "server's own self-signed certificate, data/self-signed-cert.pem in its data "
        "directory), or TLS_VERIFY=false to test without checking it "
        "(CONTRACT_CA, CONTRACT_TLS_VERIFY for tests/contract.sh)"
    )


def no_answer(url, error):
    """What is wrong when a request got no HTTP answer at all."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    where = urllib.parse.urlsplit(url)
    place = f"{where.scheme}://{where.netloc}"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"the certificate of {place} is not trusted ({reason.verify_message}): {tls_hint()}"
    if isinstance(reason, ssl.SSLError):
        return (
            f"no TLS handshake with {place} ({reason.reason or reason}): is it an HTTPS "
            "listener? A plain HTTP one needs an http:// URL"
        )
    if isinstance(reason, ConnectionRefusedError):
        return f"connection refused by {where.netloc}: is the server running, and is the port right?"
    if isinstance(reason, socket.gaierror):
        return f"the host {where.hostname} is not known ({reason.strerror})"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer from {place} within {TIMEOUT} s"
    if isinstance(reason, (http.client.BadStatusLine, http.client.RemoteDisconnected, ConnectionResetError)):
        return (
            f"{place} closed the connection without an HTTP answer ({reason}): is it an "
            "HTTPS listener asked over http://?"
        )
    return f"no answer from {place}: {reason}"


def check(url, path, who, user_var, password_var, user, password):
    """Ends the run with a clear line unless `GET url+path` as `user` answers 200."""
    target = url.rstrip("/") + path
    try:
        status, text = call("GET", target, basic(user, password))
    except (OSError, http.client.HTTPException) as e:
        fail(f"{target}: {no_answer(target, e)}")
    if status == 200:
        return
    if status == 401:
        fail(
            f"{who} {user} was refused at {target} (401 {text.strip()}): check {user_var} "
            f"and {password_var}"
        )
    if status == 429:
        fail(
            f"{target} answered 429 (too many failed logins from this address): wait for the "
            "throttle's window to pass, and raise [auth] max_failures_per_ip and "
            "max_failures_per_account on the server for the run"
        )
    if status == 404:
        fail(f"{target} answered 404: is the URL the API's base (the path up to and including /api)?")
    fail(f"{target} answered {status} {text.strip()[:200]}, not 200")


def fail(message):
    print(f"contract: {message}", file=sys.stderr)
    sys.exit(2)


def env(name):
    value = os.environ.get(name)
    if not value:
        fail(f"set {name}")
    return value


def main(args):
    ca = os.environ.get("CONTRACT_CA", "")
    if ca and not os.path.isfile(ca):
        fail(f"CA={ca} is not a file (give a PEM file of the certificates to trust)")
    if args == ["check", "client"]:
        url = env("CONTRACT_URL")
        check(url, "/contacts", "the user", "USER", "PASSWORD", env("CONTRACT_USER"), env("CONTRACT_PASSWORD"))
        check(
            url,
            "/contacts",
            "the peer",
            "PEER",
            "PEER_PASSWORD",
            env("CONTRACT_PEER"),
            env("CONTRACT_PEER_PASSWORD"),
        )
    elif args == ["check", "admin"]:
        check(
            env("CONTRACT_ADMIN_URL"),
            "/domains",
            "the admin API's user",
            "ADMIN_USER",
            "ADMIN_PASSWORD",
            env("CONTRACT_ADMIN_USER"),
            env("CONTRACT_ADMIN_PASSWORD"),
        )
    elif args == ["seed-client"]:
        user = basic(env("CONTRACT_USER"), env("CONTRACT_PASSWORD"))
        peer = basic(env("CONTRACT_PEER"), env("CONTRACT_PEER_PASSWORD"))
        with open(env("CONTRACT_AUTH_FILE"), "w") as f:
            json.dump(
                {
                    "auth": [
                        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": value}]}
                        for name, value in (("user", user), ("peer", peer))
                    ]
                },
                f,
            )
        contact = os.environ.get("CONTRACT_CONTACT")
        if contact:
            target = env("CONTRACT_URL").rstrip("/") + "/contacts"
            try:
                status, text = call("POST", target, user, {"jid": contact})
            except (OSError, http.client.HTTPException) as e:
                fail(f"{target}: {no_answer(target, e)}")
            if status != 204:
                fail(f"adding CONTACT {contact}: POST {target} answered {status} {text.strip()}, not 204")
    else:
        fail("usage: contract_net.py check client|admin, or seed-client")


if __name__ == "__main__":
    main(sys.argv[1:])
