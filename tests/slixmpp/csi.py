"""XEP-0352 client state indication through slixmpp's xep_0352 plugin: while alice says
she is inactive, her contact bob's presence changes and chat states wait (only the latest
of each), a message with a body arrives at once; when she is active again, the latest
presence and chat state arrive."""

import asyncio

from harness import DOMAIN, Client, expect, rest, run

CHAT_STATES = "{http://jabber.org/protocol/chatstates}"


async def scenario():
    alice_full, bob_full = f"alice@{DOMAIN}/slix", f"bob@{DOMAIN}/slix"
    # alice sees bob's presence: she asked, he accepted (over REST, before either is online).
    for user, path, body in [
        ("alice", "/contacts", {"jid": f"bob@{DOMAIN}"}),
        ("alice", f"/contacts/bob@{DOMAIN}", {"action": "invite"}),
        ("bob", f"/contacts/alice@{DOMAIN}", {"action": "accept"}),
    ]:
        status, _ = rest("POST" if path == "/contacts" else "PUT", path, user=user, body=body)
        expect(status == 204, f"{user} {path} answered {status}")
    alice = Client("alice", plugins=["xep_0352", "xep_0199", "xep_0085"])
    from_bob = asyncio.Queue()

    def note(stanza):
        if str(stanza["from"]) == bob_full:
            from_bob.put_nowait(stanza)

    alice.add_event_handler("presence", note)
    alice.add_event_handler("message", note)  # with a body
    alice.add_event_handler("chatstate", note)  # chat states (with or without a body)
    await alice.online()
    expect(alice.plugin["xep_0352"].enabled, "the server offers CSI")
    bob = await Client("bob", plugins=["xep_0199"]).online()
    p = await asyncio.wait_for(from_bob.get(), 5)
    expect(p.name == "presence" and p["type"] == "available", f"bob is online: {p}")

    async def nothing_from_bob(what):
        await bob.plugin["xep_0199"].ping(jid=DOMAIN, timeout=5)  # bob's stanzas were routed
        await asyncio.sleep(0.3)
        expect(from_bob.empty(), f"{what}: got {from_bob.get_nowait() if not from_bob.empty() else ''}")

    async def next_from_bob():
        return await asyncio.wait_for(from_bob.get(), 5)

    def composing():
        bob.send_raw(f"<message to='{alice_full}' type='chat'><composing xmlns='http://jabber.org/protocol/chatstates'/></message>")

    # Alice is inactive: the server takes it in before anything she sends next.
    alice.plugin["xep_0352"].send_inactive()
    await alice.plugin["xep_0199"].ping(jid=DOMAIN, timeout=5)

    bob.send_presence(pshow="away")
    bob.send_presence(pshow="dnd")
    composing()
    await nothing_from_bob("presence and chat states wait while alice is inactive")

    bob.send_message(mto=alice_full, mbody="hello", mtype="chat")
    m = await next_from_bob()
    expect(m.name == "message" and m["body"] == "hello", f"a message with a body arrives at once: {m}")
    await asyncio.sleep(0.3)
    while not from_bob.empty():  # its own chat state, if slixmpp reports it as well
        extra = from_bob.get_nowait()
        expect(extra["body"] == "hello", f"only the message: {extra}")
    composing()
    await nothing_from_bob("a chat state after the message waits too")

    alice.plugin["xep_0352"].send_active()
    # slixmpp reports presence and messages through different paths, so their order here
    # says nothing about the order on the wire.
    got = [await next_from_bob(), await next_from_bob()]
    presences = [x for x in got if x.name == "presence"]
    states = [x for x in got if x.name == "message"]
    expect(
        len(presences) == 1 and presences[0]["show"] == "dnd",
        f"the latest presence, once active: {got}",
    )
    expect(
        len(states) == 1 and states[0].xml.find(f"{CHAT_STATES}composing") is not None and states[0]["body"] == "",
        f"and the chat state: {got}",
    )
    await nothing_from_bob("the older presence and the chat state the message made moot never come")

    bob.send_presence(pshow="xa")
    p = await next_from_bob()
    expect(p["show"] == "xa", "active again: presence goes through at once")
    await alice.offline()
    await bob.offline()


run(scenario)
