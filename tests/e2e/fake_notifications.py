"""A fake freedesktop notification server (org.freedesktop.Notifications) for tests.

Owns ``org.freedesktop.Notifications`` on the D-Bus session bus (the one in
DBUS_SESSION_BUS_ADDRESS, e.g. the private bus of tests/e2e/run.sh) and shows
nothing. Run it as a program:

    python tests/e2e/fake_notifications.py --record /tmp/calls.jsonl

or from pytest through :class:`FakeNotifications`::

    with FakeNotifications(tmp_path / "notify.jsonl") as notes:
        ...                                   # make the app notify
        call = notes.wait_for_call({"app_name": "Linnet"}, timeout=10)
        notes.invoke_action(call["id"])       # as if the user clicked it

Object /org/freedesktop/Notifications, interface org.freedesktop.Notifications
(Desktop Notifications Specification 1.2):
  Notify(susssasa{sv}i) -> u   ids 1, 2, 3, ... (a non-zero replaces_id is
                               returned as is, as the spec says); the call is
                               recorded before the reply is sent
  GetCapabilities() -> as      ["body", "actions"]
  GetServerInformation() -> ssss  ("linnet-fake", "linnet", "1.0", "1.2")
  CloseNotification(u)         emits NotificationClosed(id, 3) if the id is open
  signals NotificationClosed(uu), ActionInvoked(us)
plus org.freedesktop.DBus.Introspectable and org.freedesktop.DBus.Peer.
Notifications never expire on their own.

Record file (--record): one JSON object per line per Notify call, appended and
flushed before Notify returns:
  {"id": N, "app_name", "replaces_id", "app_icon", "summary", "body",
   "actions": [key, label, ...] (flat, as sent), "hint_keys": [sorted keys],
   "hints": {key: value} (variants unwrapped; byte arrays as {"bytes": LEN}),
   "expire_timeout": N}

Stdout: "ready" once the bus name is owned, then one JSON reply per control
command. Control commands, one JSON object per line on stdin (optional; EOF on
stdin just stops reading):
  {"cmd": "action", "id": N, "key": "default"} -> emits ActionInvoked(N, key)
  {"cmd": "close", "id": N, "reason": 2}       -> emits NotificationClosed(N, reason)
  replies {"ok": true} or {"ok": false, "error": TEXT}.
Exits 0 on SIGTERM/SIGINT; exits 1 with a message on stderr if the bus is
unreachable or the name is already owned (a real notification daemon runs).

Needs jeepney (tests/e2e/requirements.txt).
"""

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

BUS_NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"
IFACE = "org.freedesktop.Notifications"
CAPABILITIES = ["body", "actions"]
SERVER_INFO = ("linnet-fake", "linnet", "1.0", "1.2")
REASON_CLOSED_BY_CALL = 3

INTROSPECTION = f"""<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
  <interface name="{IFACE}">
    <method name="Notify">
      <arg name="app_name" type="s" direction="in"/>
      <arg name="replaces_id" type="u" direction="in"/>
      <arg name="app_icon" type="s" direction="in"/>
      <arg name="summary" type="s" direction="in"/>
      <arg name="body" type="s" direction="in"/>
      <arg name="actions" type="as" direction="in"/>
      <arg name="hints" type="a{{sv}}" direction="in"/>
      <arg name="expire_timeout" type="i" direction="in"/>
      <arg name="id" type="u" direction="out"/>
    </method>
    <method name="GetCapabilities">
      <arg name="capabilities" type="as" direction="out"/>
    </method>
    <method name="GetServerInformation">
      <arg name="name" type="s" direction="out"/>
      <arg name="vendor" type="s" direction="out"/>
      <arg name="version" type="s" direction="out"/>
      <arg name="spec_version" type="s" direction="out"/>
    </method>
    <method name="CloseNotification">
      <arg name="id" type="u" direction="in"/>
    </method>
    <signal name="NotificationClosed">
      <arg name="id" type="u"/>
      <arg name="reason" type="u"/>
    </signal>
    <signal name="ActionInvoked">
      <arg name="id" type="u"/>
      <arg name="action_key" type="s"/>
    </signal>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
</node>
"""


def _json_safe(value):
    """A D-Bus value as parsed by jeepney, made JSON-serialisable (structs -> lists)."""
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": len(value)}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return value


