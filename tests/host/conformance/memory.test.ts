// Behaviours 4 and 5: the memory protocol (guest malloc, exact lengths, 0/0 for empty, u32
// normalisation, BigInt i64, views re-created after growth, out-of-bounds -> INVALID_MEMORY_ACCESS)
// and the byte-exact pairs codec with cpp-host's malformed/oversized -> empty rule.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePairs, decodePairs, decodePairsRaw, MAX_PAIRS } from "../wasm/pairs";
import { env, probe, fixture, pluginConfig, FakeHttpCallbacks, requestHeaders, hex, text } from "./harness";

test("pairs encoding is byte-exact (count, lengths, NUL-terminated data, little-endian)", () => {
  const b = Buffer.from(encodePairs([["a", "1"], ["b", "22"]]));
  assert.equal(b.toString("hex"), "02000000" + "01000000" + "01000000" + "01000000" + "02000000" + "610031006200323200");
  assert.equal(encodePairs([]).length, 0, "empty map = empty buffer (host writes ptr 0 / size 0)");
  assert.deepEqual(decodePairs(b), [["a", "1"], ["b", "22"]]);
});

test("malformed or oversized pairs decode as empty", () => {
  const good = Buffer.from(encodePairs([["k", "v"]]));
  assert.deepEqual(decodePairs(good), [["k", "v"]]);
  assert.deepEqual(decodePairs(Buffer.concat([good, Buffer.from([0])])), [], "trailing bytes");
  const badTerm = Buffer.from(good); badTerm[badTerm.length - 1] = 0x41;
  assert.deepEqual(decodePairs(badTerm), [], "terminator not NUL");
  const overrun = Buffer.from(good); overrun.writeUInt32LE(50, 8);
  assert.deepEqual(decodePairs(overrun), [], "length overruns");
  assert.deepEqual(decodePairs(Buffer.from([1, 0])), [], "too short");
  assert.deepEqual(decodePairs(Buffer.from([0, 0, 0, 0])), [], "zero count (proxy-runtime serializeHeaders([]))");
  const many = Array.from({ length: MAX_PAIRS + 1 }, (_, i): [string, string] => [`k${i}`, "v"]);
  assert.deepEqual(decodePairsRaw(encodePairs(many)), [], "more than 1024 pairs");
  assert.equal(decodePairsRaw(encodePairs(many.slice(0, MAX_PAIRS))).length, MAX_PAIRS);
  const big: Array<[string, string]> = [["k", "x".repeat(1024 * 1024)]];
  assert.deepEqual(decodePairsRaw(encodePairs(big)), [], "more than 1 MiB");
});

test("the guest sees byte-exact pairs; sending malformed pairs to set_header_map_pairs empties the map", async () => {
  const e = env();
  const malformed = Buffer.from(encodePairs([["x-a", "1"]])).toString("hex") + "00";
  const p = await probe(e, `request_headers pairs 0\nrequest_headers rawpairs 0 ${malformed}\nrequest_headers pairs 0\nrequest_headers ret 1`);
  const h = requestHeaders();
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(h, true);
  assert.equal(e.logs.result("request_headers", "pairs", 0)[1], Buffer.from(encodePairs(requestHeaders())).toString("hex"));
  assert.equal(e.logs.result("request_headers", "rawpairs")[0], 0);
  assert.deepEqual(h, []);
  assert.deepEqual(e.logs.result("request_headers", "pairs", 1), [0, ""], "empty map -> ptr 0 / size 0");
  await e.runtime.shutdown();
});

test("empty results are written as ptr 0 / size 0 without calling malloc; non-empty are exact-length", async () => {
  const e = env();
  await probe(e, "", { vmId: "", vmConfiguration: Buffer.from("vm_start retwords plugin_vm_id\nvm_start retwords plugin_root_id") });
  assert.deepEqual(e.logs.result("vm_start", "retwords", 0), [0, "ptr=0,size=0"]);
  assert.deepEqual(e.logs.result("vm_start", "retwords", 1), [0, "ptr=nz,size=5"]);
  await e.runtime.shutdown();
});

test("out-of-bounds return pointers give INVALID_MEMORY_ACCESS (no trap); u32 max_size 0xFFFFFFFF reads all", async () => {
  const e = env();
  const p = await probe(e, "request_body badptr plugin_root_id\nrequest_body buf 0 0 4294967295\nrequest_body buf 0 2 4294967295\nrequest_body buf 0 100 5");
  const f = p.newHttpFilter(0, new FakeHttpCallbacks());
  f.decodeHeaders(requestHeaders(), false);
  assert.equal(f.decodeData(Buffer.from("hello body"), true), "Continue");
  assert.equal(e.logs.result("request_body", "badptr")[0], 6);
  assert.equal(text(e.logs.result("request_body", "buf", 0)[1]), "hello body");
  assert.equal(text(e.logs.result("request_body", "buf", 1)[1]), "llo body");
  assert.deepEqual(e.logs.result("request_body", "buf", 2), [0, ""], "start past the end -> empty");
  assert.equal(p.failed(0), false);
  await e.runtime.shutdown();
});

test("views are re-created after memory.grow; i64 params arrive as BigInt", async () => {
  const e = env();
  const p = await probe(e, "request_headers grow 3\nrequest_headers get 0 :path\nrequest_headers define 0 big\nrequest_headers record metric 5000000000\nrequest_headers metric metric");
  const before = p.memoryBytes(0);
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.equal(p.memoryBytes(0), before + 3 * 65536);
  assert.equal(text(e.logs.result("request_headers", "get")[1]), "/foo?x=1");
  assert.deepEqual(e.logs.result("request_headers", "metric"), [0, "5000000000"]);
  assert.equal(e.stats.value("wasmcustom.big"), 5000000000);
  void hex;
  await e.runtime.shutdown();
});

test("unpatched proxy-runtime 0.1.8: an empty plugin configuration traps in on_configure (0/0 written), a non-empty one works", async () => {
  // The SDK passes configuration_size as ret_size_ptr; with ptr 0/size 0 written for the empty
  // buffer it then dereferences a stale reference (reference §3.4 1d). A lenient host hides this.
  const e = env(1);
  await assert.rejects(e.runtime.loadPlugin(pluginConfig(fixture("runtime_0_1_8"), { rootId: "add_header" }), "http"),
    /Function: proxy_on_configure failed: Uncaught RuntimeError: memory access out of bounds/);
  assert.equal(e.logs.lines.filter((l) => l.msg.startsWith("Function: proxy_on_configure failed")).length, 1, "logged once");
  const p = await e.runtime.loadPlugin(pluginConfig(fixture("runtime_0_1_8"), { rootId: "add_header", vmId: "rt", configuration: Buffer.from("{}") }), "http");
  const f = p.newHttpFilter(0, new FakeHttpCallbacks());
  f.decodeHeaders(requestHeaders(), true);
  const rh: Array<[string, string]> = [[":status", "200"]];
  assert.equal(f.encodeHeaders(rh, true), "Continue");
  assert.deepEqual(rh, [[":status", "200"], ["x-added-by", "shared-abi"]]);
  f.log();
  f.onDestroy();
  assert.equal(p.failed(0), false);
  await e.runtime.shutdown();
});
