"""Drives a running meerkat's admin API through its generated Python SDK (sdk/python-admin,
`make sdk`), as a team's backend would, and checks what users see through the client SDK
(sdk/python).

Started by tests/it/sdk_consumers.rs, which runs a server whose admin handler has a
username and password (every scope) and a token with only some scopes, with:

    MEERKAT_ADMIN_API    the admin API's base URL, e.g. http://127.0.0.1:40124/api
    MEERKAT_ADMIN_USER   the handler's username (every scope)
    MEERKAT_ADMIN_PASSWORD
    MEERKAT_ADMIN_TOKEN  a bearer token with the scopes users:read and sessions:read only
    MEERKAT_API          the client API's base URL

Each test registers its own users (fresh names), so the tests need no order. pytest and
the SDKs' dependencies are those of tests/sdk-python/requirements.txt.
"""

import inspect
import os
import uuid

import pytest

from meerkat_admin import (
    ApiClient,
    Configuration,
    ContactsApi,
    MessagesApi,
    RoomsApi,
    SessionsApi,
    UsersApi,
)
from meerkat_admin.exceptions import (
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    UnauthorizedException,
)
from meerkat_admin.models import (
    ContactsLink,
    MessageToSend,
    MucLightInvitation,
    MucLightRoomToCreate,
    MucLightRoomWithIdToCreate,
    MucRoomToCreate,
    NewPassword,
    NewUser,
    RoomMessageToSend,
)
import meerkat_client
import meerkat_client.models
from meerkat_client.events import EventStream

ADMIN_API = os.environ.get("MEERKAT_ADMIN_API", "")
API = os.environ.get("MEERKAT_API", "")
DOMAIN = "localhost"
LIGHT = f"muclight.{DOMAIN}"
PASSWORD = "sdk-secret"

if ADMIN_API and not all(
    os.environ.get(name) for name in ("MEERKAT_ADMIN_USER", "MEERKAT_ADMIN_PASSWORD", "MEERKAT_ADMIN_TOKEN", "MEERKAT_API")
):
    raise RuntimeError("MEERKAT_ADMIN_USER, MEERKAT_ADMIN_PASSWORD, MEERKAT_ADMIN_TOKEN and MEERKAT_API must be set")
# Without a server (the file run on its own) only the tests that need none run.
needs_server = pytest.mark.skipif(not ADMIN_API, reason="needs a server: run by tests/it/sdk_consumers.rs")


def backend():
    """The admin API as the backend: the handler's username and password."""
    return ApiClient(
        Configuration(
            host=ADMIN_API,
            username=os.environ["MEERKAT_ADMIN_USER"],
            password=os.environ["MEERKAT_ADMIN_PASSWORD"],
        )
    )


def support_tool():
    """The admin API with the scope-limited token."""
    return ApiClient(Configuration(host=ADMIN_API, access_token=os.environ["MEERKAT_ADMIN_TOKEN"]))


def app(jid):
    """The client API as the user's app (the client SDK)."""
    return meerkat_client.ApiClient(meerkat_client.Configuration(host=API, username=jid, password=PASSWORD))


def register(*names):
    """Registers fresh users named after `names` through the SDK; their bare JIDs."""
    users = UsersApi(backend())
    return [users.register_user(DOMAIN, NewUser(username=f"{n}-{uuid.uuid4().hex[:8]}", password=PASSWORD)) for n in names]


def local(jid):
    return jid.split("@", 1)[0]


# --- the SDK's configuration -----------------------------------------------------------


def test_the_keyword_names_are_mapped():
    # `from` (a body field) and `with` (a path parameter) are Python keywords.
    message = RoomMessageToSend(from_="alice@localhost", body="hi")
    assert message.to_dict() == {"from": "alice@localhost", "body": "hi"}
    assert "with_" in inspect.signature(MessagesApi.get_archive_with).parameters


# --- users ------------------------------------------------------------------------------------


@needs_server
def test_register_list_page_count_and_remove_users():
    users = UsersApi(backend())
    before = users.count_users(DOMAIN).count
    tag = uuid.uuid4().hex[:8]
    names = [f"{tag}-{n}" for n in ("ann", "ben", "cat")]
    for name in names:
        assert users.register_user(DOMAIN, NewUser(username=name.upper(), password=PASSWORD)) == f"{name}@{DOMAIN}"
    assert users.count_users(DOMAIN).count == before + 3

    everyone = users.list_users(DOMAIN)
    assert everyone == sorted(everyone)
    jids = [f"{n}@{DOMAIN}" for n in names]
    assert [j for j in everyone if j.startswith(tag)] == jids
    # Pages: at most `limit` users after the local part `after` (nobody else's name sorts
    # between ours).
    assert users.list_users(DOMAIN, limit=2, after=names[0]) == jids[1:]
    assert users.list_users(DOMAIN, limit=1, after=names[0]) == jids[1:2]

    with pytest.raises(ConflictException) as taken:
        users.register_user(DOMAIN, NewUser(username=names[0], password=PASSWORD))
    assert taken.value.data == "User already exists"

    users.change_password(DOMAIN, names[0], NewPassword(newpass="another-secret"))
    users.unregister_user(DOMAIN, names[2])
    assert users.count_users(DOMAIN).count == before + 2
    with pytest.raises(NotFoundException) as gone:
        users.unregister_user(DOMAIN, names[2])
    assert gone.value.data == "User not found"


