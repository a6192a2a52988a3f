// How the JWT authentication filter (filters/jwt_authn) hands a verified request to the RBAC filter
// and to anything else that reads Envoy filter state. STABLE FORMAT, version 1: documented in
// shared/authn/README.md; change it only together with every reader, and bump AUTHN_FORMAT_VERSION
// for anything a version-1 reader would misread.
//
// Why filter state and not dynamic metadata: a proxy-wasm module cannot write Envoy dynamic metadata
// (envoyproxy/envoy#15148, #28673); proxy_set_property("jwt_authn") creates filter state
// `wasm.jwt_authn` (CelState of bytes, life span FilterChain) that a later Wasm filter reads back with
// proxy_get_property("jwt_authn"), and CEL / access logs see as filter_state['wasm.jwt_authn'].
//
// The value is a deterministically serialized google.protobuf.Struct:
//   version     number 1
//   principal   "<iss>/<sub>" of the identity token (omitted unless both iss and sub are non-empty,
//               as Istio's request.auth.principal)
//   issuer, subject, presenter (azp)   strings, omitted when absent from the token
//   audiences   list of strings (`aud` as a list, a single string becomes a 1-element list)
//   provider    name of the JwtProvider that verified the identity token
//   claims      the identity token's payload Struct, exactly what Envoy would put under
//               payload_in_metadata, with normalize_payload_in_metadata.space_delimited_claims split
//   header      the token's JOSE header Struct (only when the provider sets header_in_metadata)
//   tokens      list of Structs {provider, principal?, issuer?, subject?, presenter?, audiences,
//               claims, header?}: every token that verified, in verification order
//   metadata    Struct: what Envoy's dynamic metadata namespace `envoy.filters.http.jwt_authn` would
//               hold (payload_in_metadata / header_in_metadata / failed_status_in_metadata keys)
// The identity token is the LAST token that verified: Envoy writes every provider's payload into one
// metadata Struct and a later provider with the same payload_in_metadata key (Istio uses "payload"
// for all) overwrites an earlier one, so RBAC on Envoy sees the last one.
//
// Written when the request continues and something verified or a failed status was recorded
// (allow_missing_or_failed); absent when no token was presented.
import { JsonValue, JsonKind } from "../codec/json";
import { encodeStruct, decodeStruct, ProtoWriter } from "../codec/protobuf";
import { getPropertyBytes, setProperty, propertyPath, WasmResult } from "../abi/host";

/** Filter-state name (Envoy key `wasm.jwt_authn`). */
export const AUTHN_STATE_KEY = "jwt_authn";
/** Format version written; a reader refuses any other. */
export const AUTHN_FORMAT_VERSION: i32 = 1;

const PATH_AUTHN = propertyPath([AUTHN_STATE_KEY]);

/** One verified token. */
export class JwtIdentity {
  provider: string = "";
  issuer: string = "";
  subject: string = "";
  presenter: string = "";
  audiences: Array<string> = new Array<string>();
  /** Payload Struct (object), space-delimited claims already split. */
  claims: JsonValue = JsonValue.object();
  /** JOSE header Struct, or null when header_in_metadata is not set. */
  header: JsonValue | null = null;

  /** `iss/sub` (Istio's request.auth.principal), "" unless both are non-empty. */
  get principal(): string {
    return this.issuer.length > 0 && this.subject.length > 0 ? this.issuer + "/" + this.subject : "";
  }

  /** Claim at a path (`["a", "b"]` is claims.a.b), or null. */
  claim(path: Array<string>): JsonValue | null {
    let v: JsonValue | null = this.claims;
    for (let i = 0; i < path.length; i++) {
      if (v === null || v.kind != JsonKind.Object) return null;
      v = v.get(unchecked(path[i]));
    }
    return v;
  }
}

export class AuthnResult {
  version: i32 = AUTHN_FORMAT_VERSION;
  /** Every verified token, in verification order. */
  tokens: Array<JwtIdentity> = new Array<JwtIdentity>();
  /** Envoy's `envoy.filters.http.jwt_authn` dynamic-metadata namespace, as a Struct (object). */
  metadata: JsonValue = JsonValue.object();

