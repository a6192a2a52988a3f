// Seeded generators of RE2 patterns with a witness string each, and of inputs built from the
// witness (itself, padded, mutated) or at random, for the differential tests.

export function rng(seed: number) {
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
export const ATOMS: Array<[string, string[]]> = [
  ["a", ["a"]], ["b", ["b"]], ["c", ["c"]], ["/", ["/"]], ["-", ["-"]], ["\\.", ["."]], [".", ["a", "é", "/", "😀"]],
  ["[ab]", ["a", "b"]], ["[^a]", ["b", "/", "\n"]], ["[a-c]", ["c"]], ["[^/]", ["a", "λ"]], ["\\d", ["1"]], ["\\w", ["a", "_", "K"]],
  ["\\W", ["/", "é"]], ["\\s", [" ", "\n"]], ["é", ["é"]], ["K", ["K"]], ["k", ["k"]], ["[0-9]", ["1"]], ["x", ["x"]],
  ["\\x61", ["a"]], ["\\x{e9}", ["é"]], ["[[:alpha:]]", ["b"]], ["\\pL", ["λ", "a"]], ["\\p{Greek}", ["λ", "Λ"]],
  ["λ", ["λ"]], ["Λ", ["Λ"]], ["ß", ["ß"]], ["s", ["s"]], ["[a-z]", ["s", "k"]], ["\\S", ["a", "😀"]],
];
const QUANTS: Array<[string, number, number]> = [["*", 0, 3], ["+", 1, 3], ["?", 0, 1], ["{2}", 2, 2], ["{1,}", 1, 3], ["{0,2}", 0, 2],
  ["{1,3}", 1, 3], ["*?", 0, 2], ["+?", 1, 2], ["??", 0, 1], ["{2,}?", 2, 3]];

export function pick<T>(r: () => number, a: T[]): T { return a[Math.floor(r() * a.length)]; }

/** [pattern, witness] */
/** RE2-only syntax (no ECMAScript equivalent), for the runs against RE2 itself. */
export const RE2_ATOMS: Array<[string, string[]]> = [
  ["(?i:k)", ["K", "\u212a"]], ["(?s:.)", ["\n", "a"]], ["\\Qa.\\E", ["a."]], ["\\101", ["A"]], ["[[:^digit:]]", ["a"]],
  ["\\p{Lu}", ["Λ", "A"]], ["\\PL", ["1"]], ["\\pN", ["٣"]], ["\\A", [""]], ["\\z", [""]], ["(?m:^)", [""]], ["(?m:$)", [""]],
  ["(?i)", [""]], ["(?U)", [""]], ["\\v", ["\x0b"]], ["[\\s\\v]", ["\x0b", " "]], ["(?i:[^k])", ["a", "k"]], ["\\r", ["\r"]],
  ["(?i:\\W)", ["\u017f", "/"]], ["(?i:ς)", ["Σ"]], ["[^\\n]", ["a"]], ["\\C", ["a"]],
];

export function genPattern(r: () => number, depth: number, extended = false): [string, () => string] {
  const n = 1 + Math.floor(r() * 4);
  let s = "";
  const parts: Array<() => string> = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    let atom: string;
    let w: () => string;
    if (depth > 0 && x < 0.2) {
      const [p, pw] = genPattern(r, depth - 1, extended);
      atom = (r() < 0.5 ? "(" : "(?:") + p + ")";
      w = pw;
    } else if (depth > 0 && x < 0.27) {
      const [p1, w1] = genPattern(r, depth - 1, extended), [p2, w2] = genPattern(r, depth - 1, extended);
      atom = "(" + p1 + "|" + p2 + ")";
      w = () => (r() < 0.5 ? w1() : w2());
    } else if (x < 0.3) {
      atom = pick(r, ["^", "$", "\\b", "\\B"]);
      w = () => "";
    } else {
      const [a, ws] = extended && r() < 0.3 ? pick(r, RE2_ATOMS) : pick(r, ATOMS);
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

export const ALPHABET = ["a", "a", "b", "b", "c", "/", "-", ".", "1", "_", "é", "K", "k", "\u212a", "\u017f", "s", "S", "\n", " ", "λ", "Λ", "ß", "ẞ", "x", "😀"];
export function genInput(r: () => number, witness: () => string, fold: boolean): string {
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
