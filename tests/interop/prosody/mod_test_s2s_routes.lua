-- Outgoing server-to-server connections of a test server go to fixed loopback ports
-- instead of the addresses DNS would give: the tests' domains are in no DNS.
--
--   test_s2s_routes = { ["meerkat.test"] = { "127.0.0.1", 34567 } }
--
-- A route for a domain also covers its subdomains (conference.meerkat.test, ...).
--
-- Prosody 0.12's mod_s2s resolves the remote domain with net.resolvers.service (SRV
-- records for xmpp-server, and xmpps-server when direct TLS is possible) and offers no
-- event to swap that resolver, so this module wraps the module's `new`: for a routed
-- domain it returns a resolver of the one fixed address, and none for direct TLS.

module:set_global();

local basic = require "net.resolvers.basic";
local manual = require "net.resolvers.manual";
local service = require "net.resolvers.service";

local routes = module:get_option("test_s2s_routes", {});

-- The route of `domain` or of the nearest parent domain that has one.
local function route_of(domain)
	local name = domain;
	while name do
		local route = routes[name];
		if route then return route; end
		name = name:match("^[^.]+%.(.+)$");
	end
	return nil;
end

local resolve_service = service.new;

service.new = function (hostname, srv_name, conn_type, extra)
	local route = (srv_name == "xmpp-server" or srv_name == "xmpps-server") and route_of(hostname);
	if not route then
		return resolve_service(hostname, srv_name, conn_type, extra);
	end
	if srv_name == "xmpps-server" then
		-- No direct TLS: the routed port speaks STARTTLS.
		return manual.new({}, conn_type, extra);
	end
	module:log("debug", "s2s to %s goes to %s port %d", hostname, route[1], route[2]);
	return basic.new(route[1], route[2], conn_type, extra);
end

function module.unload()
	service.new = resolve_service;
end
