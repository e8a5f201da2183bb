"""Python API for a throwaway Prosody server (Debian ``prosody`` 0.12).

:class:`ProsodyServer` makes a temp folder (``linnet-prosody-*``) holding its
own config, SQLite data, pidfile, log and test certificates, picks free
loopback ports and runs ``prosody --config <cfg> -F`` in its own process
group. It never touches the system service or /etc/prosody.

Usage::

    with ProsodyServer() as srv:
        srv.register("alice", "pw")
        ... connect to 127.0.0.1:srv.ports.c2s, trusting srv.ca_cert ...

The child gets PR_SET_PDEATHSIG(SIGKILL), so it dies if the creating thread
(create servers on a long-lived thread, e.g. the main one) or the harness dies.
"""

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import certs
from .admin import AdminError, AdminShell, lua_str
from .prosody_config import DOMAIN, HOST, S2S_PORT, UPLOAD_LIMIT, S2S, Ports, render_config

log = logging.getLogger("linnet_harness.prosody")

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


class ProsodyError(Exception):
    """Prosody failed to start, or a management command failed."""


def _child_setup(parent_pid):
    """preexec_fn: die with the parent; bail out if it is already gone."""
    def setup():
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)
    return setup


def _alive(pid_file):
    """True if the pid written in ``pid_file`` names a live process."""
    try:
        with open(pid_file) as f:
            os.kill(int(f.read().strip()), 0)
        return True
    except (OSError, ValueError):
        return False


def reap_stale_dirs():
    """Delete temp folders left by harnesses that were SIGKILLed.

    A folder is stale when neither its owner (owner.pid) nor its Prosody
    (prosody.pid) is alive; folders without owner.pid are left alone.
    """
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        path = os.path.join(base, name)
        owner = os.path.join(path, "owner.pid")
        if (name.startswith("linnet-prosody-") and os.path.exists(owner)
                and not _alive(owner) and not _alive(os.path.join(path, "prosody.pid"))):
            log.info("removing stale %s", path)
            shutil.rmtree(path, ignore_errors=True)


