// A compact-JWS verifier for the Wycheproof JWS/JWK files, built on the Wasm primitives (every
// signature check and every base64url decode runs in crypto.wasm). It models the key-selection and
// key-hygiene policy this suite recommends to the JWT filter; the production JWS/JWKS layer is the
// JWT filter's, not this file's. Policy, each rule with its reason:
//  - compact serialization only, exactly three segments, strict base64url (RFC 7515 §3.1, §2);
//  - header is a JSON object with a supported `alg` (no "none", no case folding); `jwk`/`jku`/`x5u`/
//    `x5c` in the header are never used as keys (the key comes from the configured set only);
//  - key set: symmetric and asymmetric keys mixed in one set, or duplicate `kid`s, reject the set
//    (the set is ambiguous: alg-confusion and key-substitution both start there);
//  - a key is a candidate iff: kid matches when both sides have one; its `alg`, if present, equals
//    the token's (Envoy skips such keys too); `use`, if present, is "sig"; `key_ops`, if present,
//    contains "verify"; kty fits the alg family; EC crv fits the alg; RSA keys pass the crypto
//    core's policy (e in {3, 65537}, 2048..4096 bits); oct keys are at least the hash length
//    (RFC 7518 §3.2) and not empty;
//  - the token is valid iff some candidate verifies it.
import { CryptoWasm, Hash, Curve } from "./wasm";

const HASH: Record<string, Hash> = { "256": Hash.SHA256, "384": Hash.SHA384, "512": Hash.SHA512 };
const HLEN: Record<string, number> = { "256": 32, "384": 48, "512": 64 };
const CURVE_FOR: Record<string, [string, Curve]> = { ES256: ["P-256", Curve.P256], ES384: ["P-384", Curve.P384], ES512: ["P-521", Curve.P521] };
export const SUPPORTED = new Set(["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]);

export interface Verdict { valid: boolean; reason: string }

export function verifyCompactJws(wasm: CryptoWasm, jws: unknown, keySet: any): Verdict {
  if (typeof jws !== "string") return { valid: false, reason: "not compact serialization" };
  const parts = jws.split(".");
  if (parts.length !== 3) return { valid: false, reason: `${parts.length} segments` };
  const [h64, p64, s64] = parts;
  const hb = wasm.b64uDecode(h64), pb = wasm.b64uDecode(p64), sig = wasm.b64uDecode(s64);
  if (hb === null || pb === null || sig === null) return { valid: false, reason: "bad base64url" };
  let header: any;
  try { header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(hb)); } catch { return { valid: false, reason: "header not JSON" }; }
  if (header === null || typeof header !== "object" || Array.isArray(header)) return { valid: false, reason: "header not an object" };
  const alg = header.alg;
  if (typeof alg !== "string" || !SUPPORTED.has(alg)) return { valid: false, reason: `alg ${JSON.stringify(alg)} unsupported` };
  if (header.kid !== undefined && typeof header.kid !== "string") return { valid: false, reason: "kid not a string" };
  const keys: any[] = keySet && Array.isArray(keySet.keys) ? keySet.keys : keySet ? [keySet] : [];
  const sym = keys.some((k) => k.kty === "oct"), asym = keys.some((k) => k.kty !== "oct");
  if (sym && asym) return { valid: false, reason: "key set mixes symmetric and asymmetric keys" };
  const kids = keys.map((k) => k.kid).filter((k) => k !== undefined);
  if (new Set(kids).size !== kids.length) return { valid: false, reason: "duplicate kid in key set" };
  const msg = new TextEncoder().encode(`${h64}.${p64}`);
  let tried = 0;
  for (const k of keys) {
    if (header.kid !== undefined && k.kid !== undefined && k.kid !== header.kid) continue;
    if (k.alg !== undefined && k.alg !== alg) continue;
    if (k.use !== undefined && k.use !== "sig") continue;
    if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes("verify"))) continue;
    const fam = alg === "EdDSA" ? "Ed" : alg.slice(0, 2), bits = alg.slice(2);
    const b = (f: string) => (typeof k[f] === "string" ? wasm.b64uDecode(k[f]) : null);
    let r = -1;
    if ((fam === "RS" || fam === "PS") && k.kty === "RSA") {
      const n = b("n"), e = b("e");
      if (n && e) r = wasm.rsa(HASH[bits], fam === "PS", n, e, msg, sig);
    } else if (fam === "ES" && k.kty === "EC") {
      const [crv, c] = CURVE_FOR[alg];
      const x = b("x"), y = b("y");
      if (k.crv === crv && x && y) r = wasm.ecdsa(c, x, y, msg, sig);
    } else if (fam === "HS" && k.kty === "oct") {
      const key = b("k");
      if (key && key.length >= HLEN[bits]) r = wasm.hmacVerify(HASH[bits], key, msg, sig) ? 1 : 0;
    } else if (fam === "Ed" && k.kty === "OKP" && k.crv === "Ed25519") {
      const x = b("x");
      if (x) r = wasm.ed25519(x, msg, sig);
    }
    if (r < 0) continue; // key unusable for this alg
    tried++;
    if (r === 1) return { valid: true, reason: `verified with kid ${k.kid}` };
  }
  return { valid: false, reason: tried ? "signature does not verify" : "no usable key for kid/alg" };
}
