"""Drives a running meerkat through the generated Python SDK (sdk/python, `make sdk`),
installed as a project installs it: `pip install ./sdk/python` into a fresh venv
(.tools/sdk-python, made by `make`), whose python runs this file.

Started by tests/it/sdk_consumers.rs, which runs a server and registers the users, with:

    MEERKAT_API    the client API's base URL, e.g. http://127.0.0.1:40123/api
    MEERKAT_USERS  accounts as jid:password, comma-separated: alice, bob, carol, and two
                   users whose names are not in Latin script

Everything goes through the SDK's typed calls and models, as an application would; the
event stream goes through the shipped helper, meerkat_client.events.
"""

import base64
import http.server
import os
import threading
import time
import uuid

import pytest

import meerkat_client
from meerkat_client import (
    ApiClient,
    Configuration,
    ContactsApi,
    MessagesApi,
    RoomsApi,
)
from meerkat_client.credentials import basic_authorization
from meerkat_client.events import EventStream, Frame, FrameParser
from meerkat_client.exceptions import (
    BadRequestException,
    NotFoundException,
    UnauthorizedException,
)
from meerkat_client.models import (
    Affiliation,
    ContactsToDelete,
    ContactRequest,
    MessageRequest,
    RoomRequest,
    RoomEventType,
    RoomInvite,
    RoomMessage,
    RoomRole,
    StreamedChatMessage,
    StreamedRoomEvent,
    Subscription,
    SubscriptionAsk,
)

API = os.environ.get("MEERKAT_API", "")
USERS = [tuple(u.split(":", 1)) for u in os.environ.get("MEERKAT_USERS", "").split(",") if u]

if API and len(USERS) < 5:
    raise RuntimeError("MEERKAT_USERS must name five accounts as jid:password")
# Without a server (the file run on its own) only the tests that need none run.
needs_server = pytest.mark.skipif(not API, reason="needs a server: run by tests/it/sdk_consumers.rs")


def client(index):
    jid, password = USERS[index]
    return ApiClient(Configuration(host=API, username=jid, password=password))


def jid(index):
    return USERS[index][0]


def unique(text):
    return f"{text} {uuid.uuid4().hex[:8]}"


# --- the SDK's configuration ------------------------------------------------------------


def test_default_server_and_another_host():
    # The spec's server has variables; the default is a local server.
    assert Configuration().host == "https://localhost:8089/api"
    other = Configuration(server_variables={"scheme": "https", "host": "chat.example.com"})
    assert other.host == "https://chat.example.com/api"
    assert Configuration(host="https://chat.example.com:8089/api").host == "https://chat.example.com:8089/api"


def test_the_sdk_is_the_installed_package():
    assert "site-packages" in meerkat_client.__file__, meerkat_client.__file__


def test_configuration_sends_utf8_basic_credentials():
    config = Configuration(host="http://x/api", username="дмитрий@localhost", password="пароль")
    expected = "Basic " + base64.b64encode("дмитрий@localhost:пароль".encode("utf-8")).decode("ascii")
    assert config.auth_settings()["basicAuth"]["value"] == expected
    assert basic_authorization("дмитрий@localhost", "пароль") == expected


@needs_server
def test_users_with_non_latin_names_log_in():
    for index in (3, 4):
        me = jid(index)
        messages = MessagesApi(client(index))
        text = unique(f"from {me}")
        messages.send_message(MessageRequest(to=jid(0), body=text))
        mine = [m for m in messages.get_messages(limit=50) if m.body == text]
        assert [(m.from_, m.to) for m in mine] == [(me, jid(0))]
        assert ContactsApi(client(index)).list_contacts() == []
        with EventStream(client(index), read_timeout=15, reconnect=False):
            pass
        wrong = ApiClient(Configuration(host=API, username=me, password="wrong"))
        with pytest.raises(UnauthorizedException) as refused:
            MessagesApi(wrong).get_messages()
        assert refused.value.data == "Invalid credentials"


@needs_server
def test_users_with_non_latin_names_are_written_to_added_and_invited():
    """Named as JIDs (any letter case), not only logging in: carol writes to each, pages
    the history with them, adds them as contacts and invites them to a room."""
    messages, contacts, rooms = MessagesApi(client(2)), ContactsApi(client(2)), RoomsApi(client(2))
    room = rooms.create_room(RoomRequest(name="Все вместе", subject="大家")).id
    for index in (3, 4):
        them = jid(index)
        text = unique(f"to {them}")
        messages.send_message(MessageRequest(to=them.upper(), body=text))
        with_them = messages.get_messages_with(them.upper(), limit=1)
        assert [(m.to, m.body) for m in with_them] == [(them, text)]
        theirs = MessagesApi(client(index)).get_messages_with(jid(2), limit=1)
        assert [(m.from_, m.body) for m in theirs] == [(jid(2), text)]
        contacts.add_contact(ContactRequest(jid=them))
        rooms.invite_to_room(room, RoomInvite(user=them))
        assert room in [r.id for r in RoomsApi(client(index)).list_rooms()]
    assert sorted(c.jid for c in contacts.list_contacts()) == sorted([jid(3), jid(4)])
    assert contacts.delete_contacts(ContactsToDelete(to_delete=[jid(3), jid(4)])).not_deleted == []