class NotificationServer:
    """The D-Bus side: owns the name, answers calls, records Notify."""

    def __init__(self, record_path):
        self.record_path = record_path
        self.next_id = 1
        self.open_ids = set()
        self.conn = None

    async def start(self):
        from jeepney import message_bus
        from jeepney.io.asyncio import open_dbus_connection

        self.conn = await open_dbus_connection("SESSION")
        # DO_NOT_QUEUE: fail rather than wait behind a real notification daemon.
        reply = await self._call_bus(message_bus.RequestName(BUS_NAME, 4))
        if reply.body[0] != 1:  # 1 = DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
            raise RuntimeError(f"{BUS_NAME} is already owned on this bus (RequestName -> "
                               f"{reply.body[0]}); is a notification daemon running?")

    async def _call_bus(self, msg):
        """Send a call to the bus daemon and wait for its reply (before serving)."""
        from jeepney import MessageType
        from jeepney.low_level import HeaderFields

        serial = next(self.conn.outgoing_serial)
        await self.conn.send(msg, serial=serial)
        while True:
            answer = await asyncio.wait_for(self.conn.receive(), 10)
            if answer.header.fields.get(HeaderFields.reply_serial) == serial:
                if answer.header.message_type == MessageType.error:
                    raise RuntimeError(f"bus call failed: {answer.body}")
                return answer

    async def serve(self):
        from jeepney import MessageType

        while True:
            msg = await self.conn.receive()
            if msg.header.message_type == MessageType.method_call:
                await self._dispatch(msg)

    async def _dispatch(self, msg):
        from jeepney import MessageFlag, new_error, new_method_return
        from jeepney.low_level import HeaderFields

        fields = msg.header.fields
        path, iface, member = (fields.get(HeaderFields.path), fields.get(HeaderFields.interface),
                               fields.get(HeaderFields.member))
        sig = fields.get(HeaderFields.signature, "")
        try:
            out_sig, out_body = self._handle(path, iface, member, sig, msg.body)
            answer = new_method_return(msg, out_sig, out_body)
        except _DBusError as exc:
            answer = new_error(msg, exc.name, "s", (exc.text,))
        if not msg.header.flags & MessageFlag.no_reply_expected:
            await self.conn.send(answer)

    def _handle(self, path, iface, member, sig, args):
        """Return (signature, body) of the reply, or raise _DBusError."""
        if iface in (None, "org.freedesktop.DBus.Introspectable") and member == "Introspect":
            return "s", (self._introspect(path),)
        if iface in (None, "org.freedesktop.DBus.Peer"):
            if member == "Ping":
                return None, ()
            if member == "GetMachineId":
                return "s", (_machine_id(),)
        if path != PATH:
            raise _DBusError("org.freedesktop.DBus.Error.UnknownObject", f"no object at {path}")
        if iface not in (None, IFACE):
            raise _DBusError("org.freedesktop.DBus.Error.UnknownInterface",
                             f"no interface {iface} at {path}")
        expected = {"Notify": "susssasa{sv}i", "GetCapabilities": "",
                    "GetServerInformation": "", "CloseNotification": "u"}
        if member not in expected:
            raise _DBusError("org.freedesktop.DBus.Error.UnknownMethod", f"no method {member}")
        if sig != expected[member]:
            raise _DBusError("org.freedesktop.DBus.Error.InvalidArgs",
                             f"{member} takes ({expected[member]}), got ({sig})")
        if member == "Notify":
            return "u", (self._notify(*args),)
        if member == "GetCapabilities":
            return "as", (CAPABILITIES,)
        if member == "GetServerInformation":
            return "ssss", SERVER_INFO
        self._close_later(args[0], REASON_CLOSED_BY_CALL)
        return None, ()

    @staticmethod
    def _introspect(path):
        if path == PATH:
            return INTROSPECTION
        # Parents of the object list their child node so tools can walk down.
        if path == "/" or PATH.startswith(path.rstrip("/") + "/"):
            child = PATH[len(path.rstrip("/")) + 1:].split("/")[0]
            return f'<node><node name="{child}"/></node>'
        return "<node/>"

    def _notify(self, app_name, replaces_id, app_icon, summary, body, actions, hints, timeout):
        if replaces_id:
            nid = replaces_id
        else:
            nid, self.next_id = self.next_id, self.next_id + 1
        self.open_ids.add(nid)
        record = {
            "id": nid, "app_name": app_name, "replaces_id": replaces_id, "app_icon": app_icon,
            "summary": summary, "body": body, "actions": list(actions),
            "hint_keys": sorted(hints),
            "hints": {k: _json_safe(v[1]) for k, v in hints.items()},  # v: (signature, value)
            "expire_timeout": timeout,
        }
        if self.record_path:
            with open(self.record_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
        return nid

    def _close_later(self, nid, reason):
        """Emit NotificationClosed after the method reply (if the id is open)."""
        if nid in self.open_ids:
            self.open_ids.discard(nid)
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(
                self._signal("NotificationClosed", "uu", (nid, reason))))

    async def emit_closed(self, nid, reason):
        self.open_ids.discard(nid)
        await self._signal("NotificationClosed", "uu", (nid, reason))

    async def emit_action(self, nid, key):
        await self._signal("ActionInvoked", "us", (nid, key))

    async def _signal(self, name, sig, body):
        from jeepney import DBusAddress, new_signal

        await self.conn.send(new_signal(DBusAddress(PATH, interface=IFACE), name, sig, body))

    async def control(self, cmd):
        """One stdin control command -> reply dict."""
        try:
            if cmd.get("cmd") == "action":
                await self.emit_action(int(cmd["id"]), str(cmd.get("key", "default")))
            elif cmd.get("cmd") == "close":
                await self.emit_closed(int(cmd["id"]), int(cmd.get("reason", 2)))
            else:
                return {"ok": False, "error": f"unknown command {cmd.get('cmd')!r}"}
            return {"ok": True}
        except (KeyError, TypeError, ValueError) as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


