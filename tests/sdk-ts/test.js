/**
 * Drives a running meerkat through the generated TypeScript SDK (sdk/typescript,
 * `make sdk`), installed into this project as its documentation says: a copy in
 * ./sdk/typescript and `npm install ./sdk/typescript`, which builds it with the
 * TypeScript it depends on; this project lists no TypeScript of its own, and this file is
 * plain JavaScript (`npm test`, node's test runner).
 *
 * Started by tests/it/sdk_consumers.rs, which runs a server and registers the users, with:
 *
 *   MEERKAT_API    the client API's base URL, e.g. http://127.0.0.1:40123/api
 *   MEERKAT_USERS  accounts as jid:password, comma-separated: alice, bob, carol, and two
 *                  users whose names are not in Latin script
 *
 * Everything goes through the SDK's calls and models, as an application would; the
 * event stream goes through the shipped helper (EventStream, src/events.ts).
 */

const { strict: assert } = require('node:assert');
const { createServer } = require('node:http');
const { describe, test } = require('node:test');
const { randomUUID } = require('node:crypto');

const {
  Affiliation,
  BASE_PATH,
  Configuration,
  ContactsApi,
  EventStream,
  MessagesApi,
  ResponseError,
  RoomEventType,
  RoomRole,
  RoomsApi,
  SseFrameParser,
  Subscription,
  SubscriptionAsk,
  basicAuthorization,
  signWebhook,
  verifyWebhook,
  WebhookVerificationError,
} = require('@meerkat/client');

const API = process.env.MEERKAT_API ?? '';
const USERS = (process.env.MEERKAT_USERS ?? '')
  .split(',')
  .filter((u) => u)
  .map((u) => {
    const at = u.indexOf(':');
    return { jid: u.slice(0, at), password: u.slice(at + 1) };
  });
if (API && USERS.length < 5) {
  throw new Error('MEERKAT_USERS must name five accounts as jid:password');
}
// Without a server (the file run on its own) only the tests that need none run.
const skipWithoutServer = API ? false : 'needs a server: run by tests/it/sdk_consumers.rs';

function config(index) {
  return new Configuration({ basePath: API, username: USERS[index].jid, password: USERS[index].password });
}

function jid(index) {
  return USERS[index]?.jid ?? '';
}

