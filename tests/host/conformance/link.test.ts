// Behaviour 1: strict import linking per ABI version, with cpp-host's refusal texts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readModuleInfo } from "../wasm/binary";
import { checkModule, envFunctions } from "../wasm/link";
import { env, fixture, pluginConfig, probe, FakeHttpCallbacks, requestHeaders } from "./harness";

async function refusal(name: string): Promise<string> {
  const e = env();
  await assert.rejects(e.runtime.loadPlugin(pluginConfig(fixture(name)), "http"), (err: Error) => {
    (refusal as any).last = err.message;
    return true;
  });
  await e.runtime.shutdown();
  return (refusal as any).last;
}

test("a module importing env.abort is refused with Envoy's missing-import message", async () => {
  const msg = await refusal("host_env_abort");
  assert.match(msg, /^Unable to create Wasm HTTP filter probe-plugin: /);
  assert.ok(msg.endsWith("Failed to load Wasm module due to a missing import: env.abort"), msg);
});

test("a module without proxy_abi_version_* is refused", async () => {
  const msg = await refusal("host_no_abi");
  assert.ok(msg.endsWith("Missing or unknown Proxy-Wasm ABI version"), msg);
});

test("an import with the wrong signature is refused with cpp-host's type-mismatch text", async () => {
  const msg = await refusal("host_bad_import");
  assert.ok(msg.endsWith("Failed to load Wasm module due to an import type mismatch for function env.proxy_log, want: i32 -> i32, but host exports: i32 i32 i32 -> i32"), msg);
});

test("a callback exported with the wrong signature is refused", async () => {
  const msg = await refusal("host_bad_export");
  assert.ok(msg.endsWith("Bad function signature for: proxy_on_vm_start, want: i32 i32 -> i32, but the module exports: i32 -> void"), msg);
});

test("ABI 0.2.0 does not link proxy_get_log_level (0.2.1 only)", async () => {
  const msg = await refusal("host_abi020");
  assert.ok(msg.endsWith("missing import: env.proxy_get_log_level"), msg);
  assert.ok("proxy_get_log_level" in envFunctions("0.2.1"));
  assert.ok(!("proxy_clear_route_cache" in envFunctions("0.2.0")));
  assert.ok(!("proxy_continue_request" in envFunctions("0.2.1")));
  assert.ok("proxy_continue_request" in envFunctions("0.1.0"));
  assert.ok(!("proxy_continue_stream" in envFunctions("0.1.0")));
});

test("the refusal is logged too (Envoy logs the VM failure before rejecting the config)", async () => {
  const e = env();
  await assert.rejects(e.runtime.loadPlugin(pluginConfig(fixture("host_env_abort")), "network"), /Unable to create Wasm network filter/);
  assert.ok(e.logs.lines.some((l) => l.level === 4 && l.msg === "Failed to load Wasm module due to a missing import: env.abort"));
});

test("every WASI function links under both wasi_unstable and wasi_snapshot_preview1; other modules do not", () => {
  const info = readModuleInfo(fixture("host_probe"));
  const modules = new Set(info.imports.map((i) => i.module));
  assert.ok(modules.has("wasi_unstable") && modules.has("wasi_snapshot_preview1"), "probe imports from both WASI module names");
  assert.equal(checkModule(info), "0.2.1");
  const foreign = { ...info, imports: [...info.imports, { module: "wasi", name: "fd_write", kind: "func" as const, type: { params: ["i32", "i32", "i32", "i32"] as any, results: ["i32"] as any } }] };
  assert.throws(() => checkModule(foreign), /missing import: wasi\.fd_write/);
  const seed = { ...info, imports: [...info.imports, { module: "env", name: "seed", kind: "func" as const, type: { params: [], results: ["f64"] as any } }] };
  assert.throws(() => checkModule(seed), /missing import: env\.seed/);
});

test("the project's own modules link (null, add_header) and the probe loads", async () => {
  const e = env();
  for (const f of ["null", "add_header"]) {
    const p = await e.runtime.loadPlugin(pluginConfig(fixture(f), { rootId: f === "add_header" ? "add_header" : "" }), "http");
    await p.shutdown();
  }
  await probe(e, "");
  await e.runtime.shutdown();
});

test("ABI 0.1.0: two-parameter on_request_headers, proxy_continue_request, missing header -> OK + empty", async () => {
  const e = env();
  const p = await e.runtime.loadPlugin(pluginConfig(fixture("host_abi010")), "http");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  assert.equal(f.decodeHeaders(requestHeaders(), true), "StopAllIterationAndWatermark");
  const g = e.logs.guest();
  assert.ok(g.includes("R missing 0 0 0"), g.join("\n"));
  assert.ok(g.includes("R continue_request 0"));
  assert.ok(g.includes(`E request_headers ${requestHeaders().length}`));
  assert.deepEqual(cb.actions, ["continueDecoding"]);
  await e.runtime.shutdown();
});

test("a module with neither malloc nor proxy_on_memory_allocate is refused", async () => {
  const msg = await refusal("host_no_malloc");
  assert.ok(msg.endsWith("Wasm module is missing malloc function."), msg);
});

test("without malloc the host allocates through proxy_on_memory_allocate", async () => {
  const e = env();
  await e.runtime.loadPlugin(pluginConfig(fixture("host_alloc")), "http");
  assert.deepEqual(e.logs.guest(), ["R alloc 0 1 probe", "R alloc 0 1 probe"], "canary and worker: one exact-length allocation each");
  await e.runtime.shutdown();
});