class _DBusError(Exception):
    def __init__(self, name, text):
        super().__init__(text)
        self.name, self.text = name, text


def _machine_id():
    for p in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            with open(p) as f:
                return f.read().strip()
        except OSError:
            pass
    return "0" * 32


def _print(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _stdin_reader(loop, server):
    """Read control commands from stdin on a thread; run them on the loop."""
    for raw in sys.stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            cmd = json.loads(raw)
            if not isinstance(cmd, dict):
                raise ValueError("command must be a JSON object")
        except ValueError as exc:
            _print(json.dumps({"ok": False, "error": f"bad command line: {exc}"}))
            continue
        fut = asyncio.run_coroutine_threadsafe(server.control(cmd), loop)
        _print(json.dumps(fut.result()))


async def _amain(record_path):
    server = NotificationServer(record_path)
    try:
        await server.start()
    except (KeyError, OSError, RuntimeError, EOFError, asyncio.TimeoutError) as exc:
        what = "DBUS_SESSION_BUS_ADDRESS is not set" if isinstance(exc, KeyError) else exc
        print(f"fake_notifications: cannot serve {BUS_NAME}: {what}", file=sys.stderr)
        return 1
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(0))
    if record_path:
        open(record_path, "a").close()  # exists from "ready" on, even with no calls yet
    _print("ready")
    threading.Thread(target=_stdin_reader, args=(loop, server), daemon=True).start()
    serving = asyncio.ensure_future(server.serve())
    done, _ = await asyncio.wait([serving, stop], return_when=asyncio.FIRST_COMPLETED)
    if serving in done:  # the bus went away
        print(f"fake_notifications: bus connection lost: {serving.exception()!r}",
              file=sys.stderr)
        return 1
    serving.cancel()
    await server.conn.close()
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake org.freedesktop.Notifications server.")
    ap.add_argument("--record", help="append one JSON line per Notify call to this file")
    args = ap.parse_args(argv)
    return asyncio.run(_amain(args.record))


class FakeNotifications:
    """Runs this file as a subprocess on the current session bus (for pytest).

    ``start()`` waits for "ready" (raises RuntimeError if it exits first, e.g.
    because the name is taken); ``stop()`` ends it; ``calls()`` returns the
    recorded Notify calls so far (list of dicts, oldest first).
    """

    def __init__(self, record_path):
        self.record_path = os.fspath(record_path)
        self.proc = None
        self._lines = []
        self._cond = threading.Condition()

    def start(self, timeout=10.0):
        if self.proc is not None and self.proc.poll() is None:
            return self
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--record", self.record_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._lines = []
        threading.Thread(target=self._read, daemon=True).start()
        try:
            self._next_line(timeout, "ready")
        except Exception:
            self.stop()
            raise
        return self

    def _read(self):
        for line in self.proc.stdout:
            with self._cond:
                self._lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._lines.append(None)  # EOF
            self._cond.notify_all()

    def _next_line(self, timeout, what):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._lines:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"fake notification server: no {what} in {timeout} s")
                self._cond.wait(left)
            line = self._lines.pop(0)
        if line is None:
            self.proc.wait(5)
            err = self.proc.stderr.read().strip()
            raise RuntimeError(f"fake notification server exited ({self.proc.returncode}) "
                               f"before {what}: {err}")
        return line

    def stop(self):
        """Terminate the server (idempotent); the record file is kept."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass

    def calls(self):
        """Notify calls recorded so far, as dicts (see the module docstring)."""
        try:
            with open(self.record_path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def wait_for_call(self, match=None, timeout=10.0):
        """Return the first recorded call matching ``match`` (dict of equal fields or
        callable; None = any), polling until ``timeout`` s; raises TimeoutError."""
        pred = (lambda c: True) if match is None else match if callable(match) else (
            lambda c: all(c.get(k) == v for k, v in match.items()))
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls():
                if pred(call):
                    return call
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no notification matching {match!r} in {timeout} s; "
                                   f"got {self.calls()}")
            time.sleep(0.05)

    def _control(self, cmd, timeout=10.0):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        rep = json.loads(self._next_line(timeout, f"reply to {cmd}"))
        if not rep.get("ok"):
            raise RuntimeError(f"fake notification server: {rep.get('error')}")

    def invoke_action(self, nid, key="default"):
        """Emit ActionInvoked(nid, key), as if the user clicked the notification."""
        self._control({"cmd": "action", "id": nid, "key": key})

    def close(self, nid, reason=2):
        """Emit NotificationClosed(nid, reason) (2 = dismissed by the user)."""
        self._control({"cmd": "close", "id": nid, "reason": reason})

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
