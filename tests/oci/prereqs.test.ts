// tools/prereqs.ts: the one table of Debian programs the tests run. CI's package list must hold every
// package in it (CI installs before `npm test` runs the same check), every test file it names must
// exist, and `needed` narrows the check to the selected tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, mkdtempSync, mkdirSync, writeFileSync, chmodSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PREREQS, needed, which, ensurePrereqs } from "../../tools/prereqs";

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

test("ensurePrereqs: not root -> stops with the exact command; root with apt-get -> runs it and reports what it installed", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "prereqs-"));
  try {
    const cmd = `istio-wasm-fake-tool-${process.pid}`;
    const table = [{ command: cmd, pkg: "fake-pkg", usedBy: ["tests/oci/prereqs.test.ts"], why: "test" }];
    const out: string[] = [];
    const errs: string[] = [];
    const log = (s: string) => out.push(s);
    const err = (s: string) => errs.push(s);
    assert.equal(ensurePrereqs(["tests/oci/prereqs.test.ts"], log, { table, isRoot: false, aptGet: "/usr/bin/apt-get", err }), false);
    assert.match(out.join("\n"), new RegExp(`missing \`${cmd}\` \\(Debian package fake-pkg`));
    assert.match(errs.join("\n"), /not root\)\. Run:\n  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends fake-pkg'/);
    errs.length = 0;
    assert.equal(ensurePrereqs(["tests/oci/prereqs.test.ts"], log, { table, isRoot: true, aptGet: null, err }), false);
    assert.match(errs.join("\n"), /\(no apt-get\)\. Run:\n  apt-get update && apt-get install -y --no-install-recommends fake-pkg/);
    // A stand-in apt-get that "installs" the tool into a PATH directory, recording its arguments.
    const bin = path.join(dir, "bin");
    mkdirSync(bin);
    const fakeApt = path.join(dir, "apt-get");
    writeFileSync(fakeApt, `#!/bin/sh\necho "$@" >> ${dir}/calls\nif [ "$1" = install ]; then printf '#!/bin/sh\\n' > ${bin}/${cmd}; chmod +x ${bin}/${cmd}; fi\n`);
    chmodSync(fakeApt, 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      out.length = 0;
      assert.equal(ensurePrereqs(["tests/oci/prereqs.test.ts"], log, { table, isRoot: true, aptGet: fakeApt, err }), true);
    } finally {
      process.env.PATH = oldPath;
    }
    assert.deepEqual(readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n"), ["update -qq", "install -y -qq --no-install-recommends fake-pkg"]);
    assert.match(out.join("\n"), new RegExp(`installed fake-pkg; found ${cmd} at ${bin}/${cmd}`));
    // Not selected -> not checked.
    assert.equal(ensurePrereqs(["tests/abi/imports.test.ts"], log, { table, isRoot: false, aptGet: null, err }), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
