// The suite's one protobuf wire-format codec, plus google.protobuf.Struct / Value / ListValue / Any.
//
// Struct values are held as JsonValue trees (shared/codec/json.ts): google.protobuf.Struct's JSON
// mapping IS a JSON object, so one tree type serves config, Struct payloads and filter state.
//
// Encoding is deterministic as protobuf C++'s SetSerializationDeterministic(true) makes it (what
// Istio uses for x-envoy-peer-metadata): map entries sorted by key bytes, every map entry writes
// key (1) and value (2), a set oneof member is written even when it holds its default.
//
// Decoding never aborts: truncated input, overlong varints, lengths past the end, wire types a
// field cannot have, nesting deeper than PROTO_MAX_DEPTH all return null / set `ok = false`.
import { JsonValue, JsonKind } from "./json";

export enum WireType { Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5 }

/** Deepest Struct/ListValue nesting accepted when decoding (protobuf C++ allows 100; 64 keeps the Wasm stack safe). */
export const PROTO_MAX_DEPTH: i32 = 64;

export const STRUCT_TYPE_URL = "type.googleapis.com/google.protobuf.Struct";

// ---------------------------------------------------------------------------------------------
// Reader

export class ProtoReader {
  /** false once any read failed; every later read returns a neutral value. */
  ok: bool = true;
  pos: usize;
  end: usize;
  /** Field number and wire type of the last tag(). */
  field: u32 = 0;
  wireType: u32 = 0;

  /** Reads bytes [start, end) of `buf` (no copy; keep `buf` alive while reading). */
  constructor(public buf: ArrayBuffer, start: i32 = 0, end: i32 = -1) {
    const len = buf.byteLength;
    const e = end < 0 || end > len ? len : end;
    const s = start < 0 ? 0 : (start > e ? e : start);
    this.pos = changetype<usize>(buf) + <usize>s;
    this.end = changetype<usize>(buf) + <usize>e;
  }

  /** Points this reader at bytes [start, end) of `buf`, so one reader is reused without allocating. */
  reset(buf: ArrayBuffer, start: i32 = 0, end: i32 = -1): void {
    const len = buf.byteLength;
    const e = end < 0 || end > len ? len : end;
    const s = start < 0 ? 0 : (start > e ? e : start);
    this.buf = buf;
    this.pos = changetype<usize>(buf) + <usize>s;
    this.end = changetype<usize>(buf) + <usize>e;
    this.ok = true;
  }

  /**
   * Steps into the length-delimited value of the last tag() without a new reader: reads the length
   * prefix, leaves pos at the value's first byte and returns the address just past it. The caller
   * narrows `end` to that address while reading inside and restores it after (sub() allocates).
   * 0 (and the reader failed) when the length overruns.
   */
  enter(): usize {
    const len = this.varint();
    if (!this.ok || len > <u64>(this.end - this.pos)) { this.fail(); return 0; }
    return this.pos + <usize>len;
  }

  get remaining(): usize { return this.end - this.pos; }
  get atEnd(): bool { return this.pos >= this.end; }
  /** Offset of the read position inside `buf`. */
  get offset(): i32 { return <i32>(this.pos - changetype<usize>(this.buf)); }

  fail(): bool { this.ok = false; this.pos = this.end; return false; }

