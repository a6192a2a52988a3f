// Behaviour 12: proxy_http_call to configured clusters (one run against a real node:http server on
// 127.0.0.1), tokens 4, 8, ..., completion on the root, failure 0,0,0 + get_status (11, "reset").
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ClusterManager, HeaderList, HttpCalloutResponse } from "../api";
import { env, probe, FakeHttpCallbacks, requestHeaders, text, sleep, immediate } from "./harness";

const CALL = "call backend 5000 :method GET :path /check :authority backend.local X-Extra yes";

test("http_call: validation, tokens 4, 8, callback on the root with counts, response readable only inside", async () => {
  const e = env();
  const p = await probe(e, [
    "request_headers ret 1",
    `request_headers ${CALL}`,
    `request_headers ${CALL}`,
    "request_headers call nowhere 0 :method GET :path / :authority x",
    "request_headers call backend 0 :method GET :authority x",
    "request_headers call backend 0 :path / :authority x",
    "request_headers call backend 0 :method GET :path /",
    "request_headers call backend 4294967295 :method GET :path / :authority x",
    "request_headers pairs 6",
    "http_call_response pairs 6",
    "http_call_response buf 4 0 100",
    "http_call_response status",
    "http_call_response effective stream",
    "http_call_response get 6 x-from",
    "http_call_response add 0 x-checked yes",
    "http_call_response continue 0",
    "tick buf 4 0 100",
  ].join("\n"));
  const cb = new FakeHttpCallbacks();
  const h = requestHeaders();
  p.newHttpFilter(0, cb).decodeHeaders(h, false);
  const calls = e.logs.results("request_headers", "call");
  assert.deepEqual(calls.slice(0, 2), [[0, "4"], [0, "8"]]);
  assert.deepEqual(calls.slice(2).map((c) => c[0]), [2, 2, 2, 2, 2], "unknown cluster / missing :path / :method / :authority / negative timeout -> BAD_ARGUMENT");
  assert.deepEqual(e.logs.result("request_headers", "pairs"), [0, ""], "call response headers only inside the callback");
  assert.equal(e.clusters.calls.length, 2);
  assert.deepEqual(e.clusters.calls[0].headers, [[":method", "GET"], [":path", "/check"], [":authority", "backend.local"], ["x-extra", "yes"], ["content-length", "4"]],
    "keys lower-cased, content-length set for the body");
  assert.equal(Buffer.from(e.clusters.calls[0].body).toString(), "ping");
  assert.equal(e.clusters.calls[0].timeoutMs, 5000);
  await immediate(); // the fake cluster answers in microtasks: its callback has run by now
  const responses = e.logs.events().filter((x) => x.startsWith("http_call_response"));
  assert.deepEqual(responses, ["http_call_response 1 4 2 5 0", "http_call_response 1 8 2 5 0"], "on the ROOT context (id 1)");
  assert.ok(text(e.logs.result("http_call_response", "pairs")[1]).includes(":status\u0000200"));
  assert.equal(text(e.logs.result("http_call_response", "buf")[1]), "pong!");
  assert.equal(e.logs.result("http_call_response", "status")[0], 0);
  assert.deepEqual([e.logs.result("http_call_response", "get")[0], text(e.logs.result("http_call_response", "get")[1])], [0, "backend"],
    "call response maps are looked up on the root, also after set_effective_context");
  assert.equal(e.logs.result("http_call_response", "add")[0], 0, "paused request headers writable via the effective stream");
  assert.ok(h.some(([k]) => k === "x-checked"));
  assert.equal(e.logs.result("http_call_response", "add", 1)[0], 2, "second callback: the first continue_stream dropped the request pointers");
  assert.deepEqual(cb.actions, ["continueDecoding", "continueDecoding"], "each continue_stream is deferred to after its VM call");
  p.tick(0);
  assert.equal(e.logs.result("tick", "buf")[0], 1, "HTTP_CALL_RESPONSE_BODY outside the callback -> NOT_FOUND");
  await e.runtime.shutdown();
});

test("http_call failure: callback with 0, 0, 0 and get_status -> (11, reset)", async () => {
  const e = env();
  e.clusters.responder = async () => { throw new Error("connect ECONNREFUSED"); };
  await probe(e, `configure ${CALL}\nhttp_call_response status`);
  await immediate(); // the fake cluster answers in microtasks: its callback has run by now
  // canary + worker both called; the canary is discarded so only the worker's callback runs
  assert.deepEqual(e.logs.events().filter((x) => x.startsWith("http_call_response")), ["http_call_response 1 4 0 0 0"]);
  const [s, v] = e.logs.result("http_call_response", "status");
  assert.equal(s, 0);
  const [code, msg] = v.split(":");
  assert.equal(code, "11");
  assert.equal(Buffer.from(msg, "hex").toString(), "reset");
  await e.runtime.shutdown();
});

test("http_call reaches a real HTTP endpoint on 127.0.0.1 through a ClusterManager", async () => {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      res.setHeader("x-echo-path", req.url ?? "");
      res.end(`got ${req.method} ${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const clusters: ClusterManager = {
    has: (c) => c === "backend",
    httpCall: (_c, headers, body) => new Promise<HttpCalloutResponse>((resolve, reject) => {
      const get = (k: string) => headers.find(([n]) => n === k)?.[1];
      const req = http.request({ host: "127.0.0.1", port, method: get(":method"), path: get(":path"), headers: { host: get(":authority") } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d) => chunks.push(d));
        res.on("end", () => {
          const rh: HeaderList = [[":status", String(res.statusCode)], ...Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string])];
          resolve({ headers: rh, body: Buffer.concat(chunks), trailers: [] });
        });
      });
      req.on("error", reject);
      req.end(Buffer.from(body));
    }),
  };
  try {
    const e = env();
    const rt = (await import("../wasm/index")).createWasmRuntime({ workers: 1, node: { id: "n", cluster: "c", metadata: {} }, clusters, stats: e.stats, log: e.logs.sink });
    const { pluginConfig, fixture } = await import("./harness");
    const p = await rt.loadPlugin(pluginConfig(fixture("host_probe"), { configuration: Buffer.from(`request_headers call backend 0 :method POST :path /real :authority backend\nhttp_call_response buf 4 0 100\nhttp_call_response get 6 x-echo-path`) }), "http");
    p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
    for (let i = 0; i < 100 && !e.logs.results("http_call_response", "buf").length; i++) await sleep(10);
    assert.equal(text(e.logs.result("http_call_response", "buf")[1]), "got POST ping");
    assert.equal(text(e.logs.result("http_call_response", "get")[1]), "/real");
    await rt.shutdown();
  } finally {
    server.close();
  }
});
