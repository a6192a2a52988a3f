// shared/crypto: signature and MAC verification for JWS (RFC 7515/7518/8037) inside Wasm, with no
// host dependency. Nothing here traps on input: every malformed key, signature or length is a
// clean `false` / `null`.
//
// PUBLIC API (everything takes and returns ArrayBuffers / strings; "msg" is the JWS signing input,
// i.e. the received ASCII bytes of `b64url(header) "." b64url(payload)`, never re-serialized):
//
// One call per JWS alg (parses the key on every call; fine for tests and one-off checks):
//   verifyRs256/384/512(n, e, msg, sig): bool     RSASSA-PKCS1-v1_5; n, e big-endian bytes
//   verifyPs256/384/512(n, e, msg, sig): bool     RSASSA-PSS, MGF1 same hash, salt = hash length
//   verifyEs256/384/512(x, y, msg, sig): bool     ECDSA P-256/384/521, sig = r ‖ s (64/96/132 B)
//   verifyEdDSA(x, msg, sig): bool                Ed25519, x = 32-byte public key, sig 64 B
//   verifyHs256/384/512(key, msg, tag): bool      HMAC, full-length tag, constant-time compare
//
// Parse once, verify many (what the JWT filter should keep per JWKS key):
//   parseRsaPublicKey(n, e, minBits = 2048): RsaPublicKey | null
//       -> rsaVerifyPkcs1(key, HashAlg, msg, sig), rsaVerifyPss(key, HashAlg, msg, sig)
//   curve(CurveId.P256 | P384 | P521).parsePublicKey(x, y): EcPublicKey | null
//       -> key.curve.verify(key, msg, sig)   (hash fixed by the curve: ES256/384/512 pairing)
//   parseEd25519PublicKey(x): Ed25519PublicKey | null -> ed25519Verify(key, msg, sig)
//   verifyHmac(HashAlg, key, msg, tag)
//
// JWK helpers (fields as they appear in the JWK JSON: base64url, checked strictly, RFC 7515 §2):
//   rsaKeyFromJwk(n, e, minBits = 2048): RsaPublicKey | null
//   ecKeyFromJwk(crv, x, y): EcPublicKey | null    crv "P-256" | "P-384" | "P-521"; x, y full length
//   ed25519KeyFromJwk(crv, x): Ed25519PublicKey | null   crv must be "Ed25519"
//   jwsVerify(alg, key, msg, sig): bool   dispatch by JWS alg name over a JwsKey (see below)
//
// Key policy (why a key can be refused): RSA e must be 3 or 65537 (Envoy/jwt_verify_lib accept
// only these), modulus 2048..4096 bits by default (RFC 7518 §3.3 minimum; upper bound caps the
// per-request cost) and without the ROCA fingerprint; EC points must be on the named curve; Ed25519
// keys must be canonical and not of small order. ECDSA high-s signatures are ACCEPTED (see ec.ts).
// HMAC keys of any length are accepted here (Envoy sets no minimum); RFC 7518 §3.2 asks for at
// least the hash length, which the JWKS layer should enforce when it loads `oct` keys.
//
// Cost per verify (bench, Node 20 / V8, same machine as OpenSSL 3.0): RS256 ~85 us, PS256 ~87 us,
// ES256 ~0.41 ms, ES384 ~1.4 ms, ES512 ~3.2 ms, EdDSA ~0.31 ms, HS256 ~2.4 us. RSA-4096 and P-521
// are the expensive ones; cache verified tokens (jwt_cache_config) rather than re-verifying.
//
// Hashes: sha256/sha384/sha512(data) and hash(HashAlg, data); hmac(HashAlg, key, msg);
// constantTimeEqual(a, b).
import { base64UrlDecodeStrict } from "../codec/base64";
import { HashAlg } from "./sha2";
import { verifyHmac } from "./hmac";
import { RsaPublicKey, parseRsaPublicKey, rsaVerifyPkcs1, rsaVerifyPss, RSA_MIN_BITS_DEFAULT } from "./rsa";
import { CurveId, EcPublicKey, curve } from "./ec";
import { Ed25519PublicKey, parseEd25519PublicKey, ed25519Verify } from "./ed25519";

export { HashAlg, hashLen, hash, hashRaw, sha256, sha384, sha512 } from "./sha2";
export { hmac, verifyHmac, constantTimeEqual } from "./hmac";
export { RsaPublicKey, parseRsaPublicKey, rsaVerifyPkcs1, rsaVerifyPss, rsaModulusHasRocaFingerprint, RSA_MIN_BITS_DEFAULT, RSA_MAX_BITS } from "./rsa";
export { CurveId, EcCurve, EcPublicKey, curve } from "./ec";
export { Ed25519PublicKey, parseEd25519PublicKey, ed25519Verify } from "./ed25519";

function rsa(h: HashAlg, pss: bool, n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  const key = parseRsaPublicKey(n, e, RSA_MIN_BITS_DEFAULT);
  if (key === null) return false;
  return pss ? rsaVerifyPss(key, h, msg, sig) : rsaVerifyPkcs1(key, h, msg, sig);
}
function ec(id: CurveId, x: ArrayBuffer, y: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  const c = curve(id);
  const key = c.parsePublicKey(x, y);
  return key !== null && c.verify(key, msg, sig);
}