  varint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    let p = this.pos;
    while (p < this.end && shift < 70) {
      const b = load<u8>(p++);
      result |= <u64>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        // The 10th byte may carry only the top bit of a 64-bit value.
        if (shift == 63 && b > 1) { this.fail(); return 0; }
        this.pos = p;
        return result;
      }
      shift += 7;
    }
    this.fail();
    return 0;
  }

  /** Next field tag; false at the end of input or on a malformed/zero tag. */
  tag(): bool {
    if (!this.ok || this.pos >= this.end) return false;
    const t = this.varint();
    if (!this.ok) return false;
    const field = <u32>(t >> 3);
    if (field == 0 || t > 0xffffffff) return this.fail();
    this.field = field;
    this.wireType = <u32>(t & 7);
    return true;
  }

  fixed32(): u32 {
    if (this.end - this.pos < 4) { this.fail(); return 0; }
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  fixed64(): u64 {
    if (this.end - this.pos < 8) { this.fail(); return 0; }
    const v = load<u64>(this.pos);
    this.pos += 8;
    return v;
  }

  double(): f64 { return reinterpret<f64>(this.fixed64()); }

  /**
   * Reads a length prefix and returns a reader over those bytes (the parent skips past them).
   * On a bad length returns an already-failed reader and fails this one.
   */
  sub(): ProtoReader {
    const len = this.varint();
    const r = new ProtoReader(this.buf, 0, 0);
    if (!this.ok || len > <u64>(this.end - this.pos)) { this.fail(); r.ok = false; return r; }
    r.pos = this.pos;
    r.end = this.pos + <usize>len;
    this.pos += <usize>len;
    return r;
  }

  /** A length-delimited field as a string (UTF-8; invalid sequences become U+FFFD). */
  string(): string {
    const len = this.varint();
    if (!this.ok || len > <u64>(this.end - this.pos)) { this.fail(); return ""; }
    const s = String.UTF8.decodeUnsafe(this.pos, <usize>len);
    this.pos += <usize>len;
    return s;
  }

  /** A length-delimited field copied into a new buffer. */
  bytes(): ArrayBuffer {
    const len = this.varint();
    if (!this.ok || len > <u64>(this.end - this.pos)) { this.fail(); return new ArrayBuffer(0); }
    const out = new ArrayBuffer(<i32>len);
    memory.copy(changetype<usize>(out), this.pos, <usize>len);
    this.pos += <usize>len;
    return out;
  }

  /** Skips the value of the last tag(). Groups are rejected (no proto3 message uses them). */
  skip(): bool {
    switch (this.wireType) {
      case WireType.Varint: this.varint(); break;
      case WireType.Fixed64: if (this.end - this.pos < 8) return this.fail(); this.pos += 8; break;
      case WireType.Fixed32: if (this.end - this.pos < 4) return this.fail(); this.pos += 4; break;
      case WireType.LengthDelimited: {
        const len = this.varint();
        if (!this.ok || len > <u64>(this.end - this.pos)) return this.fail();
        this.pos += <usize>len;
        break;
      }
      default: return this.fail();
    }
    return this.ok;
  }
}

/**
 * Whether [p, p+n) is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF):
 * what a proto3 `string` must hold for protobuf's C++ parser to accept the message.
 */
