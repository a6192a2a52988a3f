// A small reader for the parts of a Wasm binary the loader must see before instantiating:
// function types of imports and exports (Node 20's WebAssembly.Module.imports() carries no
// types), the export names (ABI marker) and whether a start section exists.
// cpp-host reads the same facts through the engine's C API (src/v8/v8.cc `link`,
// `getModuleFunctionImpl`) and the raw bytes (src/bytecode_util.cc `getAbiVersion`).

export type ValKind = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref" | "unknown";
export interface FuncType { params: ValKind[]; results: ValKind[]; }
export interface ImportEntry { module: string; name: string; kind: "func" | "table" | "memory" | "global" | "tag"; type?: FuncType; }
export interface ExportEntry { name: string; kind: "func" | "table" | "memory" | "global" | "tag"; type?: FuncType; }
export interface ModuleInfo { imports: ImportEntry[]; exports: ExportEntry[]; hasStart: boolean; }

const KINDS: Record<number, ValKind> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
const EXTERN = ["func", "table", "memory", "global", "tag"] as const;

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error("unexpected end of Wasm binary");
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0, shift = 0, byte: number;
    do {
      byte = this.byte();
      result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return result;
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.pos, this.pos + n)).toString("utf8");
    this.pos += n;
    return s;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const r = new Reader(bytes);
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error("not a Wasm binary");
  }
  r.pos = 8;
  const types: FuncType[] = [];
  const imports: ImportEntry[] = [];
  const funcTypes: number[] = []; // type index of every function, imported ones first
  const exportsRaw: Array<{ name: string; kind: number; index: number }> = [];
  let hasStart = false;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    switch (id) {
      case 1: { // type
        for (let n = r.u32(); n > 0; n--) {
          const form = r.byte();
          if (form !== 0x60) throw new Error("unsupported type form " + form);
          const params: ValKind[] = [];
          for (let p = r.u32(); p > 0; p--) params.push(KINDS[r.byte()] ?? "unknown");
          const results: ValKind[] = [];
          for (let p = r.u32(); p > 0; p--) results.push(KINDS[r.byte()] ?? "unknown");
          types.push({ params, results });
        }
        break;
      }
      case 2: { // import
        for (let n = r.u32(); n > 0; n--) {
          const module = r.name();
          const name = r.name();
          const kind = r.byte();
          const entry: ImportEntry = { module, name, kind: EXTERN[kind] ?? "func" };
          if (kind === 0) {
            const t = r.u32();
            entry.type = types[t];
            funcTypes.push(t);
          } else if (kind === 1) { r.byte(); r.limits(); }
          else if (kind === 2) { r.limits(); }
          else if (kind === 3) { r.byte(); r.byte(); }
          else if (kind === 4) { r.byte(); r.u32(); }
          imports.push(entry);
        }
        break;
      }
      case 3: { // function
        for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
        break;
      }
      case 7: { // export
        for (let n = r.u32(); n > 0; n--) {
          const name = r.name();
          const kind = r.byte();
          const index = r.u32();
          exportsRaw.push({ name, kind, index });
        }
        break;
      }
      case 8:
        hasStart = true;
        break;
    }
    r.pos = end;
  }
  const exports: ExportEntry[] = exportsRaw.map((e) => ({
    name: e.name,
    kind: EXTERN[e.kind] ?? "func",
    type: e.kind === 0 ? types[funcTypes[e.index]] : undefined,
  }));
  return { imports, exports, hasStart };
}

/** cpp-host's printValTypes: kinds joined by spaces, "void" when empty. */
export function printTypes(kinds: ValKind[]): string {
  return kinds.length ? kinds.join(" ") : "void";
}

export function sameType(a: FuncType, b: FuncType): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length &&
    a.params.every((k, i) => k === b.params[i]) && a.results.every((k, i) => k === b.results[i]);
}
