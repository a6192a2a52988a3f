import { ProtoReader, ProtoWriter, WireType, encodeStruct, decodeStruct, encodeValue, decodeValue, encodeAny, decodeAny, STRUCT_TYPE_URL, PROTO_MAX_DEPTH, validUtf8 } from "./protobuf";
import { JsonValue, parseJson } from "./json";

function hex(b: ArrayBuffer): string {
  let s = "";
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i++) s += (<u32>load<u8>(p + i)).toString(16).padStart(2, "0");
  return s;
}

function unhex(s: string): ArrayBuffer {
  const out = new ArrayBuffer(s.length / 2);
  for (let i = 0; i < s.length / 2; i++) store<u8>(changetype<usize>(out) + i, <u8>I32.parseInt(s.substr(i * 2, 2), 16));
  return out;
}

function obj(text: string): JsonValue { return parseJson(text).value!; }

describe("protobuf wire format", () => {
  it("writes and reads varints at the boundaries", () => {
    const w = new ProtoWriter(16);
    w.uint64(1, 0);
    w.uint64(2, 127);
    w.uint64(3, 128);
    w.uint64(4, 0xffffffffffffffff);
    w.int32(5, -1);
    const b = w.finish();
    expect(hex(b)).toBe("0800107f188001" + "20ffffffffffffffffff01" + "28ffffffffffffffffff01");
    const r = new ProtoReader(b);
    expect(r.tag()).toBe(true); expect(r.varint()).toBe(0);
    expect(r.tag()).toBe(true); expect(r.varint()).toBe(127);
    expect(r.tag()).toBe(true); expect(r.field).toBe(3); expect(r.varint()).toBe(128);
    expect(r.tag()).toBe(true); expect(r.varint()).toBe(0xffffffffffffffff);
    expect(r.tag()).toBe(true); expect(r.varint()).toBe(0xffffffffffffffff);
    expect(r.tag()).toBe(false);
    expect(r.ok).toBe(true);
  });
  it("rejects overlong and truncated varints, zero tags and overrunning lengths", () => {
    let r = new ProtoReader(unhex("08ffffffffffffffffff02"));
    r.tag(); r.varint();
    expect(r.ok).toBe(false);
    r = new ProtoReader(unhex("0880"));
    r.tag(); r.varint();
    expect(r.ok).toBe(false);
    r = new ProtoReader(unhex("0001"));
    expect(r.tag()).toBe(false);
    expect(r.ok).toBe(false);
    r = new ProtoReader(unhex("0a05616263"));
    r.tag(); r.string();
    expect(r.ok).toBe(false);
    r = new ProtoReader(unhex("0b"));  // start group: not supported in proto3
    r.tag();
    expect(r.skip()).toBe(false);
  });
  it("skips unknown fields of every wire type", () => {
    const w = new ProtoWriter();
    w.uint64(9, 300);
    w.double(10, 1.5);
    w.fixed32(11, 7);
    w.string(12, "skip me");
    w.string(1, "kept");
    const r = new ProtoReader(w.finish());
    let kept = "";
    while (r.tag()) {
      if (r.field == 1 && r.wireType == WireType.LengthDelimited) kept = r.string();
      else r.skip();
    }
    expect(r.ok).toBe(true);
    expect(kept).toBe("kept");
  });
});

