// Behaviours 6-11: HTTP callback order, status mapping, availability windows, header semantics,
// proxy_send_local_response, deferred actions and the effective context.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { HeaderList } from "../api";
import { env, probe, FakeHttpCallbacks, requestHeaders, text } from "./harness";

test("HTTP order: create lazily at request headers ... response ... then log -> done -> delete", async () => {
  const e = env();
  const p = await probe(e, "");
  e.logs.clear();
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  assert.deepEqual(e.logs.events(), [], "no context before the filter is reached");
  f.decodeHeaders(requestHeaders(), false);
  f.decodeData(Buffer.from("abc"), false);
  f.decodeTrailers([["x-t", "1"]]);
  f.encodeHeaders([[":status", "200"]], false);
  f.encodeData(Buffer.from("hello"), true);
  f.log();
  f.onDestroy();
  assert.deepEqual(e.logs.events(), [
    "create 2 1", "request_headers 2 6 0", "request_body 2 3 0", "request_trailers 2 1",
    "response_headers 2 1 0", "response_body 2 5 1", "log 2", "done 2", "delete 2",
  ]);
  await e.runtime.shutdown();
});

test("a stream that never reached the filter gets its context in the access-log phase; none -> no callbacks", async () => {
  const e = env();
  const p = await probe(e, "");
  e.logs.clear();
  const f = p.newHttpFilter(0, new FakeHttpCallbacks());
  assert.equal(f.encodeHeaders([[":status", "403"]], true), "Continue", "no context yet: encoder continues");
  f.log();
  f.onDestroy();
  assert.deepEqual(e.logs.events(), ["create 2 1", "log 2", "done 2", "delete 2"]);
  e.logs.clear();
  p.newHttpFilter(0, new FakeHttpCallbacks()).onDestroy();
  assert.deepEqual(e.logs.events(), [], "no on_delete for a context that was never created");
  await e.runtime.shutdown();
});

test("status mapping: headers 1 -> StopAll (unless allowed), 2 -> Continue, 3 -> StopAllBuffer, >4 -> StopAll", async () => {
  const e = env();
  const cases: Array<[number, string]> = [[0, "Continue"], [1, "StopAllIterationAndWatermark"], [2, "Continue"], [3, "StopAllIterationAndBuffer"], [4, "StopAllIterationAndWatermark"], [7, "StopAllIterationAndWatermark"]];
  for (const [r, want] of cases) {
    const p = await probe(e, `request_headers ret ${r}`, { vmId: `h${r}` });
    assert.equal(p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true), want, `headers ${r}`);
  }
  const allow = await probe(e, "request_headers ret 1", { vmId: "allow", allowOnHeadersStopIteration: true });
  assert.equal(allow.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true), "StopIteration");
  const data: Array<[number, string]> = [[0, "Continue"], [1, "StopIterationAndBuffer"], [2, "StopIterationAndWatermark"], [3, "StopIterationNoBuffer"], [9, "StopIterationNoBuffer"]];
  for (const [r, want] of data) {
    const p = await probe(e, `request_body ret ${r}`, { vmId: `d${r}` });
    const f = p.newHttpFilter(0, new FakeHttpCallbacks());
    f.decodeHeaders(requestHeaders(), false);
    assert.equal(f.decodeData(Buffer.from("x"), false), want, `data ${r}`);
  }
  for (const [r, want] of [[0, "Continue"], [1, "StopIteration"], [5, "StopIteration"]] as Array<[number, string]>) {
    const p = await probe(e, `request_trailers ret ${r}`, { vmId: `t${r}` });
    const f = p.newHttpFilter(0, new FakeHttpCallbacks());
    f.decodeHeaders(requestHeaders(), false);
    assert.equal(f.decodeTrailers([["a", "b"]]), want, `trailers ${r}`);
  }
  await e.runtime.shutdown();
});

test("StopIterationAndBuffer makes the next body_size cumulative and the buffer holds all of it", async () => {
  const e = env();
  const p = await probe(e, "request_body buf 0 0 100\nresponse_body ret 1");
  const f = p.newHttpFilter(0, new FakeHttpCallbacks());
  f.decodeHeaders(requestHeaders(), false);
  // request body: buffer on the first two chunks (ret 1 via a per-call script is not possible, use response side)
  f.decodeData(Buffer.from("ab"), false);
  f.encodeHeaders([[":status", "200"]], false);
  assert.equal(f.encodeData(Buffer.from("one"), false), "StopIterationAndBuffer");
  assert.equal(f.encodeData(Buffer.from("two"), false), "StopIterationAndBuffer");
  assert.equal(f.encodeData(Buffer.from("3"), true), "StopIterationAndBuffer");
  const sizes = e.logs.events().filter((x) => x.startsWith("response_body")).map((x) => Number(x.split(" ")[2]));
  assert.deepEqual(sizes, [3, 6, 7]);
  await e.runtime.shutdown();
});

