// Lazily built DFA over the NFA program (RE2's approach, re2/dfa.cc): a DFA state is the set of
// NFA instructions live after consuming the input so far; states and their transitions are made
// on first use and cached, so a warm match is one table lookup per ASCII byte. The cache is
// bounded: when it would exceed MAX_STATES the cache is dropped and that call finishes on the NFA
// simulation, exactly as RE2 falls back when its DFA runs out of memory. Building a state costs
// O(program size), so a match stays linear even when every byte makes a new state.
// Empty-width assertions are decided when a transition is built, as RE2's DFA does: a state also
// records whether it is at the start of the text, and (only when the program uses \b, \B or (?m)
// anchors) whether the previous rune was a word character or \n; the rune being consumed is the
// one after the position. Each transition also records whether a match ended just before its rune
// (what a partial match needs); the end of the text is a closure of its own, cached per state.
import { Prog, Op } from "./prog";
import { Assertion } from "./ast";
import { runeAt, runeLen, isWordRune } from "./nfa";

/** Most states one DFA keeps (RE2 bounds its DFA by memory; the same idea, counted in states). */
export const MAX_STATES: i32 = 256;

const UNKNOWN: i32 = -1;
// A transition is the target's row offset in bytes | matched (a match ended before the rune);
// DEAD / DEAD_MATCHED when no thread is left.
const DEAD: i32 = -2, DEAD_MATCHED: i32 = -4;
const F_START: i32 = 1, F_WORD: i32 = 2, F_NL: i32 = 4;

/** Did the last run give up because the cache filled (the caller then runs the NFA)? */
export let dfaSteps: i64 = 0;
export function resetDfaSteps(): void { dfaSteps = 0; }

// Scratch shared by every DFA (the module is single-threaded and a match never re-enters).
let mark = new StaticArray<i32>(0);
let markGen: i32 = 1;
let stack = new StaticArray<i32>(0);
let buf = new StaticArray<i32>(0);
let tbuf = new StaticArray<i32>(0);