# --- messages and archives ----------------------------------------------------------------


@needs_server
def test_send_as_a_user_the_peer_gets_it_and_both_archives_have_it():
    alice, bob = register("alice", "bob")
    messages = MessagesApi(backend())
    bodies = [f"from the backend {i}" for i in range(3)]
    with EventStream(app(bob), read_timeout=15, reconnect=False) as events:
        for body in bodies:
            messages.send_message(MessageToSend(caller=alice, to=bob, body=body))
        stream = iter(events)
        for body in bodies:
            event = next(stream)
            assert event.name == "message"
            assert (event.data.from_.split("/")[0], event.data.to, event.data.body) == (alice, bob, body)

    for owner, peer in ((alice, bob), (bob, alice)):
        archive = messages.get_archive(owner)
        assert [m.body for m in archive] == bodies
        assert all(m.sender.split("/")[0] == alice and m.id.isdigit() for m in archive)
        assert [m.body for m in messages.get_archive_with(owner, with_=peer)] == bodies
    newest = messages.get_archive_with(bob, with_=alice, limit=1)
    assert [m.body for m in newest] == bodies[2:]
    older = messages.get_archive_with(bob, with_=alice, limit=5, before_id=newest[0].id)
    assert [m.body for m in older] == bodies[:2]
    assert [m.body for m in messages.get_archive(bob, after_id=older[0].id)] == bodies[1:]


# --- sessions ---------------------------------------------------------------------------------


@needs_server
def test_list_a_users_sessions_and_kick_them():
    (carol,) = register("carol")
    sessions = SessionsApi(backend())
    with EventStream(app(carol), read_timeout=15, reconnect=False) as events:
        listed = sessions.list_user_sessions(DOMAIN, local(carol))
        assert len(listed) == 1
        session = listed[0]
        assert session.jid.startswith(carol + "/")
        assert session.connection == "sse"
        assert session.node
        assert session.jid in sessions.list_sessions(DOMAIN)
        # The token may read sessions too.
        assert session.jid in SessionsApi(support_tool()).list_sessions(DOMAIN)

        assert sessions.kick_user(DOMAIN, local(carol)).kicked == 1
        # The stream ends (no reconnection asked for).
        assert list(events) == []
    assert sessions.list_user_sessions(DOMAIN, local(carol)) == []
    with pytest.raises(NotFoundException) as none:
        sessions.kick_user(DOMAIN, local(carol))
    assert none.value.data == "No active session"


# --- contacts ---------------------------------------------------------------------------------


@needs_server
def test_connect_and_disconnect_two_users():
    dan, eve = register("dan", "eve")
    contacts = ContactsApi(backend())
    contacts.manage_contacts(dan, eve, ContactsLink(action="connect"))
    for user, other in ((dan, eve), (eve, dan)):
        (item,) = contacts.list_contacts(user)
        assert (item.jid, item.subscription, item.ask) == (other, "both", "none")
    # What the user's app sees is the same roster.
    (seen,) = meerkat_client.ContactsApi(app(dan)).list_contacts()
    assert (seen.jid, seen.subscription) == (eve, meerkat_client.models.Subscription.BOTH)

    contacts.manage_contacts(dan, eve, ContactsLink(action="disconnect"))
    assert contacts.list_contacts(dan) == [] and contacts.list_contacts(eve) == []
    with pytest.raises(NotFoundException) as missing:
        contacts.delete_contact(dan, eve)
    assert missing.value.data == f"Cannot remove {eve} contact that does not exist"


# --- rooms ------------------------------------------------------------------------------------


