"""What every slixmpp scenario shares: clients that log in to the test server started by
the Rust integration test (its address in the environment, its self-signed certificate
accepted), waits that fail after a timeout instead of hanging, and a runner that turns an
exception into a non-zero exit with a readable message.

Environment: MEERKAT_C2S (host:port of a STARTTLS c2s listener), MEERKAT_DOMAIN,
MEERKAT_API (base URL of the client REST API, for scenarios that mix doors).
"""

import asyncio
import base64
import json
import os
import ssl
import sys
import traceback
import urllib.request

import slixmpp

DOMAIN = os.environ.get("MEERKAT_DOMAIN", "localhost")
WAIT = 10.0


class Client(slixmpp.ClientXMPP):
    """A slixmpp client with the plugins a scenario asks for and a queue of the messages
    it receives."""

    def __init__(self, user, password="secret", resource="slix", plugins=()):
        super().__init__(f"{user}@{DOMAIN}/{resource}", password)
        self.ssl_context.check_hostname = False
        self.ssl_context.verify_mode = ssl.CERT_NONE
        for plugin in ("xep_0030", *plugins):
            self.register_plugin(plugin)
        self.messages = asyncio.Queue()
        self.add_event_handler("message", self.messages.put_nowait)

    async def online(self, presence=True):
        host, port = os.environ["MEERKAT_C2S"].rsplit(":", 1)
        started = asyncio.get_running_loop().create_future()
        self.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
        self.add_event_handler(
            "failed_auth", lambda _: started.done() or started.set_exception(AssertionError("login refused"))
        )
        self.connect(host, int(port))
        await asyncio.wait_for(started, WAIT)
        if presence:
            self.send_presence()
        return self

    async def next_message(self, want=lambda m: m["body"] != "", timeout=WAIT):
        """The next received message `want` accepts (others are dropped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError("no expected message arrived")
            message = await asyncio.wait_for(self.messages.get(), left)
            if want(message):
                return message

    async def quiet(self, seconds=0.5):
        """Asserts that no message with a body arrives for `seconds`."""
        try:
            m = await asyncio.wait_for(self.next_message(), seconds)
        except (asyncio.TimeoutError, AssertionError):
            return
        raise AssertionError(f"unexpected message: {m}")

    async def offline(self):
        self.disconnect()
        await asyncio.sleep(0.2)


def rest(method, path, user=None, password="secret", body=None):
    """A client REST API call as `user`; returns (status, decoded JSON or None)."""
    url = os.environ["MEERKAT_API"] + path
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if user is not None:
        token = base64.b64encode(f"{user}@{DOMAIN}:{password}".encode()).decode()
        request.add_header("authorization", f"Basic {token}")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(request, timeout=WAIT, context=context) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text else None


def expect(condition, what):
    if not condition:
        raise AssertionError(what)


def run(scenario):
    """Runs `scenario()` (a coroutine function) with an overall deadline; exit status 0
    and `ok` on success, 1 and the traceback otherwise."""
    try:
        asyncio.run(asyncio.wait_for(scenario(), 60))
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
    print("ok")
