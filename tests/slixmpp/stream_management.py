"""XEP-0198 stream management through slixmpp's xep_0198 plugin: a session survives a
dropped connection and is resumed with nothing lost or duplicated; a resuming client
takes its session over from a connection that is still half-open; after the resumption
timeout the session is gone (unavailable presence to contacts) and what was sent to it is
in the archive.

Usage: stream_management.py resume | takeover | timeout
"""

import asyncio
import os
import sys

from harness import DOMAIN, WAIT, Client, expect, rest, run

STANZAS = "{urn:ietf:params:xml:ns:xmpp-stanzas}"


def future():
    return asyncio.get_running_loop().create_future()


def settle(f):
    return lambda event: f.done() or f.set_result(event)


async def sm_online(user, resource="slix"):
    """A client that logged in and enabled resumable stream management."""
    client = Client(user, resource=resource, plugins=["xep_0198", "xep_0199"])
    enabled = future()
    client.add_event_handler("sm_enabled", settle(enabled))
    await client.online()
    answer = await asyncio.wait_for(enabled, WAIT)
    expect(answer["resume"], "the server allows resumption")
    expect(client.plugin["xep_0198"].sm_id, "an SM-ID")
    return client


async def drop(client):
    """Kills the client's connection without closing the stream (a network failure)."""
    gone = future()
    client.add_event_handler("disconnected", settle(gone))
    client.transport.abort()
    await asyncio.wait_for(gone, WAIT)


def connect(client):
    host, port = os.environ["MEERKAT_C2S"].rsplit(":", 1)
    client.connect(host, int(port))


async def resume(client):
    """Reconnects `client`, which resumes its former session."""
    resumed, failed = future(), future()
    client.add_event_handler("session_resumed", settle(resumed))
    client.add_event_handler("sm_failed", settle(failed))
    connect(client)
    done, _ = await asyncio.wait({resumed, failed}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
    expect(resumed in done, "the session was resumed")


class PresenceLog:
    """The presence `observer` gets from `full_jid`."""

    def __init__(self, observer, full_jid):
        self.seen = []
        self.changed = asyncio.Event()

        def note(presence):
            if str(presence["from"]) == full_jid:
                self.seen.append(presence["type"])
                self.changed.set()

        observer.add_event_handler("presence", note)

    async def wait_for(self, kind):
        deadline = asyncio.get_running_loop().time() + WAIT
        while kind not in self.seen:
            left = deadline - asyncio.get_running_loop().time()
            expect(left > 0, f"no {kind} presence (saw {self.seen})")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass


async def bodies(client, n):
    return [(await client.next_message())["body"] for _ in range(n)]


async def resume_after_a_dropped_connection():
    alice_full = f"alice@{DOMAIN}/slix"
    bob = await Client("bob", plugins=["xep_0199"]).online()
    bob_sees = PresenceLog(bob, alice_full)
    alice = await sm_online("alice")
    alice.send_presence(pto=f"bob@{DOMAIN}/slix")
    await bob_sees.wait_for("available")

    bob.send_message(mto=alice_full, mbody="before", mtype="chat")
    expect(await bodies(alice, 1) == ["before"], "delivered while connected")

    await drop(alice)
    bob.send_message(mto=alice_full, mbody="while away 1", mtype="chat")
    bob.send_message(mto=alice_full, mbody="while away 2", mtype="chat")
    await bob.plugin["xep_0199"].ping(jid=DOMAIN, timeout=WAIT)
    status, _ = rest("POST", "/messages", user="carol", body={"to": f"alice@{DOMAIN}", "body": "over REST"})
    expect(status == 200, f"REST send answered {status}")

    await resume(alice)
    got = await bodies(alice, 3)
    expect(
        got == ["while away 1", "while away 2", "over REST"],
        f"what was sent while away arrives after resumption, in order: {got}",
    )
    await alice.quiet(1.0)

    # The same session: still bound to the same full JID, still available to bob.
    bob.send_message(mto=alice_full, mbody="after", mtype="chat")
    expect(await bodies(alice, 1) == ["after"], "delivered on the resumed stream")
    expect("unavailable" not in bob_sees.seen, f"bob saw no unavailable presence: {bob_sees.seen}")

    # A clean close ends the session, and bob hears of it: the check above could fail.
    alice.disconnect()
    await bob_sees.wait_for("unavailable")
    await bob.offline()


async def takeover_of_a_half_open_connection():
    alice_full = f"alice@{DOMAIN}/slix"
    bob = await Client("bob").online()
    old = await sm_online("alice")
    bob.send_message(mto=alice_full, mbody="first", mtype="chat")
    expect(await bodies(old, 1) == ["first"], "delivered to the first connection")

    # The old connection stays open (the client moved to another network and cannot
    # close it); a new one resumes the session with what the client knows.
    old_error, old_gone = future(), future()
    old.add_event_handler("stream_error", settle(old_error))
    old.add_event_handler("disconnected", settle(old_gone))
    new = Client("alice", plugins=["xep_0198"])
    mine, theirs = new.plugin["xep_0198"], old.plugin["xep_0198"]
    mine.sm_id, mine.handled, mine.seq, mine.last_ack = theirs.sm_id, theirs.handled, theirs.seq, theirs.last_ack
    await resume(new)

    error = await asyncio.wait_for(old_error, WAIT)
    expect(error["condition"] == "conflict", f"the old connection is closed with {error['condition']}")
    await asyncio.wait_for(old_gone, WAIT)

    bob.send_message(mto=alice_full, mbody="second", mtype="chat")
    expect(await bodies(new, 1) == ["second"], "the new connection carries the session")
    await new.quiet(0.5)
    new.disconnect()
    await bob.offline()


async def refused_after_the_timeout():
    """Run against a server whose resume_timeout is 2 seconds."""
    alice_full = f"alice@{DOMAIN}/slix"
    bob = await Client("bob").online()
    bob_sees = PresenceLog(bob, alice_full)
    alice = await sm_online("alice")
    alice.send_presence(pto=f"bob@{DOMAIN}/slix")
    await bob_sees.wait_for("available")

    await drop(alice)
    bob.send_message(mto=alice_full, mbody="too late", mtype="chat")
    await bob_sees.wait_for("unavailable")
    await asyncio.sleep(0.2)

    failed, started = future(), future()
    alice.add_event_handler("sm_failed", settle(failed))
    alice.add_event_handler("session_start", settle(started))
    connect(alice)
    answer = await asyncio.wait_for(failed, WAIT)
    expect(
        answer.xml.find(f"{STANZAS}item-not-found") is not None,
        f"refused with item-not-found: {answer}",
    )
    await asyncio.wait_for(started, WAIT)
    await alice.quiet(0.5)

    status, history = rest("GET", "/messages", user="alice")
    expect(status == 200, f"history answered {status}")
    expect(
        any(m["body"] == "too late" for m in history),
        f"the message sent to the expired session is in the archive: {history}",
    )
    alice.disconnect()
    await bob.offline()


SCENARIOS = {
    "resume": resume_after_a_dropped_connection,
    "takeover": takeover_of_a_half_open_connection,
    "timeout": refused_after_the_timeout,
}

run(SCENARIOS[sys.argv[1]])
