// Behaviour 14: a trap fails the VM; fail-closed -> local 503 wasm_fail_stream now and for later
// requests on that worker (no encoder callbacks to the VM); fail-open -> Continue and bypass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, probe, FakeHttpCallbacks, FakeNetCallbacks, requestHeaders } from "./harness";

test("AS abort: CRITICAL message via proxy_log, proc_exit returns, unreachable traps; fail-closed 503", async () => {
  const e = env(2);
  const p = await probe(e, "request_headers abort bad%20header\nresponse_headers log must-not-run");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  assert.equal(f.decodeHeaders(requestHeaders(), true), "StopAllIterationAndWatermark");
  const crit = e.logs.lines.find((l) => l.level === 5);
  assert.ok(crit && /wasm log probe-plugin probe vm1: bad header at: tests\/fixtures\/host_probe\/index\.ts\(\d+:\d+\)/.test(crit.msg), crit?.msg);
  assert.ok(e.logs.lines.some((l) => l.msg === "wasi_unstable proc_exit"), "proc_exit returned (logged at trace)");
  assert.ok(e.logs.lines.some((l) => l.level === 4 && l.msg === "Function: proxy_on_request_headers failed: Uncaught RuntimeError: unreachable"));
  assert.deepEqual(cb.localReplies, [{ status: 503, body: "", headers: [], grpcStatus: 14, details: "wasm_fail_stream" }]);
  assert.equal(p.failed(0), true);
  assert.equal(p.failed(1), false, "other workers keep their VM");
  // Envoy's own failure reply: encoder callbacks do not reach the VM
  assert.equal(f.encodeHeaders([[":status", "503"]], true), "Continue");
  f.log();
  f.onDestroy();
  assert.ok(!e.logs.guest().includes("L must-not-run"));
  // later requests on that worker: 503 without touching the VM
  const cb2 = new FakeHttpCallbacks();
  const f2 = p.newHttpFilter(0, cb2);
  assert.equal(f2.decodeHeaders(requestHeaders(), true), "StopAllIterationAndWatermark");
  assert.equal(cb2.localReplies[0].details, "wasm_fail_stream");
  // worker 1 still works
  const cb3 = new FakeHttpCallbacks();
  const f3 = p.newHttpFilter(1, cb3);
  assert.equal(f3.encodeHeaders([[":status", "200"]], true), "Continue");
  await e.runtime.shutdown();
});

test("fail-open: the failing request continues and later requests bypass the filter", async () => {
  const e = env(1);
  const p = await probe(e, "request_headers trap\nresponse_headers log must-not-run", { failurePolicy: "FAIL_OPEN" });
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  assert.equal(f.decodeHeaders(requestHeaders(), true), "Continue");
  assert.deepEqual(cb.localReplies, []);
  assert.equal(f.encodeHeaders([[":status", "200"]], true), "Continue");
  const cb2 = new FakeHttpCallbacks();
  const f2 = p.newHttpFilter(0, cb2);
  assert.equal(f2.decodeHeaders(requestHeaders(), true), "Continue");
  assert.deepEqual(cb2.localReplies, []);
  assert.ok(!e.logs.guest().includes("L must-not-run"));
  await e.runtime.shutdown();
});

test("a trap in a root callback (tick) fails the VM for every stream of that worker", async () => {
  const e = env(1);
  const p = await probe(e, "tick trap");
  p.tick(0);
  assert.ok(e.logs.lines.some((l) => l.msg === "Function: proxy_on_tick failed: Uncaught RuntimeError: unreachable"));
  const cb = new FakeHttpCallbacks();
  p.newHttpFilter(0, cb).decodeHeaders(requestHeaders(), true);
  assert.equal(cb.localReplies[0].status, 503);
  await e.runtime.shutdown();
});

test("FAIL_RELOAD: new requests after a trap get a fresh VM", async () => {
  const e = env(1);
  const p = await probe(e, "response_headers trap", { failurePolicy: "FAIL_RELOAD" });
  const first = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, first);
  f.decodeHeaders(requestHeaders(), true);
  assert.equal(f.encodeHeaders([[":status", "200"]], true), "StopAllIterationAndWatermark", "trap on the encoder path");
  assert.deepEqual(first.localReplies.map((r) => [r.status, r.details]), [[503, "wasm_fail_stream"]], "the failing stream itself is failed closed");
  assert.equal(p.failed(0), true);
  const cb = new FakeHttpCallbacks();
  const f2 = p.newHttpFilter(0, cb);
  assert.equal(p.failed(0), false);
  assert.equal(f2.decodeHeaders(requestHeaders(), true), "Continue");
  assert.deepEqual(cb.localReplies, []);
  await e.runtime.shutdown();
});

test("network filter fail-closed closes the connection; later connections are closed at once", async () => {
  const e = env(1);
  const p = await probe(e, "downstream_data trap", {}, "network");
  const cb = new FakeNetCallbacks();
  const f = p.newNetworkFilter(0, cb);
  assert.equal(f.onNewConnection(), "Continue");
  assert.equal(f.onData({ buf: Buffer.from("x") }, false), "StopIteration");
  assert.deepEqual(cb.actions, ["close"]);
  const cb2 = new FakeNetCallbacks();
  const f2 = p.newNetworkFilter(0, cb2);
  assert.equal(f2.onNewConnection(), "StopIteration");
  assert.deepEqual(cb2.actions, ["close"]);
  await e.runtime.shutdown();
});
