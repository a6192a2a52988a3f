// Parsing one JWT and its claim checks, as jwt_verify_lib does (src/jwt.cc Jwt::parseFromString,
// verifyTimeConstraint; src/check_audience.cc). Plain values in, a Status out: no host calls.
import { JsonValue, JsonKind, parseJson } from "../../shared/codec/json";
import { base64UrlDecodeLenientRange } from "../../shared/codec/base64";
import { Status } from "./status";

const TWO_POW_64: f64 = 18446744073709551616.0;

export class Jwt {
  /** The token text as received. */
  token: string = "";
  alg: string = "";
  kid: string = "";
  header: JsonValue = JsonValue.object();
  payload: JsonValue = JsonValue.object();
  /** The payload segment as received (what forward_payload_header carries). */
  payloadB64: string = "";
  /** The signing input: the received `header.payload` bytes, never re-serialized (RFC 7515 §5.2). */
  signingInput: ArrayBuffer = new ArrayBuffer(0);
  signature: ArrayBuffer = new ArrayBuffer(0);
  iss: string = "";
  sub: string = "";
  jti: string = "";
  azp: string = "";
  audiences: Array<string> = new Array<string>();
  iat: u64 = 0;
  nbf: u64 = 0;
  exp: u64 = 0;
  /** The payload carried an `exp` member (max_lifetime / require_expiration look at presence). */
  hasExp: bool = false;
  // Per-provider memo of what a verified token always produces (the token-cache hit path reuses them):
  // the payload with space_delimited_claims split, and the encoded wasm.jwt_authn bytes.
  memoProvider: i32 = -1;
  memoPayload: JsonValue | null = null;
  memoState: ArrayBuffer | null = null;
}

function isImplementedAlg(alg: string): bool {
  if (alg == "EdDSA") return true;
  if (alg.length != 5) return false;
  const fam = alg.substring(0, 2);
  const bits = alg.substring(2);
  return (fam == "ES" || fam == "HS" || fam == "RS" || fam == "PS") && (bits == "256" || bits == "384" || bits == "512");
}

