// Rune sets for shared/regex: sorted, disjoint [lo, hi] ranges over Unicode code points, plus the
// groups RE2 names (Perl \d \s \w, POSIX [:alpha:], Unicode \p{..}) and RE2's (?i) case folding
// (simple case folding orbits, re2/unicode_casefold.cc). Everything here runs at compile time only.
import { GC_NAMES, SCRIPT_NAMES, GC_RUNS, SCRIPT_RUNS, FOLD, FOLD_EVEN_ODD, FOLD_ODD_EVEN } from "./tables";

export const MAX_RUNE: i32 = 0x10ffff;

/** A set of runes as flat [lo0, hi0, lo1, hi1, ...]; `normalize()` sorts and merges. */
export class RuneSet {
  r: i32[] = [];

  add(lo: i32, hi: i32): void {
    if (lo > hi) return;
    this.r.push(lo);
    this.r.push(hi);
  }

  addSet(o: RuneSet): void {
    for (let i = 0; i < o.r.length; i++) this.r.push(o.r[i]);
  }

  /** Adds [lo, hi] and, when `fold`, every rune fold-equivalent to one in it (RE2 AddFoldedRange). */
  addFolded(lo: i32, hi: i32, fold: bool): void {
    this.add(lo, hi);
    if (!fold) return;
    const n = FOLD.length / 3;
    for (let i = 0; i < n; i++) {
      const flo = unchecked(FOLD[3 * i]), fhi = unchecked(FOLD[3 * i + 1]);
      if (fhi < lo) continue;
      if (flo > hi) break;
      const a = max(lo, flo), b = min(hi, fhi);
      for (let c = a; c <= b; c++) {
        // Walk the orbit; orbits are at most four runes long, the bound only guards bad data.
        let d = foldNext(c);
        for (let k = 0; k < 8 && d != c; k++) {
          if (d < lo || d > hi) this.add(d, d);
          d = foldNext(d);
        }
      }
    }
  }

  normalize(): RuneSet {
    const n = this.r.length >> 1;
    if (n == 0) return this;
    const packed = new Array<i64>(n);
    for (let i = 0; i < n; i++) packed[i] = (<i64>this.r[2 * i] << 32) | <i64>(<u32>this.r[2 * i + 1]);
    packed.sort((a: i64, b: i64): i32 => (a < b ? -1 : a > b ? 1 : 0));
    const out: i32[] = [];
    let clo = <i32>(packed[0] >> 32), chi = <i32>(packed[0] & 0xffffffff);
    for (let i = 1; i < n; i++) {
      const lo = <i32>(packed[i] >> 32), hi = <i32>(packed[i] & 0xffffffff);
      if (lo <= chi + 1) { if (hi > chi) chi = hi; }
      else { out.push(clo); out.push(chi); clo = lo; chi = hi; }
    }
    out.push(clo); out.push(chi);
    this.r = out;
    return this;
  }

  /** Complement within [0, MAX_RUNE]; the set must be normalized. */
  negate(): RuneSet {
    const out: i32[] = [];
    let next = 0;
    for (let i = 0; i < this.r.length; i += 2) {
      if (this.r[i] > next) { out.push(next); out.push(this.r[i] - 1); }
      next = this.r[i + 1] + 1;
    }
    if (next <= MAX_RUNE) { out.push(next); out.push(MAX_RUNE); }
    this.r = out;
    return this;
  }

  isEmpty(): bool { return this.r.length == 0; }
}

/** The next rune in c's simple case folding orbit (c itself when it has none). */
export function foldNext(c: i32): i32 {
  let lo = 0, hi = FOLD.length / 3 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const a = unchecked(FOLD[3 * mid]), b = unchecked(FOLD[3 * mid + 1]);
    if (c < a) hi = mid - 1;
    else if (c > b) lo = mid + 1;
    else {
      const d = unchecked(FOLD[3 * mid + 2]);
      if (d == FOLD_EVEN_ODD) return (c & 1) == 0 ? c + 1 : c - 1;
      if (d == FOLD_ODD_EVEN) return (c & 1) == 1 ? c + 1 : c - 1;
      return c + d;
    }
  }
  return c;
}

// ---- Perl and POSIX groups (ASCII only in RE2: re2/perl_groups.cc) ----

