// Shared data with CAS (process-wide per vm_id), shared queues (on_queue_ready to the registering
// root), ticks (per root per worker, stoppable, manual tick()), and WASI (fd_write to the log,
// environ from vm_config.environment_variables, clock, random) — part of behaviours 1 and 2.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, probe, FakeHttpCallbacks, requestHeaders, text, immediate, sleep } from "./harness";

test("shared data: CAS across workers of one vm_id; other vm_ids do not see it", async () => {
  const e = env(2);
  const p = await probe(e, [
    "request_headers sget k",
    "request_headers sset k v1 0",
    "request_headers sget k",
  ].join("\n"));
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.equal(e.logs.result("request_headers", "sget", 0)[0], 1, "missing -> NOT_FOUND");
  const [s, v] = e.logs.result("request_headers", "sget", 1);
  assert.equal(s, 0);
  const [val, cas] = v.split(":");
  assert.equal(text(val), "v1");
  assert.ok(Number(cas) >= 1);
  const q = await probe(e, [
    `request_headers sset k v2 ${Number(cas) + 1000}`,
    `request_headers sset k v2 ${cas}`,
    `request_headers sset k v3 ${cas}`,
    "request_headers sget k",
  ].join("\n"), { name: "writer", rootId: "writer" });
  e.logs.clear();
  q.newHttpFilter(1, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.deepEqual(e.logs.results("request_headers", "sset").map((r) => r[0]), [8, 0, 8], "stale cas -> CAS_MISMATCH");
  assert.equal(text(e.logs.result("request_headers", "sget")[1].split(":")[0]), "v2", "worker 1 sees worker 0's data");
  const other = await probe(e, "request_headers sget k", { vmId: "elsewhere" });
  e.logs.clear();
  other.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.equal(e.logs.result("request_headers", "sget")[0], 1);
  await e.runtime.shutdown();
});

test("shared queues: register/resolve/enqueue/dequeue; on_queue_ready goes to the registering root", async () => {
  const e = env(1);
  const p = await probe(e, [
    "tick qreg jobs",
    "tick qres - jobs",
    "tick qres vm1 jobs",
    "tick qres - nope",
    "request_headers enq 1 hello",
    "request_headers enq 77 x",
    "queue_ready deq 1",
    "queue_ready deq 1",
  ].join("\n"));
  p.tick(0);
  assert.deepEqual(e.logs.results("tick", "qreg"), [[0, "1"]]);
  assert.deepEqual(e.logs.results("tick", "qres").map((r) => r[0]), [0, 0, 1]);
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.deepEqual(e.logs.results("request_headers", "enq").map((r) => r[0]), [0, 1], "unknown queue -> NOT_FOUND");
  assert.ok(!e.logs.events().some((x) => x.startsWith("queue_ready")), "delivered asynchronously, not inside the enqueuing call");
  await immediate();
  assert.ok(e.logs.events().includes("queue_ready 1 1"));
  assert.deepEqual(e.logs.results("queue_ready", "deq").map(([s, v]) => [s, text(v)]), [[0, "hello"], [7, ""]], "then EMPTY");
  await e.runtime.shutdown();
});

test("tick period 0 stops the root's timer", async () => {
  const e = env(1);
  await probe(e, "configure tick 5\ntick tick 0");
  await sleep(40);
  assert.equal(e.logs.events().filter((x) => x.startsWith("tick")).length, 1, "one tick, then the guest set period 0");
  await e.runtime.shutdown();
});

test("ticks: timer per root per worker, stopped at shutdown; tick() drives it manually", async () => {
  const e = env(2);
  const p = await probe(e, "configure tick 5\ntick log ticked");
  await sleep(40);
  const n = e.logs.events().filter((x) => x.startsWith("tick")).length;
  assert.ok(n >= 4, `timers fired on both workers (${n})`);
  await p.shutdown();
  const after = e.logs.events().filter((x) => x.startsWith("tick")).length;
  await sleep(25);
  assert.equal(e.logs.events().filter((x) => x.startsWith("tick")).length, after, "no ticks after shutdown (canary's timer never ran either)");
  const q = await probe(e, "tick log manual", { vmId: "manual" });
  e.logs.clear();
  q.tick(1);
  assert.deepEqual(e.logs.events(), ["tick 1"]);
  await e.runtime.shutdown();
});

test("WASI: fd_write to the log (1 -> info, 2 -> error), environ from config, clocks, random_get limit", async () => {
  const e = env(1);
  await probe(e, "", {
    environment: { ISTIO_META_X: "1", B: "two" },
    vmConfiguration: Buffer.from("vm_start stdout hello%20out\nvm_start stderr oops\nvm_start environ\nvm_start clock 0\nvm_start clock 1\nvm_start clock 9\nvm_start random 8\nvm_start random 70000\nvm_start loglevel\nvm_start time"),
  });
  assert.ok(e.logs.lines.some((l) => l.level === 2 && l.msg === "wasm log probe-plugin probe vm1: hello out"));
  assert.ok(e.logs.lines.some((l) => l.level === 4 && l.msg === "wasm log probe-plugin probe vm1: oops"));
  assert.deepEqual(e.logs.result("vm_start", "stdout"), [0, "10"]);
  assert.equal(text(e.logs.result("vm_start", "environ")[1]), "ISTIO_META_X=1\0B=two\0");
  // canary first, then the worker: take the canary's three
  const clocks = e.logs.results("vm_start", "clock").slice(0, 3);
  assert.deepEqual(clocks.map((r) => r[0]), [0, 0, 58], "realtime, monotonic, unknown clock -> ENOTSUP");
  assert.deepEqual(clocks.slice(0, 2).map((r) => r[1]), ["nonzero", "nonzero"]);
  assert.equal(e.logs.result("vm_start", "random", 0)[0], 0);
  assert.equal(e.logs.result("vm_start", "random", 1)[0], 28, "more than 64 KiB -> EINVAL");
  assert.deepEqual(e.logs.result("vm_start", "loglevel"), [0, "0"]);
  const ns = BigInt(e.logs.result("vm_start", "time")[1]);
  assert.ok(ns > 1_600_000_000_000_000_000n, "wall clock in ns");
  await e.runtime.shutdown();
});