/** Grows the shared scratch for programs of n instructions (called at compile time). */
export function reserveDfaScratch(n: i32): void {
  if (n + 1 <= buf.length) return;
  mark = new StaticArray<i32>(n + 1);
  stack = new StaticArray<i32>(n + 1);
  buf = new StaticArray<i32>(n + 1);
  tbuf = new StaticArray<i32>(n + 1);
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
  private needWord: bool;
  private needNL: bool;
  /** ASCII byte -> equivalence class (bytes no instruction or assertion tells apart share a class). */
  private byteClass: StaticArray<u8>;
  private nclass: i32;
  // Per state: flags then kernel (the instruction set) in kernPool; the end-of-text answer
  // (-1 unknown); ASCII transitions by class.
  private kernPool: i32[] = [];
  private kernStart: i32[] = [];
  private matchEnd: i8[] = [];
  private trans: i32[] = [];
  private nstates: i32 = 0;
  private table: StaticArray<i32>;   // open addressing: state id + 1, 0 = empty
  private startState: i32 = UNKNOWN;

  constructor(prog: Prog, unanchored: bool) {
    this.prog = prog;
    this.unanchored = unanchored;
    const a = prog.asserts;
    this.needWord = (a & ((1 << <i32>Assertion.WordBoundary) | (1 << <i32>Assertion.NoWordBoundary))) != 0;
    this.needNL = (a & ((1 << <i32>Assertion.BeginLine) | (1 << <i32>Assertion.EndLine))) != 0;
    // Grown with the state count (load at most 1/2), so a regex that needs few states stays small:
    // an RBAC configuration may hold a thousand of them.
    this.table = new StaticArray<i32>(16);
    const classes = new StaticArray<u8>(128);
    this.byteClass = classes;
    this.nclass = computeByteClasses(prog, classes, this.needWord, this.needNL);
    reserveDfaScratch(prog.size);
  }

  private reset(): void {
    this.kernPool.length = 0;
    this.kernStart.length = 0;
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
      s = this.stateFor(buf, 0, F_START);
      if (s < 0) return this.bail();
      this.startState = s;
    }
    const rowBytes = this.nclass << 2;
    const partial = !full;
    // The hot loop reads the tables through raw pointers held in locals (no object field loads or
    // GC shadow-stack traffic per byte); they are reloaded after step(), which may grow the tables.
    // A cached transition is the byte offset of the target's row, plus 1 if a match ended before
    // the rune (DEAD / DEAD_MATCHED when no thread is left).
    const classes = changetype<usize>(this.byteClass);
    let trans = this.trans.dataStart;
    let row = s * rowBytes;
    let pos = 0;
    let count: i64 = 0;
    while (pos < n) {
      let c: i32;
      if (utf16) c = <i32>load<u16>(p + (<usize>pos << 1));
      else c = <i32>load<u8>(p + <usize>pos);
      let v: i32;
      if (c < 0x80) {
        v = load<i32>(trans + <usize>row + (<usize>load<u8>(classes + <usize>c) << 2));
        pos++;
        if (v == UNKNOWN) {
          v = this.step(row / rowBytes, c);
          trans = this.trans.dataStart;
          if (v == UNKNOWN) { dfaSteps += count; return this.bail(); }
        }
      } else {
        // Runes beyond ASCII (and invalid bytes, c = -1) are computed each time: no per-rune table.
        c = runeAt(p, pos, n, utf16);
        pos += runeLen;
        v = this.step(row / rowBytes, c);
        trans = this.trans.dataStart;
        if (v == UNKNOWN) { dfaSteps += count; return this.bail(); }
      }
      count++;
      if (v < 0) { dfaSteps += count; return partial && v == DEAD_MATCHED ? 1 : 0; }
      if (partial && (v & 1)) { dfaSteps += count; return 1; }
      row = v & ~3;
    }
    dfaSteps += count;
    return this.matchAtEnd(row / rowBytes) ? 1 : 0;
  }

  private bail(): i32 {
    this.reset();
    return -1;
  }

  /** Does a match end at the end of the text from state s? (cached per state) */
  private matchAtEnd(s: i32): bool {
    const known = unchecked(this.matchEnd[s]);
    if (known >= 0) return known == 1;
    const m = this.closure(s, -1, true) < 0;
    unchecked(this.matchEnd[s] = m ? 1 : 0);
    return m;
  }

  /** The transition of state s on rune c (cached for ASCII), or UNKNOWN when the cache is full. */
  private step(s: i32, c: i32): i32 {
    const prog = this.prog;
    // Closure at the position before c; consumers go to buf[0..nc).
    const nc = this.closure(s, c, false);
    const matched = nc < 0 ? 1 : 0;
    const ncons = nc < 0 ? -nc - 1 : nc;
    const gen = nextGen();
    let k = 0;
    // buf holds the consumers; the targets go after them (the program bounds both together).
    for (let i = 0; i < ncons; i++) {
      const pc = unchecked(buf[i]);
      dfaSteps++;
      if (prog.accepts(pc, c)) {
        const t = unchecked(prog.out[pc]);
        if (unchecked(mark[t]) != gen) { unchecked(mark[t] = gen); unchecked(tbuf[k++] = t); }
      }
    }
    let target: i32;
    if (k == 0 && !this.unanchored) target = -1;
    else {
      sortPrefix(tbuf, k);
      let flags = 0;
      if (this.needWord && isWordRune(c)) flags |= F_WORD;
      if (this.needNL && c == 0x0a) flags |= F_NL;
      target = this.stateFor(tbuf, k, flags);
      if (target == UNKNOWN) return UNKNOWN;
    }
    const v = target < 0 ? (matched ? DEAD_MATCHED : DEAD) : ((target * this.nclass) << 2) | matched;
    if (c >= 0 && c < 0x80) unchecked(this.trans[s * this.nclass + <i32>unchecked(this.byteClass[c])] = v);
    return v;
  }

  /** The state with this kernel and flags, made if new; UNKNOWN when the cache is full. */
  private stateFor(kernel: StaticArray<i32>, k: i32, flags: i32): i32 {
    if ((this.nstates + 1) * 2 > this.table.length) this.growTable();
    const h = hashKernel(changetype<usize>(kernel), k, flags);
    const mask = <u32>this.table.length - 1;
    let slot = h & mask;
    while (true) {
      const id = unchecked(this.table[slot]) - 1;
      if (id < 0) break;
      if (this.sameKernel(id, kernel, k, flags)) return id;
      slot = (slot + 1) & mask;
    }
    if (this.nstates >= MAX_STATES) return UNKNOWN;
    const id = this.nstates++;
    unchecked(this.table[slot] = id + 1);
    this.kernStart.push(this.kernPool.length);
    this.kernPool.push(flags);
    for (let i = 0; i < k; i++) this.kernPool.push(unchecked(kernel[i]));
    this.matchEnd.push(-1);
    for (let i = 0; i < this.nclass; i++) this.trans.push(UNKNOWN);
    return id;
  }

  private growTable(): void {
    const t = new StaticArray<i32>(this.table.length * 2);
    const mask = <u32>t.length - 1;
    for (let id = 0; id < this.nstates; id++) {
      const a = unchecked(this.kernStart[id]);
      const b = id + 1 < this.nstates ? unchecked(this.kernStart[id + 1]) : this.kernPool.length;
      const h = hashKernel(this.kernPool.dataStart + (<usize>(a + 1) << 2), b - a - 1, unchecked(this.kernPool[a]));
      let slot = h & mask;
      while (unchecked(t[slot]) != 0) slot = (slot + 1) & mask;
      unchecked(t[slot] = id + 1);
    }
    this.table = t;
  }

  private sameKernel(id: i32, kernel: StaticArray<i32>, k: i32, flags: i32): bool {
    const a = unchecked(this.kernStart[id]);
    const b = id + 1 < this.nstates ? unchecked(this.kernStart[id + 1]) : this.kernPool.length;
    if (b - a != k + 1) return false;
    if (unchecked(this.kernPool[a]) != flags) return false;
    for (let i = 0; i < k; i++) if (unchecked(this.kernPool[a + 1 + i]) != unchecked(kernel[i])) return false;
    return true;
  }

  /**
   * Follows empty transitions from state s's kernel (plus the start instruction when unanchored or
   * at the start) at the position before rune `next` (-1 at the end of the text, atEnd). Writes the
   * consuming instructions to buf; returns their count, or -(count + 1) when Match is reached.
   */
  private closure(s: i32, next: i32, atEnd: bool): i32 {
    const prog = this.prog;
    const a = unchecked(this.kernStart[s]);
    const b = s + 1 < this.nstates ? unchecked(this.kernStart[s + 1]) : this.kernPool.length;
    const flags = unchecked(this.kernPool[a]);
    const atStart = (flags & F_START) != 0;
    const prevWord = (flags & F_WORD) != 0;
    const prevNL = (flags & F_NL) != 0;
    const nextWord = next >= 0 && isWordRune(next);
    const gen = nextGen();
    let sp = 0, nc = 0;
    let matched = false;
    const k = b - a - 1;
    const roots = k + (this.unanchored || atStart ? 1 : 0);
    for (let r = 0; r < roots; r++) {
      const pc0 = r < k ? unchecked(this.kernPool[a + 1 + r]) : prog.start;
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
          let holds = false;
          switch (unchecked(prog.arg[pc])) {
            case Assertion.BeginText: holds = atStart; break;
            case Assertion.EndText: holds = atEnd; break;
            case Assertion.BeginLine: holds = atStart || prevNL; break;
            case Assertion.EndLine: holds = atEnd || next == 0x0a; break;
            case Assertion.WordBoundary: holds = prevWord != nextWord; break;
            case Assertion.NoWordBoundary: holds = prevWord == nextWord; break;
          }
          if (holds) x = unchecked(prog.out[pc]);
        } else if (o != Op.Fail) unchecked(buf[nc++] = pc);
        if (x >= 0 && unchecked(mark[x]) != gen) { unchecked(mark[x] = gen); unchecked(stack[sp++] = x); }
        if (y >= 0 && unchecked(mark[y]) != gen) { unchecked(mark[y] = gen); unchecked(stack[sp++] = y); }
      }
    }
    return matched ? -nc - 1 : nc;
  }
}

/** Every program can run on the DFA (kept for callers; the NFA remains the fallback). */
export function dfaCapable(prog: Prog): bool {
  return true;
}

/** FNV-1a over the k instruction numbers at p, seeded by the state flags. */
function hashKernel(p: usize, k: i32, flags: i32): u32 {
  let h: u32 = (0x811c9dc5 ^ <u32>flags) * 0x01000193;
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
function computeByteClasses(prog: Prog, out: StaticArray<u8>, word: bool, nl: bool): i32 {
  // Signature refinement: start with one class (or word / non-word, \n / the rest when assertions
  // look at them), split by each instruction's ASCII membership.
  const cls = new StaticArray<i32>(128);
  let nclass = 1;
  if (word || nl) {
    const seen = new StaticArray<i32>(4);
    for (let i = 0; i < 4; i++) seen[i] = -1;
    let n = 0;
    for (let c = 0; c < 128; c++) {
      const key = (word && isWordRune(c) ? 1 : 0) | (nl && c == 0x0a ? 2 : 0);
      if (seen[key] < 0) seen[key] = n++;
      cls[c] = seen[key];
    }
    nclass = n;
  }
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
