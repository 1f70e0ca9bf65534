// A line-oriented XMPP-over-WebSocket client for meerkat's integration tests, built on
// xmpp.js (@xmpp/client). It logs in, announces itself, then obeys JSON commands on stdin
// and reports what happens as JSON lines on stdout.
//
//   node client.mjs SERVICE DOMAIN USERNAME PASSWORD [RESOURCE]
//
// stdin:  {"send": {"to": JID, "body": TEXT}}  |  {"presence": {}}  |  {"quit": true}
// stdout: {"event": "online", "jid": ...}  |  {"event": "message", "from": ..., "body": ...}
//         {"event": "presence", "from": ..., "type": ...}  |  {"event": "error", "condition": ...}
//         {"event": "auth-failed", "condition": ...}  |  {"event": "closed"}
import WS from "ws";
import readline from "node:readline";

// Node 20 has no global WebSocket; xmpp.js expects one.
globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    super(url, protocols);
  }
};
const { client, xml } = await import("@xmpp/client");

const [service, domain, username, password, resource] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const xmpp = client({ service, domain, username, password, resource });
xmpp.reconnect.stop();
xmpp.on("error", (e) => say({ event: "error", condition: e.condition || String(e.message || e) }));
xmpp.on("offline", () => {
  say({ event: "closed" });
  process.exit(0);
});
xmpp.on("stanza", (st) => {
  if (st.is("message") && st.getChild("body")) {
    say({ event: "message", from: st.attrs.from, body: st.getChildText("body"), type: st.attrs.type });
  } else if (st.is("presence")) {
    say({ event: "presence", from: st.attrs.from, type: st.attrs.type || "available" });
  }
});

try {
  const jid = await xmpp.start();
  say({ event: "online", jid: jid.toString() });
} catch (e) {
  say({ event: "auth-failed", condition: e.condition || String(e.message || e) });
  process.exit(1);
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line);
  if (cmd.send) {
    await xmpp.send(xml("message", { to: cmd.send.to, type: "chat" }, xml("body", {}, cmd.send.body)));
  } else if (cmd.presence) {
    await xmpp.send(xml("presence"));
  } else if (cmd.quit) {
    await xmpp.stop();
    process.exit(0);
  }
}
await xmpp.stop();
process.exit(0);
