"""PEP (XEP-0163) with entity capabilities (XEP-0115), vcard-temp (XEP-0054) and private
XML storage (XEP-0049) as slixmpp uses them. One scenario per run, named by the first
argument: avatar, bookmarks, omemo, vcard_private."""

import asyncio
import hashlib
import sys

from slixmpp import ET
from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0004.stanza import Form
from slixmpp.plugins.xep_0048.stanza import Bookmarks
from slixmpp.plugins.xep_0402.stanza import Conference

from harness import DOMAIN, Client, expect, rest, run

PUBSUB_ERRORS = "http://jabber.org/protocol/pubsub#errors"
AVATAR_META = "urn:xmpp:avatar:metadata"
DEVICELIST = "eu.siacs.conversations.axolotl.devicelist"
OMEMO2_DEVICES = "urn:xmpp:omemo:2:devices"
BOOKMARKS = "urn:xmpp:bookmarks:1"
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def jid(user):
    return f"{user}@{DOMAIN}"


def befriend(a, b):
    """`a` and `b` subscribed to each other's presence, over the REST contacts API."""
    for x, y in ((a, b), (b, a)):
        status, _ = rest("POST", "/contacts", user=x, body={"jid": jid(y)})
        expect(status == 204, f"{x} adds {y}: {status}")
    for x, y in ((a, b), (b, a)):
        status, _ = rest("PUT", f"/contacts/{jid(y)}", user=x, body={"action": "invite"})
        expect(status == 204, f"{x} invites {y}: {status}")
        status, _ = rest("PUT", f"/contacts/{jid(x)}", user=y, body={"action": "accept"})
        expect(status == 204, f"{y} accepts {x}: {status}")


async def pep_client(user, interests=(), plugins=()):
    """A client advertising `+notify` for `interests` in its caps, online with them."""
    c = Client(user, plugins=["xep_0060", "xep_0115", "xep_0163", "xep_0199", *plugins])
    c.events = asyncio.Queue()
    c.add_event_handler("pubsub_publish", c.events.put_nowait)
    c.add_event_handler("pubsub_retract", c.events.put_nowait)
    await c.online(presence=False)
    for ns in interests:
        c.plugin["xep_0030"].add_feature(ns + "+notify")
    # The caps hash covers every feature now; the presence carries it.
    await c.plugin["xep_0115"].update_caps(broadcast=False)
    c.send_presence()
    await settled(c)
    return c


async def settled(c):
    """Returns once the server knows `c`'s capabilities: it asks while handling the
    presence, and `c` answers before its second ping, which the server handles in order."""
    for _ in range(2):
        await c.plugin["xep_0199"].ping(jid=DOMAIN, timeout=5)


async def next_event(client, node, timeout=10.0):
    """The next pubsub notification for `node` (others are dropped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no notification for {node}")
        msg = await asyncio.wait_for(client.events.get(), left)
        if msg["pubsub_event"]["items"]["node"] == node:
            return msg


async def no_event(client, seconds=1.0):
    try:
        msg = await asyncio.wait_for(client.events.get(), seconds)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"unexpected notification: {msg}")


def pubsub_condition(e: IqError):
    """The pubsub#errors condition of an error reply ('' if none)."""
    error = e.iq.xml.find("{jabber:client}error")
    for child in error if error is not None else []:
        if child.tag.startswith("{%s}" % PUBSUB_ERRORS):
            return child.tag.split("}", 1)[1]
    return ""


async def refused(coro):
    try:
        await coro
    except IqError as e:
        return e
    raise AssertionError("the request was not refused")


def options(**fields):
    form = Form()
    form["type"] = "submit"
    form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
    for var, value in fields.items():
        form.add_field(var="pubsub#" + var, value=value)
    return form


