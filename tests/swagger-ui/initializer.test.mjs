// Runs the start script of the API docs page (src/http/docs/swagger-initializer.js), as a
// running server serves it, with a stand-in for Swagger UI that records its settings;
// then checks where the recorded request interceptor sends "Try it out" requests.
// Started by tests/it/api_docs.rs with MEERKAT_DOCS (the docs page's URL) and MEERKAT_API_PATH.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import vm from 'node:vm';

const docs = process.env.MEERKAT_DOCS;
const apiPath = process.env.MEERKAT_API_PATH;

test('the start script configures Swagger UI and sends requests to this server', { skip: !docs }, async () => {
  const page = await (await fetch(docs)).text();
  const attr = (name) => page.match(new RegExp(`${name}="([^"]*)"`))[1];
  const script = await (await fetch(new URL(`${new URL(docs).pathname}/swagger-initializer.js`, docs))).text();

  // What the page sets up before the script runs: the #swagger-ui element and its data.
  const element = { getAttribute: (name) => attr(name) };
  let settings;
  const SwaggerUIBundle = (s) => { settings = s; return {}; };
  SwaggerUIBundle.presets = { apis: 'apis-preset' };
  const origin = new URL(docs).origin;
  const window = { location: { origin, href: docs } };
  vm.runInNewContext(script, { document: { getElementById: () => element }, window, SwaggerUIBundle, URL });

  assert.equal(window.ui !== undefined, true);
  assert.equal(settings.url, `${new URL(docs).pathname}/client.yaml`);
  assert.equal(settings.tryItOutEnabled, false); // until the visitor clicks it
  assert.equal(settings.validatorUrl, null);
  assert.equal(typeof settings.onComplete, 'function');
  assert.deepEqual([...settings.presets], ['apis-preset']); // an array of the script's realm

  const intercept = (url, extra = {}) => settings.requestInterceptor({ url, ...extra }).url;
  // Whatever server the visitor picked, API calls go to this origin and API path.
  assert.equal(intercept('http://localhost:5280/api/messages?limit=2'), `${origin}${apiPath}/messages?limit=2`);
  assert.equal(intercept('https://chat.example.com/api/rooms/r1/users/bob%40localhost'), `${origin}${apiPath}/rooms/r1/users/bob%40localhost`);
  assert.equal(intercept('http://localhost:5280/api'), `${origin}${apiPath}`);
  // The spec's own request, and anything outside the API, are left alone.
  const specUrl = `${origin}${new URL(docs).pathname}/client.yaml`;
  assert.equal(intercept(specUrl, { loadSpec: true }), specUrl);
  assert.equal(intercept('http://localhost:5280/apidocs'), 'http://localhost:5280/apidocs');

  // The rewritten URL really is this server's API: unauthenticated, it asks for credentials.
  const answer = await fetch(intercept('http://localhost:5280/api/messages'));
  assert.equal(answer.status, 401);
  assert.equal(await answer.json(), 'Authentication required');
});