# --- one-to-one messages and history ----------------------------------------------------


@needs_server
def test_send_and_page_history_with_limit_and_before():
    alice, bob = MessagesApi(client(0)), MessagesApi(client(1))
    bodies = [unique(f"history {i}") for i in range(5)]
    ids = []
    for body in bodies:
        ids.append(alice.send_message(MessageRequest(to=jid(1), body=body)).id)
        time.sleep(0.005)  # distinct milliseconds, so `before` pages cleanly

    newest = bob.get_messages_with(jid(0), limit=2)
    assert [m.body for m in newest] == bodies[3:]
    assert [m.id for m in newest] == ids[3:]
    first = newest[0]
    assert first.from_ == jid(0) and first.to == jid(1)
    assert first.archive_id.isdigit()

    middle = bob.get_messages_with(jid(0), limit=2, before=first.timestamp)
    assert [m.body for m in middle] == bodies[1:3]
    oldest = bob.get_messages_with(jid(0), limit=2, before=middle[0].timestamp)
    assert [m.body for m in oldest] == bodies[:1]

    everything = alice.get_messages(limit=500)
    assert [m.body for m in everything if m.body in bodies] == bodies


@needs_server
def test_page_history_with_archive_id_cursors():
    alice, bob = MessagesApi(client(0)), MessagesApi(client(1))
    bodies = [unique(f"cursor {i}") for i in range(4)]
    for body in bodies:  # no pause: items may share a millisecond, cursors still page
        alice.send_message(MessageRequest(to=jid(1), body=body))
    newest = bob.get_messages_with(jid(0), limit=2)
    assert [m.body for m in newest] == bodies[2:]
    older = bob.get_messages_with(jid(0), limit=2, before_id=newest[0].archive_id)
    assert [m.body for m in older] == bodies[:2]
    after = bob.get_messages_with(jid(0), limit=10, after_id=older[0].archive_id)
    assert [m.body for m in after] == bodies[1:]


# --- errors are typed, their text readable ------------------------------------------------


@needs_server
def test_errors_surface_as_typed_exceptions_with_the_documented_text():
    messages = MessagesApi(client(0))
    # A body the SDK's model would refuse, built without validation to reach the server.
    with pytest.raises(BadRequestException) as missing:
        messages.send_message(MessageRequest.model_construct(to=jid(1)))
    assert missing.value.status == 400
    assert missing.value.data == "Missing message body"

    with pytest.raises(NotFoundException) as not_found:
        RoomsApi(client(0)).get_room("nosuchroom")
    assert not_found.value.data == "Room not found"

    wrong = ApiClient(Configuration(host=API, username=jid(0), password="wrong password"))
    with pytest.raises(UnauthorizedException) as unauthorized:
        MessagesApi(wrong).get_messages()
    assert unauthorized.value.data == "Invalid credentials"
    assert unauthorized.value.headers["WWW-Authenticate"].startswith("Basic realm=")


# --- contacts -------------------------------------------------------------------------------


@needs_server
def test_contacts_add_list_delete():
    contacts = ContactsApi(client(2))
    contacts.add_contact(ContactRequest(jid=jid(0)))
    contacts.add_contact(ContactRequest(jid=jid(1).upper()))  # any letter case, canonical back
    listed = {c.jid: c for c in contacts.list_contacts()}
    assert set(listed) == {jid(0), jid(1)}
    assert listed[jid(0)].subscription == Subscription.NONE
    assert listed[jid(0)].ask == SubscriptionAsk.NONE

    contacts.delete_contact(jid(0))
    assert [c.jid for c in contacts.list_contacts()] == [jid(1)]
    with pytest.raises(NotFoundException):
        contacts.delete_contact(jid(0))

    outcome = contacts.delete_contacts(ContactsToDelete(to_delete=[jid(1), jid(0)]))
    assert outcome.not_deleted == [jid(0)]
    assert contacts.list_contacts() == []


# --- rooms ----------------------------------------------------------------------------------


@needs_server
def test_rooms_create_invite_send_read():
    alice, bob = RoomsApi(client(0)), RoomsApi(client(1))
    room = alice.create_room(RoomRequest(name="SDK fans", subject="Generated clients")).id
    alice.invite_to_room(room, RoomInvite(user=jid(1)))

    details = bob.get_room(room)
    assert details.name == "SDK fans"
    assert [(p.user, p.role) for p in details.participants] == [
        (jid(0), RoomRole.OWNER),
        (jid(1), RoomRole.MEMBER),
    ]
    assert room in [r.id for r in bob.list_rooms()]

    text = unique("hello room")
    sent = bob.send_room_message(room, RoomMessage(body=text, markable=True)).id
    archive = alice.get_room_messages(room, limit=10)
    assert archive[-1].type == RoomEventType.MESSAGE
    assert (archive[-1].id, archive[-1].from_, archive[-1].body) == (sent, jid(1), text)
    assert archive[-1].markable is True
    joins = [e for e in archive if e.type == RoomEventType.AFFILIATION]
    assert (joins[-1].user, joins[-1].affiliation) == (jid(1), Affiliation.MEMBER)

    with pytest.raises(BadRequestException) as empty:
        bob.send_room_message(room, RoomMessage())
    assert empty.value.data == "No valid message elements"


