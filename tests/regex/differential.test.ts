// Differential test: shared/regex against V8's irregexp (JS RegExp, flag u) on generated patterns
// and inputs, restricted by tests/regex/translate.ts to syntax whose match/no-match answer is the
// same in RE2 and ECMAScript. Both the byte API and the string API of the engine are checked.
// The generator is seeded, so a failure names a reproducible (pattern, input).
import { test } from "node:test";
import assert from "node:assert/strict";
import { RegexWasm, Mode } from "./wasm";
import { translate, jsMatch } from "./translate";
import { rng, genPattern, genInput } from "./gen";

const wasm = new RegexWasm();

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
