"""Multi-User Chat (XEP-0045) on conference.<domain>, driven by slixmpp's xep_0045 plugin
(with xep_0359 for stanza ids and xep_0313 for MAM), each scenario named on the command
line: `chat`, `history`, `refusals`, `moderation`, `invite`, `disco`, `mam`,
`persist_before` and `persist_after` (the Rust side restarts the server in between)."""

import asyncio
import sys

from slixmpp import JID
from slixmpp.exceptions import PresenceError

from harness import DOMAIN, WAIT, Client, expect, run

ROOM = f"coven@conference.{DOMAIN}"
PLUGINS = ["xep_0045", "xep_0359", "xep_0313"]


def muc(client):
    return client.plugin["xep_0045"]


async def got(queue):
    return await asyncio.wait_for(queue.get(), WAIT)


def events(client, name):
    """A queue of the `name` events `client` sees from now on."""
    queue = asyncio.Queue()
    client.add_event_handler(name, queue.put_nowait)
    return queue


async def enter(user, nick, resource="slix", **options):
    """`user` online (as `resource`) and in the room as `nick`; returns the client and
    what joining returned (self-presence, subject, occupants, history)."""
    client = await Client(user, resource=resource, plugins=PLUGINS).online()
    joined = await muc(client).join_muc_wait(JID(ROOM), nick, timeout=WAIT, **options)
    return client, joined


async def refused(user, nick, **options):
    """The condition `user` (from a client of its own) entering as `nick` is refused with."""
    client = await Client(user, resource="refused", plugins=PLUGINS).online()
    try:
        await muc(client).join_muc_wait(JID(ROOM), nick, timeout=WAIT, **options)
    except PresenceError as e:
        await client.offline()
        return e.condition
    raise AssertionError(f"{user} entered as {nick}")


async def configure(client, **fields):
    form = await muc(client).get_room_config(ROOM)
    form.set_values({f"muc#roomconfig_{k}": v for k, v in fields.items()})
    await muc(client).set_room_config(ROOM, form)


async def create(**fields):
    """Alice creates the room as `crone`: it is locked (201) until she submits the
    configuration form with `fields` changed."""
    alice, (own, subject, occupants, history) = await enter("alice", "crone")
    codes = own["muc"]["status_codes"]
    expect({110, 201} <= codes, f"a new room's self-presence has 110 and 201: {codes}")
    expect(own["muc"]["affiliation"] == "owner" and own["muc"]["role"] == "moderator", f"owner {own}")
    expect(await refused("dave", "early") == "item-not-found", "a locked room admits no one else")
    await configure(alice, **fields)
    return alice


def said(body):
    return lambda m: m["type"] == "groupchat" and m["body"] == body


async def chat():
    alice = await create(roomname="The Cave")
    bob, (_, _, occupants, _) = await enter("bob", "hag")
    # Everyone in the room, then bob himself (his own presence comes last).
    expect([str(p["from"]) for p in occupants] == [f"{ROOM}/crone", f"{ROOM}/hag"], f"bob saw {occupants}")
    expect(occupants[0]["muc"]["jid"] == JID(""), "semi-anonymous: no real JIDs to participants")
    carol, _ = await enter("carol", "witch")
    # Group chat reaches every occupant, the sender too, with the room's stanza id.
    alice.send_message(mto=ROOM, mbody="When shall we three meet again", mtype="groupchat")
    ids = set()
    for c in (alice, bob, carol):
        m = await c.next_message(want=said("When shall we three meet again"))
        expect(m["from"] == JID(f"{ROOM}/crone"), f"from {m['from']}")
        expect(m["stanza_id"]["by"] == JID(ROOM), f"stanza id by {m['stanza_id']['by']}")
        ids.add(m["stanza_id"]["id"])
    expect(len(ids) == 1 and "" not in ids, f"one stanza id for every copy: {ids}")
    # The subject.
    subjects = events(bob, "groupchat_subject")
    muc(alice).set_subject(ROOM, "Toil and trouble")
    expect((await got(subjects))["subject"] == "Toil and trouble", "the new subject")
    # A private message between occupants.
    bob.send_message(mto=f"{ROOM}/witch", mbody="psst", mtype="chat")
    pm = await carol.next_message(want=lambda m: m["type"] == "chat")
    expect(pm["from"] == JID(f"{ROOM}/hag") and pm["body"] == "psst", f"private message {pm}")
    await alice.quiet(0.3)
    # Leaving, then a connection that drops: both seen by those who stay.
    offline = events(alice, f"muc::{ROOM}::got_offline")
    muc(carol).leave_muc(JID(ROOM), "witch")
    expect((await got(offline))["from"] == JID(f"{ROOM}/witch"), "carol left")
    bob.abort()
    gone = await got(offline)
    expect(gone["from"] == JID(f"{ROOM}/hag") and gone["type"] == "unavailable", f"bob dropped: {gone}")
    expect(muc(alice).get_roster(JID(ROOM)) == ["crone"], f"roster {muc(alice).get_roster(JID(ROOM))}")
    for c in (alice, carol):
        await c.offline()


