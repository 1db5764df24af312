// Starts GraphiQL on this server's /graphql with the caller's bearer token.
// The token comes from the page's fragment (/graphql#token=...; removed from
// the address bar at once), else this tab's session storage, else a prompt.
// It pre-fills the header editor, and graphql-ws sends it as connectionParams
// when it opens a subscription socket; a token edited in the header editor is
// used from the next request (and the next socket) on.
(function () {
  'use strict';
  var KEY = 'hindsight.token';
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var token = fragment.get('token');
  if (token) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  } else {
    token = window.sessionStorage.getItem(KEY);
  }
  if (!token) {
    token = window.prompt(
      'Bearer token for hindsight (for example from `hindsight token --role viewer --sub you@example.com`)'
    );
  }
  token = (token || '').replace(/^Bearer\s+/i, '').trim();
  if (token) window.sessionStorage.setItem(KEY, token);

  var endpoint = new URL('graphql', window.location.href);
  var socketUrl = endpoint.href.replace(/^http/, 'ws');
  var wsClient = window.graphqlWs.createClient({
    url: socketUrl,
    lazy: true,
    // Evaluated for every socket: a reconnect after expiry (4403) sends the current token.
    connectionParams: function () {
      var current = window.sessionStorage.getItem(KEY);
      return current ? { Authorization: 'Bearer ' + current } : {};
    },
  });
  var base = window.GraphiQL.createFetcher({ url: endpoint.href, wsClient: wsClient });
  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var authorization = headers.Authorization || headers.authorization;
    if (typeof authorization === 'string') {
      var edited = authorization.replace(/^Bearer\s+/i, '').trim();
      if (edited && edited !== window.sessionStorage.getItem(KEY)) {
        window.sessionStorage.setItem(KEY, edited);
        wsClient.terminate();
      }
    }
    return base(params, options);
  }
  var headers = token ? JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2) : '{}';
  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      headers: headers,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: 'headers',
      visiblePlugin: 'Documentation Explorer',
    })
  );
})();
