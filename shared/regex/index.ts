// shared/regex: a linear-time engine for RE2 syntax, for Envoy's `safe_regex` (google_re2) matchers.
// Compile once at configure time; match many times with no allocation. See README.md.
import { Parser, ParseError, ERR_BAD_UTF8 } from "./parse";
import { Prog, compileProg, Op } from "./prog";
import { Assertion } from "./ast";
import { estimateProgramSize } from "./progsize";
import { nfaMatch, reserveScratch, resetSteps, addSteps, steps, matchesEmptyInsideRune, hasMultiByteRune } from "./nfa";
import { Prefilter, buildPrefilter } from "./prefilter";
import { Dfa, dfaCapable, dfaSteps, resetDfaSteps, reserveDfaScratch } from "./dfa";

let lastError: string = "";

/** After this many state-cache overflows a regex matches with the NFA alone. */
const MAX_DFA_BAILS: i32 = 8;

/** Why the last Regex.compile returned null ("" after a successful compile). */
export function regexError(): string { return lastError; }

/** Work units (instruction visits and rune tests) of the last match call; linear in input size. */
export function lastMatchSteps(): i64 { return steps + dfaSteps; }

/** Envoy's default `re2.max_program_size.error_level` (source/common/common/regex.cc). */
export const ENVOY_MAX_PROGRAM_SIZE: i32 = 100;

export class Regex {
  /** Lazily made DFAs: threads started at 0 only (full match, ^-anchored search) or anywhere. */
  private anchoredDfa: Dfa | null = null;
  private searchDfa: Dfa | null = null;
  private useDfa: bool;
  private dfaBails: i32 = 0;

  private constructor(private prog: Prog, private anchorStart: bool, readonly pattern: string, private re2Size: i32,
    private filter: Prefilter) {
    this.useDfa = dfaCapable(prog);
    this.emptyInsideRune = matchesEmptyInsideRune(prog);
  }
  private emptyInsideRune: bool;

  /** One match: the DFA when the program allows it and its cache holds, else the NFA simulation. */
  private run(p: usize, n: i32, utf16: bool, full: bool): bool {
    resetSteps();
    resetDfaSteps();
    const anchored = full || this.anchorStart;
    // RE2 also searches from the byte positions inside a multi-byte character (nfa.ts).
    if (!anchored && this.emptyInsideRune) {
      addSteps(<i64>n);
      if (hasMultiByteRune(p, n, utf16)) return true;
    }
    const f = this.filter;
    const exact = f.exact;
    if (exact !== null) {
      // Literal text: compare, no automaton.
      addSteps(<i64>n);
      const m = exact.units(utf16);
      if (full || (f.exactAnchoredStart && f.exactAnchoredEnd)) return n == m && exact.at(p, n, 0, utf16);
      if (f.exactAnchoredStart) return exact.at(p, n, 0, utf16);
      if (f.exactAnchoredEnd) return exact.at(p, n, n - m, utf16);
      return exact.within(p, n, utf16);
    }
    const prefix = f.prefix;
    if (anchored && prefix !== null && !prefix.at(p, n, 0, utf16)) return false;
    const required = f.required;
    if (required !== null) {
      addSteps(<i64>n);
      if (!required.within(p, n, utf16)) return false;
    }
    if (this.useDfa) {
      let d = anchored ? this.anchoredDfa : this.searchDfa;
      if (d === null) {
        d = new Dfa(this.prog, !anchored);
        if (anchored) this.anchoredDfa = d; else this.searchDfa = d;
      }
      const r = d.run(p, n, utf16, full);
      if (r >= 0) return r == 1;
      // The state cache filled: this call finishes on the NFA. A pattern that keeps filling it stops
      // using the DFA, so a hostile input cannot make every call rebuild states and then fall back.
      if (++this.dfaBails >= MAX_DFA_BAILS) this.useDfa = false;
    }
    return nfaMatch(this.prog, p, n, utf16, anchored, full);
  }

  /** Compiles an RE2 pattern; null on error, with regexError() saying what and where. */
  static compile(pattern: string): Regex | null {
    const bytes = String.UTF8.encode(pattern);
    // AssemblyScript encodes a lone UTF-16 surrogate as its 3-byte form, which the parser then
    // refuses as invalid UTF-8, as RE2 refuses ill-formed pattern bytes.
    return Regex.compileBytes(changetype<usize>(bytes), bytes.byteLength, pattern);
  }

  /** Compiles a pattern given as UTF-8 bytes. */
  static compileUtf8(ptr: usize, len: i32): Regex | null {
    if (len < 0) len = 0;
    return Regex.compileBytes(ptr, len, String.UTF8.decodeUnsafe(ptr, <usize>len));
  }

  private static compileBytes(ptr: usize, len: i32, pattern: string): Regex | null {
    const parser = new Parser(ptr, len);
    const re = parser.parse();
    if (re === null) {
      const e = parser.err;
      lastError = e !== null ? e.message() : ERR_BAD_UTF8;
      return null;
    }
    const prog = compileProg(re);
    if (prog === null) {
      lastError = "pattern too large - compile failed";
      return null;
    }
    reserveScratch(prog.size);
    reserveDfaScratch(prog.size);
    lastError = "";
    const anchor = unchecked(prog.op[prog.start]) == Op.Assert && unchecked(prog.arg[prog.start]) == <i32>Assertion.BeginText;
    return new Regex(prog, anchor, pattern, estimateProgramSize(re), buildPrefilter(re));
  }

  /** RE2::FullMatch: the whole string matches. */
  fullMatch(s: string): bool { return this.run(changetype<usize>(s), s.length, true, true); }

  /** RE2::PartialMatch: some substring matches. */
  partialMatch(s: string): bool { return this.run(changetype<usize>(s), s.length, true, false); }

  /** fullMatch over len bytes of UTF-8 at ptr (invalid bytes match no rune class). */
  fullMatchBytes(ptr: usize, len: i32): bool { return this.run(ptr, len < 0 ? 0 : len, false, true); }

  partialMatchBytes(ptr: usize, len: i32): bool { return this.run(ptr, len < 0 ? 0 : len, false, false); }

  /** Tests and benches: match with the NFA simulation only (the DFA's fallback path). */
  disableDfa(): void { this.useDfa = false; }

  /**
   * RE2's ProgramSize() for this pattern, estimated (README "Program size": how closely it tracks
   * libre2). Envoy refuses a regex whose size exceeds re2.max_program_size.error_level (default 100).
   */
  programSize(): i32 { return this.re2Size; }

  /** Instructions in this engine's own program (the factor in the linear time bound). */
  instructionCount(): i32 { return this.prog.size; }

  /** Envoy's refusal text when programSize() exceeds maxProgramSize, else "" (regex.cc wording). */
  envoyProgramSizeError(maxProgramSize: i32 = ENVOY_MAX_PROGRAM_SIZE): string {
    const size = this.re2Size;
    if (size <= maxProgramSize) return "";
    return "regex '" + this.pattern + "' RE2 program size of " + size.toString() + " > max program size of " +
      maxProgramSize.toString() + " set for the error level threshold. Increase configured max program size if necessary.";
  }
}
