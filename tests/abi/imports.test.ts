// Every module this suite ships (dist/*.wasm) and the ABI fixtures must be loadable by Envoy: the
// host's link check (tests/host/wasm/link.ts, cpp-host's rules and messages) must accept it, and the
// suite holds itself to a narrower policy on top: ABI marker 0.2.1 and WASI limited to process exit,
// log output, clock and randomness. as-pect supplies env.abort itself, so only a check like this
// catches a build that Envoy would refuse.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { readModuleInfo, type ModuleInfo } from "../host/wasm/binary";
import { checkModule, WASI_MODULES } from "../host/wasm/link";

const SUITE_WASI = new Set(["proc_exit", "fd_write", "clock_time_get", "random_get"]);

/** The suite's own policy, beyond what Envoy accepts; returns the violations. */
function suitePolicy(info: ModuleInfo): string[] {
  const problems: string[] = [];
  if (!info.exports.some((e) => e.name === "proxy_abi_version_0_2_1")) problems.push("ABI marker is not proxy_abi_version_0_2_1");
  for (const imp of info.imports) {
    if (WASI_MODULES.includes(imp.module) && !SUITE_WASI.has(imp.name)) problems.push(`WASI import outside the suite's set: ${imp.module}.${imp.name}`);
  }
  if (!info.exports.some((e) => e.name === "memory")) problems.push("memory is not exported");
  return problems;
}

const root = process.cwd();
const shipped = existsSync(path.join(root, "dist"))
  ? readdirSync(path.join(root, "dist")).filter((f) => f.endsWith(".wasm")).map((f) => path.join("dist", f))
  : [];
const fixtures = ["null", "add_header"].map((f) => path.join("build", "fixtures", `${f}.wasm`));

test("the build produced the suite module and the ABI fixtures", () => {
  assert.ok(shipped.includes(path.join("dist", "suite.wasm")), `dist/suite.wasm missing; dist has ${shipped.join(", ")}`);
  for (const f of fixtures) assert.ok(existsSync(path.join(root, f)), `${f} missing`);
});

for (const file of [...shipped, ...fixtures]) {
  test(`${file} links in Envoy and meets the suite's import policy`, () => {
    const info = readModuleInfo(readFileSync(path.join(root, file)));
    assert.equal(checkModule(info), "0.2.1");
    assert.deepEqual(suitePolicy(info), []);
    assert.ok(!info.imports.some((i) => i.module === "env" && i.name === "abort"), "imports env.abort");
  });
}

test("the suite policy refuses what Envoy would accept but this suite does not ship", () => {
  const info = (imports: ModuleInfo["imports"], marker = "proxy_abi_version_0_2_1"): ModuleInfo => ({
    imports, hasStart: false,
    exports: [{ name: marker, kind: "func" }, { name: "malloc", kind: "func" }, { name: "memory", kind: "memory" }],
  });
  const fn = { params: ["i32" as const], results: ["i32" as const] };
  assert.deepEqual(suitePolicy(info([{ module: "wasi_snapshot_preview1", name: "fd_write", kind: "func", type: fn }])), []);
  assert.deepEqual(suitePolicy(info([{ module: "wasi_snapshot_preview1", name: "path_open", kind: "func", type: fn }])),
    ["WASI import outside the suite's set: wasi_snapshot_preview1.path_open"]);
  assert.deepEqual(suitePolicy(info([], "proxy_abi_version_0_2_0")), ["ABI marker is not proxy_abi_version_0_2_1"]);
});

/**
 * Instantiates `bytes` with every import replaced by a function that records its name and throws:
 * returns the imports the start function reached (none for a module that runs under cpp-host,
 * which has no current context while the start function runs).
 */
function importsReachedByStart(bytes: Uint8Array): string[] {
  const mod = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  const reached: string[] = [];
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (imp.kind !== "function") continue;
    (imports[imp.module] ??= {})[imp.name] = () => { reached.push(`${imp.module}.${imp.name}`); throw new Error("host call from the start function"); };
  }
  try { new WebAssembly.Instance(mod, imports as WebAssembly.Imports); } catch { /* the reached list says why */ }
  return reached;
}

for (const file of [...shipped, ...fixtures]) {
  test(`${file}: the start function reaches no import (cpp-host has no context there)`, () => {
    assert.deepEqual(importsReachedByStart(readFileSync(path.join(root, file))), []);
  });
}

test("the start-function check catches a module that logs from its start function", () => {
  assert.deepEqual(importsReachedByStart(readFileSync(path.join(root, "build", "fixtures", "host_start_call.wasm"))), ["env.proxy_log"]);
});
