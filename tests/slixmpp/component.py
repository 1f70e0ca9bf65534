"""External components (XEP-0114) with slixmpp's ComponentXMPP: an echo component connects
as echo.localhost with the listener's secret; alice reaches it over XMPP and over REST and
gets its echoes; the server's disco#items lists it only while it is connected, and once it
is gone its domain is unknown again.

Arguments: the component listener's host:port, and its secret."""

import asyncio
import sys

import slixmpp

from harness import WAIT, Client, expect, rest, run

ADDR, SECRET = sys.argv[1], sys.argv[2]
DOMAIN = "echo.localhost"


class Echo(slixmpp.ComponentXMPP):
    """Answers every chat message with its body, from the address it was sent to."""

    def __init__(self):
        super().__init__(DOMAIN, SECRET)
        self.register_plugin("xep_0030")
        self.received = asyncio.Queue()
        self.add_event_handler("message", self.echo)

    def echo(self, msg):
        self.received.put_nowait(msg)
        if msg["type"] in ("chat", "normal") and msg["body"]:
            msg.reply(f"echo: {msg['body']}").send()

    async def online(self):
        host, port = ADDR.rsplit(":", 1)
        started = asyncio.get_running_loop().create_future()
        self.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
        self.connect(host, int(port))
        await asyncio.wait_for(started, WAIT)
        return self

    async def offline(self):
        gone = asyncio.get_running_loop().create_future()
        self.add_event_handler("disconnected", lambda _: gone.done() or gone.set_result(True))
        self.disconnect()
        await asyncio.wait_for(gone, WAIT)


async def server_items(client):
    iq = await client.plugin["xep_0030"].get_items(jid="localhost", timeout=WAIT)
    return {str(item[0]) for item in iq["disco_items"]["items"]}


async def scenario():
    alice = await Client("alice").online()
    errors = asyncio.Queue()
    alice.add_event_handler("message_error", errors.put_nowait)

    expect(DOMAIN not in await server_items(alice), "not listed before it connects")
    echo = await Echo().online()
    expect(DOMAIN in await server_items(alice), "listed while connected")

    # Over XMPP: the component gets alice's full JID and its echo comes back from the bot.
    alice.send_message(mto=f"bot@{DOMAIN}", mbody="ping 1", mtype="chat")
    got = await asyncio.wait_for(echo.received.get(), WAIT)
    expect(got["from"] == slixmpp.JID("alice@localhost/slix"), f"component saw from={got['from']}")
    reply = await alice.next_message()
    expect(reply["body"] == "echo: ping 1", f"echo {reply['body']!r}")
    expect(reply["from"] == slixmpp.JID(f"bot@{DOMAIN}"), f"echo from {reply['from']}")

    # Over REST: the same router, the same component.
    status, _ = rest("POST", "/messages", user="alice", body={"to": f"bot@{DOMAIN}", "body": "ping 2"})
    expect(status == 200, f"REST send answered {status}")
    reply = await alice.next_message()
    expect(reply["body"] == "echo: ping 2", f"echo {reply['body']!r}")

    # The component answers what is asked of its own domain (here slixmpp's disco#info).
    info = await alice.plugin["xep_0030"].get_info(jid=DOMAIN, timeout=WAIT)
    expect(info["from"] == slixmpp.JID(DOMAIN), f"disco#info answered by {info['from']}")

    await echo.offline()
    await asyncio.sleep(0.3)
    expect(DOMAIN not in await server_items(alice), "not listed once disconnected")
    alice.send_message(mto=f"bot@{DOMAIN}", mbody="anyone?", mtype="chat")
    error = await asyncio.wait_for(errors.get(), WAIT)
    expect(error["error"]["condition"] == "remote-server-not-found", f"error {error['error']['condition']}")
    await alice.offline()


run(scenario)