  /** The identity token (last verified), or null when none verified. */
  get identity(): JwtIdentity | null {
    return this.tokens.length > 0 ? unchecked(this.tokens[this.tokens.length - 1]) : null;
  }
  get principal(): string { const t = this.identity; return t === null ? "" : t.principal; }
}

function identityFields(obj: JsonValue, t: JwtIdentity, withProvider: bool): void {
  const aud = JsonValue.array();
  for (let i = 0; i < t.audiences.length; i++) aud.push(JsonValue.fromString(t.audiences[i]));
  obj.set("audiences", aud);
  obj.set("claims", t.claims);
  if (t.header !== null) obj.set("header", t.header!);
  if (t.issuer.length > 0) obj.set("issuer", JsonValue.fromString(t.issuer));
  if (t.presenter.length > 0) obj.set("presenter", JsonValue.fromString(t.presenter));
  const p = t.principal;
  if (p.length > 0) obj.set("principal", JsonValue.fromString(p));
  if (withProvider) obj.set("provider", JsonValue.fromString(t.provider));
  if (t.subject.length > 0) obj.set("subject", JsonValue.fromString(t.subject));
}

/** The filter-state bytes (deterministic Struct). */
export function encodeAuthnResult(r: AuthnResult): ArrayBuffer {
  const root = JsonValue.object();
  const id = r.identity;
  if (id !== null) identityFields(root, id, true);
  root.set("metadata", r.metadata);
  const list = JsonValue.array();
  for (let i = 0; i < r.tokens.length; i++) {
    const o = JsonValue.object();
    identityFields(o, r.tokens[i], true);
    list.push(o);
  }
  root.set("tokens", list);
  root.set("version", JsonValue.fromNumber(<f64>r.version));
  return encodeShared(root, new Memo());
}

// The same JsonValue (a token's claims) appears up to three times in the record (claims,
// tokens[i].claims, metadata.<payload_in_metadata>): its Struct bytes are encoded once and reused.
// Output is byte-for-byte what encodeStruct(root) gives (same deterministic key order).
class Memo {
  objs: Array<JsonValue> = new Array<JsonValue>();
  bytes: Array<ArrayBuffer> = new Array<ArrayBuffer>();
}

function structOnce(v: JsonValue, memo: Memo): ArrayBuffer {
  for (let i = 0; i < memo.objs.length; i++) if (memo.objs[i] === v) return memo.bytes[i];
  const b = encodeStruct(v);
  memo.objs.push(v);
  memo.bytes.push(b);
  return b;
}

function writeValueShared(w: ProtoWriter, v: JsonValue, memo: Memo): void {
  switch (v.kind) {
    case JsonKind.Null: w.uint64(1, 0); break;
    case JsonKind.Number: w.double(2, v.num); break;
    case JsonKind.String: w.string(3, v.str); break;
    case JsonKind.Bool: w.bool(4, v.bool); break;
    case JsonKind.Object: w.bytes(5, structOnce(v, memo)); break;
    default: {
      const l = new ProtoWriter(64);
      for (let i = 0; i < v.items.length; i++) {
        const e = new ProtoWriter(16);
        writeValueShared(e, v.items[i], memo);
        l.message(1, e);
      }
      w.message(6, l);
    }
  }
}

function byteLess(a: string, b: string): bool {
  // Record keys are ASCII: UTF-16 order is byte order.
  return a < b;
}

function asciiKeys(o: JsonValue): bool {
  for (let i = 0; i < o.keys.length; i++) {
    const k = o.keys[i];
    for (let j = 0; j < k.length; j++) if (k.charCodeAt(j) >= 0x80) return false;
  }
  return true;
}

