// shared/regex: a linear-time engine for RE2 syntax, for Envoy's `safe_regex` (google_re2) matchers.
// Compile once at configure time; match many times with no allocation. See README.md.
import { Parser, ParseError, ERR_BAD_UTF8 } from "./parse";
import { Prog, compileProg, Op } from "./prog";
import { Assertion } from "./ast";
import { nfaMatch, reserveScratch, resetSteps, steps } from "./nfa";

let lastError: string = "";

/** Why the last Regex.compile returned null ("" after a successful compile). */
export function regexError(): string { return lastError; }

/** Work units (instruction visits and rune tests) of the last match call; linear in input size. */
export function lastMatchSteps(): i64 { return steps; }

/** Envoy's default `re2.max_program_size.error_level` (source/common/common/regex.cc). */
export const ENVOY_MAX_PROGRAM_SIZE: i32 = 100;

export class Regex {
  private constructor(private prog: Prog, private anchorStart: bool, readonly pattern: string) {}

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
    lastError = "";
    const anchor = unchecked(prog.op[prog.start]) == Op.Assert && unchecked(prog.arg[prog.start]) == <i32>Assertion.BeginText;
    return new Regex(prog, anchor, pattern);
  }

  /** RE2::FullMatch: the whole string matches. */
  fullMatch(s: string): bool {
    resetSteps();
    return nfaMatch(this.prog, changetype<usize>(s), s.length, true, true, true);
  }

  /** RE2::PartialMatch: some substring matches. */
  partialMatch(s: string): bool {
    resetSteps();
    return nfaMatch(this.prog, changetype<usize>(s), s.length, true, this.anchorStart, false);
  }

  /** fullMatch over len bytes of UTF-8 at ptr (invalid bytes match no rune class). */
  fullMatchBytes(ptr: usize, len: i32): bool {
    resetSteps();
    if (len < 0) len = 0;
    return nfaMatch(this.prog, ptr, len, false, true, true);
  }

  partialMatchBytes(ptr: usize, len: i32): bool {
    resetSteps();
    if (len < 0) len = 0;
    return nfaMatch(this.prog, ptr, len, false, this.anchorStart, false);
  }

  /** Instructions in the compiled program (see README "Program size" for how it relates to RE2's). */
  programSize(): i32 { return this.prog.size; }
}
