// Differential test: shared/regex against V8's irregexp (JS RegExp, flag u) on generated patterns
// and inputs, restricted by tests/regex/translate.ts to syntax whose match/no-match answer is the
// same in RE2 and ECMAScript. Both the byte API and the string API of the engine are checked.
// The generator is seeded, so a failure names a reproducible (pattern, input).
import { test } from "node:test";
import assert from "node:assert/strict";
import { RegexWasm, Mode } from "./wasm";
import { translate, jsMatch } from "./translate";

const wasm = new RegexWasm();

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each atom with a rune it matches, so every pattern comes with a witness string that (assertions
// aside) matches it: inputs are the witness, mutations of it and random strings.
const ATOMS: Array<[string, string[]]> = [
  ["a", ["a"]], ["b", ["b"]], ["c", ["c"]], ["/", ["/"]], ["-", ["-"]], ["\\.", ["."]], [".", ["a", "é", "/", "😀"]],
  ["[ab]", ["a", "b"]], ["[^a]", ["b", "/", "\n"]], ["[a-c]", ["c"]], ["[^/]", ["a", "λ"]], ["\\d", ["1"]], ["\\w", ["a", "_", "K"]],
  ["\\W", ["/", "é"]], ["\\s", [" ", "\n"]], ["é", ["é"]], ["K", ["K"]], ["k", ["k"]], ["[0-9]", ["1"]], ["x", ["x"]],
  ["\\x61", ["a"]], ["\\x{e9}", ["é"]], ["[[:alpha:]]", ["b"]], ["\\pL", ["λ", "a"]], ["\\p{Greek}", ["λ", "Λ"]],
  ["λ", ["λ"]], ["Λ", ["Λ"]], ["ß", ["ß"]], ["s", ["s"]], ["[a-z]", ["s", "k"]], ["\\S", ["a", "😀"]],
];
const QUANTS: Array<[string, number, number]> = [["*", 0, 3], ["+", 1, 3], ["?", 0, 1], ["{2}", 2, 2], ["{1,}", 1, 3], ["{0,2}", 0, 2],
  ["{1,3}", 1, 3], ["*?", 0, 2], ["+?", 1, 2], ["??", 0, 1], ["{2,}?", 2, 3]];

function pick<T>(r: () => number, a: T[]): T { return a[Math.floor(r() * a.length)]; }

/** [pattern, witness] */
function genPattern(r: () => number, depth: number): [string, () => string] {
  const n = 1 + Math.floor(r() * 4);
  let s = "";
  const parts: Array<() => string> = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    let atom: string;
    let w: () => string;
    if (depth > 0 && x < 0.2) {
      const [p, pw] = genPattern(r, depth - 1);
      atom = (r() < 0.5 ? "(" : "(?:") + p + ")";
      w = pw;
    } else if (depth > 0 && x < 0.27) {
      const [p1, w1] = genPattern(r, depth - 1), [p2, w2] = genPattern(r, depth - 1);
      atom = "(" + p1 + "|" + p2 + ")";
      w = () => (r() < 0.5 ? w1() : w2());
    } else if (x < 0.3) {
      atom = pick(r, ["^", "$", "\\b", "\\B"]);
      w = () => "";
    } else {
      const [a, ws] = pick(r, ATOMS);
      atom = a;
      w = () => pick(r, ws);
    }
    if (r() < 0.35 && !/^(\^|\$)$/.test(atom)) {
      const [q, lo, hi] = pick(r, QUANTS);
      atom += q;
      const inner = w;
      w = () => { let t = ""; const k = lo + Math.floor(r() * (hi - lo + 1)); for (let j = 0; j < k; j++) t += inner(); return t; };
    }
    s += atom;
    parts.push(w);
  }
  return [s, () => parts.map((f) => f()).join("")];
}

