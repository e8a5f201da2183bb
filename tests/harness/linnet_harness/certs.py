"""Test certificates made with the ``openssl`` CLI.

Creates, in a given folder:

* ``ca.pem`` / ``ca.key``      - a small test CA (clients trust only this);
* ``server.pem`` / ``server.key`` - a CA-signed leaf for ``localhost`` with SANs
  DNS:localhost, DNS:conference.localhost, DNS:upload.localhost, IP:127.0.0.1;
* ``rogue.pem`` / ``rogue.key`` - a self-signed leaf with the same names that is
  *not* signed by the CA, for untrusted-certificate tests.

EC P-256 keys keep generation fast.
"""

import hashlib
import os
import ssl
import subprocess

SANS = "DNS:localhost,DNS:conference.localhost,DNS:upload.localhost,IP:127.0.0.1"
_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
_LEAF_EXT = [
    f"subjectAltName={SANS}",
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=serverAuth,clientAuth",
]


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_certs(folder):
    """Generate CA, CA-signed leaf and rogue leaf in ``folder``; return paths."""
    os.makedirs(folder, exist_ok=True)
    # Test CA.
    _openssl("req", "-x509", *_EC, "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "3650", "-subj", "/CN=Linnet Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    # Leaf for localhost, signed by the CA.
    _openssl("req", "-new", *_EC, "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost", cwd=folder)
    with open(os.path.join(folder, "leaf.ext"), "w") as f:
        f.write("\n".join(_LEAF_EXT) + "\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "825", "-sha256", "-extfile", "leaf.ext",
             "-out", "server.pem", cwd=folder)
    # Rogue self-signed leaf with the same names, unknown to the CA.
    ext_args = [a for e in _LEAF_EXT for a in ("-addext", e)]
    _openssl("req", "-x509", *_EC, "-keyout", "rogue.key", "-out", "rogue.pem",
             "-days", "825", "-subj", "/CN=localhost", *ext_args, cwd=folder)
    # Prosody (when it drops privileges) must be able to read the keys.
    for name in ("server.key", "rogue.key"):
        os.chmod(os.path.join(folder, name), 0o644)
    p = lambda n: os.path.abspath(os.path.join(folder, n))  # noqa: E731
    return {
        "ca_cert": p("ca.pem"),
        "cert": p("server.pem"), "key": p("server.key"),
        "rogue_cert": p("rogue.pem"), "rogue_key": p("rogue.key"),
    }


def sha256_fingerprint(pem_path):
    """SHA-256 of the certificate's DER encoding, hex lowercase, no colons."""
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()
