// Regex.programSize() against RE2's ProgramSize() (the figure Envoy's re2.max_program_size limit
// checks) on a corpus of Envoy/Istio-style patterns. The sizes in tests/testdata/re2/program_sizes.json
// were produced by libre2 through tests/regex/re2_oracle.cc; when libre2 is installed, the test
// also re-asks it, so the recorded figures cannot drift from what RE2 says.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { RegexWasm } from "./wasm";
import { re2Oracle } from "./re2";

const wasm = new RegexWasm();
const data = JSON.parse(readFileSync(path.join(process.cwd(), "tests", "testdata", "re2", "program_sizes.json"), "utf8"));

test("the recorded sizes are what libre2 says", { skip: typeof re2Oracle() === "string" ? String(re2Oracle()) : false }, () => {
  const oracle = re2Oracle() as Exclude<ReturnType<typeof re2Oracle>, string>;
  const answers = oracle.run(data.sizes.map((s: any) => ({ pattern: s.pattern })));
  data.sizes.forEach((s: any, i: number) => assert.equal(answers[i].programSize, s.size, s.pattern));
});

test("programSize() tracks RE2's ProgramSize() and agrees with it about Envoy's default limit of 100", () => {
  let exact = 0, maxDev = 0;
  const rows: string[] = [];
  for (const { pattern, size } of data.sizes) {
    const h = wasm.compile(pattern);
    assert.equal(typeof h, "number", `${pattern}: ${h}`);
    const est = wasm.programSize(h as number);
    const dev = Math.abs(est - size) / size;
    if (est === size) exact++;
    maxDev = Math.max(maxDev, dev);
    if (est !== size) rows.push(`${pattern}: ${est} vs RE2 ${size}`);
    // Same side of Envoy's default re2.max_program_size.error_level (100).
    assert.equal(est > 100, size > 100, `${pattern}: estimate ${est}, RE2 ${size}`);
    // Patterns without Unicode groups: within one instruction (Unicode tables: see README).
    if (!/\\p/.test(pattern)) assert.ok(Math.abs(est - size) <= 1, `${pattern}: estimate ${est}, RE2 ${size}`);
  }
  console.log(`# ${exact}/${data.sizes.length} exact, largest deviation ${(maxDev * 100).toFixed(0)}%\n# ${rows.join("\n# ")}`);
  assert.ok(exact >= data.sizes.length * 0.9, `${exact} exact`);
  wasm.reset();
});