async def avatar():
    befriend("alice", "bob")
    alice = await pep_client("alice", [AVATAR_META], ["xep_0084"])
    bob = await pep_client("bob", [AVATAR_META], ["xep_0084"])
    carol = await pep_client("carol", [AVATAR_META], ["xep_0084"])

    avatar_id = hashlib.sha1(PNG).hexdigest()
    await alice.plugin["xep_0084"].publish_avatar(PNG)
    await alice.plugin["xep_0084"].publish_avatar_metadata(
        items=[{"id": avatar_id, "type": "image/png", "bytes": len(PNG)}]
    )
    # bob, a contact whose caps ask for avatar metadata, is told; so is alice herself.
    note = await next_event(bob, AVATAR_META)
    expect(note["from"].bare == jid("alice"), f"from {note['from']}")
    expect(note["pubsub_event"]["items"]["item"]["id"] == avatar_id, "the metadata item")
    info = note["pubsub_event"]["items"]["item"].xml.find(
        "{urn:xmpp:avatar:metadata}metadata/{urn:xmpp:avatar:metadata}info"
    )
    expect(info is not None and info.get("id") == avatar_id, "the metadata payload")
    await next_event(alice, AVATAR_META)
    # bob fetches the image the metadata points to.
    result = await bob.plugin["xep_0084"].retrieve_avatar(jid("alice"), avatar_id)
    data = result["pubsub"]["items"]["item"]["avatar_data"]["value"]
    expect(data == PNG, "bob fetched the same bytes")
    # carol shares no presence with alice: no notification, no access.
    await no_event(carol)
    e = await refused(carol.plugin["xep_0084"].retrieve_avatar(jid("alice"), avatar_id))
    expect(e.condition == "not-authorized", f"carol got {e.condition}")
    expect(pubsub_condition(e) == "presence-subscription-required", pubsub_condition(e))
    # A client coming online later gets the last metadata at once.
    bob2 = Client("bob", resource="later", plugins=["xep_0060", "xep_0115", "xep_0163", "xep_0199", "xep_0084"])
    bob2.events = asyncio.Queue()
    bob2.add_event_handler("pubsub_publish", bob2.events.put_nowait)
    await bob2.online(presence=False)
    bob2.plugin["xep_0030"].add_feature(AVATAR_META + "+notify")
    await bob2.plugin["xep_0115"].update_caps(broadcast=False)
    bob2.send_presence()
    late = await next_event(bob2, AVATAR_META)
    expect(late["pubsub_event"]["items"]["item"]["id"] == avatar_id, "the last item")
    for c in (alice, bob, carol, bob2):
        await c.offline()


async def bookmarks():
    befriend("alice", "bob")
    alice = await pep_client("alice", [BOOKMARKS], ["xep_0402", "xep_0048", "xep_0049"])
    bob = await pep_client("bob", [BOOKMARKS], ["xep_0402"])
    private = dict(persist_items="true", max_items="max", send_last_published_item="never", access_model="whitelist")
    for room, autojoin in (("tea@muc." + DOMAIN, True), ("coffee@muc." + DOMAIN, False)):
        conference = Conference()
        conference["name"] = room.split("@")[0]
        conference["autojoin"] = autojoin
        conference["nick"] = "al"
        await alice.plugin["xep_0060"].publish(jid("alice"), BOOKMARKS, id=room, payload=conference, options=options(**private))
    # The owner reads them all back; her own client was told.
    result = await alice.plugin["xep_0060"].get_items(jid("alice"), BOOKMARKS)
    ids = sorted(item["id"] for item in result["pubsub"]["items"])
    expect(ids == ["coffee@muc." + DOMAIN, "tea@muc." + DOMAIN], f"items {ids}")
    conferences = {item["id"]: item["conference"] for item in result["pubsub"]["items"]}
    expect(conferences["tea@muc." + DOMAIN]["autojoin"] is True, "autojoin kept")
    expect(conferences["tea@muc." + DOMAIN]["nick"] == "al", "nick kept")
    await next_event(alice, BOOKMARKS)
    # A contact is not told and may not read them.
    await no_event(bob)
    e = await refused(bob.plugin["xep_0060"].get_items(jid("alice"), BOOKMARKS))
    expect(e.condition == "not-allowed" and pubsub_condition(e) == "closed-node", f"{e.condition} {pubsub_condition(e)}")
    # Publishing with options the node does not have: precondition-not-met.
    conference = Conference()
    conference["name"] = "leak"
    e = await refused(
        alice.plugin["xep_0060"].publish(
            jid("alice"), BOOKMARKS, id="leak@muc." + DOMAIN, payload=conference, options=options(access_model="open")
        )
    )
    expect(e.condition == "conflict", e.condition)
    expect(pubsub_condition(e) == "precondition-not-met", pubsub_condition(e))
    # Legacy bookmarks (XEP-0048) in private XML storage (XEP-0049).
    legacy = Bookmarks()
    legacy.add_conference("tea@muc." + DOMAIN, "al", name="Tea", autojoin=True)
    await alice.plugin["xep_0048"].set_bookmarks(legacy, method="xep_0049")
    stored = await alice.plugin["xep_0048"].get_bookmarks(method="xep_0049")
    confs = stored["private"]["bookmarks"]["conferences"]
    expect(len(confs) == 1 and confs[0]["jid"] == "tea@muc." + DOMAIN, f"stored {confs}")
    expect(confs[0]["autojoin"] is True and confs[0]["nick"] == "al", "the conference as stored")
    for c in (alice, bob):
        await c.offline()


