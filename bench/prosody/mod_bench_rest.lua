-- REST send for `make bench` on Prosody: POST /rest with a JSON message, sent as the user
-- of the request's HTTP Basic credentials.
--
-- Debian's prosody-modules (bookworm) does not ship mod_rest, so the bench loads this one
-- instead. It keeps to what a REST send costs on Prosody: the password is checked on every
-- request (no credential cache), and the message enters the router as if the sender's own
-- c2s session had sent it, so mod_mam archives it for the sender and the recipient, as it
-- does for a message sent over c2s.

local usermanager = require "core.usermanager";
local json = require "util.json";
local jid = require "util.jid";
local st = require "util.stanza";
local id = require "util.id";
local base64 = require "util.encodings".base64;

module:depends("http");

local host = module.host;
local core_post_stanza = prosody.core_post_stanza;

-- The sender's node, if the request's Basic credentials are a valid account of this host.
local function sender(request)
	local header = request.headers.authorization;
	local encoded = header and header:match("^Basic%s+(%S+)");
	local decoded = encoded and base64.decode(encoded);
	local user, password = (decoded or ""):match("^([^:]+):(.*)$");
	if not user then return nil; end
	local node, user_host = jid.split(user);
	if not node or user_host ~= host then return nil; end
	if not usermanager.test_password(node, host, password) then return nil; end
	return node;
end

-- What core_post_stanza and the c2s hooks (mod_mam's among them) read of a session.
local function origin_for(node)
	local bare = node .. "@" .. host;
	return {
		type = "c2s", username = node, host = host,
		resource = "rest", full_jid = bare .. "/rest",
		log = module._log, send = function() return true; end,
	};
end

module:provides("http", {
	default_path = "/rest";
	route = {
		["POST"] = function (event)
			local node = sender(event.request);
			if not node then return 401; end
			local ok, data = pcall(json.decode, event.request.body or "");
			if not ok or type(data) ~= "table" or data.kind ~= "message"
				or type(data.to) ~= "string" or type(data.body) ~= "string" then
				return 400;
			end
			local to = jid.prep(data.to);
			if not to then return 400; end
			local origin = origin_for(node);
			local message = st.message({ from = origin.full_jid, to = to, type = data.type or "chat", id = id.short() })
				:text_tag("body", data.body);
			-- `true`: run the pre-events, as for a stanza from a c2s session.
			core_post_stanza(origin, message, true);
			return 202;
		end;
	};
});
