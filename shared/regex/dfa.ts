// Lazily built DFA over the NFA program (RE2's approach, re2/dfa.cc): a DFA state is the set of
// NFA instructions live after consuming the input so far; states and their transitions are made
// on first use and cached, so a warm match is one table lookup per ASCII byte. The cache is
// bounded: when it would exceed MAX_STATES the cache is dropped and that call finishes on the NFA
// simulation, exactly as RE2 falls back when its DFA runs out of memory. Building a state costs
// O(program size), so a match stays linear even when every byte makes a new state.
// Only programs whose assertions are \A and \z (and ^ $ without (?m)) use the DFA: those depend
// on the position alone. \b and (?m) anchors depend on neighbouring runes and use the NFA.
import { Prog, Op } from "./prog";
import { Assertion } from "./ast";
import { runeAt, runeLen } from "./nfa";

/** Most states one DFA keeps (RE2 bounds its DFA by memory; the same idea, counted in states). */
export const MAX_STATES: i32 = 256;

const DEAD: i32 = -2;   // no thread left: no match can follow
const UNKNOWN: i32 = -1;

/** Did the last run give up because the cache filled (the caller then runs the NFA)? */
export let dfaSteps: i64 = 0;
export function resetDfaSteps(): void { dfaSteps = 0; }

// Scratch shared by every DFA (the module is single-threaded and a match never re-enters).
let mark = new StaticArray<i32>(0);
let markGen: i32 = 1;
let stack = new StaticArray<i32>(0);
let buf = new StaticArray<i32>(0);

/** Grows the shared scratch for programs of n instructions (called at compile time). */
export function reserveDfaScratch(n: i32): void {
  if (n + 1 <= buf.length) return;
  mark = new StaticArray<i32>(n + 1);
  stack = new StaticArray<i32>(n + 1);
  buf = new StaticArray<i32>(n + 1);
  markGen = 1;
}

// @ts-ignore: decorator
@inline
function nextGen(): i32 {
  if (markGen >= 0x7ffffff0) {
    for (let i = 0; i < mark.length; i++) unchecked(mark[i] = 0);
    markGen = 1;
  }
  return ++markGen;
}

export class Dfa {
  private prog: Prog;
  private unanchored: bool;
  /** ASCII byte -> equivalence class (bytes no instruction tells apart share a class). */
  private byteClass: StaticArray<u8>;
  private nclass: i32;
  // Per state: kernel (instruction set), consumers of its closure, match flags, ASCII transitions.
  private kernPool: i32[] = [];
  private kernStart: i32[] = [];
  private consPool: i32[] = [];
  private consStart: i32[] = [];
  private matchMid: u8[] = [];
  private matchEnd: u8[] = [];
  private trans: i32[] = [];
  private nstates: i32 = 0;
  private table: StaticArray<i32>;   // open addressing: state id + 1, 0 = empty
  private startState: i32 = UNKNOWN;

  constructor(prog: Prog, unanchored: bool) {
    this.prog = prog;
    this.unanchored = unanchored;
    // Grown with the state count (load at most 1/2), so a regex that needs few states stays small:
    // an RBAC configuration may hold a thousand of them.
    this.table = new StaticArray<i32>(16);
    const classes = new StaticArray<u8>(128);
    this.byteClass = classes;
    this.nclass = computeByteClasses(prog, classes);
    reserveDfaScratch(prog.size);
  }

  private reset(): void {
    this.kernPool.length = 0;
    this.kernStart.length = 0;
    this.consPool.length = 0;
    this.consStart.length = 0;
    this.matchMid.length = 0;
    this.matchEnd.length = 0;
    this.trans.length = 0;
    this.nstates = 0;
    this.startState = UNKNOWN;
    this.table = new StaticArray<i32>(16);
  }

