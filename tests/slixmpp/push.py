"""Push notifications (XEP-0357), the user's server's side: an app server runs as an
external component (slixmpp's ComponentXMPP) on push.localhost; bob's client registers a
node on it with a secret in its publish-options, goes offline, and a message sent to him
over REST reaches the app server as a pubsub publish of a summary, without the body.

Arguments: the component listener's host:port, and its secret."""

import asyncio
import sys

import slixmpp
from slixmpp.xmlstream import ET
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

from harness import WAIT, Client, expect, rest, run

ADDR, SECRET = sys.argv[1], sys.argv[2]
PUBSUB = "http://jabber.org/protocol/pubsub"


class AppServer(slixmpp.ComponentXMPP):
    """Keeps every publish it is sent, and answers it."""

    def __init__(self):
        super().__init__("push.localhost", SECRET)
        self.publishes = asyncio.Queue()
        self.register_handler(
            Callback("publish", MatchXPath(f"{{jabber:component:accept}}iq/{{{PUBSUB}}}pubsub"), self.on_publish)
        )

    def on_publish(self, iq):
        self.publishes.put_nowait(iq)
        iq.reply().send()

    async def online(self):
        host, port = ADDR.rsplit(":", 1)
        started = asyncio.get_running_loop().create_future()
        self.add_event_handler("session_start", lambda _: started.done() or started.set_result(True))
        self.connect(host, int(port))
        await asyncio.wait_for(started, WAIT)
        return self


def enable_element():
    enable = ET.Element("{urn:xmpp:push:0}enable", {"jid": "push.localhost", "node": "device-1"})
    form = ET.SubElement(enable, "{jabber:x:data}x", {"type": "submit"})
    for var, value in [("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options"), ("secret", "s3cr3t")]:
        field = ET.SubElement(form, "{jabber:x:data}field", {"var": var})
        ET.SubElement(field, "{jabber:x:data}value").text = value
    return enable


async def scenario():
    app = await AppServer().online()
    bob = await Client("bob").online()
    iq = bob.make_iq_set()
    iq.append(enable_element())
    await iq.send(timeout=WAIT)
    await bob.offline()

    status, _ = rest("POST", "/messages", user="alice", body={"to": "bob@localhost", "body": "secret plans"})
    expect(status == 200, f"send answered {status}")
    publish = await asyncio.wait_for(app.publishes.get(), WAIT)
    xml = str(publish)
    expect(publish["from"] == slixmpp.JID("bob@localhost"), f"from {publish['from']}")
    expect("device-1" in xml and "urn:xmpp:push:summary" in xml, xml)
    expect("message-count" in xml and "alice@localhost" in xml, xml)
    expect("s3cr3t" in xml, "the publish-options travel with the notification")
    expect("secret plans" not in xml, "no message body leaves the server by default")

    # Once bob is back online (and gets his message), nothing more is pushed.
    bob = await Client("bob").online()
    got = await bob.next_message()
    expect(got["body"] == "secret plans", f"got {got['body']!r}")
    rest("POST", "/messages", user="alice", body={"to": "bob@localhost", "body": "hi again"})
    await bob.next_message()
    try:
        extra = await asyncio.wait_for(app.publishes.get(), 1.0)
        raise AssertionError(f"pushed while online: {extra}")
    except asyncio.TimeoutError:
        pass
    await bob.offline()
    app.disconnect()


run(scenario)