function unique(text) {
  return `${text} ${randomUUID().slice(0, 8)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The error text of a failed call: the SDK throws ResponseError, the body is a JSON string. */
async function errorOf(call) {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof ResponseError, `expected a ResponseError, got ${e}`);
    return { status: e.response.status, text: await e.response.json() };
  }
  assert.fail('the call succeeded');
}

/** The body of a one-to-one message event; any other kind of event fails the test. */
function messageBody(event) {
  assert.equal(event.name, 'message');
  return event.name === 'message' ? event.data.body : '';
}

/** The next event of `events`, or a failure after `ms`. */
async function nextEvent(events, ms = 15000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
  });
  try {
    const next = await Promise.race([events.next(), timeout]);
    assert.ok(!next.done, 'the stream ended');
    return next.value;
  } finally {
    clearTimeout(timer);
  }
}

test('the default server, and pointing the SDK at another host', () => {
  // The spec's server has variables; the generated default is a local server.
  assert.equal(BASE_PATH, 'https://localhost:8089/api');
  assert.equal(new Configuration().basePath, 'https://localhost:8089/api');
  assert.equal(new Configuration({ basePath: 'https://chat.example.com/api' }).basePath, 'https://chat.example.com/api');
});

describe('against the server', { skip: skipWithoutServer }, () => {
  test('send a message and page history with limit and before', async () => {
    const alice = new MessagesApi(config(0));
    const bob = new MessagesApi(config(1));
    const bodies = [0, 1, 2, 3, 4].map((i) => unique(`history ${i}`));
    const ids = [];
    for (const body of bodies) {
      ids.push((await alice.sendMessage({ messageRequest: { to: jid(1), body } })).id);
      await sleep(5); // distinct milliseconds, so `before` pages cleanly
    }

    const newest = await bob.getMessagesWith({ jid: jid(0), limit: 2 });
    assert.deepEqual(newest.map((m) => m.body), bodies.slice(3));
    assert.deepEqual(newest.map((m) => m.id), ids.slice(3));
    assert.equal(newest[0].from, jid(0));
    assert.equal(newest[0].to, jid(1));
    assert.match(newest[0].archiveId, /^[0-9]+$/);

    const middle = await bob.getMessagesWith({ jid: jid(0), limit: 2, before: newest[0].timestamp });
    assert.deepEqual(middle.map((m) => m.body), bodies.slice(1, 3));
    const oldest = await bob.getMessagesWith({ jid: jid(0), limit: 2, before: middle[0].timestamp });
    assert.deepEqual(oldest.map((m) => m.body), bodies.slice(0, 1));

    const everything = await alice.getMessages({ limit: 500 });
    assert.deepEqual(everything.map((m) => m.body).filter((b) => bodies.includes(b)), bodies);
  });

  test(
    'page history with archive_id cursors',
    async () => {
      const alice = new MessagesApi(config(0));
      const bob = new MessagesApi(config(1));
      const bodies = [0, 1, 2, 3].map((i) => unique(`cursor ${i}`));
      for (const body of bodies) {
        await alice.sendMessage({ messageRequest: { to: jid(1), body } });
      }
      const newest = await bob.getMessagesWith({ jid: jid(0), limit: 2 });
      assert.deepEqual(newest.map((m) => m.body), bodies.slice(2));
      const older = await bob.getMessagesWith({ jid: jid(0), limit: 2, beforeId: newest[0].archiveId });
      assert.deepEqual(older.map((m) => m.body), bodies.slice(0, 2));
      const after = await bob.getMessagesWith({ jid: jid(0), limit: 10, afterId: older[0].archiveId });
      assert.deepEqual(after.map((m) => m.body), bodies.slice(1));
    },
  );

  test('errors surface as ResponseError with the documented text', async () => {
    const messages = new MessagesApi(config(0));
    // A body the SDK's types would refuse, to reach the server's own check.
    const missing = await errorOf(messages.sendMessage({ messageRequest: { to: jid(1) } }));
    assert.deepEqual(missing, { status: 400, text: 'Missing message body' });

    const notFound = await errorOf(new RoomsApi(config(0)).getRoom({ id: 'nosuchroom' }));
    assert.deepEqual(notFound, { status: 404, text: 'Room not found' });

    const wrong = new Configuration({ basePath: API, username: jid(0), password: 'wrong password' });
    const unauthorized = await errorOf(new MessagesApi(wrong).getMessages());
    assert.deepEqual(unauthorized, { status: 401, text: 'Invalid credentials' });
  });

  test('contacts: add, list, delete', async () => {
    const contacts = new ContactsApi(config(2));
    await contacts.addContact({ contactRequest: { jid: jid(0) } });
    await contacts.addContact({ contactRequest: { jid: jid(1).toUpperCase() } }); // canonical back
    const listed = await contacts.listContacts();
    assert.deepEqual(listed.map((c) => c.jid).sort(), [jid(0), jid(1)].sort());
    const alice = listed.find((c) => c.jid === jid(0));
    assert.equal(alice?.subscription, Subscription.None);
    assert.equal(alice?.ask, SubscriptionAsk.None);

    await contacts.deleteContact({ jid: jid(0) });
    assert.deepEqual((await contacts.listContacts()).map((c) => c.jid), [jid(1)]);
    assert.equal((await errorOf(contacts.deleteContact({ jid: jid(0) }))).status, 404);

    const outcome = await contacts.deleteContacts({ contactsToDelete: { toDelete: [jid(1), jid(0)] } });
    assert.deepEqual(outcome.notDeleted, [jid(0)]);
    assert.deepEqual(await contacts.listContacts(), []);
  });

  test('rooms: create, invite, send, read', async () => {
    const alice = new RoomsApi(config(0));
    const bob = new RoomsApi(config(1));
    const room = (await alice.createRoom({ roomRequest: { name: 'SDK fans', subject: 'Generated clients' } })).id;
    await alice.inviteToRoom({ id: room, roomInvite: { user: jid(1) } });

    const details = await bob.getRoom({ id: room });
    assert.equal(details.name, 'SDK fans');
    assert.deepEqual(
      details.participants.map((p) => [p.user, p.role]),
      [
        [jid(0), RoomRole.Owner],
        [jid(1), RoomRole.Member],
      ],
    );
    assert.ok((await bob.listRooms()).some((r) => r.id === room));

    const text = unique('hello room');
    const sent = (await bob.sendRoomMessage({ id: room, roomMessage: { body: text, markable: true } })).id;
    const archive = await alice.getRoomMessages({ id: room, limit: 10 });
    const last = archive[archive.length - 1];
    assert.equal(last.type, RoomEventType.Message);
    assert.deepEqual([last.id, last.from, last.body, last.markable], [sent, jid(1), text, true]);
    const joins = archive.filter((e) => e.type === RoomEventType.Affiliation);
    assert.deepEqual([joins[joins.length - 1].user, joins[joins.length - 1].affiliation], [jid(1), Affiliation.Member]);

    const empty = await errorOf(bob.sendRoomMessage({ id: room, roomMessage: {} }));
    assert.deepEqual(empty, { status: 400, text: 'No valid message elements' });
  });

  test('the event stream yields typed events', async () => {
    const events = new EventStream(config(1), { reconnect: false });
    await events.open();
    const stream = events[Symbol.asyncIterator]();
    try {
      const text = unique('live');
      await new MessagesApi(config(0)).sendMessage({ messageRequest: { to: jid(1), body: text } });
      const event = await nextEvent(stream);
      assert.equal(event.name, 'message');
      if (event.name !== 'message') return;
      assert.deepEqual([event.data.from, event.data.to, event.data.body], [jid(0), jid(1), text]);
      assert.ok(event.id !== undefined && event.id === events.lastEventId);

      const rooms = new RoomsApi(config(0));
      const room = (await rooms.createRoom({ roomRequest: { name: 'Stream', subject: 'Events' } })).id;
      await rooms.inviteToRoom({ id: room, roomInvite: { user: jid(1) } });
      const joined = await nextEvent(stream);
      assert.equal(joined.name, 'room.message');
      if (joined.name !== 'room.message') return;
      assert.deepEqual(
        [joined.data.room, joined.data.type, joined.data.user, joined.data.affiliation],
        [room, RoomEventType.Affiliation, jid(1), Affiliation.Member],
      );

      const said = unique('to the room');
      await rooms.sendRoomMessage({ id: room, roomMessage: { body: said } });
      const message = await nextEvent(stream);
      assert.equal(message.name, 'room.message');
      if (message.name !== 'room.message') return;
      assert.deepEqual(
        [message.data.room, message.data.type, message.data.body, message.data.from],
        [room, RoomEventType.Message, said, jid(0)],
      );
    } finally {
      events.close();
    }
  });

  test('the event stream refuses wrong credentials with the text', async () => {
    const wrong = new Configuration({ basePath: API, username: jid(1), password: 'nope' });
    const refused = await errorOf(new EventStream(wrong).open());
    assert.deepEqual(refused, { status: 401, text: 'Invalid credentials' });
  });

  test('users whose names are not in Latin script log in', async () => {
    for (const index of [3, 4]) {
      const me = jid(index);
      const messages = new MessagesApi(config(index));
      const text = unique(`from ${me}`);
      await messages.sendMessage({ messageRequest: { to: jid(0), body: text } });
      const mine = (await messages.getMessages({ limit: 50 })).filter((m) => m.body === text);
      assert.deepEqual(mine.map((m) => [m.from, m.to]), [[me, jid(0)]]);
      assert.deepEqual(await new ContactsApi(config(index)).listContacts(), []);

      const events = new EventStream(config(index), { reconnect: false });
      await events.open();
      events.close();

      const wrong = new Configuration({ basePath: API, username: me, password: 'wrong' });
      assert.deepEqual(await errorOf(new MessagesApi(wrong).getMessages()), { status: 401, text: 'Invalid credentials' });
    }
  });

  test('users whose names are not in Latin script are written to, added and invited', async () => {
    // Named as JIDs (any letter case), not only logging in.
    const messages = new MessagesApi(config(2));
    const contacts = new ContactsApi(config(2));
    const rooms = new RoomsApi(config(2));
    const room = (await rooms.createRoom({ roomRequest: { name: 'Все вместе', subject: '大家' } })).id;
    for (const index of [3, 4]) {
      const them = jid(index);
      const text = unique(`to ${them}`);
      await messages.sendMessage({ messageRequest: { to: them.toUpperCase(), body: text } });
      const withThem = await messages.getMessagesWith({ jid: them.toUpperCase(), limit: 1 });
      assert.deepEqual(withThem.map((m) => [m.to, m.body]), [[them, text]]);
      const theirs = await new MessagesApi(config(index)).getMessagesWith({ jid: jid(2), limit: 1 });
      assert.deepEqual(theirs.map((m) => [m.from, m.body]), [[jid(2), text]]);
      await contacts.addContact({ contactRequest: { jid: them } });
      await rooms.inviteToRoom({ id: room, roomInvite: { user: them } });
      assert.ok((await new RoomsApi(config(index)).listRooms()).some((r) => r.id === room));
    }
    assert.deepEqual((await contacts.listContacts()).map((c) => c.jid).sort(), [jid(3), jid(4)].sort());
    const outcome = await contacts.deleteContacts({ contactsToDelete: { toDelete: [jid(3), jid(4)] } });
    assert.deepEqual(outcome.notDeleted, []);
  });

  test(
    'the event stream resumes from Last-Event-ID',
    async () => {
      const first = unique('before the gap');
      const missed = unique('during the gap');
      const events = new EventStream(config(1), { reconnect: false });
      await events.open();
      await new MessagesApi(config(0)).sendMessage({ messageRequest: { to: jid(1), body: first } });
      const seen = await nextEvent(events[Symbol.asyncIterator]());
      events.close();
      assert.equal(messageBody(seen), first);
      await new MessagesApi(config(0)).sendMessage({ messageRequest: { to: jid(1), body: missed } });
      const resumed = new EventStream(config(1), { lastEventId: seen.id, reconnect: false });
      try {
        const replayed = await nextEvent(resumed[Symbol.asyncIterator]());
        assert.equal(messageBody(replayed), missed);
        assert.ok(BigInt(replayed.id ?? '0') > BigInt(seen.id ?? '0'));
      } finally {
        resumed.close();
      }
    },
  );
});

test('the package is the installed one, and its Configuration sends UTF-8 credentials', () => {
  assert.match(require.resolve('@meerkat/client'), /node_modules[/]@meerkat[/]client|sdk[/]typescript[/]dist/);
  assert.equal(basicAuthorization('李@localhost', '密码'), `Basic ${Buffer.from('李@localhost:密码').toString('base64')}`);
  const config = new Configuration({ basePath: 'http://x/api', username: 'дмитрий@localhost', password: 'пароль' });
  assert.equal(config.headers?.Authorization, basicAuthorization('дмитрий@localhost', 'пароль'));
  assert.equal(config.basicUsername, 'дмитрий@localhost');
});

test('the frame parser follows the event stream format', () => {
  const parser = new SseFrameParser();
  const text = ': connected\r\nretry: 3000\r\n\r\nid: 7\nevent: room.message\ndata: {"a":\ndata:  1}\n\n: keepalive\n\ndata: x\r';
  const frames = [];
  for (let i = 0; i < text.length; i += 3) {
    frames.push(...parser.feed(text.slice(i, i + 3))); // any split, including inside CRLF
  }
  frames.push(...parser.feed('\n\n'));
  assert.equal(parser.retryMs, 3000);
  assert.deepEqual(frames, [
    { event: 'room.message', data: '{"a":\n 1}', id: '7' },
    { event: 'message', data: 'x', id: '7' }, // ids carry over
  ]);
});

test('the event stream reconnects with Last-Event-ID', async () => {
  // The helper's reconnection, against a stand-in for the stream that ends after one event.
  const seen = [];
  const server = createServer((req, res) => {
    seen.push(req.headers['last-event-id']);
    const n = seen.length;
    const data = { archive_id: `${n}`, id: `m${n}`, from: 'a@localhost', to: 'b@localhost', timestamp: 1, body: `${n}` };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`retry: 10\n\nid: ${n}\nevent: message\ndata: ${JSON.stringify(data)}\n\n`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const configuration = new Configuration({ basePath: `http://127.0.0.1:${port}/api`, username: 'b@localhost', password: 'pw' });
  const events = new EventStream(configuration, { lastEventId: '0' });
  const stream = events[Symbol.asyncIterator]();
  try {
    const got = [];
    for (let i = 0; i < 3; i++) {
      got.push(messageBody(await nextEvent(stream, 5000)));
    }
    assert.deepEqual(got, ['1', '2', '3']);
    assert.deepEqual(seen, ['0', '1', '2']);
  } finally {
    events.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('the webhook helper verifies a signed delivery', async () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const body = '{"test": 2432232314}';
  const signature = await signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body);
  assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  const headers = { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': signature };
  assert.deepEqual(await verifyWebhook(secret, headers, body, 1614265330), { test: 2432232314 });
  await assert.rejects(verifyWebhook(secret, headers, `${body} `, 1614265330), WebhookVerificationError);
});
