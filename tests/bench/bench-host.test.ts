// The shared bench host and the call_floor fixture: the floor replays exactly the calls its
// configuration lists (recording it regenerates the same configuration), the host answers like
// Envoy where the benches rely on it, survives memory.grow in the middle of a call, and call_floor
// links in Envoy under the suite's import rules (tests/abi/imports.test.ts lists its fixtures by name).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { instantiate, callFloorConfig, Stream, header, headerValues, hasHeader, i64, dec, FIXTURES, type HostCall } from "./bench-host";
import { readModuleInfo } from "../host/wasm/binary";
import { checkModule } from "../host/wasm/link";

const FLOOR = path.join(FIXTURES, "call_floor.wasm");
const stream = () => new Stream(
  [header(":path", "/x"), header("x-dup", "a"), header("x-dup", "b"), header("x-gone", "1"), header("x-gone", "2")],
  [header(":status", "200")], 7);

function recordFloor(config: string, properties: Array<[string, any]> = []): { calls: HostCall[]; s: Stream; vm: ReturnType<typeof instantiate> } {
  const vm = instantiate(FLOOR, { rootId: "call_floor", config, properties, record: true });
  const s = stream();
  return { calls: vm.recordRequest(s), s, vm };
}

test("call_floor links in Envoy, ABI 0.2.1, memory exported, WASI only proc_exit, no env.abort", () => {
  const info = readModuleInfo(readFileSync(FLOOR));
  assert.equal(checkModule(info), "0.2.1");
  assert.ok(info.exports.some((e) => e.name === "memory"));
  assert.ok(info.exports.some((e) => e.name === "malloc"));
  for (const imp of info.imports) {
    if (imp.module === "env") assert.ok(imp.name.startsWith("proxy_"), `imports env.${imp.name}`);
    else assert.deepEqual([imp.module, imp.name], ["wasi_unstable", "proc_exit"]);
  }
});

test("call_floor replays its configuration call for call: recording it gives the same configuration back", () => {
  const config = [
    "metric 0", "metric 2", "metric 1",
    "context_create get_log_level",
    "request_headers get_property xds%00node%00id",
    "request_headers get_property no%20such%25key",
    "request_headers get_property %",
    "request_headers get_header 0 x-dup",
    "request_headers get_header_pairs 0",
    "request_headers remove_header 0 x-gone",
    "request_headers set_property my_state 17",
    "response_headers add_header 2 x-added 5",
    "response_headers replace_header 2 :status 3",
    "response_body get_time",
    "log get_property my_state",
    "log get_property request%00headers%00x-dup",
    "log increment_metric 0 1",
    "log record_metric 1 12345",
    "log record_metric 2 -4",
    "log get_metric 0",
    "log log 2 30",
    "done get_buffer 7 0 100",
    "delete get_shared_data some%00key",
    "delete set_shared_data some%00key 9 0",
  ].join("\n") + "\n";
  const { calls, s, vm } = recordFloor(config, [["xds\0node\0id", new TextEncoder().encode("sidecar~1")]]);
  assert.equal(callFloorConfig(calls), config);
  const status = (fn: string, key?: string) => calls.find((c) => c.fn === fn && (key === undefined || dec.decode(c.key!) === key))!.status;
  assert.equal(status("proxy_get_property", "xds\0node\0id"), 0);
  assert.equal(status("proxy_get_property", "no such%key"), 1, "unknown property: NOT_FOUND");
  assert.equal(status("proxy_get_property", "my_state"), 0, "filter state written by set_property is served for its top-level name");
  assert.equal(status("proxy_get_header_map_value"), 0);
  // The host kept copies of what was written, with the lengths the configuration gave.
  assert.equal(s.stateValue("my_state")?.length, 17);
  assert.deepEqual(headerValues(s.response, "x-added"), ["vvvvv"]);
  assert.deepEqual(headerValues(s.response, ":status"), ["vvv"]);
  assert.ok(!hasHeader(s.request, "x-gone"), "remove_header removes every entry with that name");
  assert.deepEqual(headerValues(s.request, "x-dup"), ["a", "b"]);
  // Metrics were defined once at configure time and then updated per request.
  const byName = new Map([...vm.metrics.values()].map((m) => [m.name, m]));
  assert.deepEqual([...byName.keys()].sort(), ["call_floor_0", "call_floor_1", "call_floor_2"]);
  assert.deepEqual([0, 1, 2].map((i) => byName.get(`call_floor_${i}`)!.type), [0, 2, 1], "slots keep their declared types");
  assert.equal(byName.get("call_floor_0")!.value, 1);
  assert.equal(byName.get("call_floor_1")!.samples, 1);
  assert.equal(byName.get("call_floor_1")!.value, 12345);
  assert.equal(byName.get("call_floor_2")!.value, -4);
});

test("call_floor refuses a configuration it cannot replay, naming the line", () => {
  assert.throws(() => instantiate(FLOOR, { rootId: "call_floor", config: "request_headers get_property\n" }), /line 1: wrong number of fields/);
  assert.throws(() => instantiate(FLOOR, { rootId: "call_floor", config: "upgrade get_time\n" }), /unknown callback or call/);
  assert.throws(() => instantiate(FLOOR, { rootId: "call_floor", config: "log increment_metric 0 1\n" }), /metric slot 0 not declared/);
  assert.throws(() => instantiate(FLOOR, { rootId: "call_floor", config: "log get_property bad%zz\n" }), /bad %XX escape/);
});

test("the host refreshes its memory views when a malloc inside a call grows memory", () => {
  // A 1 MiB property: call_floor's malloc grows its scratch, so memory grows during the host call.
  const big = new Uint8Array(1 << 20).fill(7);
  const vm = instantiate(FLOOR, { rootId: "call_floor", config: "request_headers get_property big\nrequest_headers get_property small\n",
    properties: [["big", big], ["small", i64(5)]] });
  const before = vm.memoryBytes();
  vm.request(stream());
  assert.ok(vm.memoryBytes() > before + (1 << 20) - 1, `memory grew from ${before} to ${vm.memoryBytes()}`);
  const mem = new Uint8Array(vm.memory().buffer);
  // The scratch region now holds the last value returned (the 8-byte small one) over the start of the big one.
  const at = mem.findIndex((b, i) => b === 5 && mem.subarray(i + 1, i + 8).every((z) => z === 0) && mem[i + 8] === 7 && mem[i + 9] === 7);
  assert.ok(at > 0 && mem.subarray(at + 8, at + (1 << 20)).every((b) => b === 7), "values were copied into the grown memory");
  vm.request(stream());
});

test("the host joins repeated headers for request.headers attributes and records a request's calls only when asked", () => {
  const { calls } = recordFloor("log get_property request%00headers%00x-dup\nlog get_property response%00headers%00:status\nlog get_property request%00headers%00nope\n");
  assert.deepEqual(calls.map((c) => c.status), [0, 0, 1]);
  const vm = instantiate(FLOOR, { rootId: "call_floor", config: "log get_time\n" });
  assert.throws(() => vm.recordRequest(stream()), /record: true/);
});

test("a recorded define_metric during a request cannot be replayed and says so", () => {
  assert.throws(() => callFloorConfig([{ callback: "log", fn: "proxy_define_metric", metric: 0 }]), /cannot replay proxy_define_metric \(in log\)/);
});
