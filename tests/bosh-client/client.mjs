// A line-oriented XMPP-over-BOSH client for meerkat's integration tests, built on
// Strophe.js (its Node build). It logs in, then obeys JSON commands on stdin and reports
// what happens as JSON lines on stdout.
//
//   node client.mjs SERVICE JID PASSWORD [WAIT_SECONDS]
//
// stdin:  {"send": {"to": JID, "body": TEXT}}  |  {"presence": {}}  |  {"quit": true}
// stdout: {"event": "online", "jid": ...}  |  {"event": "auth-failed", "condition": ...}
//         {"event": "message", "from": ..., "body": ...}
//         {"event": "presence", "from": ..., "type": ...}
//         {"event": "held", "ms": ..., "stanzas": [...]}   a response that carried stanzas,
//                                                          and how long its request was held
//         {"event": "closed", "condition": ...}
//
// Strophe's BOSH transport needs an XMLHttpRequest; Node has none, so xhr2's is used,
// with the `responseXML` a browser's would have (parsed with @xmldom/xmldom, the DOM
// Strophe's Node build uses itself).
import readline from "node:readline";
import { DOMParser } from "@xmldom/xmldom";
import XHR from "xhr2";

class XMLHttpRequest extends XHR {
  open(...args) {
    this._sentAt = null;
    return super.open(...args);
  }
  send(body) {
    this._sentAt = Date.now();
    return super.send(body);
  }
  get responseXML() {
    if (this.readyState !== 4 || !this.responseText) return null;
    const doc = new DOMParser().parseFromString(this.responseText, "text/xml");
    // Report responses that carried stanzas, with how long their request was held.
    const stanzas = [];
    const body = doc.documentElement;
    for (let n = body && body.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && ["message", "presence", "iq"].includes(n.localName)) stanzas.push(n.localName);
    }
    if (stanzas.length && this._sentAt !== null && !this._reported) {
      this._reported = true;
      say({ event: "held", ms: Date.now() - this._sentAt, stanzas });
    }
    return doc;
  }
}
globalThis.XMLHttpRequest = XMLHttpRequest;

const { Strophe, $msg, $pres } = await import("strophe.js");
Strophe.setLogLevel(Strophe.LogLevel.WARN);

const [service, jid, password, wait] = process.argv.slice(2);
function say(o) {
  process.stdout.write(JSON.stringify(o) + "\n");
}

const conn = new Strophe.Connection(service);
// BOSH_CLIENT_TRACE=1 shows the traffic on stderr.
if (process.env.BOSH_CLIENT_TRACE) {
  conn.rawInput = (data) => process.stderr.write(`${Date.now()} IN  ${data}\n`);
  conn.rawOutput = (data) => process.stderr.write(`${Date.now()} OUT ${data}\n`);
}
let online = false;

conn.addHandler(
  (st) => {
    const body = st.getElementsByTagName("body")[0];
    if (body) {
      say({ event: "message", from: st.getAttribute("from"), body: Strophe.getText(body), type: st.getAttribute("type") });
    }
    return true;
  },
  null,
  "message",
);
conn.addHandler(
  (st) => {
    say({ event: "presence", from: st.getAttribute("from"), type: st.getAttribute("type") || "available" });
    return true;
  },
  null,
  "presence",
);

conn.connect(
  jid,
  password,
  (status, condition) => {
    if (status === Strophe.Status.CONNECTED) {
      online = true;
      say({ event: "online", jid: conn.jid });
    } else if (status === Strophe.Status.AUTHFAIL) {
      say({ event: "auth-failed", condition: condition || "not-authorized" });
    } else if (status === Strophe.Status.CONNFAIL) {
      say({ event: "connfail", condition: condition || "" });
    } else if (status === Strophe.Status.DISCONNECTED) {
      say({ event: "closed", condition: condition || "" });
      process.exit(online ? 0 : 1);
    }
  },
  wait ? Number(wait) : 60,
  1,
);

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.send) {
    conn.send($msg({ to: cmd.send.to, type: "chat" }).c("body").t(cmd.send.body));
  } else if (cmd.presence) {
    conn.send($pres());
  } else if (cmd.quit) {
    conn.disconnect("bye");
  }
}
