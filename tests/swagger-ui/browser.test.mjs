// Drives the API docs page of a running meerkat (src/http/docs.rs) in Debian's headless
// Chromium, as a visitor would: the page's own scripts, the visitor's clicks. Authorize with
// Basic credentials, open the history with a contact, "Try it out", fill in the contact,
// Execute: the answer is the user's real messages. On the way, the page's first state:
// "Try it out" off until clicked, the optional parameters empty, the server readable.
//
// Started by tests/it/api_docs.rs with
//   MEERKAT_DOCS      the docs page's URL (a loopback address)
//   MEERKAT_USER, MEERKAT_PASSWORD, MEERKAT_PEER   the user, and the contact of the history
//   MEERKAT_BODIES    a JSON array: the bodies of the user's messages with MEERKAT_PEER
// Chromium is /usr/bin/chromium (`make test` installs Debian's when missing) with a fresh
// profile, no network but the page's server.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const docs = process.env.MEERKAT_DOCS;
const STEP = 15_000; // the longest wait for any one thing on the page

let context;
let profile;
before(async () => {
  if (!docs) return;
  profile = mkdtempSync(join(tmpdir(), 'meerkat-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    timeout: 30_000,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  context.setDefaultTimeout(STEP);
  // Only the page's own server: anything else would be a request leaving the machine.
  const origin = new URL(docs).origin;
  await context.route('**/*', (route) =>
    new URL(route.request().url()).origin === origin ? route.continue() : route.abort());
});
after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('Authorize, then Execute on the history, shows the user\'s messages', { skip: !docs, timeout: 120_000 }, async () => {
  const user = process.env.MEERKAT_USER;
  const password = process.env.MEERKAT_PASSWORD;
  const peer = process.env.MEERKAT_PEER;
  const bodies = JSON.parse(process.env.MEERKAT_BODIES);

  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(docs);
  const operation = page.locator('#operations-messages-getMessagesWith');
  await operation.waitFor();

  // The server at the top is readable: its whole text fits in the drop-down.
  const server = await page.locator('select#servers').evaluate((select) => {
    const text = select.options[select.selectedIndex].text;
    const style = getComputedStyle(select);
    const canvas = document.createElement('canvas').getContext('2d');
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return { text, width: canvas.measureText(text).width, room };
  });
  assert.ok(server.width <= server.room, `the server's text is cut off: ${JSON.stringify(server)}`);
  assert.match(server.text, /^\{scheme\}:\/\/\{host\}\/api/);

  // Authorize: Basic credentials, in the dialog of the Authorize button.
  await page.locator('button.btn.authorize').first().click();
  const basic = page.locator('.modal-ux .auth-container').filter({ hasText: 'basicAuth' });
  await basic.locator('input[name=username]').fill(user);
  await basic.locator('input[name=password]').fill(password);
  await basic.locator('button.authorize').click();
  await basic.locator('button', { hasText: 'Logout' }).waitFor();
  await basic.locator('button.btn-done').click();
  await page.locator('.modal-ux').waitFor({ state: 'detached' });

  // The history with a contact: opened, "Try it out" is off until clicked.
  await operation.locator('.opblock-summary').first().click();
  const tryItOut = operation.locator('button.try-out__btn');
  await tryItOut.waitFor();
  assert.equal((await tryItOut.textContent()).trim(), 'Try it out');
  assert.equal(await operation.locator('button.execute').count(), 0, 'Execute before "Try it out"');
  await tryItOut.click();
  const execute = operation.locator('button.execute');
  await execute.waitFor();

  // Every optional parameter starts empty (but `limit`, with the server's own default).
  const field = (name) => operation.locator(`tr[data-param-name="${name}"] input`);
  for (const name of ['before', 'after_id', 'before_id']) {
    assert.equal(await field(name).inputValue(), '', `${name} is prefilled`);
  }
  assert.ok(['', '50'].includes(await field('limit').inputValue()), 'limit: empty or its default');

  // The contact, then Execute: the request and what the page shows are the real history.
  await field('jid').fill(peer);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname.endsWith(`/messages/${encodeURIComponent(peer)}`)
      || new URL(r.url()).pathname.endsWith(`/messages/${peer}`)),
    execute.click(),
  ]);
  assert.equal(response.status(), 200, await response.text());
  const sent = new URL(response.url());
  assert.deepEqual([...sent.searchParams.keys()].filter((k) => k !== 'limit'), [], `query: ${sent.search}`);
  const history = await response.json();
  assert.deepEqual(history.map((m) => m.body), bodies);

  const shown = operation.locator('.live-responses-table .response-col_description pre');
  await shown.first().waitFor();
  const text = await shown.first().textContent();
  for (const body of bodies) assert.ok(text.includes(body), `the page shows ${body}: ${text}`);
  assert.equal((await operation.locator('.live-responses-table tr.response .response-col_status').textContent()).trim(), '200');
  assert.deepEqual(errors, []);
});
