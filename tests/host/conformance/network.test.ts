// Network filters: on_new_connection, downstream/upstream data with readable and replaceable
// DOWNSTREAM_DATA / UPSTREAM_DATA buffers, statuses, close events and the TCP order done -> log -> delete.
import { test } from "node:test";
import assert from "node:assert/strict";
import { env, probe, FakeNetCallbacks, text } from "./harness";

test("TCP: new connection, data both ways (read + replace), close -> done -> log -> delete", async () => {
  const e = env(1);
  const p = await probe(e, [
    "downstream_data buf 2 0 100",
    "downstream_data setbuf 2 0 100 REPLACED",
    "upstream_data setbuf 3 100 0 -tail",
    "upstream_data buf 0 0 10",
    "upstream_data prop connection id",
    "upstream_data continue 2",
    "upstream_data ret 1",
  ].join("\n"), {}, "network");
  e.logs.clear();
  const cb = new FakeNetCallbacks();
  const f = p.newNetworkFilter(0, cb);
  assert.equal(f.onNewConnection(), "Continue");
  const down = { buf: Buffer.from("client bytes") };
  assert.equal(f.onData(down, false), "Continue");
  assert.equal(text(e.logs.result("downstream_data", "buf")[1]), "client bytes");
  assert.equal(down.buf.toString(), "REPLACED");
  const up = { buf: Buffer.from("server") };
  assert.equal(f.onWrite(up, true), "StopIteration", "non-zero -> StopIteration");
  assert.equal(up.buf.toString(), "server-tail");
  assert.equal(e.logs.result("upstream_data", "buf")[0], 1, "HTTP body buffer does not exist on a TCP context");
  assert.equal(Buffer.from(e.logs.result("upstream_data", "prop")[1], "hex").readBigUInt64LE(0), 42n);
  assert.deepEqual(cb.actions, ["continueReading"]);
  f.onUpstreamEvent!("RemoteClose"); // already synthesized by end_stream from upstream: not repeated
  f.onEvent("RemoteClose");
  f.onEvent("RemoteClose");
  assert.deepEqual(e.logs.events(), [
    "create 2 1", "new_connection 2", "downstream_data 2 12 0", "upstream_data 2 6 1",
    "upstream_close 2 0", "downstream_close 2 2", "done 2", "log 2", "delete 2",
  ], "upstream end_stream -> upstream_close(UNKNOWN); downstream close -> done, log, delete once");
  await e.runtime.shutdown();
});

test("TCP: data buffers exist only during their callbacks; close_stream(DOWNSTREAM) closes after the call", async () => {
  const e = env(1);
  const p = await probe(e, "new_connection buf 2 0 10\ndownstream_data close 2\ndownstream_data ret 0", {}, "network");
  const cb = new FakeNetCallbacks();
  const f = p.newNetworkFilter(0, cb);
  f.onNewConnection();
  assert.equal(e.logs.result("new_connection", "buf")[0], 1);
  f.onData({ buf: Buffer.from("x") }, true);
  assert.deepEqual(cb.actions, ["close"]);
  f.onEvent("LocalClose");
  assert.ok(e.logs.events().includes("downstream_close 2 1"), "LocalClose -> peer type LOCAL (1)");
  await e.runtime.shutdown();
});

test("TCP: upstream close after the downstream closed is not delivered twice; close order with upstream first", async () => {
  const e = env(1);
  const p = await probe(e, "", {}, "network");
  e.logs.clear();
  const f = p.newNetworkFilter(0, new FakeNetCallbacks());
  f.onNewConnection();
  f.onUpstreamEvent!("LocalClose");
  assert.deepEqual(e.logs.events(), ["create 2 1", "new_connection 2", "upstream_close 2 1"], "upstream close alone does not end the context");
  f.onEvent("LocalClose");
  assert.deepEqual(e.logs.events().slice(3), ["downstream_close 2 1", "done 2", "log 2", "delete 2"]);
  await e.runtime.shutdown();
});