def devicelist(*ids):
    lst = ET.Element("{eu.siacs.conversations.axolotl}list")
    for i in ids:
        ET.SubElement(lst, "{eu.siacs.conversations.axolotl}device", id=str(i))
    return lst


async def omemo():
    befriend("alice", "bob")
    alice = await pep_client("alice", [DEVICELIST, OMEMO2_DEVICES])
    bob = await pep_client("bob", [DEVICELIST, OMEMO2_DEVICES])
    carol = await pep_client("carol", [DEVICELIST])
    pubsub = alice.plugin["xep_0060"]
    # As Conversations does: the device list and bundles open to everyone.
    await pubsub.publish(jid("alice"), DEVICELIST, id="current", payload=devicelist(1234), options=options(access_model="open"))
    bundle = ET.Element("{eu.siacs.conversations.axolotl}bundle")
    ET.SubElement(bundle, "{eu.siacs.conversations.axolotl}identityKey").text = "BQmHEOHjsYm3w5M8VqxAtqJmLCi7CaG6ML4Uj7BwfgBq"
    await pubsub.publish(
        jid("alice"), "eu.siacs.conversations.axolotl.bundles:1234", id="current", payload=bundle,
        options=options(access_model="open"),
    )
    note = await next_event(bob, DEVICELIST)
    devices = note["pubsub_event"]["items"]["item"].xml.findall(
        "{eu.siacs.conversations.axolotl}list/{eu.siacs.conversations.axolotl}device"
    )
    expect([d.get("id") for d in devices] == ["1234"], "bob sees the device list")
    # Anyone may fetch an open bundle, even without a subscription.
    got = await carol.plugin["xep_0060"].get_items(jid("alice"), "eu.siacs.conversations.axolotl.bundles:1234", max_items=1)
    key = got["pubsub"]["items"]["item"].xml.find(
        "{eu.siacs.conversations.axolotl}bundle/{eu.siacs.conversations.axolotl}identityKey"
    )
    expect(key is not None and key.text.startswith("BQmH"), "carol fetched the bundle")
    await no_event(carol, 0.5)  # open access, but no presence subscription: no notifications
    # A second device: the list is replaced and the contact told again.
    await pubsub.publish(jid("alice"), DEVICELIST, id="current", payload=devicelist(1234, 5678), options=options(access_model="open"))
    note = await next_event(bob, DEVICELIST)
    items = note["pubsub_event"]["items"]["item"].xml.findall(
        "{eu.siacs.conversations.axolotl}list/{eu.siacs.conversations.axolotl}device"
    )
    expect(len(items) == 2, "two devices")
    # OMEMO 2 (XEP-0384 0.8): one device list item, max_items 1 asked as a precondition.
    devices2 = ET.Element("{urn:xmpp:omemo:2}devices")
    ET.SubElement(devices2, "{urn:xmpp:omemo:2}device", id="42")
    await pubsub.publish(jid("alice"), OMEMO2_DEVICES, id="current", payload=devices2, options=options(access_model="open", max_items="1"))
    await next_event(bob, OMEMO2_DEVICES)
    got = await bob.plugin["xep_0060"].get_items(jid("alice"), OMEMO2_DEVICES)
    expect(got["pubsub"]["items"]["item"]["id"] == "current", "bob reads the OMEMO 2 device list")
    # Retracting the bundle tells nobody who did not ask, and it is gone.
    await pubsub.retract(jid("alice"), "eu.siacs.conversations.axolotl.bundles:1234", "current", notify=True)
    e = await refused(carol.plugin["xep_0060"].get_item(jid("alice"), "eu.siacs.conversations.axolotl.bundles:1234", "current"))
    expect(e.condition == "item-not-found", e.condition)
    for c in (alice, bob, carol):
        await c.offline()


