# Independent re-derivation of the vectors using only `cryptography` and the rules written in the report.
import json, base64, hashlib, hmac, re, sys
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey, Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes, padding, serialization as ser
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
P = 2**255 - 19
def hkdf(ikm, salt, info, n): return HKDF(hashes.SHA256(), n, salt, info).derive(ikm)
def hm(k, m): return hmac.new(k, m, hashlib.sha256).digest()
def x(priv, pub): return X25519PrivateKey.from_private_bytes(priv).exchange(X25519PublicKey.from_public_bytes(pub))
def xpub(priv): return X25519PrivateKey.from_private_bytes(priv).public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
def seed_x(seed):
    h = bytearray(hashlib.sha512(seed).digest()[:32]); h[0] &= 248; h[31] &= 127; h[31] |= 64; return bytes(h)
def ed_to_mont(ed):
    y = int.from_bytes(ed, "little") & ((1 << 255) - 1)
    return ((1 + y) * pow(1 - y, P - 2, P) % P).to_bytes(32, "little")
def mont_to_ed(u, sign):
    u = int.from_bytes(u, "little") & ((1 << 255) - 1)
    y = (u - 1) * pow(u + 1, P - 2, P) % P
    return (y | (sign << 255)).to_bytes(32, "little")
def cbc_dec(k, iv, c):
    d = Cipher(algorithms.AES(k), modes.CBC(iv)).decryptor(); p = d.update(c) + d.finalize()
    u = padding.PKCS7(128).unpadder(); return u.update(p) + u.finalize()
def pb(b):  # minimal protobuf reader: {field: value}
    i, out = 0, {}
    def varint():
        nonlocal i
        v = s = 0
        while True:
            c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
            if c < 0x80: return v
    while i < len(b):
        t = varint(); f, w = t >> 3, t & 7
        if w == 0: out[f] = varint()
        elif w == 2:
            l = varint(); out[f] = b[i:i + l]; i += l
        else: raise ValueError(w)
    return out
def draws(v): return {d["n"]: bytes.fromhex(d["hex"]) for d in v["rng_draws_in_order"]}
def tx(xml, tag): return [(m.group(1), base64.b64decode("".join(m.group(2).split()))) for m in re.finditer(r"<ns0:%s([^>]*)>([^<]*)</ns0:%s>" % (tag, tag), xml)]
ok = True
def check(name, cond):
    global ok; print(("PASS " if cond else "FAIL ") + name); ok &= bool(cond)

def two(v):
    D = draws(v); b = v["bob_bundle_xml"]
    bob_seed = base64.urlsafe_b64decode(v["bob_identity"]["/ikp/key"]); alice_seed = base64.urlsafe_b64decode(v["alice_identity"]["/ikp/key"])
    ik_b = tx(b, "ik")[0][1]; spk = tx(b, "spk")[0][1]; spks = tx(b, "spks")[0][1]
    check("2: ik_b == Ed25519(seed)", ik_b == Ed25519PrivateKey.from_private_bytes(bob_seed).public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))
    try: Ed25519PublicKey.from_public_bytes(ik_b).verify(spks, spk); check("2: spks = Ed25519 sig over raw 32-byte spk", True)
    except Exception: check("2: spks verify", False)
    spk_priv = D[2]; check("2: spk pub", xpub(spk_priv) == spk)
    pks = {int(re.search(r'id="(\d+)"', a).group(1)): k for a, k in tx(b, "pk")}
    m1 = v["message1_alice_to_bob_xml"]; (attrs, kex), = tx(m1, "key"); payload = tx(m1, "payload")[0][1]
    K = pb(kex); A = pb(K[5]); M = pb(A[2])
    ik_a, ek = K[3], K[4]
    pk_priv = [D[4], D[5]][[xpub(D[4]), xpub(D[5])].index(pks[K[1]])]
    sk = hkdf(b"\xff" * 32 + x(spk_priv, ed_to_mont(ik_a)) + x(seed_x(bob_seed), ek) + x(spk_priv, ek) + x(pk_priv, ek), b"\0" * 32, b"OMEMO X3DH", 32)
    ad = ik_a + ik_b
    check("2: AD == ik_a||ik_b (python state)", ad.hex() == v["session_associated_data_hex_alice"])
    rc = hkdf(x(spk_priv, M[3]), sk, b"OMEMO Root Chain", 64); rk, ck = rc[:32], rc[32:]
    check("2: n=0 pn=0", M[1] == 0 and M[2] == 0)
    mk = hm(ck, b"\x01"); km = hkdf(mk, b"\0" * 32, b"OMEMO Message Key Material", 80)
    check("2: mac = HMAC(ad||OMEMOMessage)[:16]", hm(km[32:64], ad + A[2])[:16] == A[1])
    kt = cbc_dec(km[:32], km[64:], M[4]); check("2: key material 48 bytes", len(kt) == 48)
    pk = hkdf(kt[:32], b"\0" * 32, b"OMEMO Payload", 80)
    check("2: payload hmac", hm(pk[32:64], payload)[:16] == kt[32:])
    check("2: payload plaintext", cbc_dec(pk[:32], pk[64:], payload) == b"Hello Bob")
    # message 2, Bob -> Alice, Bob's new ratchet key = draw 12
    m2 = v["message2_bob_to_alice_xml"]; (attrs2, a2), = tx(m2, "key"); payload2 = tx(m2, "payload")[0][1]
    A2 = pb(a2); M2 = pb(A2[2])
    check("2: bob ratchet pub = draw12", M2[3] == xpub(D[12]) and M2[1] == 0 and M2[2] == 0)
    rc2 = hkdf(x(D[12], M[3]), rk, b"OMEMO Root Chain", 64)
    km2 = hkdf(hm(rc2[32:], b"\x01"), b"\0" * 32, b"OMEMO Message Key Material", 80)
    check("2: msg2 mac uses same AD ik_a||ik_b", hm(km2[32:64], ad + A2[2])[:16] == A2[1])
    kt2 = cbc_dec(km2[:32], km2[64:], M2[4]); pk2 = hkdf(kt2[:32], b"\0" * 32, b"OMEMO Payload", 80)
    check("2: msg2 plaintext", cbc_dec(pk2[:32], pk2[64:], payload2) == b"Hello Alice")
    check("2: alice ek = X25519(draw10)", ek == xpub(D[10])); check("2: alice ratchet = draw11", M[3] == xpub(D[11]))