test("request headers are writable during on_request_headers and while paused; after Continue -> BAD_ARGUMENT", async () => {
  const e = env();
  const p = await probe(e, [
    "request_headers add 0 x-during 1",
    "response_headers add 0 x-late 1",
    "response_headers get 0 :path",
    "response_headers pairs 0",
    "response_headers replace 0 x-during 2",
    "response_headers remove 0 x-during",
    "response_headers size 0",
    "response_headers setpairs 0 a b",
    "log get 0 :path",
    "log pairs 2",
    "log add 0 x-in-log 1",
    "log get 1 anything",
  ].join("\n"));
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  const h = requestHeaders();
  cb.reqHeaders = h;
  assert.equal(f.decodeHeaders(h, true), "Continue");
  assert.equal(e.logs.result("request_headers", "add")[0], 0);
  assert.ok(h.some(([k, v]) => k === "x-during" && v === "1"));
  const rh: HeaderList = [[":status", "200"]];
  cb.respHeaders = rh;
  f.encodeHeaders(rh, true);
  assert.equal(e.logs.result("response_headers", "add")[0], 2, "add after Continue -> BAD_ARGUMENT");
  assert.equal(e.logs.result("response_headers", "get")[0], 2, "get value -> BAD_ARGUMENT");
  assert.deepEqual(e.logs.result("response_headers", "pairs"), [0, ""], "get pairs -> OK + empty");
  assert.equal(e.logs.result("response_headers", "replace")[0], 2);
  assert.equal(e.logs.result("response_headers", "remove")[0], 2);
  assert.equal(e.logs.result("response_headers", "size")[0], 2);
  assert.equal(e.logs.result("response_headers", "setpairs")[0], 2);
  assert.ok(!h.some(([k]) => k === "x-late"));
  f.log();
  assert.deepEqual([e.logs.result("log", "get")[0], text(e.logs.result("log", "get")[1])], [0, "/foo?x=1"], "readable again in on_log");
  assert.equal(e.logs.result("log", "pairs")[0], 0);
  assert.ok(text(e.logs.result("log", "pairs")[1]).includes(":status"));
  assert.equal(e.logs.result("log", "add")[0], 2, "not writable in on_log");
  assert.equal(e.logs.result("log", "get", 1)[0], 1, "unavailable map in on_log -> NOT_FOUND");
  await e.runtime.shutdown();
});

test("while paused, headers stay writable from the root via set_effective_context; continue_stream closes the window", async () => {
  const e = env();
  const p = await probe(e, [
    "request_headers ret 1",
    "request_headers tick 1000",
    "tick add 0 x-from-root 1",
    "tick effective stream",
    "tick add 0 x-from-stream 1",
    "tick continue 0",
    "tick add 0 x-after-continue 1",
    "tick continue 1",
  ].join("\n"));
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  const h = requestHeaders();
  assert.equal(f.decodeHeaders(h, false), "StopAllIterationAndWatermark");
  p.tick(0);
  assert.equal(e.logs.result("tick", "add", 0)[0], 2, "root context has no request headers");
  assert.equal(e.logs.result("tick", "effective")[0], 0);
  assert.equal(e.logs.result("tick", "add", 1)[0], 0);
  assert.equal(e.logs.result("tick", "continue", 0)[0], 0);
  assert.equal(e.logs.result("tick", "add", 2)[0], 2, "after continue_stream: BAD_ARGUMENT");
  assert.ok(h.some(([k]) => k === "x-from-stream"));
  assert.deepEqual(cb.actions, ["continueDecoding", "continueEncoding"], "continues run after the VM call returns");
  await p.shutdown();
  await e.runtime.shutdown();
});

test("from the root without set_effective_context, continue_stream and local reply do nothing but return OK", async () => {
  const e = env();
  const p = await probe(e, "request_headers ret 1\nrequest_headers tick 1000\ntick continue 0\ntick reply 403 denied body -1\ntick continue 7\ntick continue 3\ntick effective 999");
  const cb = new FakeHttpCallbacks();
  p.newHttpFilter(0, cb).decodeHeaders(requestHeaders(), false);
  p.tick(0);
  assert.equal(e.logs.result("tick", "continue", 0)[0], 0);
  assert.equal(e.logs.result("tick", "reply")[0], 0);
  assert.equal(e.logs.result("tick", "continue", 1)[0], 2, "stream type > 3 -> BAD_ARGUMENT");
  assert.equal(e.logs.result("tick", "continue", 2)[0], 12, "UPSTREAM -> UNIMPLEMENTED");
  assert.equal(e.logs.result("tick", "effective")[0], 2, "unknown context id -> BAD_ARGUMENT");
  assert.deepEqual(cb.actions, []);
  await e.runtime.shutdown();
});

