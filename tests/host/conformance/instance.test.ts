// Behaviours 2 and 3: instance model (start section, _initialize restricted, canary, one VM per
// worker) and the root start-up sequence.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, fixture, pluginConfig, probe, FakeHttpCallbacks, requestHeaders, text } from "./harness";

function runRequest(p: Awaited<ReturnType<typeof probe>>, worker: number) {
  const f = p.newHttpFilter(worker, new FakeHttpCallbacks());
  f.decodeHeaders(requestHeaders(), true);
  f.encodeHeaders([[":status", "200"]], true);
  f.log();
  f.onDestroy();
}

test("start section runs at instantiation, before any context; canary + one VM per worker", async () => {
  const e = env(2);
  const p = await probe(e, "");
  const g = e.logs.guest();
  // canary + 2 workers = 3 instances, each: start section, then its root context
  assert.equal(g.filter((l) => l.startsWith("S start-section ran")).length, 3);
  const ev = e.logs.events();
  assert.deepEqual(ev, [
    "root_create 1 0", "vm_start 1 0", "configure 1 0 0", // canary
    "root_create 1 0", "vm_start 1 0", "configure 1 0 0", // worker 0
    "root_create 1 0", "vm_start 1 0", "configure 1 0 0", // worker 1
  ]);
  // the canary is discarded without done/delete: no root_done/root_delete so far
  assert.ok(!ev.some((x) => x.startsWith("root_done") || x.startsWith("root_delete")));
  // context ids are per VM: each worker's first stream is 2, then 3 (globals persist across requests)
  e.logs.clear();
  runRequest(p, 0);
  runRequest(p, 0);
  runRequest(p, 1);
  const creates = e.logs.events().filter((x) => x.startsWith("create "));
  assert.deepEqual(creates, ["create 2 1", "create 3 1", "create 2 1"]);
  assert.equal(e.logs.guest().filter((l) => l.startsWith("S ")).length, 0, "no re-instantiation per request");
  await p.shutdown();
  assert.deepEqual(e.logs.events().filter((x) => x.startsWith("root_")), ["root_done 1", "root_delete 1", "root_done 1", "root_delete 1"]);
  await e.runtime.shutdown();
});

test("_initialize runs once per VM before contexts, with logging and WASI random allowed", async () => {
  const e = env(1);
  const p = await e.runtime.loadPlugin(pluginConfig(fixture("host_init_ok")), "http");
  const g = e.logs.guest();
  // base VM (cpp-host createWasm: load + initialize, no root context), canary, worker
  assert.deepEqual(g, ["I initialize random=0", "I initialize random=0", "E create 1", "I initialize random=0", "E create 1"]);
  await p.shutdown();
  await e.runtime.shutdown();
});

test("a restricted host call from _initialize traps (restricted_callback) and the plugin is refused", async () => {
  const e = env(1);
  await assert.rejects(e.runtime.loadPlugin(pluginConfig(fixture("host_init_restricted")), "http"),
    /Function: _initialize failed: Uncaught RuntimeError: restricted_callback/);
  await e.runtime.shutdown();
});

test("on_configure returning false or on_vm_start returning false fails the plugin load", async () => {
  const e = env(1);
  await assert.rejects(probe(e, "configure ret 0"), /Unable to create Wasm HTTP filter probe-plugin/);
  await assert.rejects(probe(e, "", { vmConfiguration: Buffer.from("vm_start ret 0") }), /Unable to create Wasm HTTP filter/);
  // canary failed first: the workers were never configured
  assert.equal(e.logs.events().filter((x) => x.startsWith("configure")).length, 1);
  await e.runtime.shutdown();
});

test("a trap in on_configure is a plugin load failure with the Function: ... failed text", async () => {
  const e = env(1);
  await assert.rejects(probe(e, "configure trap"), /Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable/);
  await e.runtime.shutdown();
});

test("PLUGIN_CONFIGURATION is readable only inside on_configure; VM_CONFIGURATION any time; sizes passed", async () => {
  const e = env(1);
  const script = "configure buf 7 0 1000\nrequest_headers buf 7 0 1000\nrequest_headers buf 6 0 1000\nvm_start buf 7 0 10";
  const p = await probe(e, script, { vmConfiguration: Buffer.from("vm_start buf 6 0 8") });
  const [s1, v1] = e.logs.result("configure", "buf");
  assert.equal(s1, 0);
  assert.equal(text(v1), script);
  assert.deepEqual(e.logs.result("vm_start", "buf"), [0, Buffer.from("vm_start").toString("hex")]);
  assert.ok(e.logs.events().includes(`configure 1 ${script.length} ${script.length}`));
  assert.ok(e.logs.events().includes(`vm_start 1 ${"vm_start buf 6 0 8".length}`));
  e.logs.clear();
  runRequest(p, 0);
  assert.deepEqual(e.logs.result("request_headers", "buf", 0), [1, ""], "PLUGIN_CONFIGURATION outside on_configure -> NOT_FOUND");
  assert.equal(e.logs.result("request_headers", "buf", 1)[0], 0, "VM_CONFIGURATION readable");
  await e.runtime.shutdown();
});

test("plugin_root_id / plugin_name / plugin_vm_id are served from the very first call", async () => {
  const e = env(1);
  await probe(e, "", { vmConfiguration: Buffer.from("vm_start prop plugin_root_id\nvm_start prop plugin_name\nvm_start prop plugin_vm_id") });
  assert.equal(text(e.logs.result("vm_start", "prop", 0)[1]), "probe");
  assert.equal(text(e.logs.result("vm_start", "prop", 1)[1]), "probe-plugin");
  assert.equal(text(e.logs.result("vm_start", "prop", 2)[1]), "vm1");
  await e.runtime.shutdown();
});

test("plugins with the same vm_id, VM configuration and code share one VM per worker, each with its root", async () => {
  const e = env(1);
  const a = await probe(e, "");
  const b = await probe(e, "", { name: "second", rootId: "second" });
  assert.equal(a.rootContextId(0), 1);
  assert.equal(b.rootContextId(0), 2, "second root context in the same worker VM");
  const c = await probe(e, "", { name: "third", vmId: "other" });
  assert.equal(c.rootContextId(0), 1, "different vm_id: its own VM");
  await e.runtime.shutdown();
});

test("root shutdown: on_done false keeps the root pending until proxy_done; then on_delete", async () => {
  const e = env(1);
  const p = await probe(e, "root_done ret 0\ntick done");
  await p.shutdown();
  assert.deepEqual(e.logs.events().filter((x) => x.startsWith("root_")).slice(-2), ["root_create 1 0", "root_done 1"]);
  p.tick(0);
  assert.deepEqual(e.logs.result("tick", "done"), [0, ""]);
  assert.equal(e.logs.events().at(-1), "root_delete 1");
  await e.runtime.shutdown();
});

test("a host call from the start function fails instantiation (cpp-host: no current context during start)", async () => {
  const e = env();
  await assert.rejects(e.runtime.loadPlugin(pluginConfig(fixture("host_start_call")), "http"), (err: Error) => {
    assert.match(err.message, /^Unable to create Wasm HTTP filter probe-plugin: /);
    assert.ok(err.message.endsWith("Failed to create new Wasm instance"), err.message);
    return true;
  });
  assert.ok(e.logs.lines.some((l) => l.level === 4 && /host call proxy_log from the start function/.test(l.msg)), "the cause is logged");
  await e.runtime.shutdown();
});