export function verifyRs256(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA256, false, n, e, msg, sig); }
export function verifyRs384(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA384, false, n, e, msg, sig); }
export function verifyRs512(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA512, false, n, e, msg, sig); }
export function verifyPs256(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA256, true, n, e, msg, sig); }
export function verifyPs384(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA384, true, n, e, msg, sig); }
export function verifyPs512(n: ArrayBuffer, e: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return rsa(HashAlg.SHA512, true, n, e, msg, sig); }
export function verifyEs256(x: ArrayBuffer, y: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return ec(CurveId.P256, x, y, msg, sig); }
export function verifyEs384(x: ArrayBuffer, y: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return ec(CurveId.P384, x, y, msg, sig); }
export function verifyEs512(x: ArrayBuffer, y: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool { return ec(CurveId.P521, x, y, msg, sig); }
export function verifyEdDSA(x: ArrayBuffer, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  const key = parseEd25519PublicKey(x);
  return key !== null && ed25519Verify(key, msg, sig);
}
export function verifyHs256(key: ArrayBuffer, msg: ArrayBuffer, tag: ArrayBuffer): bool { return verifyHmac(HashAlg.SHA256, key, msg, tag); }
export function verifyHs384(key: ArrayBuffer, msg: ArrayBuffer, tag: ArrayBuffer): bool { return verifyHmac(HashAlg.SHA384, key, msg, tag); }
export function verifyHs512(key: ArrayBuffer, msg: ArrayBuffer, tag: ArrayBuffer): bool { return verifyHmac(HashAlg.SHA512, key, msg, tag); }

// ---- JWK helpers ----

export function rsaKeyFromJwk(n: string, e: string, minBits: i32 = RSA_MIN_BITS_DEFAULT): RsaPublicKey | null {
  const nb = base64UrlDecodeStrict(n), eb = base64UrlDecodeStrict(e);
  if (nb === null || eb === null) return null;
  return parseRsaPublicKey(nb, eb, minBits);
}

/** The curve a JWK `crv` names, or -1. */
export function curveFromName(crv: string): i32 {
  if (crv == "P-256") return CurveId.P256;
  if (crv == "P-384") return CurveId.P384;
  if (crv == "P-521") return CurveId.P521;
  return -1;
}

export function ecKeyFromJwk(crv: string, x: string, y: string): EcPublicKey | null {
  const id = curveFromName(crv);
  if (id < 0) return null;
  const xb = base64UrlDecodeStrict(x), yb = base64UrlDecodeStrict(y);
  if (xb === null || yb === null) return null;
  return curve(<CurveId>id).parsePublicKey(xb, yb);
}

export function ed25519KeyFromJwk(crv: string, x: string): Ed25519PublicKey | null {
  if (crv != "Ed25519") return null; // RFC 8037: X25519/Ed448 are not Ed25519 signing keys
  const xb = base64UrlDecodeStrict(x);
  if (xb === null) return null;
  return parseEd25519PublicKey(xb);
}

/** A parsed JWK of any supported kind; exactly one field is set. */
export class JwsKey {
  rsa: RsaPublicKey | null = null;
  ec: EcPublicKey | null = null;
  ed: Ed25519PublicKey | null = null;
  oct: ArrayBuffer | null = null;
}

/**
 * Verifies `sig` over `msg` for JWS `alg` with `key`, binding alg to key type strictly: RSxxx and PSxxx need
 * an RSA key, ES256/384/512 need a P-256/384/521 key respectively, EdDSA an Ed25519 key, HSxxx an oct
 * key. Unknown algs (including "none") are false. (Envoy is looser: an EC JWK without `alg` is tried
 * for any non-ES alg with SHA-256; we refuse that cross-family use.)
 */
export function jwsVerify(alg: string, key: JwsKey, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  if (alg.length == 5 && (alg.startsWith("RS") || alg.startsWith("PS") || alg.startsWith("HS") || alg.startsWith("ES"))) {
    const bits = alg.substring(2);
    const h = bits == "256" ? HashAlg.SHA256 : (bits == "384" ? HashAlg.SHA384 : (bits == "512" ? HashAlg.SHA512 : <HashAlg>-1));
    if (<i32>h < 0) return false;
    const fam = alg.substring(0, 2);
    if (fam == "RS" || fam == "PS") {
      const k = key.rsa;
      if (k === null) return false;
      return fam == "RS" ? rsaVerifyPkcs1(k, h, msg, sig) : rsaVerifyPss(k, h, msg, sig);
    }
    if (fam == "HS") {
      const k = key.oct;
      return k !== null && verifyHmac(h, k, msg, sig);
    }
    const k = key.ec;
    if (k === null) return false;
    const want = h == HashAlg.SHA256 ? CurveId.P256 : (h == HashAlg.SHA384 ? CurveId.P384 : CurveId.P521);
    if (k.curve !== curve(want)) return false;
    return k.curve.verify(k, msg, sig);
  }
  if (alg == "EdDSA") {
    const k = key.ed;
    return k !== null && ed25519Verify(k, msg, sig);
  }
  return false;
}
