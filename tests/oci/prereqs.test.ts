// tools/prereqs.ts: the one table of Debian programs the tests run. CI's package list must hold every
// package in it (CI installs before `npm test` runs the same check), every test file it names must
// exist, and `needed` narrows the check to the selected tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PREREQS, needed, which } from "../../tools/prereqs";

const ROOT = process.cwd();

test("every package of the prereqs table is in .ci/apt-packages.txt and every test it names exists", () => {
  const ci = readFileSync(path.join(ROOT, ".ci", "apt-packages.txt"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const p of PREREQS) {
    assert.ok(ci.includes(p.pkg), `.ci/apt-packages.txt lists ${p.pkg} (for ${p.command})`);
    for (const u of p.usedBy) assert.ok(existsSync(path.join(ROOT, u)), `${p.command}: ${u} exists`);
  }
});

test("needed() narrows to the selected tests; which() finds programs on PATH", () => {
  assert.deepEqual(needed(["tests/oci/compose.test.ts"]).map((p) => p.command).sort(), ["docker-compose", "openssl", "promtool"]);
  assert.deepEqual(needed(["tests/abi/imports.test.ts"]), []);
  assert.equal(needed().length, PREREQS.length);
  const sh = which("sh");
  assert.ok(sh && path.isAbsolute(sh) && path.basename(sh) === "sh", `sh on PATH: ${sh}`);
  assert.equal(which("no-such-program-here"), null);
});
