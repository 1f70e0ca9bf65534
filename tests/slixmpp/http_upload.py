"""XEP-0363 HTTP File Upload through slixmpp's xep_0363 plugin (which uploads with
aiohttp), and the HTTP side checked with Python's own HTTP clients.

Usage: http_upload.py SCENARIO [ARGS]; the scenarios are at the bottom. The server's
upload handler is on an HTTPS listener with its self-signed certificate, which the
clients here accept, as the harness does for XMPP.
"""

import asyncio
import http.client
import io
import os
import ssl
import sys
import urllib.parse
import urllib.request

import aiohttp
from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0363 import http_upload

from harness import DOMAIN, Client, expect, run

NS = "urn:xmpp:http:upload:0"
SERVICE = f"upload.{DOMAIN}"


def unchecked_tls():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _unchecked_session(*args, **kwargs):
    """The plugin's HTTP session, accepting the test server's certificate."""
    return aiohttp.ClientSession(*args, connector=aiohttp.TCPConnector(ssl=False), **kwargs)


http_upload.ClientSession = _unchecked_session


def fetch(url, method="GET", headers=None):
    """(status, headers, body) of a request to `url`."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=unchecked_tls()) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def put_headers_only(url, headers, partial_body=b""):
    """A PUT that sends its headers (and `partial_body`, if any) and waits for the
    answer before the rest of the body: what the server decides without it. Returns the
    status."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=10, context=unchecked_tls())
    try:
        conn.putrequest("PUT", f"{u.path}?{u.query}", skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        conn.endheaders()
        if partial_body:
            conn.send(partial_body)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def put(url, body, content_type):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=10, context=unchecked_tls())
    try:
        conn.request("PUT", f"{u.path}?{u.query}", body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


async def uploader(user="alice"):
    return await Client(user, plugins=["xep_0363"]).online()


async def upload(client, name, data, content_type):
    return await client.plugin["xep_0363"].upload_file(
        name, size=len(data), content_type=content_type, input_file=io.BytesIO(data), timeout=10
    )


async def slot(client, name, size, content_type):
    """(PUT URL, GET URL) of a slot requested by hand."""
    iq = await client.plugin["xep_0363"].request_slot(SERVICE, name, size, content_type, timeout=10)
    s = iq["http_upload_slot"]
    return s["put"]["url"], s["get"]["url"]


def error_of(e):
    return e.iq["error"]["condition"], e.iq["error"]["type"]


async def round_trip():
    """Upload with the plugin (disco finds the service), download with urllib: same
    bytes, the announced type, and the headers that keep a browser safe."""
    alice = await uploader()
    data = bytes(range(256)) * 200  # 51,200 bytes: far over the listener's max_body_size
    url = await upload(alice, "photo de vacances.jpg", data, "image/jpeg")
    expect(url.startswith("https://localhost:"), f"GET URL {url}")
    expect(url.endswith("/photo%20de%20vacances.jpg"), f"GET URL {url}")
    expect(alice.plugin["xep_0363"].upload_service == SERVICE, "the service was discovered")
    expect(alice.plugin["xep_0363"].max_file_size == 100000, "max-file-size read from disco#info")

    status, headers, body = fetch(url)
    expect(status == 200, f"GET answered {status}")
    expect(body == data, "the same bytes came back")
    expect(headers["Content-Type"] == "image/jpeg", f"Content-Type {headers['Content-Type']}")
    expect(headers["X-Content-Type-Options"] == "nosniff", "nosniff")
    expect("default-src 'none'" in headers["Content-Security-Policy"], headers["Content-Security-Policy"])
    expect(headers["Content-Disposition"].startswith("inline;"), headers["Content-Disposition"])
    expect(headers["Access-Control-Allow-Origin"] == "*", "CORS for web clients")

    status, headers, body = fetch(url, method="HEAD")
    expect(status == 200 and body == b"", f"HEAD answered {status} with {len(body)} bytes")
    expect(headers["Content-Length"] == str(len(data)), f"HEAD Content-Length {headers['Content-Length']}")

    status, headers, body = fetch(url, headers={"Range": "bytes=256-511"})
    expect(status == 206 and body == data[256:512], f"range answered {status}, {len(body)} bytes")
    expect(headers["Content-Range"] == f"bytes 256-511/{len(data)}", headers["Content-Range"])

    # Anyone with the link may download it: it is meant to be shared.
    status, _, body = fetch(url)
    expect(status == 200 and body == data, "a second GET")

    # HTML is served as an attachment, under a policy that runs no script.
    page = await upload(alice, "page.html", b"<script>alert(1)</script>", "text/html")
    status, headers, body = fetch(page)
    expect(status == 200 and headers["Content-Type"] == "text/html", f"{status} {headers['Content-Type']}")
    expect(headers["Content-Disposition"].startswith("attachment;"), headers["Content-Disposition"])
    expect("sandbox" in headers["Content-Security-Policy"], headers["Content-Security-Policy"])

    # Files that are not there.
    base, file_id, name = url.rsplit("/", 2)
    other = "0" * len(file_id)
    for missing in (f"{base}/{other}/{name}", f"{base}/{file_id}/other.jpg", f"{base}/nonsense"):
        status, _, _ = fetch(missing)
        expect(status == 404, f"GET {missing} answered {status}")
    await alice.offline()


async def limits():
    """The service refuses what is over the size limit or the user's quota, with the
    errors XEP-0363 defines."""
    alice = await uploader()
    # The plugin reads max-file-size from disco#info and refuses on its own...
    try:
        await upload(alice, "big.bin", b"x" * 100001, "application/octet-stream")
        raise AssertionError("a file over the limit was uploaded")
    except http_upload.FileTooBig:
        pass
    # ...and a client that asks anyway gets not-acceptable with file-too-large.
    try:
        await slot(alice, "big.bin", 100001, "application/octet-stream")
        raise AssertionError("a slot over the limit was given")
    except IqError as e:
        expect(error_of(e) == ("not-acceptable", "modify"), f"error {error_of(e)}")
        max_size = e.iq.xml.find(f".//{{{NS}}}file-too-large/{{{NS}}}max-file-size")
        expect(max_size is not None and max_size.text == "100000", "file-too-large names the limit")
    # Bad requests.
    for name, size in (("", 10), ("a/b.txt", 10), ("a.txt", -1)):
        try:
            await slot(alice, name, size, "text/plain")
            raise AssertionError(f"a slot for {name!r} of {size} bytes was given")
        except IqError as e:
            expect(error_of(e)[0] == "bad-request", f"error {error_of(e)} for {name!r}")
    # The quota (150,000 bytes): one file of 90,000 fits, a second does not.
    await upload(alice, "first.bin", b"1" * 90000, "application/octet-stream")
    try:
        await upload(alice, "second.bin", b"2" * 90000, "application/octet-stream")
        raise AssertionError("an upload beyond the quota was accepted")
    except IqError as e:
        expect(error_of(e) == ("resource-constraint", "wait"), f"error {error_of(e)}")
        expect("Quota" in e.iq["error"]["text"], e.iq["error"]["text"])
    # Bob's quota is his own.
    bob = await uploader("bob")
    await upload(bob, "bobs.bin", b"3" * 90000, "application/octet-stream")
    await alice.offline()
    await bob.offline()


async def put_rules():
    """A PUT URL takes exactly the announced size and type, once; tampering is refused."""
    alice = await uploader()
    data = b"exactly twenty bytes"
    put_url, get_url = await slot(alice, "note.txt", len(data), "text/plain")
    text = {"Content-Type": "text/plain"}
    for headers, want, what in (
        ({**text, "Content-Length": "21"}, 413, "larger than announced"),
        ({**text, "Content-Length": "200000000"}, 413, "far larger than announced"),
        ({**text, "Content-Length": "19"}, 400, "smaller than announced"),
        ({**text, "Transfer-Encoding": "chunked"}, 411, "no Content-Length"),
        ({"Content-Type": "text/html", "Content-Length": "20"}, 415, "another type"),
    ):
        status = put_headers_only(put_url, headers)
        expect(status == want, f"{what}: {status}, expected {want}")

    base, query = put_url.split("?", 1)
    signature = query.rsplit("signature=", 1)[1]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered_id = base.rsplit("/", 2)
    tampered_id[1] = ("0" if tampered_id[1][0] != "0" else "1") + tampered_id[1][1:]
    for bad, what in (
        (f"{base}?{query.replace(signature, flipped)}", "a flipped signature"),
        (f"{'/'.join(tampered_id)}?{query}", "another slot id"),
        (f"{base.rsplit('/', 1)[0]}/other.txt?{query}", "another file name"),
        (f"{base}?", "no signature"),
    ):
        status = put_headers_only(bad, {**text, "Content-Length": "20"})
        expect(status == 403, f"{what}: {status}")
    # A body that stops half way is dropped after the listener's request_timeout (2 s).
    status = put_headers_only(put_url, {**text, "Content-Length": "20"}, partial_body=data[:10])
    expect(status == 408, f"a stalled body: {status}")
    # Nothing was stored by any of that, and the PUT URL is still good.
    status, _, _ = fetch(get_url)
    expect(status == 404, f"GET before the upload: {status}")

    status = put(put_url, data, "text/plain")
    expect(status == 201, f"PUT answered {status}")
    status = put(put_url, data, "text/plain")
    expect(status == 409, f"the PUT URL used again: {status}")
    status, headers, body = fetch(get_url)
    expect(status == 200 and body == data, f"GET answered {status}")
    expect(headers["Content-Disposition"].startswith("inline;"), headers["Content-Disposition"])
    await alice.offline()


async def expiry():
    """With uploads kept two seconds, a file is served, then gone."""
    alice = await uploader()
    url = await upload(alice, "short-lived.txt", b"soon gone", "text/plain")
    status, _, body = fetch(url)
    expect(status == 200 and body == b"soon gone", f"GET answered {status}")
    await asyncio.sleep(3.5)
    status, _, _ = fetch(url)
    expect(status == 404, f"GET after expiry answered {status}")
    await alice.offline()


async def account_removal(admin_api):
    """Removing an account removes its files."""
    alice = await uploader()
    url = await upload(alice, "mine.txt", b"private", "text/plain")
    expect(fetch(url)[0] == 200, "served while the account exists")
    await alice.offline()
    request = urllib.request.Request(f"{admin_api}/users/{DOMAIN}/alice", method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as r:
        expect(r.status in (200, 204), f"admin DELETE answered {r.status}")
    status, _, _ = fetch(url)
    expect(status == 404, f"GET after the account was removed answered {status}")


SCENARIOS = {
    "round_trip": round_trip,
    "limits": limits,
    "put_rules": put_rules,
    "expiry": expiry,
    "account_removal": account_removal,
}

if __name__ == "__main__":
    name, *args = sys.argv[1:]
    run(lambda: SCENARIOS[name](*args))
