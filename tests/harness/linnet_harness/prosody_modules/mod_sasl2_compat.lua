-- Linnet test harness: lets prosody-modules' mod_sasl2 and mod_sasl2_fast (a 2023 snapshot
-- written against Prosody trunk) run on Debian's Prosody 0.12. What that snapshot expects
-- and 0.12 lacks is added here; nothing of the modules themselves is changed:
--   conn:ssl_info()                  the TLS session (protocol, cipher), from LuaSec
--   conn:ssl_exportkeyingmaterial()  RFC 5705 keying material from LuaSec, for
--                                    tls-exporter channel binding (RFC 9266)
--   event.stream                     the client's stream header attributes in the
--                                    "stream-features" event (mod_sasl2_fast reads `from`
--                                    to offer the user's FAST mechanisms). 0.12 keeps no
--                                    header, so the `from` of each header after the first
--                                    is recorded through the session's stream_attrs hook:
--                                    FAST is offered after STARTTLS, not on direct TLS.
--   stanza:get_child_attr()          (name, xmlns, attr): an attribute of a child, which
--                                    0.12's util.stanza has not
--   util.datetime.datetime(t)        called by mod_sasl2_fast with a fractional time,
--                                    which Lua 5.4's os.date refuses: t is floored (the
--                                    text has whole seconds either way).
--   the SASL handler mod_sasl2 made   0.12's mod_saslauth replaces session.sasl_handler
--                                    after mod_sasl2 made its own (with the tls-exporter
--                                    channel binding); mod_sasl2_fast then finds no binding
--                                    for a token login. The SASL2 one is put back for an
--                                    <authenticate/> with <fast/> only: 0.12's SCRAM has no
--                                    tls-exporter -PLUS, and with a binding on its handler
--                                    it would refuse a client's honest "y" GS2 flag.
-- Loaded only on harness servers started with SASL2.

local stanza_mt = require "util.stanza".stanza_mt;
if not stanza_mt.get_child_attr then
	function stanza_mt:get_child_attr(name, xmlns, attr)
		local child = self:get_child(name, xmlns);
		return child and child.attr[attr];
	end
end

local datetime = require "util.datetime";
if not datetime.linnet_floored then
	local format = datetime.datetime;
	datetime.datetime = function(t) return format(t and math.floor(t)); end
	datetime.linnet_floored = true;
end

module:hook("stream-features", function(event)
	local session = event.origin;
	local conn = session.conn;
	if conn and not conn.ssl_info then
		conn.ssl_info = function(self)
			local sock = self:socket();
			return sock and sock.info and sock:info();
		end
		conn.ssl_exportkeyingmaterial = function(self, label, length, context)
			local sock = self:socket();
			if not (sock and sock.exportkeyingmaterial) then return end
			return sock:exportkeyingmaterial(label, length, context);
		end
	end
	if not session.stream_attrs then
		-- xmppstream's open_stream(session, from, to): `to` is the client's `from`.
		session.stream_attrs = function(s, _, to)
			s.client_stream_from = to;
		end
	end
	event.stream = event.stream or { from = session.client_stream_from };
end, 100);

-- After mod_sasl2 (priority 1), before mod_saslauth (0): keep mod_sasl2's handler.
module:hook("stream-features", function(event)
	event.origin.sasl2_handler = event.origin.sasl_handler;
end, 0.5);

-- Before mod_sasl2_fast (100) and mod_sasl2 (0) read it.
module:hook_tag("urn:xmpp:sasl:2", "authenticate", function(session, auth)
	if session.sasl2_handler and auth:get_child("fast", "urn:xmpp:fast:0") then
		session.sasl_handler = session.sasl2_handler;
	end
	session.sasl2_handler = nil;
end, 200);
