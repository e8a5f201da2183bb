"""CLI: a scripted slixmpp XMPP peer driven by JSON lines on stdin/stdout.

    python -m linnet_harness.peer --jid bob@localhost --password pw \\
        --host 127.0.0.1 --port N --ca ca.pem [--resource r] [--auto-accept] [--direct-tls]
        [--stream-management] [--null-receiver]

Run with ``tests/harness`` on PYTHONPATH (or as the working directory).
Logs in (STARTTLS, or direct TLS with --direct-tls and the server's tls_port),
verifying the server against --ca, fetches the roster, sends presence, then
prints {"event":"online","jid":FULLJID}; on failure prints
{"event":"error","message":...} and exits 1 (within about 15 s).
--stream-management: XEP-0198 is enabled before "online" (login fails without it).
--null-receiver (for benchmarks): receives only: chat messages are counted, not
printed as events (see "received"), and receipt requests are not answered;
pings (XEP-0199) still are.

Events (printed as they happen):
  {"event":"message","from","to","type","body","id","origin_id","stanza_id",
   "receipt_request":bool,"markable":bool (XEP-0333),
   "direct_invite","invite_reason","invite_password" (XEP-0249, else null)
   [,"error":condition for type error]}
  {"event":"marker","from","displayed":ID}          (XEP-0333 <displayed/>)
  {"event":"invite","room","from","reason"}          (XEP-0045 mediated invitation)
  {"event":"presence","from","type":"available|unavailable|subscribe|...","show","status"}
  {"event":"roster","items":[{"jid","subscription","name","ask"}]}   (roster pushes)
  {"event":"receipt","from","id"}                                   (XEP-0184)
  {"event":"stream_error","condition","text"}          (after online, e.g. conflict)
  {"event":"disconnected","reason"}                    (stream closed after online)
Absent values are null. Receipt requests are answered automatically.

Commands ("id" is echoed; replies {"id","ok":true,...} or {"id","ok":false,"error"}):
  send {to, body, type="chat", msg_id?, request_receipt?=false} -> {"id":..,"ok":true,"msg_id":ID}
        (msg_id: the message stanza's id attribute, also used as its origin-id;
         "id" is taken by the command id, "stanza_id" means XEP-0359's server id)
  burst {to, count, prefix="m", request_receipt?=false, id_prefix?}
                                                  -> {.., "count":N} once all written
        (bodies prefix0 .. prefix{count-1}; with id_prefix the stanza ids are
         id_prefix0 .. id_prefix{count-1}, so the last receipt event names
         id_prefix{count-1})
  received                        -> {.., "count":N, "last_body":B|null}  (--null-receiver:
        chat messages received so far)
  subscribe {to} | approve {to} | deny {to} | unsubscribe {to}
  presence {show?, status?, type?}
  raw {xml}                                                  send raw XML
  roster                                                     -> {.., "items":[...]}
  iq {to, xml, type="get"|"set", timeout?=10}  send <iq type to> with the payload
        element xml, e.g. "<query xmlns='http://jabber.org/protocol/disco#info'/>"
        -> {.., "type":"result"|"error", "xml":"<iq xmlns='jabber:client' ...>...</iq>",
            "error":CONDITION|null}   (xml is the whole answer stanza; an error
        answer is still ok:true; no answer within timeout s, bad type or
        malformed xml -> ok:false)
  disconnect                                                 close stream, then exit 0
With --auto-accept, subscription requests are approved and returned.
stdin EOF, SIGTERM or SIGINT: disconnect cleanly and exit 0.
"""

import argparse
import logging
import signal
import sys

from .jsonio import emit, read_commands, reply, setup_logging
from .peer_client import Peer, PeerError

log = logging.getLogger("linnet_harness.peer")


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(signum)


def _handle(peer, cmd):
    """Run one command; return the extra reply fields (raises on failure)."""
    name = cmd.get("cmd")
    if name == "send":
        sid = peer.send(cmd["to"], cmd["body"], type=cmd.get("type", "chat"),
                        id=cmd.get("msg_id"),
                        request_receipt=bool(cmd.get("request_receipt")))
        return {"msg_id": sid}
    if name == "burst":
        n = peer.burst(cmd["to"], int(cmd["count"]), cmd.get("prefix", "m"),
                       request_receipt=bool(cmd.get("request_receipt")),
                       id_prefix=cmd.get("id_prefix"))
        return {"count": n}
    if name == "received":
        return peer.received()
    if name in ("subscribe", "approve", "deny", "unsubscribe"):
        getattr(peer, name)(cmd["to"])
        return {}
    if name == "presence":
        peer.presence(show=cmd.get("show"), status=cmd.get("status"), type=cmd.get("type"))
        return {}
    if name == "raw":
        peer.send_raw(cmd["xml"])
        return {}
    if name == "roster":
        return {"items": peer.roster()}
    if name == "iq":
        return peer.iq(cmd["to"], cmd["xml"], type=cmd.get("type", "get"),
                       timeout=float(cmd.get("timeout", 10.0)))
    raise ValueError(f"unknown command {name!r}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m linnet_harness.peer",
                                 description="Scripted slixmpp XMPP peer (JSON lines).")
    ap.add_argument("--jid", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5222)
    ap.add_argument("--ca", required=True, help="CA certificate (PEM) to trust")
    ap.add_argument("--resource")
    ap.add_argument("--auto-accept", action="store_true")
    ap.add_argument("--direct-tls", action="store_true", help="XEP-0368 direct TLS")
    ap.add_argument("--stream-management", action="store_true", help="XEP-0198")
    ap.add_argument("--null-receiver", action="store_true",
                    help="count chat messages instead of printing them; no receipts")
    ap.add_argument("--timeout", type=float, default=15.0, help="login timeout (s)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    setup_logging(args.verbose)
    logging.getLogger("slixmpp").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    signal.signal(signal.SIGTERM, _on_signal)

    peer = None
    try:
        try:
            peer = Peer(args.jid, args.password, host=args.host, port=args.port, ca=args.ca,
                        resource=args.resource, auto_accept=args.auto_accept,
                        direct_tls=args.direct_tls, on_event=emit, timeout=args.timeout,
                        stream_management=args.stream_management,
                        null_receiver=args.null_receiver)
        except PeerError:
            return 1  # the error event has been printed already
        except Exception as exc:  # noqa: BLE001 - anything else still gets an event
            emit({"event": "error", "message": f"{type(exc).__name__}: {exc}"})
            return 1
        for cmd in read_commands():
            cid = cmd.get("id")
            if cmd.get("cmd") == "disconnect":
                peer.disconnect()
                reply(cid)
                return 0
            try:
                reply(cid, **_handle(peer, cmd))
            except KeyError as exc:
                reply(cid, ok=False, error=f"missing field {exc}")
            except Exception as exc:  # noqa: BLE001 - reported to the driver
                log.warning("command %r failed: %r", cmd, exc)
                reply(cid, ok=False, error=f"{type(exc).__name__}: {exc}")
        log.info("stdin closed; disconnecting")
        return 0
    except KeyboardInterrupt:
        log.info("signal; disconnecting")
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if peer is not None:
            peer.close()

if __name__ == "__main__":
    sys.exit(main())