/** Well-formed UTF-8 (protobuf's JSON parser refuses anything else, so jwt_verify_lib does too). */
export function isValidUtf8(p: usize, n: usize): bool {
  let i: usize = 0;
  while (i < n) {
    const c = <u32>load<u8>(p + i);
    if (c < 0x80) { i++; continue; }
    let need: i32, min: u32, cp: u32;
    if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (i + <usize>need >= n) return false;
    for (let k = 1; k <= need; k++) {
      const cc = <u32>load<u8>(p + i + <usize>k);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += <usize>need + 1;
  }
  return true;
}

function parseObject(bytes: ArrayBuffer): JsonValue | null {
  if (!isValidUtf8(changetype<usize>(bytes), bytes.byteLength)) return null;
  const r = parseJson(String.UTF8.decode(bytes));
  if (!r.ok || r.value!.kind != JsonKind.Object) return null;
  return r.value;
}

enum Got { Absent, Ok, WrongType, OutOfRange }

function getString(obj: JsonValue, key: string, out: Jwt, which: i32): Got {
  const v = obj.get(key);
  if (v === null) return Got.Absent;
  if (v.kind != JsonKind.String) return Got.WrongType;
  if (which == 0) out.iss = v.str;
  else if (which == 1) out.sub = v.str;
  else if (which == 2) out.jti = v.str;
  else out.azp = v.str;
  return Got.Ok;
}

// jwt_verify_lib StructUtils::GetUInt64: a JSON number, >= 0 and < 2^64, fraction truncated.
let lastU64: u64 = 0;
function getU64(obj: JsonValue, key: string): Got {
  const v = obj.get(key);
  if (v === null) return Got.Absent;
  if (v.kind != JsonKind.Number) return Got.WrongType;
  if (!(v.num >= 0) || v.num >= TWO_POW_64) return Got.OutOfRange;
  lastU64 = <u64>v.num;
  return Got.Ok;
}

/**
 * Parses `token` into `out`. Order of checks and statuses as jwt_verify_lib: exactly two dots and three
 * non-empty sections, header base64url/JSON, alg, kid, payload base64url/JSON, iss, sub, iat, nbf,
 * exp, jti, aud, signature base64url.
 */
export function parseJwt(token: string, out: Jwt): Status {
  out.token = token;
  const n = token.length;
  let d1 = -1, d2 = -1, dots = 0;
  for (let i = 0; i < n; i++) {
    if (token.charCodeAt(i) == 0x2e) {
      dots++;
      if (dots == 1) d1 = i; else if (dots == 2) d2 = i;
    }
  }
  // `h.p.` / `h..s` / `.p.s` leave fewer than three non-empty sections.
  if (dots != 2 || d1 == 0 || d2 == d1 + 1 || d2 == n - 1) return Status.JwtBadFormat;
  const bytes = String.UTF8.encode(token);
  // Tokens reach here from header values / decoded parameters: compute byte offsets of the dots.
  let b1 = -1, b2 = -1;
  for (let i = 0, m = bytes.byteLength; i < m; i++) {
    if (load<u8>(changetype<usize>(bytes) + <usize>i) == 0x2e) { if (b1 < 0) b1 = i; else { b2 = i; break; } }
  }
  const base = changetype<usize>(bytes);
  const hdr = base64UrlDecodeLenientRange(base, <usize>b1);
  if (hdr === null) return Status.JwtHeaderParseErrorBadBase64;
  const header = parseObject(hdr);
  if (header === null) return Status.JwtHeaderParseErrorBadJson;
  out.header = header;
  const alg = header.get("alg");
  if (alg === null || alg.kind != JsonKind.String) return Status.JwtHeaderBadAlg;
  out.alg = alg.str;
  if (!isImplementedAlg(out.alg)) return Status.JwtHeaderNotImplementedAlg;
  const kid = header.get("kid");
  if (kid !== null) {
    if (kid.kind != JsonKind.String) return Status.JwtHeaderBadKid;
    out.kid = kid.str;
  }
  out.payloadB64 = token.substring(d1 + 1, d2);
  const pl = base64UrlDecodeLenientRange(base + <usize>b1 + 1, <usize>(b2 - b1 - 1));
  if (pl === null) return Status.JwtPayloadParseErrorBadBase64;
  const payload = parseObject(pl);
  if (payload === null) return Status.JwtPayloadParseErrorBadJson;
  out.payload = payload;
  if (getString(payload, "iss", out, 0) == Got.WrongType) return Status.JwtPayloadParseErrorIssNotString;
  if (getString(payload, "sub", out, 1) == Got.WrongType) return Status.JwtPayloadParseErrorSubNotString;
  let g = getU64(payload, "iat");
  if (g == Got.WrongType) return Status.JwtPayloadParseErrorIatNotInteger;
  if (g == Got.OutOfRange) return Status.JwtPayloadParseErrorIatOutOfRange;
  if (g == Got.Ok) out.iat = lastU64;
  g = getU64(payload, "nbf");
  if (g == Got.WrongType) return Status.JwtPayloadParseErrorNbfNotInteger;
  if (g == Got.OutOfRange) return Status.JwtPayloadParseErrorNbfOutOfRange;
  if (g == Got.Ok) out.nbf = lastU64;
  g = getU64(payload, "exp");
  if (g == Got.WrongType) return Status.JwtPayloadParseErrorExpNotInteger;
  if (g == Got.OutOfRange) return Status.JwtPayloadParseErrorExpOutOfRange;
  if (g == Got.Ok) { out.exp = lastU64; out.hasExp = true; }
  if (getString(payload, "jti", out, 2) == Got.WrongType) return Status.JwtPayloadParseErrorJtiNotString;
  // `aud`: a string, or a list of strings (StructUtils::GetStringList).
  const aud = payload.get("aud");
  if (aud !== null) {
    if (aud.kind == JsonKind.String) out.audiences.push(aud.str);
    else if (aud.kind == JsonKind.Array) {
      for (let i = 0; i < aud.items.length; i++) {
        const a = aud.items[i];
        if (a.kind != JsonKind.String) return Status.JwtPayloadParseErrorAudNotString;
        out.audiences.push(a.str);
      }
    } else return Status.JwtPayloadParseErrorAudNotString;
  }
  // `azp` is not parsed by jwt_verify_lib; Istio's request.auth.presenter reads it as a string.
  getString(payload, "azp", out, 3);
  const sig = base64UrlDecodeLenientRange(base + <usize>b2 + 1, <usize>(bytes.byteLength - b2 - 1));
  if (sig === null) return Status.JwtSignatureParseErrorBadBase64;
  out.signature = sig;
  out.signingInput = bytes.slice(0, b2);
  return Status.Ok;
}

/** jwt_verify_lib Jwt::verifyTimeConstraint: nbf with skew, exp with skew (exp 0 = no exp); iat never checked. */
export function verifyTimeConstraint(jwt: Jwt, now: u64, skew: u64): Status {
  if (now + skew < jwt.nbf) return Status.JwtNotYetValid;
  if (jwt.exp != 0 && now > jwt.exp + skew) return Status.JwtExpired;
  return Status.Ok;
}

/**
 * jwt_verify_lib CheckAudience normalisation: a leading `http://` or `https://` and one trailing `/`
 * are removed from both sides before comparing.
 */
export function normalizeAudience(a: string): string {
  let s = a;
  if (s.startsWith("http://")) s = s.substring(7);
  else if (s.startsWith("https://")) s = s.substring(8);
  if (s.endsWith("/")) s = s.substring(0, s.length - 1);
  return s;
}

/** True when `allowed` (already normalised) is empty or any token audience is in it. */
export function audiencesAllowed(allowed: Array<string>, tokenAud: Array<string>): bool {
  if (allowed.length == 0) return true;
  for (let i = 0; i < tokenAud.length; i++) {
    if (allowed.includes(normalizeAudience(tokenAud[i]))) return true;
  }
  return false;
}
