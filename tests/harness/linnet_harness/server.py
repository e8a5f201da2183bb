"""CLI: a throwaway Prosody driven by JSON lines on stdin/stdout.

    python -m linnet_harness.server [--eatmydata] [--rogue-cert] [--upload-https] [--muc-locking]
        [--no-bookmarks2] [--vcard-temp-only] [--upload-limit BYTES]
        [--domain D --address 127.X.Y.Z [--s2s-hosts FILE --ca-dir DIR]]
                                    [--log-level info|debug]

--domain / --address: the server's domain (default localhost) and the loopback address it
binds (default 127.0.0.1). --s2s-hosts FILE: federate (s2s on port 5269 of the address),
finding other servers only through FILE (hosts format: "127.0.5.3 b.test conference.b.test");
--ca-dir DIR: the CA shared with those servers (made there if missing), whose certificates
are verified both ways.

--upload-limit BYTES: the largest file the upload service (upload.localhost) gives a slot
for (Prosody's http_file_share_size_limit; default 67108864 = 64 MiB); a larger slot
request is refused with not-acceptable ("File too large", <file-too-large/>).

Run with ``tests/harness`` on PYTHONPATH (or as the working directory).

On start it prints one line, either
  {"event":"ready","domain":"localhost","host":"127.0.0.1","c2s_port":N,
   "tls_port":N,"http_port":N,"https_port":N,"muc":"conference.localhost",
   "upload":"upload.localhost","ca_cert":PATH,"cert_sha256":HEX,"dir":PATH,
   "config":PATH,"log":PATH,"pid":N}
or {"event":"error","message":...} and exits 1.

Commands (one JSON object per line; "id" is echoed in the reply):
  {"id":1,"cmd":"register","user":"alice","password":"pw"} -> {"id":1,"ok":true}
        (creates the account or resets its password; via the admin socket
         while Prosody runs, ~10-25 ms; via prosodyctl while stopped)
  {"id":2,"cmd":"unregister","user":"alice"}               -> {"id":2,"ok":true}
  {"id":3,"cmd":"stop"}      stop Prosody, keep data/ports -> {"id":3,"ok":true}
  {"id":4,"cmd":"start"}     start again, wait until ready -> {"id":4,"ok":true,"pid":N}
  {"id":5,"cmd":"info"}      ready-line fields             -> {"id":5,"ok":true,...}
  {"id":7,"cmd":"shell","line":"user:list('localhost')"}  Prosody admin-shell line
                                                           -> {"id":7,"ok":true,"output":TEXT}
  {"id":6,"cmd":"shutdown"}  stop, delete folder, exit 0   -> {"id":6,"ok":true}
Failures reply {"id":..,"ok":false,"error":"..."}.

stdin EOF, SIGTERM or SIGINT: stop Prosody, delete the folder, exit.
"""

import argparse
import logging
import signal
import sys

from .jsonio import emit, read_commands, reply, setup_logging
from .prosody import ProsodyServer
from .prosody_config import UPLOAD_LIMIT

log = logging.getLogger("linnet_harness.server")


class _Terminate(BaseException):
    """Raised from a signal handler to unwind into cleanup."""


def _on_signal(signum, _frame):
    raise _Terminate(signum)


def _handle(srv, cmd):
    """Run one command; return the extra reply fields (raises on failure)."""
    name = cmd.get("cmd")
    if name == "register":
        srv.register(cmd["user"], cmd["password"])
    elif name == "unregister":
        srv.unregister(cmd["user"])
    elif name == "stop":
        srv.stop()
    elif name == "start":
        srv.start()
        return {"pid": srv.pid}
    elif name == "info":
        return srv.info()
    elif name == "shell":
        return {"output": srv.shell(cmd["line"])}
    else:
        raise ValueError(f"unknown command {name!r}")
    return {}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m linnet_harness.server",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--eatmydata", action="store_true",
                    help="run Prosody under eatmydata (no fsync; for benchmarks)")
    ap.add_argument("--rogue-cert", action="store_true",
                    help="serve a self-signed leaf not signed by the test CA")
    ap.add_argument("--upload-https", action="store_true",
                    help="upload slot URLs use the https port instead of http")
    ap.add_argument("--muc-locking", action="store_true",
                    help="new MUC rooms stay locked until their owner configures them "
                         "(Prosody's default; off otherwise so peers can create rooms simply)")
    ap.add_argument("--no-bookmarks2", action="store_true",
                    help="without mod_bookmarks: no XEP-0402 compat feature, so clients "
                         "fall back to XEP-0048 bookmarks in private XML storage (XEP-0049)")
    ap.add_argument("--vcard-temp-only", action="store_true",
                    help="mod_vcard (vcard-temp kept as it is) instead of mod_vcard4 and "
                         "mod_vcard_legacy, so a vCard avatar (XEP-0153) is never turned "
                         "into a PEP one (XEP-0084) or back")
    ap.add_argument("--allow-registration", action="store_true",
                    help="clients may create, and still change and delete, accounts in-band "
                         "(XEP-0077 allow_registration)")
    ap.add_argument("--upload-limit", type=int, default=UPLOAD_LIMIT, metavar="BYTES",
                    help="largest file the upload service accepts "
                         "(http_file_share_size_limit; default 64 MiB)")
    ap.add_argument("--domain", default="localhost", help="the VirtualHost (XMPP domain)")
    ap.add_argument("--address", default="127.0.0.1",
                    help="the loopback address every port binds to")
    ap.add_argument("--s2s-hosts", metavar="FILE",
                    help="federate: s2s on 5269, other servers found only through FILE")
    ap.add_argument("--ca-dir", metavar="DIR",
                    help="folder of the CA shared by federated servers (made if missing)")
    ap.add_argument("--sasl2", action="store_true",
                    help="offer SASL2 (XEP-0388) and FAST tokens (XEP-0484), each token "
                         "rotated at its next use")
    ap.add_argument("--log-level", default="info", choices=["debug", "info", "warn", "error"])
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    setup_logging(args.verbose)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    srv = None
    try:
        try:
            srv = ProsodyServer(eatmydata=args.eatmydata, rogue_cert=args.rogue_cert,
                                upload_https=args.upload_https, log_level=args.log_level,
                                muc_locking=args.muc_locking,
                                bookmarks2=not args.no_bookmarks2,
                                vcard_temp_only=args.vcard_temp_only,
                                allow_registration=args.allow_registration,
                                upload_limit=args.upload_limit, domain=args.domain,
                                host=args.address, s2s_hosts=args.s2s_hosts,
                                ca_dir=args.ca_dir, sasl2=args.sasl2)
        except Exception as exc:
            emit({"event": "error", "message": str(exc)})
            return 1
        emit({"event": "ready", **srv.info()})
        for cmd in read_commands():
            cid = cmd.get("id")
            if cmd.get("cmd") == "shutdown":
                srv.close()
                reply(cid)
                return 0
            try:
                reply(cid, **_handle(srv, cmd))
            except KeyError as exc:
                reply(cid, ok=False, error=f"missing field {exc}")
            except Exception as exc:
                log.warning("command %r failed: %s", cmd, exc)
                reply(cid, ok=False, error=str(exc))
        log.info("stdin closed; shutting down")
        return 0
    except _Terminate as sig:
        log.info("signal %s; shutting down", sig.args[0])
        return 0
    finally:
        # Cleanup must not be interrupted by a second signal.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if srv is not None:
            srv.close()


if __name__ == "__main__":
    sys.exit(main())
