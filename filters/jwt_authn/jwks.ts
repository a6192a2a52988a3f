// JWKS parsing and key selection as jwt_verify_lib (src/jwks.cc Jwks::createFrom, src/verify.cc
// verifyJwtWithoutTimeChecking). Plain values in and out; signature math is shared/crypto.
import { JsonValue, JsonKind, parseJson } from "../../shared/codec/json";
import { base64UrlDecodeLenientRange } from "../../shared/codec/base64";
import {
  JwsKey, jwsVerify, parseRsaPublicKey, curve, CurveId, parseEd25519PublicKey, RSA_MIN_BITS_DEFAULT,
} from "../../shared/crypto/index";
import { Status } from "./status";
import { Jwt } from "./jwt";
import { parseX509PemRsaKey } from "./x509";

export enum Kty { RSA = 0, EC = 1, Oct = 2, OKP = 3 }

export class Jwk {
  kid: string = "";
  alg: string = "";
  kty: Kty = Kty.RSA;
  key: JwsKey = new JwsKey();
}

export class Jwks {
  keys: Array<Jwk> = new Array<Jwk>();
  /** Ok, or why the whole set was refused (JwksParseError, JwksNoKeys, JwksBadKeys, JwksNoValidKeys). */
  status: Status = Status.Ok;
  /** Why the first refused key was refused ("" when none was). For logs. */
  firstKeyError: string = "";
}

function b64(s: string): ArrayBuffer | null {
  const b = String.UTF8.encode(s);
  return base64UrlDecodeLenientRange(changetype<usize>(b), b.byteLength);
}

function str(o: JsonValue, key: string, out: Array<string>): i32 {
  const v = o.get(key);
  if (v === null) return 0;
  if (v.kind != JsonKind.String) return -1;
  out[0] = v.str;
  return 1;
}

/** One JWK, or an error text (the key is then skipped, as jwt_verify_lib skips invalid keys). */
function parseJwk(o: JsonValue, jwk: Jwk): string {
  const tmp: Array<string> = [""];
  const k = str(o, "kty", tmp);
  if (k != 1) return "[kty] is missing or not a string";
  const kty = tmp[0];
  tmp[0] = "";
  if (str(o, "kid", tmp) == -1) return "[kid] is not a string";
  jwk.kid = tmp[0];
  tmp[0] = "";
  if (str(o, "alg", tmp) == -1) return "[alg] is not a string";
  const alg = tmp[0];
  jwk.alg = alg;
  // `use` and `key_ops` are ignored, as jwt_verify_lib does.
  if (kty == "RSA") {
    jwk.kty = Kty.RSA;
    if (alg.length > 0 && !alg.startsWith("RS") && !alg.startsWith("PS")) return "[alg] is not started with [RS] or [PS] for an RSA key";
    const n: Array<string> = [""], e: Array<string> = [""];
    if (str(o, "n", n) != 1 || str(o, "e", e) != 1) return "RSA [n] or [e] field is missing or has a parse error";
    const nb = b64(n[0]), eb = b64(e[0]);
    if (nb === null || eb === null) return "RSA [n] or [e] field is missing or has a parse error";
    // shared/crypto: e in {3, 65537} (jwt_verify_lib's rule), 2048..4096-bit modulus, no ROCA key.
    const key = parseRsaPublicKey(nb, eb, RSA_MIN_BITS_DEFAULT);
    if (key === null) return "RSA key refused (e must be 3 or 65537, modulus 2048..4096 bits)";
    jwk.key.rsa = key;
    return "";
  }
  if (kty == "EC") {
    jwk.kty = Kty.EC;
    if (alg.length > 0 && !alg.startsWith("ES")) return "[alg] is not started with [ES] for an EC key";
    const c: Array<string> = [""];
    if (str(o, "crv", c) == -1) return "[crv] is not a string";
    const crv = c[0];
    let id: i32 = -1;
    // alg and crv must agree; with neither, P-256 is assumed (jwks.cc).
    if (alg == "ES256" || (alg.length == 0 && (crv == "P-256" || crv.length == 0))) id = CurveId.P256;
    else if (alg == "ES384" || (alg.length == 0 && crv == "P-384")) id = CurveId.P384;
    else if (alg == "ES512" || (alg.length == 0 && crv == "P-521")) id = CurveId.P521;
    else return alg.length == 0 ? "[crv] is not supported for an EC key" : "[alg] is not supported for an EC key";
    if (crv.length > 0) {
      const want = id == CurveId.P256 ? "P-256" : id == CurveId.P384 ? "P-384" : "P-521";
      if (crv != want) return "[crv] field specified is not compatible with [alg] for an EC key";
    }
    const x: Array<string> = [""], y: Array<string> = [""];
    if (str(o, "x", x) != 1 || str(o, "y", y) != 1) return "EC [x] or [y] field is missing";
    const xb = b64(x[0]), yb = b64(y[0]);
    if (xb === null || yb === null) return "EC [x] or [y] field is an invalid Base64.";
    const key = curve(<CurveId>id).parsePublicKey(xb, yb);
    if (key === null) return "EC create key fail";
    jwk.key.ec = key;
    return "";
  }
  if (kty == "oct") {
    jwk.kty = Kty.Oct;
    if (alg.length > 0 && alg != "HS256" && alg != "HS384" && alg != "HS512") return "[alg] is not started with [HS] for an HMAC key";
    const kk: Array<string> = [""];
    if (str(o, "k", kk) != 1) return "Oct key [k] is missing";
    const kb = b64(kk[0]);
    if (kb === null) return "Oct key is an invalid Base64";
    jwk.key.oct = kb;
    return "";
  }
  if (kty == "OKP") {
    jwk.kty = Kty.OKP;
    if (alg.length > 0 && alg != "EdDSA") return "[alg] is not [EdDSA] for an OKP key";
    const c: Array<string> = [""];
    if (str(o, "crv", c) != 1) return "[crv] field is missing for an OKP key";
    if (c[0] != "Ed25519") return "[crv] field is not supported for an OKP key";
    const x: Array<string> = [""];
    if (str(o, "x", x) != 1) return "OKP [x] field is missing";
    const xb = b64(x[0]);
    if (xb === null) return "OKP [x] field is an invalid Base64.";
    if (xb.byteLength != 32) return "OKP [x] field is wrong length.";
    const key = parseEd25519PublicKey(xb);
    if (key === null) return "OKP key refused (not canonical or of small order)";
    jwk.key.ed = key;
    return "";
  }
  return "[kty] is not supported in [keys]";
}