async def history():
    alice = await create()
    for n in range(1, 5):
        alice.send_message(mto=ROOM, mbody=f"spell {n}", mtype="groupchat")
        await alice.next_message(want=said(f"spell {n}"))
    muc(alice).set_subject(ROOM, "Hover through the fog")
    # A late joiner gets the history asked for, delayed by the room, then the subject.
    bob, (_, subject, _, past) = await enter("bob", "hag", maxstanzas=2)
    expect([m["body"] for m in past] == ["spell 3", "spell 4"], f"history {[m['body'] for m in past]}")
    for m in past:
        expect(m["delay"]["from"] == JID(ROOM) and m["delay"]["stamp"] is not None, f"delay {m['delay']}")
        expect(m["from"] == JID(f"{ROOM}/crone"), f"history from {m['from']}")
    expect(subject["subject"] == "Hover through the fog", f"subject {subject['subject']}")
    carol, (_, _, _, none) = await enter("carol", "witch", maxchars=0)
    expect(none == [], f"maxchars=0 wants no history: {none}")
    for c in (alice, bob, carol):
        await c.offline()


async def refusals():
    alice = await create()
    bob, _ = await enter("bob", "hag")
    expect(await refused("carol", "hag") == "conflict", "a nick someone holds")
    # Made members-only: bob, no member, is removed (322); carol is refused until she is one.
    removed = events(bob, f"muc::{ROOM}::self-presence")
    await configure(alice, membersonly=True)
    p = await got(removed)
    expect(p["type"] == "unavailable" and 322 in p["muc"]["status_codes"], f"bob removed: {p}")
    expect(await refused("carol", "witch") == "registration-required", "members only")
    await muc(alice).set_affiliation(JID(ROOM), "member", jid=JID(f"carol@{DOMAIN}"))
    carol, (own, _, _, _) = await enter("carol", "witch")
    expect(own["muc"]["affiliation"] == "member", f"carol is {own['muc']['affiliation']}")
    # A password.
    await configure(alice, membersonly=False, passwordprotectedroom=True, roomsecret="eye of newt")
    expect(await refused("dave", "wyrd") == "not-authorized", "no password")
    dave, _ = await enter("dave", "wyrd", password="eye of newt")
    for c in (alice, bob, carol, dave):
        await c.offline()


async def moderation():
    alice = await create()
    bob, _ = await enter("bob", "hag")
    carol, _ = await enter("carol", "witch")
    # A kick: 307 to the kicked occupant and to everyone else.
    kicked = events(bob, f"muc::{ROOM}::self-presence")
    seen = events(carol, f"muc::{ROOM}::got_offline")
    await muc(alice).set_role(JID(ROOM), "hag", "none", reason="Noisy")
    p = await got(kicked)
    expect(p["type"] == "unavailable" and {110, 307} <= p["muc"]["status_codes"], f"kicked {p}")
    expect(307 in (await got(seen))["muc"]["status_codes"], "others see the kick")
    # A ban: 301, and the outcast cannot come back.
    banned = events(carol, f"muc::{ROOM}::self-presence")
    await muc(alice).set_affiliation(JID(ROOM), "outcast", jid=JID(f"carol@{DOMAIN}"), reason="Traitor")
    p = await got(banned)
    expect(p["type"] == "unavailable" and {110, 301} <= p["muc"]["status_codes"], f"banned {p}")
    expect(p["muc"]["affiliation"] == "outcast", f"banned as {p['muc']['affiliation']}")
    outcasts = await muc(alice).get_affiliation_list(JID(ROOM), "outcast")
    expect(outcasts == [JID(f"carol@{DOMAIN}")], f"outcasts {outcasts}")
    expect(await refused("carol", "witch") == "forbidden", "banned")
    # Bob, back from another client, may not kick: he is no moderator.
    bob2, _ = await enter("bob", "hag", resource="again")
    try:
        await muc(bob2).set_role(JID(ROOM), "crone", "none")
        raise AssertionError("a participant kicked the owner")
    except Exception as e:
        expect(getattr(e, "condition", None) == "forbidden", f"kick by a participant: {e}")
    for c in (alice, bob, bob2, carol):
        await c.offline()


async def invite():
    alice = await create(allowinvites=True)
    carol = await Client("carol", plugins=PLUGINS).online()
    invitations = events(carol, "groupchat_invite")
    muc(alice).invite(JID(ROOM), JID(f"carol@{DOMAIN}"), reason="Join us")
    inv = await got(invitations)
    expect(inv["from"] == JID(ROOM), f"invitation from {inv['from']}")
    expect(inv["muc"]["invite"]["reason"] == "Join us", f"reason {inv['muc']['invite']['reason']}")
    expect(inv["muc"]["invite"]["from"] == JID(f"alice@{DOMAIN}"), f"inviter {inv['muc']['invite']['from']}")
    joined = await muc(carol).join_muc_wait(JID(ROOM), "witch", timeout=WAIT)
    expect(110 in joined[0]["muc"]["status_codes"], "the invitee entered")
    for c in (alice, carol):
        await c.offline()


