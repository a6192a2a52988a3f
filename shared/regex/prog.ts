// Thompson-NFA program for shared/regex: one instruction per rune test, split, or assertion.
// The matcher (match.ts) simulates every thread of it at once, so matching costs at most
// O(program size) per input rune whatever the pattern and input are (no backtracking).
import { Node, Kind, Assertion } from "./ast";

export const enum Op {
  Match = 0,
  Rune = 1,     // arg: the rune
  Class = 2,    // arg: class index
  Split = 3,    // out and arg: two successors
  Nop = 4,      // out
  Assert = 5,   // arg: Assertion
  Fail = 6,
  AnyNotNL = 7, // any valid rune but \n (the "." of RE2 without (?s))
  Any = 8,      // any valid rune
}

/** Largest program accepted (RE2 similarly stops at its memory budget: "pattern too large"). */
export const MAX_INSTRUCTIONS: i32 = 100000;

export class Prog {
  op: StaticArray<i32>;
  out: StaticArray<i32>;
  arg: StaticArray<i32>;
  /** Class ranges: class k is cranges[cstart[k] .. cstart[k+1]) as [lo, hi] pairs. */
  cranges: StaticArray<i32>;
  cstart: StaticArray<i32>;
  /** ASCII membership of class k: bits cascii[4k .. 4k+3]. */
  cascii: StaticArray<u32>;
  chigh: StaticArray<u8>;
  start: i32;
  /** Which assertions occur (bit 1 << Assertion). */
  asserts: i32;
  size: i32;

  constructor(b: Builder, start: i32) {
    const n = b.op.length;
    this.size = n;
    this.op = StaticArray.fromArray<i32>(b.op);
    this.out = StaticArray.fromArray<i32>(b.out);
    this.arg = StaticArray.fromArray<i32>(b.arg);
    this.cranges = StaticArray.fromArray<i32>(b.cranges);
    b.cstart.push(b.cranges.length);
    this.cstart = StaticArray.fromArray<i32>(b.cstart);
    const nc = b.cstart.length - 1;
    const bits = new StaticArray<u32>(4 * nc + 4);
    for (let k = 0; k < nc; k++) {
      for (let j = b.cstart[k]; j < b.cstart[k + 1]; j += 2) {
        const lo = b.cranges[j], hi = min(b.cranges[j + 1], 127);
        for (let c = lo; c <= hi; c++) bits[4 * k + (c >> 5)] |= <u32>1 << (c & 31);
      }
    }
    this.cascii = bits;
    // Classes holding every rune from U+0080 up also take RE2's lax multi-byte forms (nfa.ts LAX_RUNE).
    const high = new StaticArray<u8>(nc + 1);
    for (let k = 0; k < nc; k++) {
      for (let j = b.cstart[k]; j < b.cstart[k + 1]; j += 2) {
        if (b.cranges[j] <= 0x80 && b.cranges[j + 1] >= 0x10ffff) high[k] = 1;
      }
    }
    this.chigh = high;
    this.start = start;
    this.asserts = b.asserts;
  }

      classHas(k: i32, c: i32): bool {
    if (c < 128) return (unchecked(this.cascii[4 * k + (c >> 5)]) & (<u32>1 << (c & 31))) != 0;
    if (c > 0x10ffff) return unchecked(this.chigh[k]) != 0;
    let lo = unchecked(this.cstart[k]) >> 1, hi = (unchecked(this.cstart[k + 1]) >> 1) - 1;
    while (lo <= hi) {
      const m = (lo + hi) >> 1;
      if (c < unchecked(this.cranges[2 * m])) hi = m - 1;
      else if (c > unchecked(this.cranges[2 * m + 1])) lo = m + 1;
      else return true;
    }
    return false;
  }

  /** Does consuming instruction pc accept rune c (c < 0: an invalid byte, accepted by none)? */
  // @ts-ignore: decorator
  @inline
  accepts(pc: i32, c: i32): bool {
    const o = unchecked(this.op[pc]);
    if (c < 0) return false;
    if (o == Op.Rune) return c == unchecked(this.arg[pc]);
    if (o == Op.Class) return this.classHas(unchecked(this.arg[pc]), c);
    if (o == Op.AnyNotNL) return c != 0x0a;
    return o == Op.Any;
  }
}

