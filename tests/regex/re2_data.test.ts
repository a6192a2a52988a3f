// shared/regex against RE2's own test data (tests/testdata/re2/, from google/re2 at the commit
// recorded there): what RE2 accepts and refuses, the exact error code and argument RE2 reports,
// and the rune sets of RE2's parse dumps (cc{...}), probed at every range boundary.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { RegexWasm, Mode } from "./wasm";
import { translate, jsMatch } from "./translate";

const wasm = new RegexWasm();
type Str = { utf8?: string; hex?: string };
const data = JSON.parse(readFileSync(path.join(process.cwd(), "tests", "testdata", "re2", "re2_cases.json"), "utf8"));
const bytes = (s: Str): Uint8Array => (s.hex !== undefined ? Uint8Array.from(Buffer.from(s.hex, "hex")) : new TextEncoder().encode(s.utf8!));
const show = (s: Str) => JSON.stringify(s.utf8 ?? `hex:${s.hex}`);

// RE2::ErrorCode -> RE2's error text (re2/regexp.cc), which regexError() leads with.
const CODE_TEXT: Record<string, string> = {
  ErrorBadEscape: "invalid escape sequence", ErrorBadCharClass: "invalid character class",
  ErrorBadCharRange: "invalid character class range", ErrorMissingBracket: "missing ]", ErrorMissingParen: "missing )",
  ErrorUnexpectedParen: "unexpected )", ErrorTrailingBackslash: "trailing \\", ErrorRepeatArgument: "no argument for repetition operator",
  ErrorRepeatSize: "invalid repetition size", ErrorRepeatOp: "bad repetition operator", ErrorBadPerlOp: "invalid perl operator",
  ErrorBadUTF8: "invalid UTF-8", ErrorBadNamedCapture: "invalid named capture group",
};

// The one construct RE2 accepts that this engine refuses on purpose (README "Differences from RE2"):
// \C matches a single byte inside a multi-byte rune, which a rune-at-a-time engine cannot express.
const ANY_BYTE = "\\C (any byte) is not supported";

test("RE2 error_tests: same error code and argument, plus a byte position", () => {
  assert.ok(data.error_tests.length >= 18);
  for (const t of data.error_tests) {
    const r = wasm.compile(bytes(t.pattern));
    assert.equal(typeof r, "string", `${show(t.pattern)} must be refused`);
    const m = /^(.*) at position (\d+)(?:: (.*))?$/s.exec(r as string);
    assert.ok(m, `error text shape: ${r}`);
    assert.equal(m![1], CODE_TEXT[t.code], `${show(t.pattern)}: ${r}`);
    assert.equal(m![3] ?? "", t.arg.utf8, `${show(t.pattern)}: ${r}`);
    const pos = Number(m![2]);
    assert.ok(pos >= 0 && pos < bytes(t.pattern).length, `${show(t.pattern)}: position ${pos}`);
    if (t.arg.utf8) {
      // The position is where RE2's argument starts in the pattern (missing ) and unexpected ) show the
      // whole pattern; the position then names the unmatched parenthesis).
      const at = Buffer.from(bytes(t.pattern)).indexOf(Buffer.from(t.arg.utf8));
      if (t.code === "ErrorMissingParen") assert.equal(bytes(t.pattern)[pos], 0x28);
      else if (t.code === "ErrorUnexpectedParen") assert.equal(bytes(t.pattern)[pos], 0x29);
      else assert.equal(pos, at, `${show(t.pattern)}: ${r}`);
    }
  }
});

test("RE2 badtests and only_posix are refused; only_perl is accepted", () => {
  for (const p of [...data.badtests, ...data.only_posix]) {
    assert.equal(typeof wasm.compile(bytes(p)), "string", `${show(p)} must be refused`);
  }
  for (const p of data.only_perl) {
    const r = wasm.compile(bytes(p));
    assert.equal(typeof r, "number", `${show(p)}: ${r}`);
  }
  wasm.reset();
});

test("RE2 parse_tests: every pattern is accepted (\\C refused as documented)", () => {
  let accepted = 0;
  for (const t of data.parse_tests) {
    const r = wasm.compile(bytes(t.pattern));
    if (t.parse === "byte{}") { assert.ok(String(r).startsWith(ANY_BYTE), `${show(t.pattern)}: ${r}`); continue; }
    assert.equal(typeof r, "number", `${show(t.pattern)}: ${r}`);
    accepted++;
  }
  assert.ok(accepted >= 120, `${accepted}`);
  wasm.reset();
});

/** Parses RE2's dump of a rune set: "0x61-0x63 0x65" -> [[0x61,0x63],[0x65,0x65]]. */
function ccRanges(dump: string): number[][] | null {
  let m = /^cc\{(.*)\}$/.exec(dump);
  if (m) return m[1].split(" ").map((r) => r.split("-").map((x) => parseInt(x, 16)) as number[]).map((r) => (r.length === 1 ? [r[0], r[0]] : r));
  m = /^lit\{(.)\}$/u.exec(dump);
  if (m) { const c = m[1].codePointAt(0)!; return [[c, c]]; }
  m = /^litfold\{([a-z])\}$/.exec(dump);
  if (m) { const c = m[1].codePointAt(0)!; return [[c - 32, c - 32], [c, c]]; }
  return null;
}

test("RE2 parse_tests: the rune sets of cc{}/lit{} dumps match exactly at every boundary", () => {
  let probed = 0;
  for (const t of data.parse_tests) {
    const ranges = ccRanges(t.parse);
    if (!ranges) continue;
    const h = wasm.compile(bytes(t.pattern));
    assert.equal(typeof h, "number", `${show(t.pattern)}: ${h}`);
    const inSet = (c: number) => ranges.some(([lo, hi]) => c >= lo && c <= hi);
    const probes = new Set<number>();
    for (const [lo, hi] of ranges) for (const c of [lo - 1, lo, lo + 1, hi - 1, hi, hi + 1]) probes.add(c);
    for (const c of probes) {
      if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) continue;
      const got = wasm.match(h as number, Mode.Full, String.fromCodePoint(c));
      assert.equal(got, inSet(c), `${show(t.pattern)} (${t.parse}) on U+${c.toString(16)}`);
      probed++;
    }
  }
  assert.ok(probed > 300, `${probed}`);
  wasm.reset();
});

test("RE2 search_tests: same answers as an independent engine where RE2 and ECMAScript agree", () => {
  let compared = 0;
  for (const t of data.search_tests) {
    if (t.text.utf8 === undefined || t.pattern.utf8 === undefined) continue;
    const js = translate(t.pattern.utf8, t.text.utf8);
    if (!js) continue;
    const h = wasm.compile(t.pattern.utf8);
    assert.equal(typeof h, "number", `${show(t.pattern)}: ${h}`);
    for (const [mode, full] of [[Mode.Full, true], [Mode.Partial, false], [Mode.FullString, true], [Mode.PartialString, false]] as const) {
      assert.equal(wasm.match(h as number, mode, t.text.utf8), jsMatch(js, t.text.utf8, full),
        `${show(t.pattern)} on ${JSON.stringify(t.text.utf8)} (${full ? "full" : "partial"}, mode ${mode}) vs /${js.source}/${js.flags}`);
    }
    compared++;
  }
  assert.ok(compared >= 150, `only ${compared} comparable`);
  wasm.reset();
});
