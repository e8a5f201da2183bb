"""A fake StatusNotifierWatcher (org.kde.StatusNotifierWatcher, the freedesktop/KDE tray
protocol a panel serves) for tests, and the few X11 and D-Bus reads a tray test needs.

:class:`FakeTray` owns ``org.kde.StatusNotifierWatcher`` on the session bus (the private bus
of tests/e2e/run.sh) from a thread of the test process and records every item that
registers; :meth:`FakeTray.item_property` reads a property of a registered item (its
``org.kde.StatusNotifierItem`` interface) the way a panel would. Served, on object
/StatusNotifierWatcher, interface org.kde.StatusNotifierWatcher:
  RegisterStatusNotifierItem(s)  records (sender, service), emits StatusNotifierItemRegistered
  RegisterStatusNotifierHost(s)
  properties RegisteredStatusNotifierItems (as), IsStatusNotifierHostRegistered (b, true),
             ProtocolVersion (i, 0), through org.freedesktop.DBus.Properties Get / GetAll.

:func:`close_window` asks an X11 window to close as a window manager's close button does
(a WM_DELETE_WINDOW client message, python-xlib); :func:`is_viewable` tells whether it is
shown. Needs jeepney and python-xlib (tests/e2e/requirements.txt).
"""

import asyncio
import threading
import time

BUS_NAME = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"
IFACE = "org.kde.StatusNotifierWatcher"
ITEM_IFACE = "org.kde.StatusNotifierItem"


class FakeTray:
    """The watcher, served by a thread with its own event loop until :meth:`stop`."""

    def __init__(self):
        self.items = []  # (sender unique name, service string as registered)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self, timeout=10.0):
        self._thread.start()
        if not self._ready.wait(timeout) or self._error:
            raise RuntimeError(f"fake tray did not start: {self._error}")
        return self

    def stop(self):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run(self):
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._open())
        except Exception as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.create_task(self._serve())
        self._loop.run_forever()

    async def _open(self):
        from jeepney import message_bus
        from jeepney.io.asyncio import open_dbus_connection

        from jeepney.low_level import HeaderFields

        self.conn = await open_dbus_connection("SESSION")
        serial = next(self.conn.outgoing_serial)
        # DO_NOT_QUEUE: fail rather than wait behind a real panel.
        await self.conn.send(message_bus.RequestName(BUS_NAME, 4), serial=serial)
        while True:
            reply = await asyncio.wait_for(self.conn.receive(), 10)
            if reply.header.fields.get(HeaderFields.reply_serial) == serial:
                break
        if reply.body[0] != 1:  # 1 = primary owner
            raise RuntimeError(f"{BUS_NAME} is already owned (RequestName -> {reply.body[0]})")

    async def _serve(self):
        from jeepney import MessageFlag, MessageType, new_error, new_method_return, new_signal
        from jeepney import DBusAddress
        from jeepney.low_level import HeaderFields

        while True:
            msg = await self.conn.receive()
            if msg.header.message_type != MessageType.method_call:
                continue
            f = msg.header.fields
            iface, member = f.get(HeaderFields.interface), f.get(HeaderFields.member)
            sender = f.get(HeaderFields.sender)
            props = {"RegisteredStatusNotifierItems": ("as", [s for _, s in self.items]),
                     "IsStatusNotifierHostRegistered": ("b", True),
                     "ProtocolVersion": ("i", 0)}
            signal = None
            if member == "RegisterStatusNotifierItem":
                service = msg.body[0]
                self.items.append((sender, service))
                answer = new_method_return(msg)
                signal = new_signal(DBusAddress(PATH, interface=IFACE),
                                    "StatusNotifierItemRegistered", "s", (service,))
            elif member == "RegisterStatusNotifierHost":
                answer = new_method_return(msg)
            elif iface == "org.freedesktop.DBus.Properties" and member == "GetAll":
                answer = new_method_return(msg, "a{sv}", (props,))
            elif iface == "org.freedesktop.DBus.Properties" and member == "Get" \
                    and msg.body[1] in props:
                answer = new_method_return(msg, "v", (props[msg.body[1]],))
            elif member == "Introspect":
                answer = new_method_return(msg, "s", ("<node/>",))
            else:
                answer = new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                                   (f"no {iface}.{member}",))
            if not msg.header.flags & MessageFlag.no_reply_expected:
                await self.conn.send(answer)
            if signal is not None:
                await self.conn.send(signal)

    def wait_for_item(self, timeout=15.0):
        """The first registered item: (bus name, object path)."""
        deadline = time.monotonic() + timeout
        while not self.items:
            if time.monotonic() > deadline:
                raise TimeoutError("no tray item registered")
            time.sleep(0.1)
        sender, service = self.items[0]
        if service.startswith("/"):
            return sender, service
        return service, "/StatusNotifierItem"

    def item_property(self, name):
        """A property of the first registered item, read over D-Bus as a panel would."""
        from jeepney import DBusAddress, Properties
        from jeepney.io.blocking import open_dbus_connection

        bus_name, path = self.wait_for_item()
        with open_dbus_connection("SESSION") as conn:
            reply = conn.send_and_get_reply(
                Properties(DBusAddress(path, bus_name=bus_name, interface=ITEM_IFACE)).get(name),
                timeout=10)
        return reply.body[0][1]


def _window(title):
    from Xlib import display

    d = display.Display()
    pending = [d.screen().root]
    while pending:
        w = pending.pop()
        try:
            name = w.get_wm_name()
            if isinstance(name, bytes):
                name = name.decode("utf-8", "replace")
            if name and title in name and w.get_wm_protocols() is not None:
                return d, w
            pending.extend(w.query_tree().children)
        except Exception:
            continue
    raise LookupError(f"no X11 window titled {title!r}")


def close_window(title):
    """Asks the window titled ``title`` to close (ICCCM WM_DELETE_WINDOW), as a close button."""
    from Xlib import X
    from Xlib.protocol import event

    d, w = _window(title)
    delete = d.intern_atom("WM_DELETE_WINDOW")
    protocols = d.intern_atom("WM_PROTOCOLS")
    ev = event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
    w.send_event(ev, event_mask=X.NoEventMask)
    d.flush()


def is_viewable(title):
    """Whether the window titled ``title`` is mapped and shown."""
    from Xlib import X

    try:
        _, w = _window(title)
    except LookupError:
        return False
    return w.get_attributes().map_state == X.IsViewable
