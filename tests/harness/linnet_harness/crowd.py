"""A crowd for group chat benchmarks: many sessions of one account, each an occupant of one
room, on a single asyncio loop (slixmpp) in a background thread.

    with Crowd.for_server(srv, "crowd", "pw", room, count=1000) as crowd:
        crowd.post(5000)          # group messages from the first occupant

Every session is a full client login (STARTTLS, SCRAM) verifying the server against the test
CA; occupants are named ``user0000`` .. Loopback only, like the rest of the harness.
"""

import asyncio
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
            await asyncio.wait_for(joined, 60)
            self.clients.append(c)

    def join(self, timeout=900):
        """Logs every session in and joins the room; returns when all are occupants."""
        async def go():
            sem = asyncio.Semaphore(self.concurrency)
            await asyncio.gather(*(self._one(i, sem) for i in range(self.count)))
        self.run(go(), timeout)

    def post(self, n, timeout=600):
        """The first occupant sends ``n`` group messages ``history 0`` .. and waits for the
        room to reflect the last one."""
        async def go():
            c = self.clients[0]
            done = self._loop.create_future()

            def on_msg(m):
                if m["type"] == "groupchat" and m["body"] == f"history {n - 1}" and not done.done():
                    done.set_result(True)
            c.add_event_handler("message", on_msg)
            for i in range(n):
                c.send_message(mto=self.room, mbody=f"history {i}", mtype="groupchat")
                if i % 200 == 199:
                    await asyncio.sleep(0)
            await asyncio.wait_for(done, timeout)
        self.run(go(), timeout + 10)

    def close(self):
        async def go():
            for c in self.clients:
                c.disconnect()
            await asyncio.sleep(1)
        try:
            self.run(go(), 60)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