function encodeShared(obj: JsonValue, memo: Memo): ArrayBuffer {
  const n = obj.keys.length;
  const order = new Array<i32>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = 1; i < n; i++) {
    const k = order[i];
    let j = i - 1;
    while (j >= 0 && byteLess(obj.keys[k], obj.keys[order[j]])) { order[j + 1] = order[j]; j--; }
    order[j + 1] = k;
  }
  const w = new ProtoWriter(256);
  for (let i = 0; i < n; i++) {
    const idx = order[i];
    const entry = new ProtoWriter(32);
    entry.string(1, obj.keys[idx]);
    const value = new ProtoWriter(16);
    const v = obj.items[idx];
    // The record's own objects (root is this call; tokens[] entries) go through here too.
    if (v.kind == JsonKind.Array && obj.keys[idx] == "tokens") {
      const l = new ProtoWriter(64);
      for (let t = 0; t < v.items.length; t++) {
        const e = new ProtoWriter(16);
        e.bytes(5, encodeShared(v.items[t], memo));
        l.message(1, e);
      }
      value.message(6, l);
    } else if (v.kind == JsonKind.Object && obj.keys[idx] == "metadata" && asciiKeys(v)) {
      value.bytes(5, encodeShared(v, memo));
    } else writeValueShared(value, v, memo);
    entry.message(2, value);
    w.message(1, entry);
  }
  return w.finish();
}

/** encodeStruct of the same record, for the spec that checks encodeAuthnResult against it. */
export function encodeAuthnResultPlain(r: AuthnResult): ArrayBuffer {
  const root = JsonValue.object();
  const id = r.identity;
  if (id !== null) identityFields(root, id, true);
  root.set("metadata", r.metadata);
  const list = JsonValue.array();
  for (let i = 0; i < r.tokens.length; i++) {
    const o = JsonValue.object();
    identityFields(o, r.tokens[i], true);
    list.push(o);
  }
  root.set("tokens", list);
  root.set("version", JsonValue.fromNumber(<f64>r.version));
  return encodeStruct(root);
}

let lastError = "";
/** Why the last decode/read returned null ("" when it did not). */
export function authnReadError(): string { return lastError; }

function str(o: JsonValue, key: string): string { return o.getString(key, ""); }

function decodeIdentity(o: JsonValue): JwtIdentity | null {
  if (o.kind != JsonKind.Object) return null;
  const t = new JwtIdentity();
  t.provider = str(o, "provider");
  t.issuer = str(o, "issuer");
  t.subject = str(o, "subject");
  t.presenter = str(o, "presenter");
  const aud = o.get("audiences");
  if (aud !== null && aud.kind == JsonKind.Array) {
    for (let i = 0; i < aud.items.length; i++) {
      const a = aud.items[i];
      if (a.kind == JsonKind.String) t.audiences.push(a.str);
    }
  }
  const c = o.get("claims");
  if (c !== null && c.kind == JsonKind.Object) t.claims = c;
  const h = o.get("header");
  if (h !== null && h.kind == JsonKind.Object) t.header = h;
  return t;
}

/** Decodes filter-state bytes; null (see authnReadError) when malformed or of another version. */
export function decodeAuthnResult(buf: ArrayBuffer): AuthnResult | null {
  lastError = "";
  const root = decodeStruct(buf);
  if (root === null) { lastError = "wasm.jwt_authn is not a google.protobuf.Struct"; return null; }
  const v = root.get("version");
  if (v === null || v.kind != JsonKind.Number || v.num != <f64>AUTHN_FORMAT_VERSION) {
    lastError = "wasm.jwt_authn has format version " + (v === null ? "(none)" : v.kind == JsonKind.Number ? (<i64>v.num).toString() : v.toString()) + ", this reader knows " + AUTHN_FORMAT_VERSION.toString();
    return null;
  }
  const r = new AuthnResult();
  const tokens = root.get("tokens");
  if (tokens !== null && tokens.kind == JsonKind.Array) {
    for (let i = 0; i < tokens.items.length; i++) {
      const t = decodeIdentity(tokens.items[i]);
      if (t !== null) r.tokens.push(t);
    }
  }
  const md = root.get("metadata");
  if (md !== null && md.kind == JsonKind.Object) r.metadata = md;
  return r;
}

/** Writes the result for this stream (JWT filter only). */
export function writeAuthnResult(r: AuthnResult): WasmResult {
  return setProperty(PATH_AUTHN, encodeAuthnResult(r));
}

/** Reads this stream's result: null when the JWT filter wrote none (no token, or not in the chain) or it is unreadable. */
export function readAuthnResult(): AuthnResult | null {
  const b = getPropertyBytes(PATH_AUTHN);
  if (b === null || b.byteLength == 0) { lastError = ""; return null; }
  return decodeAuthnResult(b);
}