describe("google.protobuf.Struct", () => {
  it("encodes a known vector", () => {
    // {"a":"b"}: field 1 entry { key "a", value Value{string_value "b"} }
    expect(hex(encodeStruct(obj("{\"a\":\"b\"}")))).toBe("0a080a016112031a0162");
    expect(hex(encodeStruct(JsonValue.object()))).toBe("");
  });
  it("sorts keys by UTF-8 bytes and writes set defaults", () => {
    const a = encodeStruct(obj("{\"b\":0,\"a\":false,\"\":\"\",\"c\":null}"));
    const b = encodeStruct(obj("{\"c\":null,\"\":\"\",\"a\":false,\"b\":0}"));
    expect(hex(a)).toBe(hex(b));
    // "" < "a" < "b" < "c"; bool false written as 2000, number 0 as 11 + 8 zero bytes, null as 0800
    expect(hex(a)).toBe("0a060a0012021a00" + "0a070a0161120220" + "00" + "0a0e0a016212091100000000000000" + "00" + "0a070a0163120208" + "00");
    // U+FFFD (ef bf bd) sorts after U+1F600 (f0 9f 98 80) in UTF-16 order but before it in byte order
    const c = JsonValue.object().set("\u{1F600}", JsonValue.fromNumber(1)).set("\uFFFD", JsonValue.fromNumber(2));
    const d = decodeStruct(encodeStruct(c))!;
    expect(d.keys[0]).toBe("\uFFFD");
  });
  it("round-trips nested structs, lists and every scalar", () => {
    const text = "{\"NAME\":\"productpage-v1-abc\",\"LABELS\":{\"app\":\"productpage\",\"version\":\"v1\"},\"n\":-2.5,\"t\":true,\"z\":null,\"l\":[1,\"x\",[],{}]}";
    const back = decodeStruct(encodeStruct(obj(text)))!;
    // Output is in sorted key order.
    expect(back.toString()).toBe("{\"LABELS\":{\"app\":\"productpage\",\"version\":\"v1\"},\"NAME\":\"productpage-v1-abc\",\"l\":[1,\"x\",[],{}],\"n\":-2.5,\"t\":true,\"z\":null}");
  });
  it("lets the last duplicate map key and the last oneof member win, as protobuf does", () => {
    // two entries for "a": "x" then "y"; the second value has string "q" then number 1 (number wins)
    const twice = unhex("0a080a016112031a0178" + "0a110a016112" + "0c" + "1a0171" + "11000000000000f03f");
    expect(decodeStruct(twice)!.toString()).toBe("{\"a\":1}");
  });
  it("treats members with the wrong wire type as unknown fields", () => {
    // Value with field 3 (string_value) sent as a varint: skipped, so the value has no kind (null).
    expect(decodeStruct(unhex("0a070a016112021805"))!.toString()).toBe("{\"a\":null}");
  });
  it("never accepts a truncation as the whole message, and never aborts", () => {
    const full = encodeStruct(obj("{\"NAME\":\"x\",\"LABELS\":{\"app\":\"y\"},\"l\":[1.5,true]}"));
    let rejected = 0;
    let prefixes = 0;
    for (let i = 1; i < full.byteLength; i++) {
      const d = decodeStruct(full.slice(0, i));
      if (d === null) rejected++;
      else { prefixes++; expect(d.keys.length).toBeLessThan(3); }
    }
    // A cut exactly between two top-level entries is itself a valid, shorter Struct (2 such cuts).
    expect(prefixes).toBe(2);
    expect(rejected).toBe(full.byteLength - 3);
  });
  it("rejects nesting deeper than the bound", () => {
    let v = JsonValue.object();
    for (let i = 0; i < PROTO_MAX_DEPTH + 5; i++) v = JsonValue.object().set("k", v);
    expect(decodeStruct(encodeStruct(v))).toBeNull();
    let ok = JsonValue.object();
    for (let i = 0; i < 20; i++) ok = JsonValue.object().set("k", ok);
    expect(decodeStruct(encodeStruct(ok))).not.toBeNull();
  });
  it("encodes and decodes a bare Value", () => {
    expect(hex(encodeValue(JsonValue.fromString("hi")))).toBe("1a026869");
    expect(decodeValue(unhex("2001"))!.bool).toBe(true);
  });
});

describe("google.protobuf.Any", () => {
  it("round-trips a Struct payload", () => {
    const s = encodeStruct(obj("{\"x-envoy-peer-metadata-id\":\"id\"}"));
    const a = decodeAny(encodeAny(STRUCT_TYPE_URL, s))!;
    expect(a.typeUrl).toBe(STRUCT_TYPE_URL);
    expect(decodeStruct(a.value)!.getString("x-envoy-peer-metadata-id")).toBe("id");
  });
  it("rejects a truncated Any", () => {
    const b = encodeAny(STRUCT_TYPE_URL, new ArrayBuffer(10));
    expect(decodeAny(b.slice(0, b.byteLength - 1))).toBeNull();
  });
});

describe("reader reuse and UTF-8", () => {
  it("enter() steps into a nested message by narrowing end, without a new reader", () => {
    // field 1 = { field 2 varint 5 }, then field 3 varint 7
    const b = unhex("0a0210051807");
    const r = new ProtoReader(new ArrayBuffer(0));
    r.reset(b);
    expect(r.tag()).toBe(true);
    const e = r.enter();
    const outer = r.end;
    r.end = e;
    expect(r.tag()).toBe(true);
    expect(r.field).toBe(2);
    expect(r.varint()).toBe(5);
    expect(r.tag()).toBe(false);
    r.pos = e;
    r.end = outer;
    expect(r.tag()).toBe(true);
    expect(r.field).toBe(3);
    expect(r.varint()).toBe(7);
    // A length that overruns fails the reader.
    r.reset(unhex("0a0510"));
    r.tag();
    expect(r.enter()).toBe(0);
    expect(r.ok).toBe(false);
  });
  it("validUtf8 accepts well-formed text and refuses overlongs, surrogates, truncations and > U+10FFFF", () => {
    const ok = String.UTF8.encode("ascii long enough for the 8-byte path, été, 中文, 😀");
    expect(validUtf8(changetype<usize>(ok), ok.byteLength)).toBe(true);
    const bad = ["c0af", "eda080", "e282", "f4908080", "80", "ff"];
    for (let i = 0; i < bad.length; i++) {
      const b = unhex(bad[i]);
      expect(validUtf8(changetype<usize>(b), b.byteLength)).toBe(false);
    }
  });
});