  /**
   * Runs over n units at p. full: the match must end at n; else any match answers true.
   * Returns 1 match, 0 no match, -1 the cache filled (run the NFA instead).
   */
  run(p: usize, n: i32, utf16: bool, full: bool): i32 {
    dfaSteps = 0;
    let s = this.startState;
    if (s == UNKNOWN) {
      s = this.stateFor(buf, 0, true);
      if (s < 0) return this.bail();
      this.startState = s;
    }
    const nclass = this.nclass;
    const partial = !full;
    // The hot loop reads the tables through raw pointers held in locals (no object field loads or
    // GC shadow-stack traffic per byte); they are reloaded after step(), which may grow the tables.
    const classes = changetype<usize>(this.byteClass);
    let trans = this.trans.dataStart;
    let mid = this.matchMid.dataStart;
    let pos = 0;
    let count: i64 = 0;
    while (pos < n) {
      if (partial && load<u8>(mid + <usize>s)) { dfaSteps += count; return 1; }
      let c: i32;
      if (utf16) c = <i32>load<u16>(p + (<usize>pos << 1));
      else c = <i32>load<u8>(p + <usize>pos);
      let next: i32;
      if (c < 0x80) {
        next = load<i32>(trans + ((<usize>(s * nclass) + <usize>load<u8>(classes + <usize>c)) << 2));
        pos++;
        if (next < 0) {
          if (next == DEAD) { dfaSteps += count; return 0; }
          next = this.step(s, c);
          trans = this.trans.dataStart;
          mid = this.matchMid.dataStart;
          if (next < 0) { dfaSteps += count; return next == DEAD ? 0 : this.bail(); }
        }
      } else {
        // Runes beyond ASCII (and invalid bytes, c = -1) are computed each time: no per-rune table.
        c = runeAt(p, pos, n, utf16);
        pos += runeLen;
        next = this.step(s, c);
        trans = this.trans.dataStart;
        mid = this.matchMid.dataStart;
        if (next < 0) { dfaSteps += count; return next == DEAD ? 0 : this.bail(); }
      }
      s = next;
      count++;
    }
    dfaSteps += count;
    return unchecked(this.matchEnd[s]) ? 1 : 0;
  }

  private bail(): i32 {
    this.reset();
    return -1;
  }

  /** Transition of state s on rune c (cached for ASCII): a state id, DEAD, or UNKNOWN if full. */
  private step(s: i32, c: i32): i32 {
    const prog = this.prog;
    const gen = nextGen();
    let k = 0;
    const a = unchecked(this.consStart[s]), b = s + 1 < this.nstates ? unchecked(this.consStart[s + 1]) : this.consPool.length;
    for (let i = a; i < b; i++) {
      const pc = unchecked(this.consPool[i]);
      dfaSteps++;
      if (prog.accepts(pc, c)) {
        const t = unchecked(prog.out[pc]);
        if (unchecked(mark[t]) != gen) { unchecked(mark[t] = gen); unchecked(buf[k++] = t); }
      }
    }
    let next: i32;
    if (k == 0 && !this.unanchored) next = DEAD;
    else {
      sortPrefix(buf, k);
      next = this.stateFor(buf, k, false);
      if (next == UNKNOWN) return UNKNOWN;
    }
    if (c >= 0 && c < 0x80) unchecked(this.trans[s * this.nclass + <i32>unchecked(this.byteClass[c])] = next);
    return next;
  }

  /** The state whose kernel is buf[0..k) (sorted), made if new; UNKNOWN when the cache is full. */
  private stateFor(kernel: StaticArray<i32>, k: i32, atStart: bool): i32 {
    if ((this.nstates + 1) * 2 > this.table.length) this.growTable();
    const h = hashKernel(changetype<usize>(kernel), k, atStart);
    const mask = <u32>this.table.length - 1;
    let slot = h & mask;
    while (true) {
      const id = unchecked(this.table[slot]) - 1;
      if (id < 0) break;
      if (this.sameKernel(id, kernel, k, atStart)) return id;
      slot = (slot + 1) & mask;
    }
    if (this.nstates >= MAX_STATES) return UNKNOWN;
    const id = this.nstates++;
    unchecked(this.table[slot] = id + 1);
    this.kernStart.push(this.kernPool.length);
    this.kernPool.push(atStart ? 1 : 0);
    for (let i = 0; i < k; i++) this.kernPool.push(unchecked(kernel[i]));
    this.consStart.push(this.consPool.length);
    // Closure at a position inside the text (EndText false), then whether \z would add a match.
    const mid = this.closure(kernel, k, atStart, false, true);
    const end = mid || this.closure(kernel, k, atStart, true, false);
    this.matchMid.push(mid ? 1 : 0);
    this.matchEnd.push(end ? 1 : 0);
    for (let i = 0; i < this.nclass; i++) this.trans.push(UNKNOWN);
    return id;
  }

  private growTable(): void {
    const t = new StaticArray<i32>(this.table.length * 2);
    const mask = <u32>t.length - 1;
    for (let id = 0; id < this.nstates; id++) {
      const a = unchecked(this.kernStart[id]);
      const b = id + 1 < this.nstates ? unchecked(this.kernStart[id + 1]) : this.kernPool.length;
      const h = hashKernel(this.kernPool.dataStart + (<usize>(a + 1) << 2), b - a - 1, unchecked(this.kernPool[a]) != 0);
      let slot = h & mask;
      while (unchecked(t[slot]) != 0) slot = (slot + 1) & mask;
      unchecked(t[slot] = id + 1);
    }
    this.table = t;
  }