export class Builder {
  op: i32[] = [];
  out: i32[] = [];
  arg: i32[] = [];
  cranges: i32[] = [];
  cstart: i32[] = [];
  asserts: i32 = 0;
  tooLarge: bool = false;

  emit(op: i32, out: i32, arg: i32): i32 {
    if (this.op.length >= MAX_INSTRUCTIONS) { this.tooLarge = true; return 0; }
    this.op.push(op);
    this.out.push(out);
    this.arg.push(arg);
    return this.op.length - 1;
  }

  private classIndex(r: i32[]): i32 {
    const k = this.cstart.length;
    this.cstart.push(this.cranges.length);
    for (let i = 0; i < r.length; i++) this.cranges.push(r[i]);
    return k;
  }

  /** Compiles re so that a match of it continues at `next`; returns its entry instruction. */
  compile(re: Node, next: i32): i32 {
    if (this.tooLarge) return 0;
    switch (re.kind) {
      case Kind.Empty: return next;
      case Kind.NoMatch: return this.emit(Op.Fail, 0, 0);
      case Kind.Class: {
        const r = re.ranges!;
        if (r.length == 2 && r[0] == r[1]) return this.emit(Op.Rune, next, r[0]);
        if (r.length == 2 && r[0] == 0 && r[1] == 0x10ffff) return this.emit(Op.Any, next, 0);
        if (r.length == 4 && r[0] == 0 && r[1] == 0x09 && r[2] == 0x0b && r[3] == 0x10ffff) return this.emit(Op.AnyNotNL, next, 0);
        return this.emit(Op.Class, next, this.classIndex(r));
      }
      case Kind.Assert:
        this.asserts |= 1 << <i32>re.assert;
        return this.emit(Op.Assert, next, <i32>re.assert);
      case Kind.Group: return this.compile(re.subs![0], next);
      case Kind.Concat: {
        const subs = re.subs!;
        for (let k = subs.length - 1; k >= 0; k--) next = this.compile(subs[k], next);
        return next;
      }
      case Kind.Alt: {
        const subs = re.subs!;
        let cur = this.compile(subs[subs.length - 1], next);
        for (let k = subs.length - 2; k >= 0; k--) {
          const e = this.compile(subs[k], next);
          cur = this.emit(Op.Split, e, cur);
        }
        return cur;
      }
      case Kind.Repeat: return this.repeat(re.subs![0], re.min, re.max, next);
    }
    return next;
  }

  private star(sub: Node, next: i32): i32 {
    const loop = this.emit(Op.Split, 0, next);
    const body = this.compile(sub, loop);
    if (!this.tooLarge) this.out[loop] = body;
    return loop;
  }

  /** sub{min,max}: min copies, then a star or (max - min) nested optional copies. */
  private repeat(sub: Node, min: i32, max: i32, next: i32): i32 {
    let cur = next;
    if (max == -1) {
      if (min == 0) return this.star(sub, next);
      // x{n,} = x{n-1} x+ ; x+ loops back into its own body.
      const loop = this.emit(Op.Split, 0, next);
      const body = this.compile(sub, loop);
      if (this.tooLarge) return 0;
      this.out[loop] = body;
      cur = body;
      for (let k = 1; k < min && !this.tooLarge; k++) cur = this.compile(sub, cur);
      return cur;
    }
    for (let k = max; k > min && !this.tooLarge; k--) {
      const body = this.compile(sub, cur);
      cur = this.emit(Op.Split, body, next); // (x(x)?)?: skipping one optional copy skips the rest
    }
    for (let k = 0; k < min && !this.tooLarge; k++) cur = this.compile(sub, cur);
    return cur;
  }
}

export function compileProg(re: Node): Prog | null {
  const b = new Builder();
  const m = b.emit(Op.Match, 0, 0);
  const start = b.compile(re, m);
  if (b.tooLarge) return null;
  return new Prog(b, start);
}

export function usesAssertion(p: Prog, a: Assertion): bool { return (p.asserts & (1 << <i32>a)) != 0; }