test("the effective context resets at every host->VM call", async () => {
  const e = env();
  const p = await probe(e, "request_headers ret 1\nrequest_headers tick 1000\ntick effective stream\ntick add 0 x-one 1");
  const h = requestHeaders();
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(h, false);
  p.tick(0);
  assert.equal(e.logs.result("tick", "add", 0)[0], 0);
  // a second tick re-runs effective then add; without it, the add would fail. Check the reset by
  // a script whose first op is the add.
  const q = await probe(e, "request_headers ret 1\nrequest_headers tick 1000\ntick add 0 x-two 1\ntick effective stream", { vmId: "other" });
  q.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), false);
  q.tick(0);
  q.tick(0);
  assert.deepEqual(e.logs.results("tick", "add").slice(1).map((r) => r[0]), [2, 2], "effective context does not survive to the next call");
  await e.runtime.shutdown();
});

test("header semantics: lower-case keys, first value, NOT_FOUND, add appends, inline comma-join, replace, byte size", async () => {
  const e = env();
  const p = await probe(e, [
    "request_headers get 0 X-Dup",
    "request_headers get 0 x-missing",
    "request_headers add 0 X-New v1",
    "request_headers add 0 x-new v2",
    "request_headers add 0 x-forwarded-for 10.0.0.2",
    "request_headers add 0 cookie b=2",
    "request_headers replace 0 x-dup only",
    "request_headers size 0",
    "request_headers get 9 x",
    "request_headers ret 1",
  ].join("\n"));
  const h: HeaderList = [[":authority", "svc"], [":path", "/"], ["x-dup", "first"], ["x-dup", "second"], ["x-forwarded-for", "10.0.0.1"], ["cookie", "a=1"]];
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(h, true);
  assert.deepEqual([e.logs.result("request_headers", "get", 0)[0], text(e.logs.result("request_headers", "get", 0)[1])], [0, "first"]);
  assert.equal(e.logs.result("request_headers", "get", 1)[0], 1, "missing -> NOT_FOUND");
  assert.equal(e.logs.result("request_headers", "get", 2)[0], 2, "map type > 7 -> BAD_ARGUMENT");
  assert.deepEqual(h, [[":authority", "svc"], [":path", "/"], ["x-forwarded-for", "10.0.0.1,10.0.0.2"], ["cookie", "a=1; b=2"],
    ["x-new", "v1"], ["x-new", "v2"], ["x-dup", "only"]]);
  const expectSize = [[":authority", "svc"], [":path", "/"], ["x-dup", "first"], ["x-dup", "second"], ["x-forwarded-for", "10.0.0.1,10.0.0.2"], ["cookie", "a=1; b=2"], ["x-new", "v1"], ["x-new", "v2"]]
    .filter(([k]) => k !== "x-dup").concat([["x-dup", "only"]]).reduce((a, [k, v]) => a + k.length + v.length, 0);
  assert.equal(Number(e.logs.result("request_headers", "size")[1]), expectSize, "get_header_map_size = byte size");
  await e.runtime.shutdown();
});

test("send_local_response: OK now, stop forced, reply after the callback through the same plugin, then log/done/delete", async () => {
  const e = env();
  const p = await probe(e, "request_headers reply 403 access%20denied%09now denied!%0A -1 x-Reason policy\nrequest_headers log after-reply\nrequest_body log never");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  // Like Envoy's filter manager: the local reply is encoded through this filter right away.
  cb.onLocalReply = (status, body, headers) => {
    const rh: HeaderList = [[":status", String(status)], ["content-length", String(body.length)], ["content-type", "text/plain"], ...headers];
    f.encodeHeaders(rh, false);
    f.encodeData(Buffer.from(body), true);
  };
  assert.equal(f.decodeHeaders(requestHeaders(), false), "StopAllIterationAndWatermark", "forced stop although the callback returned 0");
  assert.equal(e.logs.result("request_headers", "reply")[0], 0);
  const g = e.logs.guest();
  assert.ok(g.indexOf("L after-reply") < g.findIndex((x) => x.startsWith("E response_headers")), "reply emitted after the callback returned");
  assert.deepEqual(cb.localReplies, [{ status: 403, body: "denied!\n", headers: [["x-reason", "policy"]], grpcStatus: undefined, details: "access_denied_now" }]);
  assert.equal(f.decodeData(Buffer.from("late"), true), "StopIterationNoBuffer");
  f.log();
  f.onDestroy();
  assert.deepEqual(e.logs.events().slice(-6), ["request_headers 2 6 0", "response_headers 2 4 0", "response_body 2 8 1", "log 2", "done 2", "delete 2"]);
  assert.ok(!g.includes("L never"));
  await e.runtime.shutdown();
});

