"""A crowd for group chat benchmarks: many sessions of one account, each an occupant of one
room, on a single asyncio loop (slixmpp) in a background thread.

    with Crowd.for_server(srv, "crowd", "pw", room, count=1000) as crowd:
        crowd.join(1)             # the first occupant creates the room
        crowd.post(5000)          # group messages from the first occupant
        with quiet_room(srv, room):
            crowd.join()          # everyone else, without n² presence broadcasts

Filling a room costs n² presence stanzas (each newcomer is announced to everyone there and
told about everyone there), which for 1,000 slixmpp sessions on one machine takes far longer
than the benchmark itself; ``quiet_room`` turns the room's presence broadcast off while the
crowd fills it (Prosody's own setting, ``muc#roomconfig_presencebroadcast``, switched without
re-announcing anyone) and back on afterwards, so whoever joins next, the app, gets the whole
occupant list and is announced to everyone, as in any busy room.

Every session is a full client login (STARTTLS, SCRAM) verifying the server against the test
CA; occupants are named ``user0000`` .. Loopback only, like the rest of the harness.
"""

import asyncio
import contextlib
import logging
import ssl
import threading

import slixmpp
from slixmpp.xmlstream import ET

log = logging.getLogger("linnet_harness.crowd")


class Crowd:
    def __init__(self, jid, password, *, host, port, ca, room, count, concurrency=40):
        self.jid, self.password, self.host, self.port = jid, password, host, port
        self.ca, self.room, self.count, self.concurrency = ca, room, count, concurrency
        self.clients = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="crowd", daemon=True)
        self._thread.start()

    @classmethod
    def for_server(cls, server, user, password, room, count, **kw):
        return cls(f"{user}@{server.domain}", password, host=server.host,
                   port=server.ports.c2s, ca=server.ca_cert, room=room, count=count, **kw)

    def run(self, coro, timeout):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _one(self, i, sem):
        async with sem:
            c = slixmpp.ClientXMPP(f"{self.jid}/c{i:04}", self.password)
            c.ssl_context = ssl.create_default_context(cafile=self.ca)
            c.enable_starttls, c.enable_direct_tls, c.enable_plaintext = True, False, False
            nick = f"user{i:04}"
            joined = self._loop.create_future()

            def on_start(_):
                p = c.make_presence(pto=f"{self.room}/{nick}")
                x = ET.Element("{http://jabber.org/protocol/muc}x")
                ET.SubElement(x, "{http://jabber.org/protocol/muc}history", maxstanzas="0")
                p.append(x)
                p.send()

            def on_presence(p):
                if str(p["from"]) == f"{self.room}/{nick}" and not joined.done():
                    if p["type"] == "error":
                        joined.set_exception(RuntimeError(f"{nick}: {p['error']['condition']}"))
                    else:
                        joined.set_result(True)

            c.add_event_handler("session_start", on_start)
            c.add_event_handler("presence", on_presence)
            c.connect(self.host, self.port)
            await asyncio.wait_for(joined, 120)
            self.clients.append(c)

    def join(self, upto=None, timeout=900):
        """Logs sessions in and joins the room until ``upto`` (default: all) are occupants;
        returns when they are."""
        async def go():
            sem = asyncio.Semaphore(self.concurrency)
            first, last = len(self.clients), self.count if upto is None else upto
            await asyncio.gather(*(self._one(i, sem) for i in range(first, last)))
        self.run(go(), timeout)

    def post(self, n, timeout=600, prefix="history"):
        """The first occupant sends ``n`` group messages ``{prefix} 0`` .. and waits for the
        room to reflect the last one."""
        async def go():
            c = self.clients[0]
            done = self._loop.create_future()

            def on_msg(m):
                if m["type"] == "groupchat" and m["body"] == f"{prefix} {n - 1}" and not done.done():
                    done.set_result(True)
            c.add_event_handler("message", on_msg)
            for i in range(n):
                c.send_message(mto=self.room, mbody=f"{prefix} {i}", mtype="groupchat")
                if i % 200 == 199:
                    await asyncio.sleep(0)
            try:
                await asyncio.wait_for(done, timeout)
            finally:
                c.del_event_handler("message", on_msg)
        self.run(go(), timeout + 10)

    def close(self):
        async def go():
            closing = [asyncio.ensure_future(c.disconnect(wait=1)) for c in self.clients]
            if closing:
                await asyncio.wait(closing, timeout=30)
        try:
            self.run(go(), 60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def quiet_room(server, room):
    """Within the block, the room broadcasts nobody's presence (Prosody's
    ``presence_broadcast`` room data set directly, so nobody is re-announced); afterwards
    the default (every role) is back."""
    lookup = (f'local r = prosody.hosts["{server.muc}"].modules.muc'
              f'.get_room_from_jid("{room}"); assert(r, "no room {room}")')
    server.shell(f"> {lookup}; r._data.presence_broadcast = {{}}")
    try:
        yield
    finally:
        server.shell(f"> {lookup}; r._data.presence_broadcast = nil")