def _tail(path, lines=20):
    """Last ``lines`` lines of a text file, or '' if it does not exist."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class ProsodyServer:
    """A private Prosody instance on 127.0.0.1 with its own test CA.

    Attributes: ``dir``, ``config``, ``log_file``, ``ports`` (c2s, tls, http,
    https), ``ca_cert``, ``cert_sha256`` (DER SHA-256 of the served leaf),
    ``domain``, ``muc``, ``upload``, ``host``, ``pid`` (None when stopped);
    :meth:`cpu_seconds` for benchmarks.

    ``domain`` and ``host`` (a loopback address) default to ``localhost`` on 127.0.0.1.
    ``s2s_hosts`` (a hosts file naming the other servers' addresses) turns federation on:
    s2s on port 5269 of ``host``, certificates of the CA in ``ca_dir`` (shared by the
    federated servers, made there on first use) verified both ways.
    """

    def __init__(self, *, eatmydata=False, rogue_cert=False, log_level="info",
                 upload_https=False, muc_locking=False, bookmarks2=True,
                 upload_limit=UPLOAD_LIMIT, vcard_temp_only=False, allow_registration=False,
                 domain=DOMAIN, host=HOST, s2s_hosts=None, ca_dir=None, sasl2=False,
                 start=True):
        self.eatmydata = eatmydata
        self.domain, self.host = domain, host
        self.muc, self.upload = f"conference.{domain}", f"upload.{domain}"
        self.s2s = s2s_hosts is not None
        reap_stale_dirs()
        self.dir = tempfile.mkdtemp(prefix="linnet-prosody-")
        self._proc = None
        self._admin = None
        self._closed = False
        try:
            with open(os.path.join(self.dir, "owner.pid"), "w") as f:
                f.write(f"{os.getpid()}\n")
            paths = certs.make_certs(os.path.join(self.dir, "certs"), domain, host, ca_dir)
            self.ca_cert = paths["ca_cert"]
            leaf, key = ((paths["rogue_cert"], paths["rogue_key"]) if rogue_cert
                         else (paths["cert"], paths["key"]))
            self.cert_sha256 = certs.sha256_fingerprint(leaf)
            os.makedirs(os.path.join(self.dir, "data"), mode=0o750)
            self.ports = Ports.pick(host)
            s2s = None
            if s2s_hosts is not None:
                resolv = os.path.join(self.dir, "resolv.conf")
                with open(resolv, "w") as f:
                    f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
                s2s = S2S(hosts_file=os.path.abspath(s2s_hosts), resolv_conf=resolv,
                          ca_cert=self.ca_cert)
            self.config = os.path.join(self.dir, "prosody.cfg.lua")
            self.log_file = os.path.join(self.dir, "prosody.log")
            self._console = os.path.join(self.dir, "prosody.console")
            self.admin_socket = os.path.join(self.dir, "data", "prosody.sock")
            self._render = lambda: render_config(
                folder=self.dir, ports=self.ports, cert=leaf, key=key, log_level=log_level,
                upload_https=upload_https, muc_locking=muc_locking, bookmarks2=bookmarks2,
                upload_limit=upload_limit, vcard_temp_only=vcard_temp_only,
                allow_registration=allow_registration, domain=domain, host=host, s2s=s2s,
                sasl2=sasl2)
            self._started_once = False
            with open(self.config, "w") as f:
                f.write(self._render())
            if start:
                self.start()
        except BaseException:
            self.close()
            raise

    # -- lifecycle ---------------------------------------------------------

    @property
    def pid(self):
        """Prosody's pid while it runs, else None."""
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def cpu_seconds(self):
        """CPU time (user + system, seconds) Prosody's process has used so far, from
        /proc/PID/stat (Linux). Under ``eatmydata`` the pid is still Prosody's own: the
        wrapper and /usr/bin/prosody exec rather than fork. Raises ProsodyError when
        stopped."""
        pid = self.pid
        if pid is None:
            raise ProsodyError("prosody is not running")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()  # the name may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def start(self, timeout=20.0):
        """Start Prosody (same ports and data as before) and wait until ready. On the first
        start, ports another process took between :meth:`Ports.pick` and Prosody's bind (the
        log says "Failed to open server port") are picked again, up to three times: a port
        that merely accepts connections may be someone else's."""
        for attempt in range(3):
            self._start_once(timeout)
            if not self._port_taken():
                self._started_once = True
                return
            self.stop()
            if self._started_once or attempt == 2:
                raise ProsodyError(self._failure("a port of this server is taken"))
            log.warning("a port was taken; picking new ones")
            self.ports = Ports.pick(self.host)
            with open(self.config, "w") as f:
                f.write(self._render())
            with open(self.log_file, "w"):
                pass

    def _port_taken(self):
        try:
            with open(self.log_file, encoding="utf-8", errors="replace") as f:
                return "Failed to open server port" in f.read()
        except OSError:
            return False

    def _start_once(self, timeout):
        if self._closed:
            raise ProsodyError("server was closed")
        if self.pid is not None:
            return
        if os.path.exists(self.admin_socket):  # left by a killed run
            os.remove(self.admin_socket)
        argv = ["prosody", "--config", self.config, "-F"]
        if self.eatmydata:
            argv.insert(0, "eatmydata")
        log.info("starting %s", " ".join(argv))
        with open(self._console, "ab") as console:
            self._proc = subprocess.Popen(
                argv, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=console,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_child_setup(os.getpid()))
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        log.info("prosody ready, pid %d", self._proc.pid)

    def _wait_ready(self, timeout):
        """Wait until every port accepts TCP and the admin shell answers."""
        deadline = time.monotonic() + timeout
        pending = [self.ports.c2s, self.ports.tls, self.ports.http, self.ports.https,
                   self.ports.proxy65] + ([S2S_PORT] if self.s2s else [])
        while True:
            if self._proc.poll() is not None:
                raise ProsodyError(self._failure(f"prosody exited with {self._proc.returncode}"))
            if time.monotonic() > deadline:
                what = f"port(s) {pending}" if pending else "the admin socket"
                raise ProsodyError(self._failure(f"prosody not ready on {what} after {timeout:.0f} s"))
            try:
                if pending:
                    socket.create_connection((self.host, pending[0]), timeout=0.5).close()
                    pending.pop(0)
                    continue
                self._admin = AdminShell(self.admin_socket)
                self._admin.run("server:version()")
                return
            except (OSError, AdminError):
                if self._admin is not None:
                    self._admin.close()
                    self._admin = None
            time.sleep(0.05)

    def _failure(self, reason):
        out = _tail(self._console, 10) + _tail(self.log_file, 20)
        return f"{reason}; last log lines:\n{out}" if out else reason

    def stop(self, grace=5.0):
        """Stop Prosody: SIGTERM to its process group, SIGKILL after ``grace`` s.

        Data, config and ports are kept, so :meth:`start` can run it again.
        """
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        log.info("stopping prosody pid %d", proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning("prosody ignored SIGTERM; killing group %d", proc.pid)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            proc.wait()

    def close(self):
        """Stop Prosody and delete the temp folder (idempotent)."""
        if self._closed:
            return
        self._closed = True
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        if self.pid is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        # Last resort only; call close() or use ``with``.
        if not getattr(self, "_closed", True):
            self.close()

    # -- accounts ----------------------------------------------------------

    def _prosodyctl(self, *args):
        res = subprocess.run(["prosodyctl", "--config", self.config, *args],
                             cwd=self.dir, stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=30)
        out = (res.stdout + res.stderr).strip()
        if res.returncode != 0:
            raise ProsodyError(f"prosodyctl {args[0]} failed ({res.returncode}): {out}")
        return out

    def _node(self, user):
        """Accept 'alice' or 'alice@localhost'; return the localpart."""
        node, _, domain = user.partition("@")
        if domain and domain != self.domain:
            raise ProsodyError(f"only users of {self.domain} can be managed, not {user}")
        return node

    def shell(self, line):
        """Run a Prosody admin-shell line (e.g. ``user:list("localhost")``) in
        the running server; return its output text, raise ProsodyError."""
        if self.pid is None:
            raise ProsodyError("prosody is not running")
        try:
            if self._admin is None:
                self._admin = AdminShell(self.admin_socket)
            return self._admin.run(line)
        except AdminError as exc:
            if exc.broken and self._admin is not None:  # reconnect next time
                self._admin.close()
                self._admin = None
            raise ProsodyError(str(exc)) from exc

    def register(self, user, password):
        """Create (or reset the password of) an account on ``localhost``.

        Uses the admin socket while Prosody runs, ``prosodyctl`` when stopped.
        """
        node = self._node(user)
        if self.pid is None:
            self._prosodyctl("register", node, self.domain, password)
            return
        jid, pw = lua_str(f"{node}@{self.domain}"), lua_str(password)
        try:
            self.shell(f"user:create({jid}, {pw})")
        except ProsodyError as exc:
            if "User exists" not in str(exc):
                raise ProsodyError(f"register {user}: {exc}") from exc
            self.shell(f"user:password({jid}, {pw})")

    def unregister(self, user):
        """Delete an account on ``localhost``."""
        node = self._node(user)
        if self.pid is None:
            self._prosodyctl("deluser", f"{node}@{self.domain}")
        else:
            self.shell(f"user:delete({lua_str(node + '@' + self.domain)})")

    def jid(self, user):
        return f"{user}@{self.domain}"

    # -- description -------------------------------------------------------

    def info(self):
        """The fields of the CLI's ready line."""
        return {
            "domain": self.domain, "host": self.host,
            "c2s_port": self.ports.c2s, "tls_port": self.ports.tls,
            "http_port": self.ports.http, "https_port": self.ports.https,
            "muc": self.muc, "upload": self.upload, "ca_cert": self.ca_cert,
            "cert_sha256": self.cert_sha256, "dir": self.dir,
            "config": self.config, "log": self.log_file, "pid": self.pid,
        }