test("send_local_response grpc_status in 0..16 is passed, -1 means none", async () => {
  const e = env();
  const p = await probe(e, "request_headers reply 200 grpc-denied %20 7");
  const cb = new FakeHttpCallbacks();
  p.newHttpFilter(0, cb).decodeHeaders(requestHeaders(), true);
  assert.equal(cb.localReplies[0].grpcStatus, 7);
  assert.equal(cb.localReplies[0].body, " ");
  await e.runtime.shutdown();
});

test("close_stream resets the stream after the call with details wasm_close_stream", async () => {
  const e = env();
  const p = await probe(e, "request_headers close 0");
  const cb = new FakeHttpCallbacks();
  p.newHttpFilter(0, cb).decodeHeaders(requestHeaders(), true);
  assert.deepEqual(cb.actions, ["resetStream wasm_close_stream"]);
  await e.runtime.shutdown();
});

test("bodies: readable and replaceable in their callback (prefix replace, append), not after Continue", async () => {
  const e = env();
  const p = await probe(e, "request_body setbuf 0 0 5 HELLO\nrequest_body setbuf 0 100 0 !\nrequest_body buf 0 0 100\nresponse_headers buf 0 0 100\nrequest_body setbuf 0 3 1 x");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(requestHeaders(), false);
  f.decodeData(Buffer.from("hello world"), true);
  assert.equal(text(e.logs.result("request_body", "buf")[1]), "HELLO world!");
  assert.equal(e.logs.result("request_body", "setbuf", 2)[0], 2, "start inside the body (not 0) -> BAD_ARGUMENT");
  assert.ok(cb.actions.includes("setRequestBody HELLO world!"));
  f.encodeHeaders([[":status", "200"]], true);
  assert.equal(e.logs.result("response_headers", "buf")[0], 1, "request body gone after Continue -> NOT_FOUND");
  await e.runtime.shutdown();
});

test("trailers can be added from the last body callback when none exist (addDecodedTrailers)", async () => {
  const e = env();
  const p = await probe(e, "request_body add 1 x-trailer t1\nresponse_body add 3 grpc-status 0");
  const cb = new FakeHttpCallbacks();
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(requestHeaders(), false);
  f.decodeData(Buffer.from("a"), false);
  assert.equal(e.logs.result("request_body", "add", 0)[0], 2, "not at end of stream -> no trailers map");
  f.decodeData(Buffer.from("b"), true);
  assert.equal(e.logs.result("request_body", "add", 1)[0], 0);
  assert.deepEqual(cb.reqTrailers, [["x-trailer", "t1"]]);
  f.encodeHeaders([[":status", "200"]], false);
  f.encodeData(Buffer.from("r"), true);
  assert.deepEqual(cb.respTrailers, [["grpc-status", "0"]]);
  await e.runtime.shutdown();
});

test("capability_restriction_config: non-allowed host calls log and answer INTERNAL_FAILURE", async () => {
  const e = env();
  const p = await probe(e, "request_headers add 0 x-a 1\nrequest_headers get 0 :path", {
    allowedCapabilities: ["proxy_get_header_map_value", "proxy_get_buffer_bytes", "proxy_on_context_create"],
  });
  const h = requestHeaders();
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(h, true);
  assert.equal(e.logs.result("request_headers", "add")[0], 10);
  assert.equal(e.logs.result("request_headers", "get")[0], 0);
  assert.ok(e.logs.lines.some((l) => l.msg === "Attempted call to restricted proxy-wasm capability: proxy_add_header_map_value"));
  await e.runtime.shutdown();
});

test("continue_stream(DOWNSTREAM) on an HTTP stream is OK and keeps the request headers; RESPONSE continue drops them", async () => {
  const e = env();
  const p = await probe(e, "request_headers continue 2\nrequest_headers add 0 x-a 1\nrequest_headers continue 1\nrequest_headers add 0 x-b 1\nrequest_headers ret 1");
  const cb = new FakeHttpCallbacks();
  p.newHttpFilter(0, cb).decodeHeaders(requestHeaders(), false);
  assert.deepEqual(e.logs.results("request_headers", "continue").map((r) => r[0]), [0, 0]);
  assert.deepEqual(e.logs.results("request_headers", "add").map((r) => r[0]), [0, 2]);
  assert.deepEqual(cb.actions, ["continueEncoding"]);
  await e.runtime.shutdown();
});
