// Thompson NFA simulation ("Pike VM" without submatches): all threads advance together one rune
// at a time, each instruction at most once per position, so a match costs O(|prog| x |input|)
// steps whatever the pattern and input (no backtracking). Empty-width assertions are evaluated
// when a position's closure is taken, with the runes on both sides known.
// Working memory is one module-wide scratch area grown to the largest program seen, so steady-state
// matching allocates nothing (the Wasm module is single-threaded and matching never re-enters).
import { Prog, Op } from "./prog";
import { Assertion } from "./ast";
import { decodeRune, decodedLen } from "./parse";

export class SparseSet {
  dense: StaticArray<i32>;
  sparse: StaticArray<i32>;
  size: i32 = 0;
  constructor(n: i32) {
    this.dense = new StaticArray<i32>(n);
    this.sparse = new StaticArray<i32>(n);
  }
  // @ts-ignore: decorator
  @inline
  has(x: i32): bool {
    const s = unchecked(this.sparse[x]);
    return <u32>s < <u32>this.size && unchecked(this.dense[s]) == x;
  }
  // @ts-ignore: decorator
  @inline
  add(x: i32): void {
    unchecked(this.sparse[x] = this.size);
    unchecked(this.dense[this.size] = x);
    this.size++;
  }
}

let capacity = 0;
let setA: SparseSet = new SparseSet(0);
let setB: SparseSet = new SparseSet(0);
let closure: SparseSet = new SparseSet(0);
let stack: StaticArray<i32> = new StaticArray<i32>(0);

/** Grows the scratch area for a program of n instructions (called at compile time). */
export function reserveScratch(n: i32): void {
  if (n <= capacity) return;
  capacity = n;
  setA = new SparseSet(n);
  setB = new SparseSet(n);
  closure = new SparseSet(n);
  stack = new StaticArray<i32>(n);
}

/** Work units of the last match call: closure visits plus rune tests. */
export let steps: i64 = 0;
export function resetSteps(): void { steps = 0; }
export function addSteps(n: i64): void { steps += n; }

// @ts-ignore: decorator
@inline
export function isWordRune(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f;
}

/**
 * RE2 compiles a class holding all of U+0080..U+10FFFF (".", [^a], \S) to a lax byte pattern that
 * also takes overlong E0/F0 forms and F4 sequences above U+10FFFF (re2/compile.cc Add_80_10ffff).
 * Such a sequence decodes to LAX_RUNE, which only those classes accept; other bytes that are not
 * a rune decode to -1 (one byte long), which nothing accepts.
 */
export const LAX_RUNE: i32 = 0x110000;
function laxRune(p: usize, n: i32): i32 {
  const b0 = <i32>load<u8>(p);
  let len = 0;
  if (b0 >= 0xe0 && b0 <= 0xef) len = 3;
  else if (b0 >= 0xf0 && b0 <= 0xf4) len = 4;
  if (len == 0 || n < len) { runeLen = 1; return -1; }
  for (let k = 1; k < len; k++) {
    if ((<i32>load<u8>(p + <usize>k) & 0xc0) != 0x80) { runeLen = 1; return -1; }
  }
  runeLen = len;
  return LAX_RUNE;
}

/** Decodes the rune at unit offset i of a UTF-8 (utf16 false) or UTF-16 input; length in `runeLen`. */
export let runeLen: i32 = 0;
export function runeAt(p: usize, i: i32, n: i32, utf16: bool): i32 {
  if (!utf16) {
    const b = <i32>load<u8>(p + <usize>i);
    if (b < 0x80) { runeLen = 1; return b; }
    const r = decodeRune(p + <usize>i, n - i);
    runeLen = decodedLen;
    if (r < 0) return laxRune(p + <usize>i, n - i);
    return r;
  }
  const u = <i32>load<u16>(p + (<usize>i << 1));
  runeLen = 1;
  if (u < 0xd800 || u > 0xdfff) return u;
  // A lone surrogate is the code point itself, as RE2 sees it in the WTF-8 bytes the string encodes to.
  if (u >= 0xdc00 || i + 1 >= n) return u;
  const v = <i32>load<u16>(p + (<usize>(i + 1) << 1));
  if (v < 0xdc00 || v > 0xdfff) return u;
  runeLen = 2;
  return 0x10000 + ((u - 0xd800) << 10) + (v - 0xdc00);
}

/**
 * Adds the closure of pc at position pos (between runes prev and next; -1 = none / invalid) to
 * `closure`; returns true if it reaches Match.
 */
