"""Instant-messaging extensions a modern client relies on, each scenario named on the
command line: `offline` (XEP-0160), `carbons` (XEP-0280), `blocking` (XEP-0191),
`roster_versioning` (XEP-0237)."""

import asyncio
import sys

import slixmpp

from harness import Client, expect, rest, run


async def offline():
    # Bob is offline: messages sent to him over REST wait for his next login.
    for body in ["first", "second"]:
        status, _ = rest("POST", "/messages", user="alice", body={"to": "bob@localhost", "body": body})
        expect(status == 200, f"send answered {status}")
    bob = await Client("bob", plugins=["xep_0203"]).online()
    got = [await bob.next_message(), await bob.next_message()]
    expect([m["body"] for m in got] == ["first", "second"], f"got {[m['body'] for m in got]}")
    for m in got:
        expect(m["delay"]["stamp"] is not None, "a delayed message carries its stamp")
        expect(m["from"].bare == "alice@localhost", f"from {m['from']}")
    # Delivered once: another login finds nothing waiting.
    pc = await Client("bob", resource="pc", plugins=["xep_0203"]).online()
    await pc.quiet(1.0)
    await bob.offline()
    await pc.offline()


async def carbons():
    phone = await Client("bob", resource="phone", plugins=["xep_0280"]).online()
    pc = await Client("bob", resource="pc", plugins=["xep_0280"]).online()
    sent = asyncio.Queue()
    received = asyncio.Queue()
    for c in (phone, pc):
        await c.plugin["xep_0280"].enable()
        c.add_event_handler("carbon_sent", sent.put_nowait)
        c.add_event_handler("carbon_received", received.put_nowait)
    # Sent over REST: both of Bob's clients see a copy.
    status, _ = rest("POST", "/messages", user="bob", body={"to": "alice@localhost", "body": "from rest"})
    expect(status == 200, f"send answered {status}")
    copies = [await asyncio.wait_for(sent.get(), 10) for _ in range(2)]
    for copy in copies:
        inner = copy["carbon_sent"]
        expect(inner["body"] == "from rest", f"sent copy {inner['body']!r}")
        expect(inner["to"].bare == "alice@localhost", f"sent copy to {inner['to']}")
    expect({str(c["to"]) for c in copies} == {"bob@localhost/phone", "bob@localhost/pc"}, "one copy each")
    # Received by the phone: the pc gets a copy.
    alice = await Client("alice").online()
    alice.send_message(mto="bob@localhost/phone", mbody="to your phone", mtype="chat")
    direct = await phone.next_message()
    expect(direct["body"] == "to your phone", f"phone got {direct['body']!r}")
    copy = await asyncio.wait_for(received.get(), 10)
    expect(copy["to"] == slixmpp.JID("bob@localhost/pc"), f"received copy went to {copy['to']}")
    expect(copy["carbon_received"]["body"] == "to your phone", "the copy carries the message")
    for c in (phone, pc, alice):
        await c.offline()


async def blocking():
    bob = await Client("bob", plugins=["xep_0191"]).online()
    await bob.plugin["xep_0191"].block(["carol@localhost"])
    blocked = await bob.plugin["xep_0191"].get_blocked_jids()
    expect(blocked == {slixmpp.JID("carol@localhost")}, f"blocklist {blocked}")
    # Carol over REST: answered like a send to a user without an account; nothing arrives.
    status, _ = rest("POST", "/messages", user="carol", body={"to": "bob@localhost", "body": "over rest"})
    status_nobody, _ = rest("POST", "/messages", user="carol", body={"to": "nobody@localhost", "body": "x"})
    expect(status == status_nobody == 200, f"blocked {status}, no account {status_nobody}")
    # Carol over XMPP: service-unavailable.
    carol = await Client("carol").online()
    errors = asyncio.Queue()
    carol.add_event_handler("message_error", errors.put_nowait)
    carol.send_message(mto="bob@localhost", mbody="over xmpp", mtype="chat")
    error = await asyncio.wait_for(errors.get(), 10)
    expect(error["error"]["condition"] == "service-unavailable", f"error {error['error']['condition']}")
    await bob.quiet(1.0)
    # Bob cannot write to Carol either way.
    status, body = rest("POST", "/messages", user="bob", body={"to": "carol@localhost", "body": "x"})
    expect(status == 403 and body == "You have blocked this recipient", f"REST {status} {body}")
    bob_errors = asyncio.Queue()
    bob.add_event_handler("message_error", bob_errors.put_nowait)
    bob.send_message(mto="carol@localhost", mbody="x", mtype="chat")
    error = await asyncio.wait_for(bob_errors.get(), 10)
    expect(error["error"]["condition"] == "not-acceptable", f"error {error['error']['condition']}")
    await carol.quiet(0.5)
    # Unblocked: messages flow again.
    await bob.plugin["xep_0191"].unblock(["carol@localhost"])
    status, _ = rest("POST", "/messages", user="carol", body={"to": "bob@localhost", "body": "friends again"})
    expect((await bob.next_message())["body"] == "friends again", "delivered after unblocking")
    for c in (bob, carol):
        await c.offline()


async def roster_versioning():
    bob = await Client("bob").online(presence=False)
    expect("rosterver" in bob.features, f"stream features {bob.features}")

    async def roster_get(ver):
        iq = bob.make_iq_get(queryxmlns="jabber:iq:roster")
        iq["roster"]["ver"] = ver
        return await iq.send(timeout=10)

    first = await roster_get("")
    version = first["roster"]["ver"]
    expect(version, "a full roster carries its version")
    # Unchanged since that version: an empty result.
    same = await roster_get(version)
    expect(same.xml.find("{jabber:iq:roster}query") is None, "no roster resent for a current version")
    # A change comes as a push with the new version; the old one gets the full roster.
    pushes = asyncio.Queue()
    bob.add_event_handler("roster_update", pushes.put_nowait)
    status, _ = rest("POST", "/contacts", user="bob", body={"jid": "alice@localhost"})
    expect(status == 204, f"add contact answered {status}")
    push = await asyncio.wait_for(pushes.get(), 10)
    new_version = push["roster"]["ver"]
    expect(new_version and new_version != version, f"push version {new_version!r} after {version!r}")
    stale = await roster_get(version)
    expect(stale["roster"]["ver"] == new_version, "the full roster at the new version")
    expect("alice@localhost" in [str(j) for j in stale["roster"]["items"]], "with the new contact")
    expect((await roster_get(new_version)).xml.find("{jabber:iq:roster}query") is None, "current again")
    await bob.offline()


run(
    {"offline": offline, "carbons": carbons, "blocking": blocking, "roster_versioning": roster_versioning}[
        sys.argv[1]
    ]
)
