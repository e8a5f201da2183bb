"""Minimal client for Prosody's admin socket (mod_admin_shell).

While Prosody runs, account changes go through its own process via the admin
socket (``data/prosody.sock``): no second SQLite writer (``prosodyctl`` next
to a running server hit "database is locked"), and about a millisecond per
command instead of a process start. The protocol is an XML stream in the
namespace ``xmpp:prosody.im/admin``: send ``<repl-input>LUA</repl-input>``,
read ``<repl-output>`` lines until ``<repl-result [type='error']>``.
"""

import socket
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

_HEADER = ("<?xml version='1.0'?><stream:stream xmlns='xmpp:prosody.im/admin' "
           "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>")


class AdminError(Exception):
    """A command reported an error, or (``broken``) the socket failed."""

    def __init__(self, message, broken=False):
        super().__init__(message)
        self.broken = broken


def lua_str(value):
    """Quote ``value`` as a Lua string literal (control characters escaped)."""
    out = []
    for ch in value:
        if ch in '\\"' or ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class AdminShell:
    """One admin-shell session over the Unix socket at ``path``."""

    def __init__(self, path, timeout=10.0):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(path)
            self._sock.sendall(_HEADER.encode())
        except OSError as exc:
            self._sock.close()
            raise AdminError(f"admin socket {path}: {exc}", broken=True) from exc
        self._parser = ET.XMLPullParser(("start", "end"))
        self._depth = 0

    def run(self, line):
        """Run one shell line; return its result text or raise AdminError."""
        try:
            self._sock.sendall(f"<repl-input>{escape(line)}</repl-input>".encode())
        except OSError as exc:
            raise AdminError(f"admin socket: {exc}", broken=True) from exc
        output = []
        while True:
            for kind, el in self._parser.read_events():
                self._depth += 1 if kind == "start" else -1
                if kind != "end" or self._depth != 1:
                    continue
                name = el.tag.rsplit("}", 1)[-1]
                if name == "repl-output":
                    output.append(el.text or "")
                elif name == "repl-result":
                    text = "\n".join(output + [el.text or ""]).strip()
                    if el.get("type") == "error":
                        raise AdminError(text)
                    return text
            try:
                data = self._sock.recv(65536)
            except OSError as exc:
                raise AdminError(f"admin socket: {exc}", broken=True) from exc
            if not data:
                raise AdminError("admin socket closed by Prosody", broken=True)
            try:
                self._parser.feed(data)
            except ET.ParseError as exc:
                raise AdminError(f"admin socket: bad XML: {exc}", broken=True) from exc

    def close(self):
        try:
            self._sock.sendall(b"</stream:stream>")
        except OSError:
            pass
        self._sock.close()
