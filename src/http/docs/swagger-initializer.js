// Starts Swagger UI on meerkat's API docs page (src/http/docs.rs). A file of its own, not
// an inline script, so that the page's Content-Security-Policy can forbid inline scripts.
//
// The page says where things are, in data- attributes of #swagger-ui:
//   data-spec       the spec's URL on this server (/api-docs/client.yaml)
//   data-spec-base  the path of the spec's server URL ({scheme}://{host}/api -> /api)
//   data-api        where this server's client API is mounted (/api unless configured)
(function () {
  'use strict';

  var root = document.getElementById('swagger-ui');
  var spec = root.getAttribute('data-spec');
  var specBase = root.getAttribute('data-spec-base');
  var api = root.getAttribute('data-api');

  // "Try it out" goes to this server, whatever server is picked in the page: a request
  // under the spec's server path keeps its path below it and its query, and gets this
  // page's origin and API path. The request that loads the spec itself is left alone.
  function toThisServer(request) {
    if (request.loadSpec) {
      return request;
    }
    var url = new URL(request.url, window.location.href);
    var path = url.pathname;
    if (path === specBase || path.indexOf(specBase + '/') === 0) {
      request.url = window.location.origin + api + path.slice(specBase.length) + url.search;
    }
    return request;
  }

  // Shows this server in the page too (its scheme and host as the spec's server
  // variables), so the computed URL and the curl examples name it. Cosmetic: the
  // interceptor above sends requests here either way.
  function showThisServer() {
    var ui = window.ui;
    var first = ui.specSelectors.servers().first();
    if (!first || !first.get('variables')) {
      return;
    }
    var server = first.get('url');
    var values = { scheme: window.location.protocol.replace(':', ''), host: window.location.host };
    Object.keys(values).forEach(function (key) {
      if (first.get('variables').has(key)) {
        ui.oas3Actions.setServerVariableValue({ server: server, key: key, val: values[key] });
      }
    });
  }

  window.ui = SwaggerUIBundle({
    url: spec,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // "Try it out" is off until the visitor clicks it, as Swagger UI has it.
    tryItOutEnabled: false,
    requestInterceptor: toThisServer,
    onComplete: showThisServer,
    // No badge from an external validator: the page loads nothing from elsewhere.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
})();