@needs_server
def test_create_a_muc_light_room_add_a_member_and_send_for_them():
    owner, member = register("owner", "member")
    rooms = RoomsApi(backend())
    room = rooms.create_muc_light_room(LIGHT, MucLightRoomToCreate(owner=owner, name="Backend room", subject="Ops"))
    room_id, service = room.split("@")
    assert service == LIGHT
    rooms.invite_to_muc_light_room(LIGHT, room_id, MucLightInvitation(sender=owner, recipient=member))
    rooms.send_muc_light_message(LIGHT, room_id, RoomMessageToSend(from_=member, body="posted by the backend"))

    (listed,) = rooms.list_user_muc_light_rooms(LIGHT, member)
    assert (listed.id, listed.jid, listed.name, listed.subject) == (room_id, room, "Backend room", "Ops")
    # The member's app reads the message in the room's history.
    history = meerkat_client.RoomsApi(app(member)).get_room_messages(room_id, limit=10)
    assert (history[-1].from_, history[-1].body) == (member, "posted by the backend")

    named = f"named-{uuid.uuid4().hex[:8]}"
    given = MucLightRoomWithIdToCreate(id=named, owner=owner, name="Named", subject="Ops")
    assert rooms.create_muc_light_room_with_id(LIGHT, given) == f"{named}@{LIGHT}"
    with pytest.raises(ConflictException) as again:
        rooms.create_muc_light_room_with_id(LIGHT, given)
    assert again.value.data == "Room already exists"

    rooms.delete_muc_light_room(LIGHT, room_id)
    assert [r.id for r in rooms.list_user_muc_light_rooms(LIGHT, member)] == []
    with pytest.raises(NotFoundException) as gone:
        rooms.delete_muc_light_room(LIGHT, room_id)
    assert gone.value.data == "Room not found"


@needs_server
def test_create_a_muc_room_and_list_it():
    (owner,) = register("host")
    rooms = RoomsApi(backend())
    name = f"hall-{uuid.uuid4().hex[:8]}"
    assert rooms.create_muc_room(DOMAIN, MucRoomToCreate(name=name, owner=owner, nick="host")) == name
    (room,) = [r for r in rooms.list_muc_rooms(DOMAIN) if r.name == name]
    assert (room.jid, room.persistent, room.occupants) == (f"{name}@conference.{DOMAIN}", True, [])
    # Nobody is in it, so nobody can send to it.
    with pytest.raises(ForbiddenException) as outside:
        rooms.send_muc_message(DOMAIN, name, RoomMessageToSend(from_=owner, body="hello?"))
    assert outside.value.data == "Given user does not occupy this room"


# --- errors are typed, their texts the documented ones -------------------------------------


@needs_server
def test_an_unknown_domain_is_404_with_its_text():
    users = UsersApi(backend())
    for call in (users.list_users, users.count_users, SessionsApi(backend()).list_sessions):
        with pytest.raises(NotFoundException) as unknown:
            call("nowhere.example")
        assert (unknown.value.status, unknown.value.data) == (404, "Unknown domain")
    with pytest.raises(NotFoundException) as no_service:
        RoomsApi(backend()).list_user_muc_light_rooms("muclight.nowhere.example", "alice@localhost")
    assert no_service.value.data == "MUC Light server not found"


@needs_server
def test_a_token_without_the_scope_is_403_with_its_text():
    (frank,) = register("frank")
    token = support_tool()
    # users:read: reading users works, changing them does not.
    assert frank in UsersApi(token).list_users(DOMAIN)
    with pytest.raises(ForbiddenException) as write:
        UsersApi(token).register_user(DOMAIN, NewUser(username="mallory", password=PASSWORD))
    assert (write.value.status, write.value.data) == (403, "Missing scope users:write")
    with pytest.raises(ForbiddenException) as read:
        ContactsApi(token).list_contacts(frank)
    assert read.value.data == "Missing scope contacts:read"
    with pytest.raises(ForbiddenException) as kick:
        SessionsApi(token).kick_user(DOMAIN, local(frank))
    assert kick.value.data == "Missing scope sessions:write"
    with pytest.raises(ForbiddenException) as send:
        MessagesApi(token).send_message(MessageToSend(caller=frank, to=frank, body="no"))
    assert send.value.data == "Missing scope messages:write"


@needs_server
def test_missing_or_wrong_credentials_are_401_with_a_challenge():
    anonymous = UsersApi(ApiClient(Configuration(host=ADMIN_API)))
    with pytest.raises(UnauthorizedException) as missing:
        anonymous.count_users(DOMAIN)
    assert missing.value.data == "Authentication required"
    assert missing.value.headers["WWW-Authenticate"].startswith("Basic realm=")
    wrong = ApiClient(Configuration(host=ADMIN_API, username=os.environ["MEERKAT_ADMIN_USER"], password="wrong"))
    with pytest.raises(UnauthorizedException) as refused:
        UsersApi(wrong).count_users(DOMAIN)
    assert refused.value.data == "Invalid credentials"


@needs_server
def test_bad_requests_are_400_with_the_fields_text():
    (grace,) = register("grace")
    with pytest.raises(BadRequestException) as name:
        UsersApi(backend()).register_user(DOMAIN, NewUser(username="no spaces", password=PASSWORD))
    assert name.value.data == "Invalid username"
    with pytest.raises(BadRequestException) as nobody:
        MessagesApi(backend()).send_message(MessageToSend(caller=f"nobody@{DOMAIN}", to=grace, body="hi"))
    assert nobody.value.data == "User does not exist"
    # A body the SDK's model would refuse, built without validation to reach the server.
    with pytest.raises(BadRequestException) as body:
        MessagesApi(backend()).send_message(MessageToSend.model_construct(caller=grace, to=grace))
    assert body.value.data == "Missing message body"