def old(v):
    D = draws(v); b = v["bob_bundle_xml"]
    bob_seed = base64.urlsafe_b64decode(v["bob_identity"]["/ikp/key"])
    ikb33 = tx(b, "identityKey")[0][1]; spk33 = tx(b, "signedPreKeyPublic")[0][1]; sig = bytearray(tx(b, "signedPreKeySignature")[0][1])
    check("0: 0x05 prefixes", ikb33[0] == 5 and spk33[0] == 5 and len(ikb33) == 33)
    sign = sig[63] >> 7; sig[63] &= 0x7f
    ed = mont_to_ed(ikb33[1:], sign)
    check("0: sign bit in sig[63] == Ed pub sign bit", ed == Ed25519PrivateKey.from_private_bytes(bob_seed).public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))
    try: Ed25519PublicKey.from_public_bytes(ed).verify(bytes(sig), spk33); check("0: sig over 0x05||spk (33 bytes)", True)
    except Exception: check("0: sig verify", False)
    spk_priv = D[2]; check("0: spk", xpub(spk_priv) == spk33[1:])
    pks = {int(re.search(r'preKeyId="(\d+)"', a).group(1)): k[1:] for a, k in tx(b, "preKeyPublic")}
    m1 = v["message1_alice_to_bob_xml"]; (attrs, kex), = tx(m1, "key"); iv = tx(m1, "iv")[0][1]; payload = tx(m1, "payload")[0][1]
    check("0: prekey attr + 0x33", 'prekey="true"' in attrs and kex[0] == 0x33)
    K = pb(kex[1:]); inner = K[4]; msg, mac = inner[:-8], inner[-8:]; M = pb(msg[1:])
    ika33, ek33 = K[3], K[2]
    pk_priv = [D[4], D[5]][[xpub(D[4]), xpub(D[5])].index(pks[K[1]])]
    sk = hkdf(b"\xff" * 32 + x(spk_priv, ika33[1:]) + x(seed_x(bob_seed), ek33[1:]) + x(spk_priv, ek33[1:]) + x(pk_priv, ek33[1:]), b"\0" * 32, b"WhisperText", 32)
    rc = hkdf(x(spk_priv, M[1][1:]), sk, b"WhisperRatchet", 64); rk, ck = rc[:32], rc[32:]
    km = hkdf(hm(ck, b"\x01"), b"\0" * 32, b"WhisperMessageKeys", 80)
    check("0: mac = HMAC(ik_sender33||ik_recv33||0x33||msg)[:8]", hm(km[32:64], ika33 + ikb33 + msg)[:8] == mac)
    kt = cbc_dec(km[:32], km[64:], M[4]); check("0: key||tag 32 bytes", len(kt) == 32)
    check("0: AES-128-GCM payload", AESGCM(kt[:16]).decrypt(iv, payload + kt[16:], None) == b"Hello Bob")
    check("0: spk_id field 6, pk_id field 1", K[6] == 1 and K[1] in pks)
    m2 = v["message2_bob_to_alice_xml"]; (attrs2, a2), = tx(m2, "key"); iv2 = tx(m2, "iv")[0][1]; payload2 = tx(m2, "payload")[0][1]
    msg2, mac2 = a2[:-8], a2[-8:]; M2 = pb(msg2[1:])
    rc2 = hkdf(x(D[13], M[1][1:]), rk, b"WhisperRatchet", 64)
    check("0: bob ratchet = draw13", M2[1][1:] == xpub(D[13]))
    km2 = hkdf(hm(rc2[32:], b"\x01"), b"\0" * 32, b"WhisperMessageKeys", 80)
    check("0: msg2 mac uses ik_bob||ik_alice (sender first)", hm(km2[32:64], ikb33 + ika33 + msg2)[:8] == mac2)
    kt2 = cbc_dec(km2[:32], km2[64:], M2[4])
    check("0: msg2 plaintext", AESGCM(kt2[:16]).decrypt(iv2, payload2 + kt2[16:], None) == b"Hello Alice")

for f in sys.argv[1:]:
    r = json.load(open(f)); print("==", f)
    two(r["twomemo"]); old(r["oldmemo"])
print("ALL OK" if ok else "SOME FAILED")