const ALPHABET = ["a", "a", "b", "b", "c", "/", "-", ".", "1", "_", "é", "K", "k", "\u212a", "\u017f", "s", "S", "\n", " ", "λ", "Λ", "ß", "ẞ", "x", "😀"];
function genInput(r: () => number, witness: () => string, fold: boolean): string {
  const x = r();
  const chars = () => pick(r, ALPHABET);
  if (x < 0.15) {
    let s = "";
    const n = Math.floor(r() * 9);
    for (let i = 0; i < n; i++) s += chars();
    return s;
  }
  let w = [...witness()];
  if (fold) w = w.map((c) => (r() < 0.5 ? c.toUpperCase() : c));
  if (x < 0.5) return w.join("");
  if (x < 0.7) return chars() + w.join("") + (r() < 0.5 ? chars() : "");
  // one mutation: delete, insert or replace a rune
  const k = Math.floor(r() * (w.length + 1));
  const m = r();
  if (m < 0.33) w.splice(k, 1);
  else if (m < 0.66) w.splice(k, 0, chars());
  else w.splice(k, 1, chars());
  return w.join("");
}

test("generated patterns: same answers as JS RegExp (u) where the semantics agree", () => {
  const r = rng(20261204);
  let compared = 0, matched = 0, patterns = 0;
  for (let k = 0; k < 700; k++) {
    const flags = r() < 0.25 ? "(?i)" : r() < 0.1 ? "(?s)" : r() < 0.1 ? "(?m)" : "";
    const [body, witness] = genPattern(r, 2);
    const pattern = flags + body;
    const h = wasm.compile(pattern);
    if (typeof h === "string") {
      // Only RE2's own limits may refuse a generated pattern (all generated syntax is valid RE2).
      assert.fail(`${JSON.stringify(pattern)} refused: ${h}`);
    }
    patterns++;
    const nfa = wasm.compile(pattern) as number;
    wasm.disableDfa(nfa);
    for (let j = 0; j < 10; j++) {
      const input = genInput(r, witness, flags === "(?i)");
      const js = translate(pattern, input);
      if (!js) continue;
      for (const full of [true, false]) {
        const want = jsMatch(js, input, full);
        const got = wasm.match(h, full ? Mode.Full : Mode.Partial, input);
        const gotS = wasm.match(h, full ? Mode.FullString : Mode.PartialString, input);
        assert.equal(got, want, `${JSON.stringify(pattern)} on ${JSON.stringify(input)} ${full ? "full" : "partial"} (JS /${js.source}/${js.flags})`);
        assert.equal(gotS, want, `string API: ${JSON.stringify(pattern)} on ${JSON.stringify(input)}`);
        assert.equal(wasm.match(nfa, full ? Mode.Full : Mode.Partial, input), want, `NFA only: ${JSON.stringify(pattern)} on ${JSON.stringify(input)}`);
        compared++;
        if (want) matched++;
      }
    }
    if (k % 100 === 99) wasm.reset();
  }
  // Enough comparisons, and both answers well represented (a generator that never matches proves little).
  assert.ok(compared >= 5000, `compared ${compared}`);
  assert.ok(matched >= compared / 5 && matched <= (compared * 4) / 5, `matched ${matched} of ${compared}`);
  console.log(`# ${patterns} patterns, ${compared} comparisons, ${matched} matches`);
});

test("a pattern whose DFA outgrows its state cache falls back to the NFA with the same answers", () => {
  // (a|b)*a(a|b){12} needs 2^13 DFA states on a random a/b text: far beyond the cache.
  const r = rng(7);
  const pattern = "(a|b)*a(a|b){12}c";
  const h = wasm.compile(pattern) as number;
  const js = new RegExp(pattern, "u");
  for (let k = 0; k < 30; k++) {
    let s = "";
    const n = 200 + Math.floor(r() * 3000);
    for (let i = 0; i < n; i++) s += r() < 0.5 ? "a" : "b";
    if (r() < 0.5) s += "c";
    assert.equal(wasm.match(h, Mode.Partial, s), js.test(s), `length ${s.length}`);
    assert.equal(wasm.match(h, Mode.Full, s), new RegExp(`^(?:${pattern})$`, "u").test(s));
  }
  wasm.reset();
});