/** Adds the ranges of a Perl class letter (d s w, upper case negated by the caller). */
export function perlGroup(letter: i32, set: RuneSet): bool {
  switch (letter | 0x20) {
    case 0x64: set.add(0x30, 0x39); return true; // \d
    case 0x73: // \s is [\t\n\f\r ] in RE2 (no \v)
      set.add(0x09, 0x0a); set.add(0x0c, 0x0d); set.add(0x20, 0x20); return true;
    case 0x77: set.add(0x30, 0x39); set.add(0x41, 0x5a); set.add(0x5f, 0x5f); set.add(0x61, 0x7a); return true;
  }
  return false;
}

/** POSIX class by name (without [: :] and ^): adds its ranges; false if RE2 does not know it. */
export function posixGroup(name: string, set: RuneSet): bool {
  if (name == "alnum") { set.add(0x30, 0x39); set.add(0x41, 0x5a); set.add(0x61, 0x7a); }
  else if (name == "alpha") { set.add(0x41, 0x5a); set.add(0x61, 0x7a); }
  else if (name == "ascii") set.add(0, 0x7f);
  else if (name == "blank") { set.add(0x09, 0x09); set.add(0x20, 0x20); }
  else if (name == "cntrl") { set.add(0, 0x1f); set.add(0x7f, 0x7f); }
  else if (name == "digit") set.add(0x30, 0x39);
  else if (name == "graph") set.add(0x21, 0x7e);
  else if (name == "lower") set.add(0x61, 0x7a);
  else if (name == "print") set.add(0x20, 0x7e);
  else if (name == "punct") { set.add(0x21, 0x2f); set.add(0x3a, 0x40); set.add(0x5b, 0x60); set.add(0x7b, 0x7e); }
  else if (name == "space") { set.add(0x09, 0x0d); set.add(0x20, 0x20); }
  else if (name == "upper") set.add(0x41, 0x5a);
  else if (name == "word") { set.add(0x30, 0x39); set.add(0x41, 0x5a); set.add(0x5f, 0x5f); set.add(0x61, 0x7a); }
  else if (name == "xdigit") { set.add(0x30, 0x39); set.add(0x41, 0x46); set.add(0x61, 0x66); }
  else return false;
  return true;
}

// ---- Unicode groups (\pL, \p{Greek}) ----

/** Adds every rune whose run id (decoded from `runs`) satisfies `want(id)`. */
function addRuns(runs: StaticArray<u8>, set: RuneSet, first: i32, last: i32): void {
  let i = 0, start = 0;
  let curStart = -1, curWanted = false;
  while (i < runs.length) {
    let d = 0, shift = 0;
    while (true) {
      const b = <i32>unchecked(runs[i++]);
      d |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
    start += d;
    const id = <i32>unchecked(runs[i++]) - 1;
    const wanted = id >= first && id <= last;
    if (curWanted) set.add(curStart, start - 1);
    curWanted = wanted;
    curStart = start;
  }
  if (curWanted) set.add(curStart, MAX_RUNE);
}

/**
 * Adds RE2's Unicode group `name` ("L", "Lu", "Greek", "Any"); false when RE2 has no such group.
 * One-letter categories are the union of their two-letter ones; "C" leaves out Cn as RE2 does.
 */
export function unicodeGroup(name: string, set: RuneSet): bool {
  if (name == "Any") { set.add(0, MAX_RUNE); return true; }
  if (name.length == 1) {
    let lo = -1, hi = -1;
    for (let i = 0; i < GC_NAMES.length; i++) {
      if (GC_NAMES[i].charCodeAt(0) == name.charCodeAt(0)) { if (lo < 0) lo = i; hi = i; }
    }
    if (lo < 0) return false;
    addRuns(GC_RUNS, set, lo, hi); // GC_NAMES is sorted, so a letter's categories are adjacent
    return true;
  }
  for (let i = 0; i < GC_NAMES.length; i++) {
    if (GC_NAMES[i] == name) { addRuns(GC_RUNS, set, i, i); return true; }
  }
  for (let i = 0; i < SCRIPT_NAMES.length; i++) {
    if (SCRIPT_NAMES[i] == name) { addRuns(SCRIPT_RUNS, set, i, i); return true; }
  }
  return false;
}
