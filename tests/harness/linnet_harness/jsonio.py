"""JSON-lines plumbing shared by the harness CLIs.

Protocol: one JSON object per line on stdin (commands) and stdout (replies and
events). Every write is flushed at once. Logs never go to stdout.
"""

import json
import logging
import sys
import threading

_lock = threading.Lock()


def emit(obj):
    """Write one JSON object as a line to stdout and flush (thread-safe)."""
    line = json.dumps(obj, separators=(",", ":"))
    with _lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


_UNSET = object()


def reply(cmd_id, ok=True, error=_UNSET, **fields):
    """Answer a command: {"id":..,"ok":true,...} or {"id":..,"ok":false,"error":..}.

    A successful reply carries "error" only when passed explicitly (the iq
    command reports an IQ error condition, or null, that way).
    """
    out = {"id": cmd_id, "ok": ok}
    if not ok:
        out["error"] = (error if error is not _UNSET else None) or "failed"
    elif error is not _UNSET:
        out["error"] = error
    out.update(fields)
    emit(out)


def read_commands(stream=None):
    """Yield parsed command dicts from stdin until EOF.

    Lines that are empty are skipped; lines that are not JSON objects get an
    error reply (with id null) and are skipped.
    """
    stream = stream or sys.stdin
    for raw in stream:
        raw = raw.strip()
        if not raw:
            continue
        try:
            cmd = json.loads(raw)
            if not isinstance(cmd, dict):
                raise ValueError("command must be a JSON object")
        except ValueError as exc:
            reply(None, ok=False, error=f"bad command line: {exc}")
            continue
        yield cmd


def setup_logging(verbose=False):
    """Send log records to stderr only (stdout is reserved for the protocol)."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
