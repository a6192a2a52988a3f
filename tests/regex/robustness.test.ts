// No pattern and no input traps shared/regex (a trap takes down the Wasm VM for every request on
// the worker): random pattern bytes, deep nesting, huge patterns and inputs, invalid UTF-8. Every
// compile answers a handle or an error text; every match answers yes or no, in linear steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { RegexWasm, Mode } from "./wasm";
import { rng, pick } from "./gen";

const wasm = new RegexWasm();
const enc = (s: string) => new TextEncoder().encode(s);

test("random pattern bytes compile or are refused, and match random inputs, without a trap", () => {
  const r = rng(31337);
  const SYNTAX = enc("()[]{}|*+?.^$\\-:,<>=!PpQEdDsSwWbBAzxC0123456789aiUms");
  let accepted = 0;
  for (let k = 0; k < 3000; k++) {
    const n = Math.floor(r() * 24);
    const p = new Uint8Array(n);
    for (let i = 0; i < n; i++) p[i] = r() < 0.8 ? pick(r, [...SYNTAX]) : Math.floor(r() * 256);
    const h = wasm.compile(p);
    if (typeof h === "string") { assert.ok(h.length > 0); continue; }
    accepted++;
    for (let j = 0; j < 4; j++) {
      const input = new Uint8Array(crypto.randomBytes(Math.floor(r() * 40)));
      for (const mode of [Mode.Full, Mode.Partial, Mode.FullString, Mode.PartialString]) wasm.match(h, mode, input);
    }
    if (k % 300 === 299) wasm.reset();
  }
  assert.ok(accepted > 200, `${accepted}`);
  wasm.reset();
});

test("nesting, repetition and size limits refuse instead of exhausting stack or memory", () => {
  assert.equal(typeof wasm.compile("(".repeat(250) + "a" + ")".repeat(250)), "number");
  assert.match(String(wasm.compile("(".repeat(251) + "a" + ")".repeat(251))), /^pattern too large - compile failed at position 250/);
  assert.match(String(wasm.compile("(".repeat(100000))), /^pattern too large/);
  assert.match(String(wasm.compile("(?:".repeat(5000) + ")".repeat(5000))), /^pattern too large/);
  assert.match(String(wasm.compile("a".repeat(40000))), /^pattern too large - compile failed/);
  // Within RE2's repetition limit but over this engine's instruction budget.
  assert.match(String(wasm.compile("((((a{1000}b{1000}){1}){1}){1})" + "|x{1000}".repeat(120))), /^pattern too large - compile failed$/);
  // Repetitions stacked through flag groups do not nest without bound (RE2 accepts all of these).
  for (const unit of ["(?i){1}", "(?i){0}", "(?i){0,1}", "(?i){1,}", "(?U)*(?-U)*"]) {
    assert.equal(typeof wasm.compile("a" + unit.repeat(32000 / unit.length / 2)), "number", unit);
  }
  const alts = Array.from({ length: 300 }, (_, i) => "a".repeat(i % 100 + 1)).join("|");
  assert.equal(typeof wasm.compile(alts), "number");
  assert.equal(typeof wasm.compile("[" + "a-b".repeat(5000) + "]"), "number");
  wasm.reset();
});

test("a 4 MiB input and hostile patterns finish in linear steps", () => {
  const big = new Uint8Array(4 << 20).fill(0x61);
  for (const pattern of ["(a+)+$", "(a|aa)*b", "(?i)(\\w+\\s?)+$", "(.*a){20}b", "\\b(a|b)*\\B$"]) {
    const h = wasm.compile(pattern) as number;
    assert.equal(typeof h, "number");
    assert.equal(wasm.match(h, Mode.Partial, big), pattern === "(a+)+$" || pattern === "(?i)(\\w+\\s?)+$", pattern);
    assert.ok(wasm.steps() <= 3 * 64 * (big.length + 1), `${pattern}: ${wasm.steps()} steps`);
  }
  const junk = new Uint8Array(crypto.randomBytes(1 << 20));
  const h = wasm.compile("[^\\x00-\\x{10FFFF}]|.\\pL\\S") as number;
  wasm.match(h, Mode.Partial, junk);
  wasm.match(h, Mode.FullString, junk);
  wasm.reset();
});