async def vcard_private():
    alice = await Client("alice", plugins=["xep_0054", "xep_0049"]).online()
    bob = await Client("bob", plugins=["xep_0054"]).online()
    card = alice.plugin["xep_0054"].make_vcard()
    card["FN"] = "Alice Liddell"
    card["NICKNAME"] = "al"
    await alice.plugin["xep_0054"].publish_vcard(card)
    got = await bob.plugin["xep_0054"].get_vcard(jid("alice"))
    expect(got["vcard_temp"]["FN"] == "Alice Liddell", f"FN {got['vcard_temp']['FN']!r}")
    expect(got["vcard_temp"]["NICKNAME"] == ["al"], f"NICKNAME {got['vcard_temp']['NICKNAME']!r}")
    # Nobody but alice may set her vCard.
    forged = bob.plugin["xep_0054"].make_vcard()
    forged["FN"] = "Mallory"
    e = await refused(bob.plugin["xep_0054"].publish_vcard(forged, jid=jid("alice")))
    expect(e.condition == "forbidden", e.condition)
    got = await bob.plugin["xep_0054"].get_vcard(jid("alice"))
    expect(got["vcard_temp"]["FN"] == "Alice Liddell", "unchanged")
    # Someone without a vCard has an empty one.
    empty = await alice.plugin["xep_0054"].get_vcard(jid("bob"))
    expect(empty["vcard_temp"]["FN"] == "", "bob set none")
    # Private XML round trip.
    prefs = ET.Element("{urn:example:prefs}prefs")
    ET.SubElement(prefs, "{urn:example:prefs}theme").text = "dark"
    iq = alice.make_iq_set()
    query = ET.SubElement(iq.xml, "{jabber:iq:private}query")
    query.append(prefs)
    await iq.send()
    iq = alice.make_iq_get()
    query = ET.SubElement(iq.xml, "{jabber:iq:private}query")
    ET.SubElement(query, "{urn:example:prefs}prefs")
    result = await iq.send()
    theme = result.xml.find("{jabber:iq:private}query/{urn:example:prefs}prefs/{urn:example:prefs}theme")
    expect(theme is not None and theme.text == "dark", "the stored preferences")
    # Another user may not read them.
    iq = bob.make_iq_get(ito=jid("alice"))
    query = ET.SubElement(iq.xml, "{jabber:iq:private}query")
    ET.SubElement(query, "{urn:example:prefs}prefs")
    e = await refused(iq.send())
    expect(e.condition == "forbidden", e.condition)
    for c in (alice, bob):
        await c.offline()


async def avatar_compatibility():
    """XEP-0398: an avatar set through the vCard shows up as the PEP avatar, its hash in
    presence; one published through PEP shows up in the vCard."""
    befriend("alice", "bob")
    bob = await pep_client("bob", plugins=["xep_0054", "xep_0153"])
    hashes = asyncio.Queue()
    bob.add_event_handler(
        "presence",
        lambda p: p["from"].bare == jid("alice")
        and p["type"] in ("available", "away", "chat", "dnd", "xa")
        and hashes.put_nowait(p.xml.findtext("{vcard-temp:x:update}x/{vcard-temp:x:update}photo")),
    )
    alice = await pep_client("alice", plugins=["xep_0054", "xep_0084"])
    info = await alice.plugin["xep_0030"].get_info(jid=jid("alice"))
    expect("urn:xmpp:pep-vcard-conversion:0" in info["disco_info"]["features"], "conversion advertised")
    image = b"\x89PNG\r\n\x1a\n an avatar"
    card = alice.plugin["xep_0054"].make_vcard()
    card["FN"] = "Alice"
    card["PHOTO"]["TYPE"] = "image/png"
    card["PHOTO"]["BINVAL"] = image
    await alice.plugin["xep_0054"].publish_vcard(card)
    digest = hashlib.sha1(image).hexdigest()
    items = await bob.plugin["xep_0060"].get_items(jid("alice"), "urn:xmpp:avatar:metadata")
    ids = [i["id"] for i in items["pubsub"]["items"]]
    expect(ids == [digest], f"metadata items {ids}, expected {digest}")
    data = await bob.plugin["xep_0060"].get_item(jid("alice"), "urn:xmpp:avatar:data", digest)
    expect(digest in str(data), "the image is published under its hash")
    alice.send_presence(pshow="away")
    seen = await asyncio.wait_for(hashes.get(), 10)
    while seen != digest:
        seen = await asyncio.wait_for(hashes.get(), 10)
    # Published through PEP: the vCard follows.
    other = b"GIF89a another avatar"
    other_id = hashlib.sha1(other).hexdigest()
    await alice.plugin["xep_0084"].publish_avatar(other)
    await alice.plugin["xep_0084"].publish_avatar_metadata(
        [{"id": other_id, "type": "image/gif", "bytes": len(other)}]
    )
    got = await bob.plugin["xep_0054"].get_vcard(jid("alice"))
    expect(got["vcard_temp"]["PHOTO"]["BINVAL"] == other, "the vCard carries the PEP avatar")
    expect(got["vcard_temp"]["FN"] == "Alice", "and keeps the rest")
    for c in (alice, bob):
        await c.offline()


SCENARIOS = {f.__name__: f for f in (avatar, bookmarks, omemo, vcard_private, avatar_compatibility)}

run(SCENARIOS[sys.argv[1]])