function addClosure(prog: Prog, pc0: i32, pos: i32, n: i32, prev: i32, next: i32): bool {
  const set = closure;
  if (set.has(pc0)) return false;
  let matched = false;
  let sp = 0;
  set.add(pc0);
  unchecked(stack[sp++] = pc0);
  let work: i64 = 0;
  while (sp > 0) {
    const pc = unchecked(stack[--sp]);
    work++;
    const o = unchecked(prog.op[pc]);
    let a = -1, b = -1;
    if (o == Op.Split) { a = unchecked(prog.out[pc]); b = unchecked(prog.arg[pc]); }
    else if (o == Op.Nop) a = unchecked(prog.out[pc]);
    else if (o == Op.Match) matched = true;
    else if (o == Op.Assert) {
      if (assertionHolds(unchecked(prog.arg[pc]), pos, n, prev, next)) a = unchecked(prog.out[pc]);
    }
    if (a >= 0 && !set.has(a)) { set.add(a); unchecked(stack[sp++] = a); }
    if (b >= 0 && !set.has(b)) { set.add(b); unchecked(stack[sp++] = b); }
  }
  steps += work;
  return matched;
}

export function assertionHolds(kind: i32, pos: i32, n: i32, prev: i32, next: i32): bool {
  switch (kind) {
    case Assertion.BeginText: return pos == 0;
    case Assertion.EndText: return pos == n;
    case Assertion.BeginLine: return pos == 0 || prev == 0x0a;
    case Assertion.EndLine: return pos == n || next == 0x0a;
    case Assertion.WordBoundary: return isWordRune(prev) != isWordRune(next);
    case Assertion.NoWordBoundary: return isWordRune(prev) == isWordRune(next);
  }
  return false;
}

/**
 * Runs prog over n units at p. `anchored`: threads start only at position 0. `full`: a match must
 * end at n (RE2::FullMatch); otherwise any match anywhere answers true (RE2::PartialMatch).
 * `from` lets a caller start later (after a prefilter), with `prevRune` the rune before it.
 */
export function nfaMatch(prog: Prog, p: usize, n: i32, utf16: bool, anchored: bool, full: bool): bool {
  let cur = setA, nxt = setB;
  cur.size = 0;
  let prev = -1;
  let pos = 0;
  while (true) {
    let r = -1, len = 0;
    if (pos < n) { r = runeAt(p, pos, n, utf16); len = runeLen; }
    const nextRune = pos < n ? r : -1;
    closure.size = 0;
    let matched = false;
    for (let k = 0; k < cur.size; k++) {
      if (addClosure(prog, unchecked(cur.dense[k]), pos, n, prev, nextRune)) matched = true;
    }
    if (pos == 0 || !anchored) {
      if (addClosure(prog, prog.start, pos, n, prev, nextRune)) matched = true;
    }
    if (matched && (!full || pos == n)) return true;
    if (pos >= n) return false;
    nxt.size = 0;
    const cs = closure.size;
    steps += cs;
    for (let k = 0; k < cs; k++) {
      const pc = unchecked(closure.dense[k]);
      const o = unchecked(prog.op[pc]);
      if (o == Op.Rune || o == Op.Class || o == Op.Any || o == Op.AnyNotNL) {
        if (prog.accepts(pc, r)) {
          const t = unchecked(prog.out[pc]);
          if (!nxt.has(t)) nxt.add(t);
        }
      }
    }
    if (nxt.size == 0 && anchored) return false;
    const t = cur; cur = nxt; nxt = t;
    prev = r;
    pos += len;
  }
  return false;
}

/**
 * RE2 runs on bytes, so a search also tries the positions inside a multi-byte character, where
 * both neighbours are non-word bytes and no anchor holds. Only an empty match can happen there
 * (no rune starts with a continuation byte), so it depends on the program alone: does its start
 * reach Match with that context (e.g. "\B")? Asked once at compile time.
 */
export function matchesEmptyInsideRune(prog: Prog): bool {
  closure.size = 0;
  return addClosure(prog, prog.start, 1, 2, -1, -1);
}

/** Does the input hold a character of two or more UTF-8 bytes (positions inside it)? */
export function hasMultiByteRune(p: usize, n: i32, utf16: bool): bool {
  let i = 0;
  while (i < n) {
    if (utf16) { if (<i32>load<u16>(p + (<usize>i << 1)) >= 0x80) return true; i++; continue; }
    if (<i32>load<u8>(p + <usize>i) < 0x80) { i++; continue; }
    runeAt(p, i, n, false);
    if (runeLen >= 2) return true;
    i += runeLen;
  }
  return false;
}
