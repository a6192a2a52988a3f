// Loads build/fixtures/regex.wasm (tests/fixtures/regex/index.ts) for the regex tests and bench.
// Every input is copied into a pinned ArrayBuffer made by the module's alloc() and released
// afterwards. A trap (abort -> proc_exit) surfaces as a thrown Error: the engine must never trap.
import { readFileSync } from "node:fs";
import path from "node:path";

export const enum Mode { Full = 0, Partial = 1, FullString = 2, PartialString = 3 }

export class RegexWasm {
  private x: any;
  private mem: WebAssembly.Memory;

  constructor(file = path.join(process.cwd(), "build", "fixtures", "regex.wasm")) {
    const module = new WebAssembly.Module(readFileSync(file));
    const imports: any = { wasi_unstable: { proc_exit: (c: number) => { throw new Error(`regex.wasm trapped (proc_exit ${c})`); } } };
    for (const imp of WebAssembly.Module.imports(module)) {
      if (!imports[imp.module]?.[imp.name]) throw new Error(`regex.wasm has an unexpected import ${imp.module}.${imp.name}`);
    }
    const inst = new WebAssembly.Instance(module, imports);
    this.x = inst.exports;
    this.mem = inst.exports.memory as WebAssembly.Memory;
  }

  get exports(): any { return this.x; }
  memoryBytes(): number { return this.mem.buffer.byteLength; }

  put(bytes: Uint8Array): number {
    const p = this.x.alloc(bytes.length) >>> 0;
    new Uint8Array(this.mem.buffer, p, bytes.length).set(bytes);
    return p;
  }
  free(p: number): void { this.x.free(p); }

  private with<T>(bytes: Uint8Array, fn: (p: number) => T): T {
    const p = this.put(bytes);
    try { return fn(p); } finally { this.x.free(p); }
  }

  /** Handle, or the error text. */
  compile(pattern: string | Uint8Array, viaString = false): number | string {
    const b = typeof pattern === "string" ? new TextEncoder().encode(pattern) : pattern;
    const h = this.with(b, (p) => (viaString ? this.x.compileString(p) : this.x.compile(p)));
    if (h >= 0) return h;
    const n = this.x.errorLength();
    return this.with(new Uint8Array(n), (p) => {
      this.x.errorCopy(p);
      return new TextDecoder().decode(new Uint8Array(this.mem.buffer, p, n).slice());
    });
  }

  match(h: number, mode: Mode, input: string | Uint8Array): boolean {
    const b = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const r = this.with(b, (p) => this.x.match(h, mode, p));
    if (r < 0) throw new Error(`bad handle ${h}`);
    return r === 1;
  }
  /** Handle h then matches with the NFA simulation alone. */
  disableDfa(h: number): void { this.x.disableDfa(h); }
  steps(): number { return Number(this.x.steps()); }
  programSize(h: number): number { return this.x.programSize(h); }
  reset(): void { this.x.reset(); this.x.collect(); }
}