  private sameKernel(id: i32, buf: StaticArray<i32>, k: i32, atStart: bool): bool {
    const a = unchecked(this.kernStart[id]);
    const b = id + 1 < this.nstates ? unchecked(this.kernStart[id + 1]) : this.kernPool.length;
    if (b - a != k + 1) return false;
    if (unchecked(this.kernPool[a]) != (atStart ? 1 : 0)) return false;
    for (let i = 0; i < k; i++) if (unchecked(this.kernPool[a + 1 + i]) != unchecked(buf[i])) return false;
    return true;
  }

  /**
   * Follows empty transitions from the kernel (plus the start instruction when unanchored or at
   * the start); records the consuming instructions when `record`. Returns whether Match is reached.
   */
  private closure(kernel: StaticArray<i32>, k: i32, atStart: bool, atEnd: bool, record: bool): bool {
    const prog = this.prog;
    const gen = nextGen();
    let sp = 0;
    let matched = false;
    const roots = k + (this.unanchored || atStart ? 1 : 0);
    for (let r = 0; r < roots; r++) {
      const pc0 = r < k ? unchecked(kernel[r]) : prog.start;
      if (unchecked(mark[pc0]) == gen) continue;
      unchecked(mark[pc0] = gen);
      unchecked(stack[sp++] = pc0);
      while (sp > 0) {
        const pc = unchecked(stack[--sp]);
        dfaSteps++;
        const o = unchecked(prog.op[pc]);
        let x = -1, y = -1;
        if (o == Op.Split) { x = unchecked(prog.out[pc]); y = unchecked(prog.arg[pc]); }
        else if (o == Op.Nop) x = unchecked(prog.out[pc]);
        else if (o == Op.Match) matched = true;
        else if (o == Op.Assert) {
          const kind = unchecked(prog.arg[pc]);
          if ((kind == Assertion.BeginText && atStart) || (kind == Assertion.EndText && atEnd)) x = unchecked(prog.out[pc]);
        } else if (o != Op.Fail && record) this.consPool.push(pc);
        if (x >= 0 && unchecked(mark[x]) != gen) { unchecked(mark[x] = gen); unchecked(stack[sp++] = x); }
        if (y >= 0 && unchecked(mark[y]) != gen) { unchecked(mark[y] = gen); unchecked(stack[sp++] = y); }
      }
    }
    return matched;
  }
}

/** Can this program run on the DFA (assertions limited to \A and \z)? */
export function dfaCapable(prog: Prog): bool {
  return (prog.asserts & ~((1 << <i32>Assertion.BeginText) | (1 << <i32>Assertion.EndText))) == 0;
}

/** FNV-1a over the k instruction numbers at p, seeded by the start flag. */
function hashKernel(p: usize, k: i32, atStart: bool): u32 {
  let h: u32 = atStart ? 0x9e3779b9 : 0x811c9dc5;
  for (let i = 0; i < k; i++) h = (h ^ load<u32>(p + (<usize>i << 2))) * 0x01000193;
  return h;
}

function sortPrefix(a: StaticArray<i32>, k: i32): void {
  for (let i = 1; i < k; i++) {
    const v = unchecked(a[i]);
    let j = i - 1;
    while (j >= 0 && unchecked(a[j]) > v) { unchecked(a[j + 1] = unchecked(a[j])); j--; }
    unchecked(a[j + 1] = v);
  }
}

/** Splits ASCII into classes of bytes that every consuming instruction treats alike. */
function computeByteClasses(prog: Prog, out: StaticArray<u8>): i32 {
  // Signature refinement: start with one class, split by each instruction's ASCII membership.
  const cls = new StaticArray<i32>(128);
  let nclass = 1;
  const remap = new StaticArray<i32>(256);
  for (let pc = 0; pc < prog.size; pc++) {
    const o = unchecked(prog.op[pc]);
    if (o != Op.Rune && o != Op.Class && o != Op.AnyNotNL) continue;
    // New class id for (old class, member) pairs.
    for (let i = 0; i < 256; i++) remap[i] = -1;
    let n = 0;
    for (let c = 0; c < 128; c++) {
      const key = cls[c] * 2 + (prog.accepts(pc, c) ? 1 : 0);
      if (key >= 256) { n = -1; break; }
      if (remap[key] < 0) remap[key] = n++;
      cls[c] = remap[key];
    }
    if (n < 0) break;
    nclass = n;
  }
  for (let c = 0; c < 128; c++) out[c] = <u8>cls[c];
  return nclass;
}
