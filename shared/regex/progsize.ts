// An estimate of RE2's ProgramSize() (the figure Envoy compares with re2.max_program_size, default
// 100, source/common/common/regex.cc). RE2 compiles to UTF-8 byte-range instructions and then
// flattens its program (re2/compile.cc, re2/prog.cc Flatten); this walks our parse tree with the
// per-construct costs that process ends up with, measured against libre2 (tests/regex/progsize.test.ts
// and shared/regex/README.md "Program size" give the agreement):
//   - 4 for the program frame (fail, match, the unanchored loop), 2 when anchored at the start
//     without a literal prefix; a literal prefix after ^ is not compiled (RE2's RequiredPrefix);
//     a leading ^/\A and a trailing $/\z cost nothing;
//   - one per byte range: ASCII class ranges (upper case skipped when (?i) folds ASCII),
//     UTF-8 sequences for non-ASCII ranges with RE2's suffix sharing, 6 for all of U+0080..U+10FFFF;
//   - + and ? add one, * adds none, alternation adds none (flattening removes Alt), a capturing
//     group adds two, other assertions one; x{n,m} counts its expansion;
//   - alternatives sharing a literal prefix count it once, runs of one-rune alternatives merge into
//     a class (RE2's FactorAlternation).
import { Node, Kind, Assertion } from "./ast";
import { foldNext } from "./charclass";

export function estimateProgramSize(re: Node): i32 {
  let items: Node[] = re.kind == Kind.Concat ? re.subs!.slice(0) : [re];
  let anchored = false;
  while (items.length > 0 && items[0].kind == Kind.Assert && items[0].assert == Assertion.BeginText) { items.shift(); anchored = true; }
  while (items.length > 0 && items[items.length - 1].kind == Kind.Assert && items[items.length - 1].assert == Assertion.EndText) items.pop();
  let base = 4;
  if (anchored) {
    let k = 0;
    while (k < items.length && literalRune(items[k]) >= 0) k++;
    if (k > 0) items = items.slice(k);
    else base = 2;
  }
  let total = base;
  for (let i = 0; i < items.length; i++) total += cost(items[i]);
  return total;
}

/** The rune of a one-rune literal (with or without case folding), else -1. */
function literalRune(n: Node): i32 {
  if (n.kind != Kind.Class) return -1;
  const r = n.ranges!;
  if (r.length == 2 && r[0] == r[1]) return r[0];
  // A (?i) literal is its fold orbit: every range a single rune, each the next one's orbit mate.
  for (let k = 0; k < r.length; k += 2) if (r[k] != r[k + 1]) return -1;
  const first = r[0];
  let c = foldNext(first);
  let count = 1;
  while (c != first && count < 8) {
    let found = false;
    for (let k = 0; k < r.length; k += 2) if (r[k] == c) found = true;
    if (!found) return -1;
    count++;
    c = foldNext(c);
  }
  return count * 2 == r.length ? first : -1;
}

function cost(n: Node): i32 {
  switch (n.kind) {
    case Kind.Empty: return 0;
    case Kind.NoMatch: return 1;
    case Kind.Assert: return 1;
    case Kind.Class: return classCost(n.ranges!);
    case Kind.Group: return cost(n.subs![0]) + (n.capture ? 2 : 0);
    case Kind.Concat: {
      let t = 0;
      const s = n.subs!;
      for (let i = 0; i < s.length; i++) t += cost(s[i]);
      return t;
    }
    case Kind.Alt: return altCost(n.subs!, 0);
    case Kind.Repeat: {
      const sub = cost(n.subs![0]);
      const min = n.min, max = n.max;
      if (max == -1) {
        if (min == 0) return sub;               // x*
        return (min - 1) * sub + sub + 1;       // x{n-1} x+
      }
      if (max == 0) return 0;
      return min * sub + (max - min) * (sub + 1); // x{n} (x(x)?)?
    }
  }
  return 0;
}

/** Leading literal runes of an alternative (through concatenations and non-capturing groups). */
function leadingLiterals(n: Node, out: i32[]): void {
  if (n.kind == Kind.Group && !n.capture) { leadingLiterals(n.subs![0], out); return; }
  if (n.kind == Kind.Concat) {
    const s = n.subs!;
    for (let i = 0; i < s.length; i++) {
      const r = literalRune(s[i]);
      if (r < 0 || s[i].ranges!.length != 2) return;
      out.push(r);
    }
    return;
  }
  const r = literalRune(n);
  if (r >= 0 && n.ranges!.length == 2) out.push(r);
}

function altCost(subs: Node[], depth: i32): i32 {
  let total = 0;
  let i = 0;
  const n = subs.length;
  while (i < n) {
    // A run of one-rune alternatives becomes one class.
    if (subs[i].kind == Kind.Class) {
      let j = i;
      const merged: i32[] = [];
      while (j < n && subs[j].kind == Kind.Class) {
        const r = subs[j].ranges!;
        for (let k = 0; k < r.length; k++) merged.push(r[k]);
        j++;
      }
      if (j - i > 1) {
        total += classCost(normalizeRanges(merged));
        i = j;
        continue;
      }
    }
    // A run of alternatives sharing a literal prefix counts the prefix once.
    const p: i32[] = [];
    leadingLiterals(subs[i], p);
    let j = i + 1;
    let common = p.length;
    while (j < n && common > 0) {
      const q: i32[] = [];
      leadingLiterals(subs[j], q);
      let l = 0;
      while (l < common && l < q.length && q[l] == p[l]) l++;
      if (l == 0) break;
      common = l;
      j++;
    }
    // (Factoring depth is bounded so a pattern like a|aa|aaa|... cannot exhaust the stack.)
    if (j - i > 1 && common > 0 && depth < 64) {
      let prefix = 0;
      for (let k = 0; k < common; k++) prefix += runeCost(p[k]);
      const rest: Node[] = [];
      for (let k = i; k < j; k++) rest.push(dropLeading(subs[k], common));
      total += prefix + altCost(rest, depth + 1);
      i = j;
      continue;
    }
    total += cost(subs[i]);
    i++;
  }
  return total;
}

