"""Deterministic known-answer vectors for OMEMO (issue 14): runs python-omemo (Oldmemo, Twomemo) with an
injected deterministic random source and writes bundles, messages and private keys as JSON. A research
aid, not run in CI; see docs/omemo-research.md section 3."""
import asyncio, hashlib, inspect, json, base64, secrets, sys
import xml.etree.ElementTree as ET
import os
PREFIX = os.environ.get("KAT_PREFIX", "linnet-omemo-kat").encode()
draws = []
ctr = [0]
def det_bytes(n=32):
    ctr[0] += 1
    out = b""; i = 0
    while len(out) < n:
        out += hashlib.sha256(PREFIX + b"|%d|%d" % (ctr[0], i)).digest(); i += 1
    out = out[:n]
    fr = inspect.stack()[1]
    caller = "%s:%s" % (fr.filename.split("site-packages/")[-1], fr.function)
    if fr.function == "_generate_priv":
        caller = inspect.stack()[2].filename.split("site-packages/")[-1] + ":" + inspect.stack()[2].function
    draws.append({"n": ctr[0], "len": n, "caller": caller, "hex": out.hex()})
    return out
secrets.token_bytes = det_bytes
secrets.choice = lambda seq: sorted(seq)[0]
import doubleratchet.recommended.diffie_hellman_ratchet_curve25519 as drc
drc.DiffieHellmanRatchet._generate_priv = staticmethod(lambda: det_bytes(32))
import omemo
from omemo.storage import Storage, Just, Nothing
from omemo.message import Message
import twomemo, twomemo.etree, oldmemo, oldmemo.etree, xeddsa

class Mem(Storage):
    def __init__(self): super().__init__(); self.d = {}
    async def _load(self, k): return Just(self.d[k]) if k in self.d else Nothing()
    async def _store(self, k, v): self.d[k] = v
    async def _delete(self, k): self.d.pop(k, None)

A, B = "alice@example.org", "bob@example.org"
A_DEV, B_DEV = 1001, 2002

async def run(ns):
    draws.clear()
    Back = twomemo.Twomemo if ns == "twomemo" else oldmemo.Oldmemo
    et = twomemo.etree if ns == "twomemo" else oldmemo.etree
    sa, sb = Mem(), Mem()
    bob = Back(sb); alice = Back(sa)
    await bob.generate_pre_keys(2)
    bundle = await bob.get_bundle(B, B_DEV)
    bundle_xml = ET.tostring(et.serialize_bundle(bundle), encoding="unicode")
    # parse back (round trip like a peer would)
    bundle_p = et.parse_bundle(ET.fromstring(bundle_xml), B, B_DEV)
    content, pkm = await alice.encrypt_plaintext(b"Hello Bob")
    sess_a, ekm = await alice.build_session_active(B, B_DEV, bundle_p, pkm)
    msg = Message(Back.__mro__[0].namespace.fget(alice) if False else alice.namespace, A, A_DEV, content,
                  frozenset({(ekm, sess_a.key_exchange)}))
    msg_xml = ET.tostring(et.serialize_message(msg), encoding="unicode")
    # Bob side
    if ns == "twomemo":
        pm = et.parse_message(ET.fromstring(msg_xml), A)
    else:
        # oldmemo parse needs a session manager for the sign bit; emulate: use alice ik sign bit directly
        class SM:
            async def get_device_information(self, jid):
                ik = (await alice.get_bundle(A, A_DEV)).identity_key
                return frozenset({omemo.DeviceInformation(namespaces=frozenset({oldmemo.oldmemo.NAMESPACE}),
                    active=frozenset({(oldmemo.oldmemo.NAMESPACE, True)}), bare_jid=A, device_id=A_DEV,
                    identity_key=ik, trust_level_name="x", label=None)})
        pm = await et.parse_message(ET.fromstring(msg_xml), A, B, SM())
    (ekm_b, kex_b), = list(pm.keys)
    sess_b, pkm_b = await bob.build_session_passive(A, A_DEV, kex_b, ekm_b)
    pt = await bob.decrypt_plaintext(pm.content, pkm_b)
    assert pt == b"Hello Bob", pt
    # Bob replies (normal message, no kex)
    content2, pkm2 = await bob.encrypt_plaintext(b"Hello Alice")
    ekm2 = await bob.encrypt_key_material(sess_b, pkm2)
    msg2 = Message(bob.namespace, B, B_DEV, content2, frozenset({(ekm2, None)}))
    msg2_xml = ET.tostring(et.serialize_message(msg2), encoding="unicode")
    pkm2_a = await alice.decrypt_key_material(sess_a, ekm2)
    assert await alice.decrypt_plaintext(content2, pkm2_a) == b"Hello Alice"
    # secrets of interest
    out = {
      "namespace": alice.namespace,
      "alice": {"bare_jid": A, "device_id": A_DEV},
      "bob": {"bare_jid": B, "device_id": B_DEV},
      "rng_draws_in_order": list(draws),
      "bob_bundle_xml": bundle_xml,
      "bob_x3dh_state_json": sb.d.get(f"/{alice.namespace}/x3dh"),
      "alice_identity": sa.d.get("/ikp/seed") or {k: v for k, v in sa.d.items() if k.startswith("/ikp")},
      "bob_identity": {k: v for k, v in sb.d.items() if k.startswith("/ikp")},
      "message1_alice_to_bob_xml": msg_xml,
      "message1_plaintext": "Hello Bob",
      "message1_payload_key_material_hex": (pkm.key + pkm.auth_tag).hex(),
      "message2_bob_to_alice_xml": msg2_xml,
      "message2_plaintext": "Hello Alice",
      "message2_payload_key_material_hex": (pkm2.key + pkm2.auth_tag).hex(),
      "session_associated_data_hex_alice": sess_a.associated_data.hex(),
    }
    return out

async def main():
    res = {}
    for ns in ["twomemo", "oldmemo"]:
        ctr[0] = 0
        res[ns] = await run(ns)
    json.dump(res, open(os.environ.get("KAT_OUT", "vectors.json"), "w"), indent=1)
    print("ok")
asyncio.run(main())