# --- the event stream through the helper -----------------------------------------------------


@needs_server
def test_event_stream_yields_typed_events():
    with EventStream(client(1), read_timeout=15, reconnect=False) as events:
        stream = iter(events)
        text = unique("live")
        MessagesApi(client(0)).send_message(MessageRequest(to=jid(1), body=text))
        event = next(stream)
        assert event.name == "message"
        assert isinstance(event.data, StreamedChatMessage)
        assert (event.data.from_, event.data.to, event.data.body) == (jid(0), jid(1), text)
        assert event.id is not None and event.id == events.last_event_id

        rooms = RoomsApi(client(0))
        room = rooms.create_room(RoomRequest(name="Stream", subject="Events")).id
        rooms.invite_to_room(room, RoomInvite(user=jid(1)))
        joined = next(stream)
        assert joined.name == "room.message"
        assert isinstance(joined.data, StreamedRoomEvent)
        assert joined.data.room == room and joined.data.type == RoomEventType.AFFILIATION
        assert (joined.data.user, joined.data.affiliation) == (jid(1), Affiliation.MEMBER)

        said = unique("to the room")
        rooms.send_room_message(room, RoomMessage(body=said))
        message = next(stream)
        assert (message.data.room, message.data.type, message.data.body) == (room, RoomEventType.MESSAGE, said)
        assert message.data.from_ == jid(0)


@needs_server
def test_event_stream_refuses_wrong_credentials_with_the_text():
    wrong = ApiClient(Configuration(host=API, username=jid(1), password="nope"))
    with pytest.raises(UnauthorizedException) as refused:
        EventStream(wrong).open()
    assert refused.value.data == "Invalid credentials"


@needs_server
def test_event_stream_resumes_from_last_event_id():
    first, missed = unique("before the gap"), unique("during the gap")
    with EventStream(client(1), read_timeout=15, reconnect=False) as events:
        MessagesApi(client(0)).send_message(MessageRequest(to=jid(1), body=first))
        seen = next(iter(events))
        assert seen.data.body == first
    MessagesApi(client(0)).send_message(MessageRequest(to=jid(1), body=missed))
    with EventStream(client(1), last_event_id=seen.id, read_timeout=15, reconnect=False) as events:
        replayed = next(iter(events))
        assert replayed.data.body == missed and int(replayed.id) > int(seen.id)


# --- the helper's own protocol handling (no server) --------------------------------------------


def test_frame_parser_follows_the_event_stream_format():
    parser = FrameParser()
    text = ": connected\r\nretry: 3000\r\n\r\nid: 7\nevent: room.message\ndata: {\"a\":\ndata:  1}\n\n: keepalive\n\ndata: x\r"
    frames = []
    for i in range(0, len(text), 3):  # any split, including inside CRLF
        frames += parser.feed(text[i : i + 3])
    frames += parser.feed("\n\n")
    assert parser.retry_ms == 3000
    assert frames == [
        Frame(event="room.message", data='{"a":\n 1}', id="7"),
        Frame(event="message", data="x", id="7"),  # ids carry over
    ]


def test_event_stream_reconnects_with_last_event_id():
    """The helper's reconnection, against a two-answer stand-in for the stream."""
    chat = '{"archive_id":"%s","id":"m%s","from":"a@localhost","to":"b@localhost","timestamp":1,"body":"%s"}'
    seen_headers = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen_headers.append(self.headers.get("Last-Event-ID"))
            n = len(seen_headers)
            body = f"retry: 10\n\nid: {n}\nevent: message\ndata: {chat % (n, n, n)}\n\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)  # then the stream ends: the helper must come back

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host = f"http://127.0.0.1:{server.server_address[1]}/api"
        config = Configuration(host=host, username="b@localhost", password="pw")
        stream = EventStream(ApiClient(config), last_event_id="0", read_timeout=5)
        events = iter(stream)
        got = [next(events).data.body for _ in range(3)]
        stream.close()
    finally:
        server.shutdown()
    assert got == ["1", "2", "3"]
    assert seen_headers == ["0", "1", "2"]


# --- webhooks ---------------------------------------------------------------------------------


def test_the_webhook_helper_verifies_a_signed_delivery():
    from meerkat_client.webhooks import WebhookVerificationError, sign, verify

    secret, body = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b'{"test": 2432232314}'
    signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": signature,
    }
    assert verify(secret, headers, body, now=1614265330) == {"test": 2432232314}
    with pytest.raises(WebhookVerificationError):
        verify(secret, headers, body + b" ", now=1614265330)

