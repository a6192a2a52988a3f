// Literal fast paths, decided at compile time from the parse tree:
//   - a pattern that is only literal text: full match is an equality test, partial a substring search;
//   - otherwise the longest literal every match must contain (e.g. "/ns/foo/" in Istio's
//     ".*/ns/foo/.*"): an input without it is refused by a substring search before any automaton
//     runs (RBAC checks many principals that do not match), and a leading literal after ^ (or for a
//     full match) must start the input.
// Only case-sensitive literals count ((?i) text is a class). The searches are O(|literal| x |input|),
// inside the engine's bound.
import { Node, Kind, Assertion } from "./ast";

export class Literal {
  utf8: StaticArray<u8>;
  utf16: StaticArray<u16>;
  constructor(runes: i32[]) {
    let nb = 0, nu = 0;
    for (let i = 0; i < runes.length; i++) {
      const r = runes[i];
      nb += r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4;
      nu += r >= 0x10000 ? 2 : 1;
    }
    this.utf8 = new StaticArray<u8>(nb);
    this.utf16 = new StaticArray<u16>(nu);
    let b = 0, u = 0;
    for (let i = 0; i < runes.length; i++) {
      const r = runes[i];
      if (r < 0x80) this.utf8[b++] = <u8>r;
      else if (r < 0x800) { this.utf8[b++] = <u8>(0xc0 | (r >> 6)); this.utf8[b++] = <u8>(0x80 | (r & 0x3f)); }
      else if (r < 0x10000) {
        this.utf8[b++] = <u8>(0xe0 | (r >> 12)); this.utf8[b++] = <u8>(0x80 | ((r >> 6) & 0x3f)); this.utf8[b++] = <u8>(0x80 | (r & 0x3f));
      } else {
        this.utf8[b++] = <u8>(0xf0 | (r >> 18)); this.utf8[b++] = <u8>(0x80 | ((r >> 12) & 0x3f));
        this.utf8[b++] = <u8>(0x80 | ((r >> 6) & 0x3f)); this.utf8[b++] = <u8>(0x80 | (r & 0x3f));
      }
      if (r >= 0x10000) { this.utf16[u++] = <u16>(0xd800 + ((r - 0x10000) >> 10)); this.utf16[u++] = <u16>(0xdc00 + ((r - 0x10000) & 0x3ff)); }
      else this.utf16[u++] = <u16>r;
    }
  }

  /** Length in input units (bytes or UTF-16 code units). */
  // @ts-ignore: decorator
  @inline
  units(utf16: bool): i32 { return utf16 ? this.utf16.length : this.utf8.length; }

  /** Does the input hold this literal at unit offset i? */
  at(p: usize, n: i32, i: i32, utf16: bool): bool {
    const m = this.units(utf16);
    if (i < 0 || i + m > n) return false;
    if (utf16) return memory.compare(p + (<usize>i << 1), changetype<usize>(this.utf16), <usize>m << 1) == 0;
    return memory.compare(p + <usize>i, changetype<usize>(this.utf8), <usize>m) == 0;
  }

  /** Does the input contain this literal anywhere? */
  within(p: usize, n: i32, utf16: bool): bool {
    const m = this.units(utf16);
    if (m == 0) return true;
    const last = n - m;
    if (utf16) {
      const first = <u32>unchecked(this.utf16[0]);
      for (let i = 0; i <= last; i++) {
        if (<u32>load<u16>(p + (<usize>i << 1)) == first && this.at(p, n, i, true)) return true;
      }
      return false;
    }
    const first = <u32>unchecked(this.utf8[0]);
    for (let i = 0; i <= last; i++) {
      if (<u32>load<u8>(p + <usize>i) == first && this.at(p, n, i, false)) return true;
    }
    return false;
  }
}

/** The rune of a case-sensitive one-rune literal, else -1. */
function plainRune(n: Node): i32 {
  if (n.kind != Kind.Class) return -1;
  const r = n.ranges!;
  return r.length == 2 && r[0] == r[1] ? r[0] : -1;
}

/** Flattens concatenations and groups into the sequence of items a match passes through in order. */
function sequence(n: Node, out: Node[]): void {
  if (n.kind == Kind.Group) { sequence(n.subs![0], out); return; }
  if (n.kind == Kind.Concat) {
    const s = n.subs!;
    for (let i = 0; i < s.length; i++) sequence(s[i], out);
    return;
  }
  out.push(n);
}

export class Prefilter {
  /** Set when the whole pattern is this literal text (plus any \A / \z at its ends). */
  exact: Literal | null = null;
  exactAnchoredStart: bool = false;
  exactAnchoredEnd: bool = false;
  /** Literal every match contains. */
  required: Literal | null = null;
  /** Literal every match starts with when the match is anchored at the start. */
  prefix: Literal | null = null;
}

export function buildPrefilter(re: Node): Prefilter {
  const f = new Prefilter();
  const items: Node[] = [];
  sequence(re, items);
  let a = 0, b = items.length;
  let anchoredStart = false, anchoredEnd = false;
  while (a < b && items[a].kind == Kind.Assert && items[a].assert == Assertion.BeginText) { a++; anchoredStart = true; }
  while (b > a && items[b - 1].kind == Kind.Assert && items[b - 1].assert == Assertion.EndText) { b--; anchoredEnd = true; }
  let allLiteral = true;
  for (let i = a; i < b; i++) if (plainRune(items[i]) < 0) { allLiteral = false; break; }
  if (allLiteral && b > a) {
    const runes: i32[] = [];
    for (let i = a; i < b; i++) runes.push(plainRune(items[i]));
    f.exact = new Literal(runes);
    f.exactAnchoredStart = anchoredStart;
    f.exactAnchoredEnd = anchoredEnd;
    return f;
  }
  // Longest run of literals; the first run if it starts the pattern is also the prefix.
  let best: i32[] = [];
  let cur: i32[] = [];
  let leading: i32[] | null = null;
  for (let i = a; i <= b; i++) {
    const r = i < b ? plainRune(items[i]) : -1;
    if (r >= 0) { cur.push(r); continue; }
    if (leading === null) leading = cur.slice(0);
    if (cur.length > best.length) best = cur;
    cur = [];
  }
  if (best.length >= 2) f.required = new Literal(best);
  if (leading !== null && leading.length >= 1) f.prefix = new Literal(leading);
  return f;
}