function runeCost(r: i32): i32 {
  return r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;
}

function normalizeRanges(r: i32[]): i32[] {
  // small insertion sort by lo, then merge
  const n = r.length >> 1;
  for (let i = 1; i < n; i++) {
    const lo = r[2 * i], hi = r[2 * i + 1];
    let j = i - 1;
    while (j >= 0 && r[2 * j] > lo) { r[2 * j + 2] = r[2 * j]; r[2 * j + 3] = r[2 * j + 1]; j--; }
    r[2 * j + 2] = lo; r[2 * j + 3] = hi;
  }
  const out: i32[] = [];
  for (let i = 0; i < n; i++) {
    const lo = r[2 * i], hi = r[2 * i + 1];
    if (out.length > 0 && lo <= out[out.length - 1] + 1) { if (hi > out[out.length - 1]) out[out.length - 1] = hi; }
    else { out.push(lo); out.push(hi); }
  }
  return out;
}

function contains(r: i32[], c: i32): bool {
  for (let k = 0; k < r.length; k += 2) if (c >= r[k] && c <= r[k + 1]) return true;
  return false;
}

/** Byte-range instructions RE2 makes for a class (re2/compile.cc AddRuneRangeUTF8). */
function classCost(r: i32[]): i32 {
  let foldsAscii = true;
  let anyLetter = false;
  for (let c = 0x61; c <= 0x7a; c++) {
    const lower = contains(r, c), upper = contains(r, c - 32);
    if (lower != upper) foldsAscii = false;
    if (lower) anyLetter = true;
  }
  foldsAscii = foldsAscii && anyLetter;
  const cache = new Map<string, i32>();
  const counter = new StaticArray<i32>(1);
  for (let k = 0; k < r.length; k += 2) {
    let lo = r[k], hi = r[k + 1];
    addRange(lo, hi, foldsAscii, cache, counter);
  }
  return counter[0];
}

function maxRune(bytes: i32): i32 { return bytes == 1 ? 0x7f : bytes == 2 ? 0x7ff : bytes == 3 ? 0xffff : 0x10ffff; }

function addRange(lo: i32, hi: i32, foldsAscii: bool, cache: Map<string, i32>, counter: StaticArray<i32>): void {
  if (lo > hi) return;
  if (lo <= 0x80 && hi >= 0x10ffff && lo == 0x80) { counter[0] += 6; return; }
  for (let i = 1; i < 4; i++) {
    const m = maxRune(i);
    if (lo <= m && m < hi) {
      addRange(lo, m, foldsAscii, cache, counter);
      addRange(m + 1, hi, foldsAscii, cache, counter);
      return;
    }
  }
  if (hi < 0x80) {
    // With ASCII folding RE2 drops ranges wholly inside A-Z (the a-z ones carry a fold flag).
    if (foldsAscii && lo >= 0x41 && hi <= 0x5a) return;
    counter[0]++;
    return;
  }
  for (let i = 1; i < 4; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) { addRange(lo, lo | m, foldsAscii, cache, counter); addRange((lo | m) + 1, hi, foldsAscii, cache, counter); return; }
      if ((hi & m) != m) { addRange(lo, (hi & ~m) - 1, foldsAscii, cache, counter); addRange(hi & ~m, hi, foldsAscii, cache, counter); return; }
    }
  }
  // One UTF-8 sequence range: the last byte and inner byte ranges are shared (cached) across
  // sequences with the same continuation, the leading byte never is.
  const n = lo < 0x800 ? 2 : lo < 0x10000 ? 3 : 4;
  let next = 0;
  for (let i = n - 1; i >= 0; i--) {
    const blo = utf8Byte(lo, n, i), bhi = utf8Byte(hi, n, i);
    if (i == 0) {
      // Sequences with the same leading byte share it (RE2 merges them in a trie, AddSuffixRecursive).
      const key = "L" + blo.toString() + "," + bhi.toString();
      if (cache.has(key)) continue;
      counter[0]++;
      cache.set(key, counter[0]);
    } else if (i == n - 1 || (blo < bhi && i != 0)) {
      const key = blo.toString() + "," + bhi.toString() + "," + next.toString();
      if (cache.has(key)) { next = cache.get(key); continue; }
      counter[0]++;
      next = counter[0];
      cache.set(key, next);
    } else {
      counter[0]++;
      next = counter[0];
    }
  }
}

function utf8Byte(r: i32, n: i32, i: i32): i32 {
  if (i == 0) {
    if (n == 2) return 0xc0 | (r >> 6);
    if (n == 3) return 0xe0 | (r >> 12);
    return 0xf0 | (r >> 18);
  }
  return 0x80 | ((r >> (6 * (n - 1 - i))) & 0x3f);
}

/** n without its first k literal runes (n begins with at least k of them). */
function dropLeading(n: Node, k: i32): Node {
  if (n.kind == Kind.Group && !n.capture) return dropLeading(n.subs![0], k);
  if (n.kind == Kind.Concat) {
    const rest = n.subs!.slice(k);
    if (rest.length == 0) return new Node(Kind.Empty);
    if (rest.length == 1) return rest[0];
    return Node.list(Kind.Concat, rest);
  }
  return new Node(Kind.Empty);
}
