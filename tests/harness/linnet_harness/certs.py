"""Test certificates made with the ``openssl`` CLI.

Creates, in a given folder:

* ``ca.pem`` / ``ca.key``      - a small test CA (clients trust only this);
* ``server.pem`` / ``server.key`` - a CA-signed leaf for the domain (``localhost`` unless
  told) with SANs for it, its ``conference.``, ``upload.`` and ``proxy.`` components, and its
  loopback address;
* ``rogue.pem`` / ``rogue.key`` - a self-signed leaf with the same names that is
  *not* signed by the CA, for untrusted-certificate tests.

Servers that federate share one CA: :func:`make_certs` with ``ca_dir`` makes the CA there
on first use and signs each server's leaf with it.

EC P-256 keys keep generation fast.
"""

import hashlib
import os
import ssl
import subprocess

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _leaf_ext(domain, host):
    sans = ",".join([f"DNS:{domain}"] + [f"DNS:{c}.{domain}" for c in
                                          ("conference", "upload", "proxy")] + [f"IP:{host}"])
    return [
        f"subjectAltName={sans}",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth,clientAuth",
    ]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certs(folder, domain="localhost", host="127.0.0.1", ca_dir=None):
    """Generate CA, CA-signed leaf and rogue leaf in ``folder``; return paths. With
    ``ca_dir``, the CA lives there (made if missing) so that several servers share it."""
    os.makedirs(folder, exist_ok=True)
    ca_dir = os.path.abspath(ca_dir or folder)
    os.makedirs(ca_dir, exist_ok=True)
    ca_pem, ca_key = os.path.join(ca_dir, "ca.pem"), os.path.join(ca_dir, "ca.key")
    if not os.path.exists(ca_pem):
        _openssl("req", "-x509", *_EC, "-keyout", "ca.key", "-out", "ca.pem",
                 "-days", "3650", "-subj", "/CN=Linnet Test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=ca_dir)
    leaf_ext = _leaf_ext(domain, host)
    # Leaf for the domain, signed by the CA.
    _openssl("req", "-new", *_EC, "-keyout", "server.key", "-out", "server.csr",
             "-subj", f"/CN={domain}", cwd=folder)
    with open(os.path.join(folder, "leaf.ext"), "w") as f:
        f.write("\n".join(leaf_ext) + "\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", ca_pem, "-CAkey", ca_key,
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", "825",
             "-sha256", "-extfile", "leaf.ext", "-out", "server.pem", cwd=folder)
    # Rogue self-signed leaf with the same names, unknown to the CA.
    ext_args = [a for e in leaf_ext for a in ("-addext", e)]
    _openssl("req", "-x509", *_EC, "-keyout", "rogue.key", "-out", "rogue.pem",
             "-days", "825", "-subj", f"/CN={domain}", *ext_args, cwd=folder)
    # Prosody (when it drops privileges) must be able to read the keys.
    for name in ("server.key", "rogue.key"):
        os.chmod(os.path.join(folder, name), 0o644)
    p = lambda n: os.path.abspath(os.path.join(folder, n))  # noqa: E731
    return {
        "ca_cert": ca_pem,
        "cert": p("server.pem"), "key": p("server.key"),
        "rogue_cert": p("rogue.pem"), "rogue_key": p("rogue.key"),
    }


def sha256_fingerprint(pem_path):
    """SHA-256 of the certificate's DER encoding, hex lowercase, no colons."""
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()