/** Parses JWKS JSON text (or the `kid -> X.509 PEM certificate` object Google publishes). */
export function parseJwks(text: string): Jwks {
  const out = new Jwks();
  const r = parseJson(text);
  if (!r.ok || r.value!.kind != JsonKind.Object) { out.status = Status.JwksParseError; return out; }
  const root = r.value!;
  const keys = root.get("keys");
  if (keys === null) {
    // jwks.cc: no [keys] but every member a PEM certificate string => RSA keys from the certificates.
    if (root.keys.length > 0) {
      let all = true;
      for (let i = 0; i < root.items.length; i++) {
        const v = root.items[i];
        if (v.kind != JsonKind.String) { all = false; break; }
        const rsa = parseX509PemRsaKey(v.str);
        if (rsa === null) { all = false; break; }
        const jwk = new Jwk();
        jwk.kid = root.keys[i];
        jwk.alg = "RS256";
        jwk.kty = Kty.RSA;
        jwk.key.rsa = rsa;
        out.keys.push(jwk);
      }
      if (all) return out;
      out.keys = new Array<Jwk>();
    }
    out.status = Status.JwksNoKeys;
    return out;
  }
  if (keys.kind != JsonKind.Array) { out.status = Status.JwksBadKeys; return out; }
  for (let i = 0; i < keys.items.length; i++) {
    const o = keys.items[i];
    if (o.kind != JsonKind.Object) continue;
    const jwk = new Jwk();
    const err = parseJwk(o, jwk);
    if (err.length == 0) out.keys.push(jwk);
    else if (out.firstKeyError.length == 0) out.firstKeyError = "keys[" + i.toString() + "]: " + err;
  }
  if (out.keys.length == 0) out.status = Status.JwksNoValidKeys;
  return out;
}

/**
 * jwt_verify_lib verifyJwtWithoutTimeChecking: try every key whose kid (when both sides have one)
 * and alg (when the key has one) match; none matched => JwksKidAlgMismatch, all failed =>
 * JwtVerificationFail. An OKP key answers a signature that is not 64 bytes with
 * JwtEd25519SignatureWrongLength at once. Unlike jwt_verify_lib, the alg family is bound to the key
 * type (shared/crypto jwsVerify): an EC or oct key without `alg` never verifies an RS256 token.
 */
export function verifySignature(jwt: Jwt, jwks: Jwks): Status {
  let matched = false;
  for (let i = 0; i < jwks.keys.length; i++) {
    const k = unchecked(jwks.keys[i]);
    if (jwt.kid.length > 0 && k.kid.length > 0 && k.kid != jwt.kid) continue;
    if (k.alg.length > 0 && k.alg != jwt.alg) continue;
    matched = true;
    if (k.kty == Kty.OKP && jwt.signature.byteLength != 64) return Status.JwtEd25519SignatureWrongLength;
    if (jwsVerify(jwt.alg, k.key, jwt.signingInput, jwt.signature)) return Status.Ok;
  }
  return matched ? Status.JwtVerificationFail : Status.JwksKidAlgMismatch;
}
