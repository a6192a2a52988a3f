// Helpers for the metadata-exchange Node tests: the compiled codec fixture (build/fixtures/mx_codec.wasm)
// and protobufjs's google.protobuf.Struct / Any as the independent encoder/decoder.
import { readFileSync } from "node:fs";
import path from "node:path";
import protobuf from "protobufjs";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export class MxCodec {
  private x: any;
  constructor(file = path.join(process.cwd(), "build", "fixtures", "mx_codec.wasm")) {
    const mod = new WebAssembly.Module(readFileSync(file));
    let inst: WebAssembly.Instance;
    inst = new WebAssembly.Instance(mod, {
      env: { proxy_log: () => 0 },
      wasi_unstable: { proc_exit: (c: number) => { throw new Error(`mx_codec aborted (proc_exit ${c})`); } },
    });
    this.x = inst.exports;
  }
  private mem(): Uint8Array { return new Uint8Array((this.x.memory as WebAssembly.Memory).buffer); }
  /** Runs `op` on `input`; returns [ok, output bytes]. */
  call(op: string, input: Uint8Array | string): [boolean, Buffer] {
    const b = typeof input === "string" ? Buffer.from(input, "utf8") : input;
    const p = this.x.input(b.length) >>> 0;
    this.mem().set(b, p);
    const ok = this.x[op]() !== 0;
    const op2 = this.x.outputPtr() >>> 0;
    const n = this.x.outputLength() >>> 0;
    return [ok, Buffer.from(this.mem().slice(op2, op2 + n))];
  }
  text(op: string, input: Uint8Array | string): [boolean, string] {
    const [ok, b] = this.call(op, input);
    return [ok, b.toString("utf8")];
  }
}

const root = new protobuf.Root();
root.addJSON((protobuf.common as any).get("google/protobuf/struct.proto").nested);
root.addJSON((protobuf.common as any).get("google/protobuf/any.proto").nested);
export const StructT = root.lookupType("google.protobuf.Struct");
export const ValueT = root.lookupType("google.protobuf.Value");
export const AnyT = root.lookupType("google.protobuf.Any");

/** Plain JSON -> protobufjs Value message object (keys in the given order). */
export function toValue(v: Json): any {
  if (v === null) return { nullValue: 0 };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}
export function toStruct(o: { [k: string]: Json }): any {
  const fields: any = {};
  for (const k of Object.keys(o)) fields[k] = toValue(o[k]);
  return { fields };
}
/** protobufjs decoded Value -> plain JSON. */
export function fromValue(v: any): Json {
  if (v.structValue !== undefined && v.structValue !== null) return fromStruct(v.structValue);
  if (v.listValue !== undefined && v.listValue !== null) return (v.listValue.values ?? []).map(fromValue);
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.numberValue !== undefined && v.numberValue !== null) return v.numberValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  return null;
}
export function fromStruct(s: any): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(s.fields ?? {})) out[k] = fromValue(v);
  return out;
}

/** protobufjs encoding of a plain object as Struct (map entries in the object's key order). */
export function pbEncodeStruct(o: { [k: string]: Json }): Buffer {
  return Buffer.from(StructT.encode(StructT.fromObject(toStruct(o))).finish());
}
export function pbDecodeStruct(b: Uint8Array): { [k: string]: Json } {
  return fromStruct(StructT.toObject(StructT.decode(b), { defaults: false, oneofs: false }));
}

/** Recursively orders object keys by UTF-8 bytes (what deterministic serialization does). */
export function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const out: { [k: string]: Json } = {};
  for (const k of keys) out[k] = sortKeys(v[k]);
  return out;
}

/** A small seeded PRNG so failures reproduce. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 4294967296; };
}

const ALPHABET = ["a", "B", "z", "0", "-", ".", "/", "é", "ß", "中", "\u{1F600}", "\uFFFD", "\"", "\\", "\n", " "];
export function randomString(r: () => number, max = 8): string {
  let s = "";
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)];
  return s;
}
export function randomTree(r: () => number, depth = 0): Json {
  const k = r();
  if (depth > 3 || k < 0.35) {
    const t = r();
    if (t < 0.3) return randomString(r);
    if (t < 0.55) return Math.round((r() - 0.5) * 1e6) / 8;
    if (t < 0.7) return r() < 0.5;
    if (t < 0.8) return null;
    return [1e300, -0.5, 2 ** 53, -(2 ** 31)][Math.floor(r() * 4)];
  }
  if (k < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => randomTree(r, depth + 1));
  const o: { [k: string]: Json } = {};
  const n = Math.floor(r() * 5);
  // Keys never look like array indices: JS objects enumerate those first, whatever the insertion
  // order, which would make the key-sorted reference wrong (e.g. "" must sort before "0").
  for (let i = 0; i < n; i++) {
    const key = randomString(r, 6);
    o[/^(0|[1-9][0-9]*)$/.test(key) ? "k" + key : key] = randomTree(r, depth + 1);
  }
  return o;
}