export function validUtf8(p: usize, n: i32): bool {
  const end = p + <usize>n;
  while (p < end) {
    // Eight ASCII bytes at a time.
    if (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) { p += 8; continue; }
    const b = <u32>load<u8>(p);
    if (b < 0x80) { p++; continue; }
    let need: i32;
    let min: u32;
    let cp: u32;
    if ((b & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = b & 0x1f; }
    else if ((b & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = b & 0x0f; }
    else if ((b & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = b & 0x07; }
    else return false;
    if (p + 1 + <usize>need > end) return false;
    for (let i = 1; i <= need; i++) {
      const c = <u32>load<u8>(p + <usize>i);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    p += 1 + <usize>need;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Writer

export class ProtoWriter {
  private data: ArrayBuffer;
  private len: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.data = new ArrayBuffer(capacity < 16 ? 16 : capacity);
  }

  get length(): i32 { return this.len; }

  private reserve(n: i32): usize {
    const need = this.len + n;
    if (need > this.data.byteLength) {
      let cap = this.data.byteLength * 2;
      while (cap < need) cap *= 2;
      const next = new ArrayBuffer(cap);
      memory.copy(changetype<usize>(next), changetype<usize>(this.data), this.len);
      this.data = next;
    }
    const p = changetype<usize>(this.data) + <usize>this.len;
    this.len = need;
    return p;
  }

  rawVarint(v: u64): void {
    const p = this.reserve(10);
    let i: usize = 0;
    while (v >= 0x80) {
      store<u8>(p + i, <u8>(v | 0x80));
      v >>= 7;
      i++;
    }
    store<u8>(p + i, <u8>v);
    this.len -= 10 - <i32>(i + 1);
  }

  rawBytes(src: usize, n: i32): void {
    const p = this.reserve(n);
    memory.copy(p, src, n);
  }

  tag(field: u32, wt: WireType): void { this.rawVarint((<u64>field << 3) | <u64>wt); }

  uint64(field: u32, v: u64): void { this.tag(field, WireType.Varint); this.rawVarint(v); }
  int32(field: u32, v: i32): void { this.tag(field, WireType.Varint); this.rawVarint(<u64><i64>v); }
  bool(field: u32, v: bool): void { this.tag(field, WireType.Varint); this.rawVarint(v ? 1 : 0); }

  double(field: u32, v: f64): void {
    this.tag(field, WireType.Fixed64);
    store<f64>(this.reserve(8), v);
  }

  fixed32(field: u32, v: u32): void {
    this.tag(field, WireType.Fixed32);
    store<u32>(this.reserve(4), v);
  }

  bytes(field: u32, b: ArrayBuffer): void {
    this.tag(field, WireType.LengthDelimited);
    this.rawVarint(<u64>b.byteLength);
    this.rawBytes(changetype<usize>(b), b.byteLength);
  }

  string(field: u32, s: string): void { this.bytes(field, String.UTF8.encode(s)); }

  /** A nested message already written into `w`. */
  message(field: u32, w: ProtoWriter): void {
    this.tag(field, WireType.LengthDelimited);
    this.rawVarint(<u64>w.len);
    this.rawBytes(changetype<usize>(w.data), w.len);
  }

  finish(): ArrayBuffer {
    const out = new ArrayBuffer(this.len);
    memory.copy(changetype<usize>(out), changetype<usize>(this.data), this.len);
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// google.protobuf.Struct / Value / ListValue (src/google/protobuf/struct.proto)
//   Struct    { map<string, Value> fields = 1; }           map entry: key = 1, value = 2
//   Value     { oneof kind { NullValue null_value = 1; double number_value = 2; string string_value = 3;
//                            bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
//   ListValue { repeated Value values = 1; }

function compareBytes(a: ArrayBuffer, b: ArrayBuffer): i32 {
  const n = min(a.byteLength, b.byteLength);
  const pa = changetype<usize>(a);
  const pb = changetype<usize>(b);
  for (let i = 0; i < n; i++) {
    const x = <i32>load<u8>(pa + i);
    const y = <i32>load<u8>(pb + i);
    if (x != y) return x - y;
  }
  return a.byteLength - b.byteLength;
}

class EncodedKey {
  constructor(public key: ArrayBuffer, public index: i32) {}
}

function writeStructFields(w: ProtoWriter, obj: JsonValue): void {
  const n = obj.keys.length;
  const sorted = new Array<EncodedKey>(n);
  for (let i = 0; i < n; i++) sorted[i] = new EncodedKey(String.UTF8.encode(obj.keys[i]), i);
  // Deterministic serialization orders map entries by key bytes (protobuf C++ MapSorterPtr).
  sorted.sort((a: EncodedKey, b: EncodedKey): i32 => compareBytes(a.key, b.key));
  for (let i = 0; i < n; i++) {
    const e = unchecked(sorted[i]);
    const entry = new ProtoWriter(32);
    entry.bytes(1, e.key);
    const value = new ProtoWriter(16);
    writeValue(value, obj.items[e.index]);
    entry.message(2, value);
    w.message(1, entry);
  }
}

function writeValue(w: ProtoWriter, v: JsonValue): void {
  switch (v.kind) {
    case JsonKind.Null: w.uint64(1, 0); break;
    case JsonKind.Number: w.double(2, v.num); break;
    case JsonKind.String: w.string(3, v.str); break;
    case JsonKind.Bool: w.bool(4, v.bool); break;
    case JsonKind.Object: {
      const s = new ProtoWriter(64);
      writeStructFields(s, v);
      w.message(5, s);
      break;
    }
    default: {
      const l = new ProtoWriter(64);
      for (let i = 0; i < v.items.length; i++) {
        const e = new ProtoWriter(16);
        writeValue(e, unchecked(v.items[i]));
        l.message(1, e);
      }
      w.message(6, l);
    }
  }
}

/** Serializes an object tree as google.protobuf.Struct (deterministic). A non-object encodes as an empty Struct. */
export function encodeStruct(obj: JsonValue): ArrayBuffer {
  const w = new ProtoWriter(256);
  if (obj.kind == JsonKind.Object) writeStructFields(w, obj);
  return w.finish();
}

/** Serializes any tree as google.protobuf.Value. */
export function encodeValue(v: JsonValue): ArrayBuffer {
  const w = new ProtoWriter(64);
  writeValue(w, v);
  return w.finish();
}

/** Replaces an existing member (protobuf map semantics: the last entry for a key wins). */
function putMember(obj: JsonValue, key: string, value: JsonValue): void {
  for (let i = 0, n = obj.keys.length; i < n; i++) {
    if (unchecked(obj.keys[i]) == key) { obj.items[i] = value; return; }
  }
  obj.set(key, value);
}

function readStruct(r: ProtoReader, depth: i32): JsonValue | null {
  if (depth > PROTO_MAX_DEPTH) { r.fail(); return null; }
  const obj = JsonValue.object();
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) {
      const entry = r.sub();
      let key = "";
      let value: JsonValue | null = null;
      while (entry.tag()) {
        if (entry.field == 1 && entry.wireType == WireType.LengthDelimited) key = entry.string();
        else if (entry.field == 2 && entry.wireType == WireType.LengthDelimited) {
          const vr = entry.sub();
          value = readValue(vr, depth + 1);
          if (value === null) { entry.fail(); break; }
        } else if (!entry.skip()) break;
      }
      if (!entry.ok) { r.fail(); return null; }
      // A map entry without a value holds the default Value (no kind set), i.e. null in JSON.
      putMember(obj, key, value === null ? JsonValue.null() : value);
    } else if (!r.skip()) break;
  }
  return r.ok ? obj : null;
}

function readList(r: ProtoReader, depth: i32): JsonValue | null {
  if (depth > PROTO_MAX_DEPTH) { r.fail(); return null; }
  const arr = JsonValue.array();
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) {
      const vr = r.sub();
      const v = readValue(vr, depth + 1);
      if (v === null) { r.fail(); return null; }
      arr.push(v);
    } else if (!r.skip()) break;
  }
  return r.ok ? arr : null;
}

function readValue(r: ProtoReader, depth: i32): JsonValue | null {
  if (!r.ok || depth > PROTO_MAX_DEPTH) { r.fail(); return null; }
  let v = JsonValue.null();
  while (r.tag()) {
    const f = r.field;
    const wt = r.wireType;
    // Oneof: the last member on the wire wins. A member with the wrong wire type is an unknown field.
    if (f == 1 && wt == WireType.Varint) { r.varint(); v = JsonValue.null(); }
    else if (f == 2 && wt == WireType.Fixed64) v = JsonValue.fromNumber(r.double());
    else if (f == 3 && wt == WireType.LengthDelimited) v = JsonValue.fromString(r.string());
    else if (f == 4 && wt == WireType.Varint) v = JsonValue.fromBool(r.varint() != 0);
    else if (f == 5 && wt == WireType.LengthDelimited) {
      const s = readStruct(r.sub(), depth + 1);
      if (s === null) { r.fail(); return null; }
      v = s;
    } else if (f == 6 && wt == WireType.LengthDelimited) {
      const l = readList(r.sub(), depth + 1);
      if (l === null) { r.fail(); return null; }
      v = l;
    } else if (!r.skip()) break;
  }
  return r.ok ? v : null;
}

/** Parses google.protobuf.Struct bytes into an object tree; null on any malformed input. */
export function decodeStruct(buf: ArrayBuffer): JsonValue | null {
  return readStruct(new ProtoReader(buf), 0);
}

/** Same, for a byte range of `buf`. */
export function decodeStructRange(buf: ArrayBuffer, start: i32, end: i32): JsonValue | null {
  return readStruct(new ProtoReader(buf, start, end), 0);
}

/** Parses google.protobuf.Value bytes; null on malformed input. */
export function decodeValue(buf: ArrayBuffer): JsonValue | null {
  return readValue(new ProtoReader(buf), 0);
}

// ---------------------------------------------------------------------------------------------
// google.protobuf.Any { string type_url = 1; bytes value = 2; }

export class AnyMessage {
  constructor(public typeUrl: string, public value: ArrayBuffer) {}
}

export function encodeAny(typeUrl: string, value: ArrayBuffer): ArrayBuffer {
  const w = new ProtoWriter(value.byteLength + typeUrl.length + 16);
  w.string(1, typeUrl);
  w.bytes(2, value);
  return w.finish();
}

/** Parses Any; null on malformed input. Missing fields are empty (proto3 defaults). */
export function decodeAny(buf: ArrayBuffer, start: i32 = 0, end: i32 = -1): AnyMessage | null {
  const r = new ProtoReader(buf, start, end);
  let typeUrl = "";
  let value = new ArrayBuffer(0);
  while (r.tag()) {
    if (r.field == 1 && r.wireType == WireType.LengthDelimited) typeUrl = r.string();
    else if (r.field == 2 && r.wireType == WireType.LengthDelimited) value = r.bytes();
    else if (!r.skip()) break;
  }
  return r.ok ? new AnyMessage(typeUrl, value) : null;
}
