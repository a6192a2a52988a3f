// Wraps build/fixtures/regex.wasm (tests/fixtures/regex/index.ts) for the regex tests and bench;
// loading, input copies and trap handling (the engine must never trap) are tests/fixtures/wasm.ts's.
import { FixtureWasm } from "../fixtures/wasm";

export const enum Mode { Full = 0, Partial = 1, FullString = 2, PartialString = 3 }

export class RegexWasm extends FixtureWasm {
  constructor(file?: string) { super("regex", file); }

  /** Handle, or the error text. */
  compile(pattern: string | Uint8Array, viaString = false): number | string {
    const b = typeof pattern === "string" ? new TextEncoder().encode(pattern) : pattern;
    const h = this.with([b], (p) => (viaString ? this.x.compileString(p) : this.x.compile(p)));
    if (h >= 0) return h;
    const n = this.x.errorLength();
    return this.with([new Uint8Array(n)], (p) => {
      this.x.errorCopy(p);
      return new TextDecoder().decode(this.read(p, n));
    });
  }

  match(h: number, mode: Mode, input: string | Uint8Array): boolean {
    const b = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const r = this.with([b], (p) => this.x.match(h, mode, p));
    if (r < 0) throw new Error(`bad handle ${h}`);
    return r === 1;
  }
  /** Handle h then matches with the NFA simulation alone. */
  disableDfa(h: number): void { this.x.disableDfa(h); }
  steps(): number { return Number(this.x.steps()); }
  programSize(h: number): number { return this.x.programSize(h); }
  reset(): void { this.x.reset(); this.x.collect(); }
}