async def disco():
    alice = await create(roomname="The Cave", roomdesc="A dark cave", persistentroom=True, whois="anyone")
    bob = await Client("bob", plugins=PLUGINS).online()
    service = await bob.plugin["xep_0030"].get_info(jid=f"conference.{DOMAIN}")
    expect("http://jabber.org/protocol/muc" in service["disco_info"]["features"], "the service speaks MUC")
    expect(("conference", "text") in {(i[0], i[1]) for i in service["disco_info"]["identities"]}, "conference/text")
    items = await bob.plugin["xep_0030"].get_items(jid=f"conference.{DOMAIN}")
    rooms = {(str(i[0]), i[2]) for i in items["disco_items"]["items"]}
    expect((ROOM, "The Cave") in rooms, f"public rooms {rooms}")
    info = await bob.plugin["xep_0030"].get_info(jid=ROOM)
    features = set(info["disco_info"]["features"])
    for f in ["http://jabber.org/protocol/muc", "muc_public", "muc_open", "muc_persistent", "muc_nonanonymous",
              "muc_unsecured", "muc_unmoderated", "urn:xmpp:mam:2"]:
        expect(f in features, f"{f} in {features}")
    form = info["disco_info"]["form"].get_values()
    expect(form["muc#roominfo_description"] == "A dark cave", f"room info {form}")
    expect(str(form["muc#roominfo_occupants"]) == "1", f"room info {form}")
    # Non-anonymous: everyone sees real JIDs (100 in the self-presence).
    own, _, occupants, _ = await muc(bob).join_muc_wait(JID(ROOM), "hag", timeout=WAIT)
    expect(100 in own["muc"]["status_codes"], f"self-presence codes {own['muc']['status_codes']}")
    expect(occupants[0]["muc"]["jid"] == JID(f"alice@{DOMAIN}/slix"), f"crone is {occupants[0]['muc']['jid']}")
    for c in (alice, bob):
        await c.offline()


async def mam():
    alice = await create()
    for body in ["one", "two"]:
        alice.send_message(mto=ROOM, mbody=body, mtype="groupchat")
        await alice.next_message(want=said(body))
    bob = await Client("bob", plugins=PLUGINS).online()
    result = await bob.plugin["xep_0313"].retrieve(jid=JID(ROOM), timeout=WAIT)
    bodies = [r["mam_result"]["forwarded"]["stanza"]["body"] for r in result["mam"]["results"]]
    expect(bodies == ["one", "two"], f"room archive {bodies}")
    first = result["mam"]["results"][0]["mam_result"]["forwarded"]["stanza"]
    expect(first["from"] == JID(f"{ROOM}/crone"), f"archived from {first['from']}")
    for c in (alice, bob):
        await c.offline()


async def persist_before():
    alice = await create(roomname="Cave", persistentroom=True, membersonly=True)
    await muc(alice).set_affiliation(JID(ROOM), "member", jid=JID(f"bob@{DOMAIN}"))
    muc(alice).set_subject(ROOM, "Toil")
    alice.send_message(mto=ROOM, mbody="remember me", mtype="groupchat")
    await alice.next_message(want=said("remember me"))
    await alice.offline()


async def persist_after():
    # The room came back with the server: its name, members, subject and history.
    bob = await Client("bob", plugins=PLUGINS).online()
    info = await bob.plugin["xep_0030"].get_info(jid=ROOM)
    expect("muc_persistent" in info["disco_info"]["features"], "persistent")
    expect("muc_membersonly" in info["disco_info"]["features"], "members only")
    names = {i[3] for i in info["disco_info"]["identities"]}
    expect("Cave" in names, f"identities {names}")
    own, subject, _, past = await muc(bob).join_muc_wait(JID(ROOM), "hag", timeout=WAIT, maxstanzas=5)
    expect(own["muc"]["affiliation"] == "member", f"bob is {own['muc']['affiliation']}")
    expect(subject["subject"] == "Toil", f"subject {subject['subject']}")
    expect([m["body"] for m in past] == ["remember me"], f"history {[m['body'] for m in past]}")
    expect(await refused("carol", "witch") == "registration-required", "still members only")
    await bob.offline()


run(
    {
        "chat": chat,
        "history": history,
        "refusals": refusals,
        "moderation": moderation,
        "invite": invite,
        "disco": disco,
        "mam": mam,
        "persist_before": persist_before,
        "persist_after": persist_after,
    }[sys.argv[1]]
)
