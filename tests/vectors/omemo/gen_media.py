"""Writes media.json: XEP-0454 encrypted-file vectors from implementations other than ours.

Case 1 comes from slixmpp's own xep_0454 plugin (12-byte IV, its encrypt and format_url);
case 2 from pyca/cryptography's AESGCM with a 16-byte IV, the form older Conversations
versions sent. Run with the harness virtualenv: .venv/bin/python tests/vectors/omemo/gen_media.py
"""

import io
import json
import os
from importlib.metadata import version
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from slixmpp.plugins.xep_0454 import XEP_0454

HTTPS = "https://upload.localhost:5281/file_share/abc/photo.jpg"
OLD_HTTPS = "https://upload.localhost/old/file.bin"

plain = bytes(range(256)) * 5 + "a photo, ünïcode".encode()
sealed, fragment = XEP_0454.encrypt(io.BytesIO(plain))
assert XEP_0454.decrypt(io.BytesIO(sealed), fragment) == plain
iv16, key = os.urandom(16), os.urandom(32)
sealed16 = AESGCM(key).encrypt(iv16, plain, None)
out = {
    "source": f"slixmpp {version('slixmpp')} plugins.xep_0454 (12-byte IV) and pyca/cryptography "
              "AESGCM (16-byte IV, as older Conversations sent)",
    "plain": plain.hex(),
    "cases": [
        {"link": XEP_0454.format_url(HTTPS, fragment), "sealed": sealed.hex(), "https": HTTPS},
        {"link": "aesgcm://" + OLD_HTTPS[len("https://"):] + "#" + iv16.hex() + key.hex(),
         "sealed": sealed16.hex(), "https": OLD_HTTPS},
    ],
}
Path(__file__).with_name("media.json").write_text(json.dumps(out, indent=1))
