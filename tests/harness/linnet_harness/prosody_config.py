"""Prosody configuration for the throwaway test server.

:func:`render_config` turns a :class:`Ports` choice and a folder layout into a
Prosody 0.12 Lua config: one VirtualHost (``localhost`` unless told), a MUC component
``conference.<domain>``, a SOCKS5 proxy ``proxy.<domain>`` (XEP-0065) and an HTTP
upload component ``upload.<domain>``, everything bound to one loopback address
(127.0.0.1 unless told), all state inside the temp folder. Without :class:`S2S` there is
no federation; with it, the server talks server-to-server on port 5269 of its address,
resolving the other servers' names only through a private hosts file.
"""

import dataclasses
import os
import socket

DOMAIN = "localhost"
MUC = "conference.localhost"
UPLOAD = "upload.localhost"
PROXY = "proxy.localhost"
HOST = "127.0.0.1"
UPLOAD_LIMIT = 64 * 1024 * 1024  # default http_file_share_size_limit (bytes)
S2S_PORT = 5269


@dataclasses.dataclass
class S2S:
    """Federation settings: ``hosts_file`` (``/etc/hosts`` format) names the other servers'
    loopback addresses, ``resolv_conf`` points DNS at loopback only (so a lookup the hosts
    file cannot answer, such as an SRV record, fails fast instead of leaving the machine),
    ``ca_cert`` is the CA every federated server's certificate is signed by (s2s
    certificates are verified: ``s2s_secure_auth``)."""
    hosts_file: str
    resolv_conf: str
    ca_cert: str

MODULES = [
    "roster", "saslauth", "tls", "disco", "carbons", "mam", "smacks", "ping",
    "blocklist", "pep", "vcard4", "vcard_legacy", "bookmarks", "private",
    "csi_simple", "offline", "register", "admin_shell", "http",
    # Ad-hoc commands (XEP-0050): "Get uptime" and "Ping" for anyone, the admin commands
    # (add user, …) for the account named ``admin@<domain>``.
    "adhoc", "uptime", "admin_adhoc",
]
ADMIN = "admin"
# SASL2 (XEP-0388) and FAST (XEP-0484), from prosody-modules; login without Bind2.
SASL2_MODULES = ["sasl2_compat", "sasl2", "sasl2_fast"]
# Our own modules for the test server (sasl2_compat: see its header).
PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "prosody_modules")


@dataclasses.dataclass
class Ports:
    """Loopback ports of one server; kept across stop/start."""
    c2s: int
    tls: int
    http: int
    https: int
    proxy65: int

    @classmethod
    def pick(cls, host=HOST):
        """Pick free ports: bind port 0 on ``host``, note it, release it.

        All sockets are held open until every port is chosen so the five
        ports differ. Another process could still grab one before Prosody
        binds it; that race is accepted for tests.
        """
        socks = []
        try:
            for _ in range(5):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind((host, 0))
                socks.append(s)
            return cls(*(s.getsockname()[1] for s in socks))
        finally:
            for s in socks:
                s.close()


