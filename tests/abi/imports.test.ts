// Every module this suite ships (dist/*.wasm) and the ABI fixtures must be loadable by Envoy: ABI marker
// 0.2.1, imports only from the set Envoy links for it (no env.abort), callback exports with the right
// signatures. as-pect supplies env.abort itself, so only a check like this catches a bad build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { envoyLinkProblems, readModuleShape } from "./envoy-abi";

const root = process.cwd();
const shipped = existsSync(path.join(root, "dist")) ? readdirSync(path.join(root, "dist")).filter((f) => f.endsWith(".wasm")).map((f) => path.join("dist", f)) : [];
const fixtures = ["null", "add_header"].map((f) => path.join("build", "fixtures", `${f}.wasm`));

test("the build produced the suite module and the ABI fixtures", () => {
  assert.ok(shipped.includes(path.join("dist", "suite.wasm")), `dist/suite.wasm missing; dist has ${shipped.join(", ")}`);
  for (const f of fixtures) assert.ok(existsSync(path.join(root, f)), `${f} missing`);
});

for (const file of [...shipped, ...fixtures]) {
  test(`${file} links in Envoy (ABI 0.2.1 import set, callback signatures)`, () => {
    const bytes = readFileSync(path.join(root, file));
    assert.deepEqual(envoyLinkProblems(bytes), []);
    const shape = readModuleShape(bytes);
    const names = shape.exports.map((e) => e.name);
    assert.ok(names.includes("proxy_abi_version_0_2_1"), "ABI marker proxy_abi_version_0_2_1 exported");
    assert.ok(!shape.imports.some((i) => i.module === "env" && i.name === "abort"), "no env.abort");
    // Nothing 0.1.0-only: Envoy does not link those for a 0.2.x module.
    for (const old of ["proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache"]) {
      assert.ok(!shape.imports.some((i) => i.name === old), `imports ${old}`);
    }
  });
}

// The checker itself must say no where Envoy says no.
test("the link check refuses what Envoy refuses", () => {
  const good = readFileSync(path.join(root, "build/fixtures/add_header.wasm"));
  assert.deepEqual(envoyLinkProblems(good), []);
  // Synthetic modules, each differing from a loadable one in exactly one way.
  const mod = (imports: Array<[string, string, number[], number[]]>, exports: string[]) => {
    // Minimal binary: type section, import section, export section (exports refer to imported funcs).
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const leb = (n: number) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
    const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
    const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
    const types = imports.map(([, , params, results]) => [0x60, ...vec(params.map((x) => [x])), ...vec(results.map((x) => [x]))]);
    const imps = imports.map(([m, n], i) => [...leb(m.length), ...enc(m), ...leb(n.length), ...enc(n), 0, ...leb(i)]);
    const exps = [...exports.map((n) => [...leb(n.length), ...enc(n), 0, 0]), [...leb(6), ...enc("memory"), 2, 0]];
    const mem = [...leb(1), 0x00, 1];
    return new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, vec(types)), ...section(2, vec(imps)), ...section(5, mem), ...section(7, vec(exps))]);
  };
  const I32 = 0x7f;
  const base: Array<[string, string, number[], number[]]> = [["env", "proxy_log", [I32, I32, I32], [I32]]];
  assert.deepEqual(envoyLinkProblems(mod(base, ["proxy_abi_version_0_2_1", "malloc"])).filter((p) => !p.startsWith("Bad function")), []);
  assert.deepEqual(envoyLinkProblems(mod([...base, ["env", "abort", [I32, I32, I32, I32], []]], ["proxy_abi_version_0_2_1", "malloc"])).filter((p) => !p.startsWith("Bad function")),
    ["Failed to load Wasm module due to a missing import: env.abort"]);
  assert.deepEqual(envoyLinkProblems(mod(base, ["malloc"])), ["Missing or unknown Proxy-Wasm ABI version"]);
  assert.match(envoyLinkProblems(mod([["env", "proxy_log", [I32, I32], [I32]]], ["proxy_abi_version_0_2_1", "malloc"])).join("\n"), /import type mismatch: env.proxy_log/);
  assert.match(envoyLinkProblems(mod([["env", "proxy_get_log_level", [I32], [I32]]], ["proxy_abi_version_0_2_0", "malloc"])).join("\n"), /missing import: env.proxy_get_log_level/);
  assert.match(envoyLinkProblems(mod([["wasi_snapshot_preview1", "path_open", [I32], [I32]]], ["proxy_abi_version_0_2_1", "malloc"])).join("\n"), /missing import: wasi_snapshot_preview1.path_open/);
});