def _lua(value):
    """Quote a Python string as a Lua string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(*, folder, ports, cert, key, log_level="info", upload_https=False,
                  muc_locking=False, bookmarks2=True, upload_limit=UPLOAD_LIMIT,
                  vcard_temp_only=False, allow_registration=False, domain=DOMAIN, host=HOST,
                  s2s=None, sasl2=False):
    """Return the text of a Prosody config file rooted at ``folder``; without
    ``bookmarks2``, mod_bookmarks (XEP-0402 and its XEP-0048 compat) is left out;
    with ``vcard_temp_only``, mod_vcard stands in for mod_vcard4 and mod_vcard_legacy;
    ``upload_limit``: the largest file (bytes) the upload service gives a slot for;
    ``allow_registration``: clients may create accounts in-band (XEP-0077; Prosody throttles
    sign-ups only when ``min_seconds_between_registrations`` is set, and it is not);
    ``domain`` and ``host``: the VirtualHost and the loopback address everything binds to;
    ``s2s``: an :class:`S2S` to federate, else server-to-server is disabled;
    ``sasl2``: also offer SASL2 (XEP-0388) with FAST tokens (XEP-0484) from the Debian
    package prosody-modules, a FAST token rotated at every use after the first."""
    if isinstance(upload_limit, bool) or not isinstance(upload_limit, int) or upload_limit < 0:
        raise ValueError(f"upload_limit must be a byte count >= 0, not {upload_limit!r}")
    data = os.path.join(folder, "data")
    muc, upload, proxy = f"conference.{domain}", f"upload.{domain}", f"proxy.{domain}"
    upload_base = (f"https://{host}:{ports.https}/" if upload_https
                   else f"http://{host}:{ports.http}/")
    root = "run_as_root = true\n" if os.getuid() == 0 else ""
    chosen = [m for m in MODULES if bookmarks2 or m != "bookmarks"]
    if sasl2:
        chosen += SASL2_MODULES
    if vcard_temp_only:
        chosen = [m for m in chosen if m not in ("vcard4", "vcard_legacy")] + ["vcard"]
    modules = "\n".join(f"    {_lua(m)};" for m in chosen)
    locking = "true" if muc_locking else "false"
    if s2s is None:
        federation = '-- No federation.\nmodules_disabled = { "s2s" }\n'
        cafile = ""
    else:
        federation = f"""-- Federation on loopback: s2s on {S2S_PORT} of our address, other servers found
-- through a private hosts file only, their certificates verified (SASL EXTERNAL).
s2s_ports = {{ {S2S_PORT} }}
s2s_interfaces = {{ "{host}" }}
s2s_secure_auth = true
s2s_require_encryption = true
unbound = {{ hoststxt = {_lua(s2s.hosts_file)}; resolvconf = {_lua(s2s.resolv_conf)}; }}
"""
        cafile = f" cafile = {_lua(s2s.ca_cert)};"
    return f"""-- Generated by linnet_harness: throwaway Prosody for tests. Do not edit.
{root}pidfile = {_lua(os.path.join(folder, "prosody.pid"))}
data_path = {_lua(data)}
admin_socket = {_lua(os.path.join(data, "prosody.sock"))}
log = {{ {log_level} = {_lua(os.path.join(folder, "prosody.log"))} }}

-- Network: loopback only, free ports chosen by the harness.
interfaces = {{ "{host}" }}
local_interfaces = {{ "{host}" }}
c2s_ports = {{ {ports.c2s} }}
c2s_direct_tls_ports = {{ {ports.tls} }}
http_ports = {{ {ports.http} }}
https_ports = {{ {ports.https} }}
http_interfaces = {{ "{host}" }}
https_interfaces = {{ "{host}" }}
proxy65_ports = {{ {ports.proxy65} }}
proxy65_interfaces = {{ "{host}" }}
http_default_host = {_lua(upload)}
{federation}
-- TLS: leaf for the domain (CA-signed, or the rogue self-signed one).
ssl = {{ certificate = {_lua(cert)}; key = {_lua(key)};{cafile} }}
c2s_require_encryption = true
allow_unencrypted_plain_auth = false

-- Accounts and storage: SQLite (file storage caps MAM at 10,000 items).
authentication = "internal_hashed"
admins = {{ {_lua(ADMIN + "@" + domain)} }}
allow_registration = {"true" if allow_registration else "false"}
storage = "sql"
sql = {{ driver = "SQLite3"; database = "prosody.sqlite"; }}

-- Archive everything, keep it; short-but-not-tiny stream resumption window.
default_archive_policy = true
archive_expires_after = "never"
smacks_hibernation_time = 60
{f"sasl2_fast_token_min_ttl = 0{chr(10)}plugin_paths = {{ {_lua(PLUGINS)} }}" if sasl2 else ""}

modules_enabled = {{
{modules}
}}

VirtualHost {_lua(domain)}

Component {_lua(muc)} "muc"
    modules_enabled = {{ "muc_mam", "muc_moderation" }}
    muc_room_locking = {locking}

-- SOCKS5 Bytestreams proxy (XEP-0065) for Jingle file transfer, on loopback.
Component {_lua(proxy)} "proxy65"
    proxy65_address = "{host}"

Component {_lua(upload)} "http_file_share"
    http_external_url = {_lua(upload_base)}
    http_file_share_size_limit = {upload_limit}
    http_file_share_daily_quota = 1024 * 1024 * 1024
"""
