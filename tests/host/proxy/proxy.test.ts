// The proxy over real sockets with test-double filters (no wasm): HCM-added headers, the router's
// answers for NR / UH / UF / direct responses, h2c, tcp_proxy with a network filter double that
// pauses and resumes reading, proxy_http_call's ClusterManager, the admin port.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type {
  HeaderList, HttpFilter, HttpFilterCallbacks, LoadedPlugin, NetworkFilter, NetworkFilterCallbacks, PluginConfig, StreamInfo, WasmRuntime,
} from "../api";
import { parseBootstrap } from "./bootstrap";
import { startProxy, type Proxy } from "./proxy";
import { startDemoApp, type DemoApp, type DemoReport } from "../../demo/app";
import { createStatsStore } from "../wasm/index";

const BOOT = `
node: { id: test-node, cluster: test }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: 19900 } } }
static_resources:
  listeners:
  - name: http
    address: { socket_address: { address: 127.0.0.1, port_value: 19901 } }
    traffic_direction: OUTBOUND
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: test_http
          route_config:
            name: local
            virtual_hosts:
            - name: app
              domains: ["*"]
              routes:
              - { match: { prefix: "/ok" }, route: { cluster: app } }
              - { match: { prefix: "/deny" }, route: { cluster: app } }
              - { match: { prefix: "/dead" }, route: { cluster: dead } }
              - { match: { prefix: "/delay" }, route: { cluster: app, timeout: 0.2s } }
              - { match: { prefix: "/empty" }, route: { cluster: empty } }
              - { match: { path: "/teapot" }, direct_response: { status: 418, body: { inline_string: "short and stout" } } }
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config: { name: double, root_id: double, vm_config: { code: { local: { filename: /etc/istio-wasm/x.wasm } } } }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 19902 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.wasm
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm
          config: { name: netdouble, root_id: netdouble, vm_config: { code: { local: { filename: /etc/istio-wasm/x.wasm } } } }
      - name: envoy.filters.network.tcp_proxy
        typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy, stat_prefix: echo, cluster: echo }
  clusters:
  - name: app
    connect_timeout: 1s
    load_assignment: { cluster_name: app, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 19910 } } } }] }] }
  - name: echo
    connect_timeout: 1s
    load_assignment: { cluster_name: echo, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 19911 } } } }] }] }
  - name: dead
    connect_timeout: 1s
    load_assignment: { cluster_name: dead, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 19912 } } } }] }] }
  - name: empty
    connect_timeout: 1s
    load_assignment: { cluster_name: empty, endpoints: [] }
`;

/** What the HTTP double saw per stream. */
interface Seen { headers: HeaderList; info: StreamInfo; logged: boolean; destroyed: boolean; }
const streams: Seen[] = [];
const netEvents: string[] = [];

class HttpDouble implements HttpFilter {
  private seen: Seen;
  constructor(private cb: HttpFilterCallbacks) {
    this.seen = { headers: [], info: cb.streamInfo, logged: false, destroyed: false };
    streams.push(this.seen);
  }
  decodeHeaders(h: HeaderList): "Continue" | "StopIteration" {
    this.seen.headers = h.map(([k, v]) => [k, v]);
    if (h.some(([k, v]) => k === ":path" && v.startsWith("/deny"))) {
      this.cb.sendLocalReply(403, Buffer.from("RBAC: access denied"), [["x-denied-by", "double"]], undefined, "rbac_access_denied");
      return "StopIteration";
    }
    return "Continue";
  }
  decodeData() { return "Continue" as const; }
  decodeTrailers() { return "Continue" as const; }
  encodeHeaders(h: HeaderList) { h.push(["x-double", "encoded"]); return "Continue" as const; }
  encodeData() { return "Continue" as const; }
  encodeTrailers() { return "Continue" as const; }
  log() { this.seen.logged = true; }
  onDestroy() { this.seen.destroyed = true; }
}

/**
 * Holds the connection's data (StopIteration) until 30 ms after it started, then continueReading;
 * upper-cases what goes upstream. (As in Envoy, a StopIteration from onNewConnection alone does not
 * hold data: the next read runs onData on the same filter again.)
 */
class NetDouble implements NetworkFilter {
  private resumed = false;
  constructor(private cb: NetworkFilterCallbacks) {}
  onNewConnection() {
    netEvents.push("new");
    setTimeout(() => { netEvents.push("continue"); this.resumed = true; this.cb.continueReading(); }, 30);
    return "StopIteration" as const;
  }
  onData(d: { buf: Buffer }, end: boolean) {
    netEvents.push(`data(${d.buf.length},${end})`);
    d.buf = Buffer.from(d.buf.toString().toUpperCase());
    return this.resumed ? "Continue" as const : "StopIteration" as const;
  }
  onWrite(d: { buf: Buffer }, end: boolean) { netEvents.push(`write(${d.buf.length},${end})`); return "Continue" as const; }
  onEvent(e: string) { netEvents.push(`event(${e})`); }
}

const doubleRuntime: WasmRuntime = {
  loadPlugin: async (config: PluginConfig): Promise<LoadedPlugin> => ({
    config,
    newHttpFilter: (_w, cb) => new HttpDouble(cb),
    newNetworkFilter: (_w, cb) => new NetDouble(cb),
    shutdown: async () => undefined,
  }),
  shutdown: async () => undefined,
};

function request(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers, agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Waits until the latest stream finished (log and destroy run after the response), at most 2 s: a condition, not a fixed sleep. */
const settle = async () => {
  for (let t0 = Date.now(); !streams.at(-1)?.destroyed && Date.now() - t0 < 2000;) await new Promise((r) => setTimeout(r, 2));
};

describe("proxy with test-double filters over real sockets", () => {
  let app: DemoApp;
  let proxy: Proxy;
  let port: number;
  let deadPort: number;

  before(async () => {
    app = await startDemoApp();
    // A port nobody listens on: bind, read the number, close.
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
    deadPort = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const boot = parseBootstrap(BOOT, "inline.yaml", { skipFiles: true, repoRoot: process.cwd() });
    proxy = await startProxy({
      bootstrap: boot, stats: createStatsStore(boot.statsTags), runtime: doubleRuntime, workers: 2,
      portMap: { 19900: 0, 19901: 0, 19902: 0, 19910: app.httpPort, 19911: app.tcpPort, 19912: deadPort },
    });
    port = proxy.listenerPort("http");
  });

  after(async () => {
    await proxy?.stop();
    await app?.close();
  });

  it("the filter sees HCM headers; the upstream answer comes back through the encoder with Envoy's response headers", async () => {
    const r = await request(port, "/ok/x?q=1", { host: "svc.local:8080", "x-request-id": "keep-me" });
    assert.equal(r.status, 200);
    await settle();
    const s = streams.at(-1)!;
    const h = new Map(s.headers);
    assert.equal(h.get(":authority"), "svc.local:8080");
    assert.equal(h.has("host"), false);
    assert.equal(h.get(":path"), "/ok/x?q=1");
    assert.equal(h.get(":method"), "GET");
    assert.equal(h.get(":scheme"), "http");
    assert.equal(h.get("x-forwarded-proto"), "http");
    assert.equal(h.get("x-request-id"), "keep-me");
    assert.equal(r.headers["x-double"], "encoded");
    assert.equal(r.headers.server, "envoy");
    assert.match(String(r.headers["x-envoy-upstream-service-time"]), /^\d+$/);
    const app_ = JSON.parse(r.body) as DemoReport;
    assert.equal(app_.headers.find(([k]) => k === "host")?.[1], "svc.local:8080");
    assert.equal(s.info.upstream?.address, `127.0.0.1:${app.httpPort}`);
    assert.equal(s.info.upstream?.clusterName, "app");
    assert.equal(s.info.responseCode, 200);
    assert.equal(s.info.responseCodeDetails, "via_upstream");
    assert.equal(s.info.listenerDirection, "OUTBOUND");
    assert.equal(s.logged && s.destroyed, true);
  });

  it("generates a UUID x-request-id when the request has none", async () => {
    await request(port, "/ok");
    await settle();
    assert.match(new Map(streams.at(-1)!.headers).get("x-request-id") ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("no route: 404 with flag NR and details route_not_found", async () => {
    const r = await request(port, "/nowhere");
    assert.equal(r.status, 404);
    await settle();
    const s = streams.at(-1)!;
    assert.deepEqual(s.info.responseFlags, ["NR"]);
    assert.equal(s.info.responseCodeDetails, "route_not_found");
    assert.equal(r.headers["x-double"], "encoded", "local replies pass the encoder filters");
  });

  it("no endpoints: 503 'no healthy upstream' with flag UH", async () => {
    const r = await request(port, "/empty");
    assert.equal(r.status, 503);
    assert.equal(r.body, "no healthy upstream");
    await settle();
    assert.deepEqual(streams.at(-1)!.info.responseFlags, ["UH"]);
    assert.equal(streams.at(-1)!.info.responseCodeDetails, "no_healthy_upstream");
  });

  it("connection refused: 503 with flag UF", async () => {
    const r = await request(port, "/dead");
    assert.equal(r.status, 503);
    assert.match(r.body, /^upstream connect error or disconnect\/reset before headers/);
    await settle();
    assert.deepEqual(streams.at(-1)!.info.responseFlags, ["UF"]);
    assert.match(streams.at(-1)!.info.responseCodeDetails, /^upstream_reset_before_response_started/);
  });

  it("route timeout: 504 'upstream request timeout' with flag UT, the upstream request is cancelled", async () => {
    const t0 = Date.now();
    const r = await request(port, "/delay/3000");
    assert.equal(r.status, 504);
    assert.equal(r.body, "upstream request timeout");
    assert.ok(Date.now() - t0 < 2000, "answered at the route timeout, not when the app answered");
    await settle();
    assert.deepEqual(streams.at(-1)!.info.responseFlags, ["UT"]);
    assert.equal(streams.at(-1)!.info.responseCodeDetails, "upstream_response_timeout");
  });

  it("downstream disconnect mid-request: flag DC, upstream request cancelled, log and destroy still run", async () => {
    const n = streams.length;
    await new Promise<void>((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: "/delay/3000", agent: false });
      req.on("error", () => resolve());
      setTimeout(() => { req.destroy(); resolve(); }, 150);
    });
    for (let i = 0; i < 50 && !(streams.length > n && streams.at(-1)!.destroyed); i++) await settle();
    const s = streams.at(-1)!;
    assert.equal(streams.length, n + 1);
    assert.deepEqual(s.info.responseFlags, ["DC"]);
    assert.equal(s.info.responseCodeDetails, "downstream_remote_disconnect");
    assert.equal(s.logged && s.destroyed, true);
  });

  it("direct_response answers from the route", async () => {
    const r = await request(port, "/teapot");
    assert.equal(r.status, 418);
    assert.equal(r.body, "short and stout");
    assert.equal(r.headers["content-type"], "text/plain");
  });

  it("a filter's local reply reaches the client and the upstream is never called", async () => {
    const before = app.seen.length;
    const r = await request(port, "/deny");
    assert.equal(r.status, 403);
    assert.equal(r.body, "RBAC: access denied");
    assert.equal(r.headers["x-denied-by"], "double");
    assert.equal(app.seen.length, before);
    await settle();
    assert.equal(streams.at(-1)!.info.responseCodeDetails, "rbac_access_denied");
  });

  it("h2c on the same listener (codec AUTO) is served as HTTP/2", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const s = http2.connect(`http://127.0.0.1:${port}`);
      const t = setTimeout(() => { s.destroy(); reject(new Error("timeout")); }, 5000);
      s.on("error", reject);
      const q = s.request({ ":path": "/ok/h2", ":method": "GET" });
      let b = "";
      q.setEncoding("utf8");
      q.on("data", (d) => (b += d));
      q.on("end", () => { clearTimeout(t); s.close(); resolve(b); });
      q.on("error", reject);
      q.end();
    });
    assert.equal((JSON.parse(body) as DemoReport).path, "/ok/h2");
    await settle();
    assert.equal(streams.at(-1)!.info.protocol, "HTTP/2");
    assert.equal(new Map(streams.at(-1)!.headers).get(":authority"), `127.0.0.1:${port}`);
  });

  it("tcp_proxy waits for the network filter's continueReading, forwards the (rewritten) bytes, reports close", async () => {
    netEvents.length = 0;
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port: proxy.listenerPort("tcp") });
      let out = "";
      const t = setTimeout(() => { s.destroy(); reject(new Error(`timeout, got ${out}`)); }, 5000);
      s.setEncoding("utf8");
      s.on("connect", () => s.write("abc"));
      s.on("data", (d) => { out += d; if (out.length >= 3) s.end(); });
      s.on("close", () => { clearTimeout(t); resolve(out); });
      s.on("error", reject);
    });
    assert.equal(got, "ABC");
    await settle();
    assert.deepEqual(netEvents.slice(0, 4), ["new", "data(3,false)", "continue", "write(3,false)"]);
    assert.ok(netEvents.includes("write(3,false)"), netEvents.join(" "));
    assert.equal(netEvents.filter((e) => e.startsWith("event(")).length, 1, netEvents.join(" "));
  });

  it("ClusterManager.httpCall (proxy_http_call) does real HTTP to the cluster's endpoint", async () => {
    assert.equal(proxy.clusters.has("app"), true);
    assert.equal(proxy.clusters.has("nope"), false);
    const r = await proxy.clusters.httpCall("app", [[":method", "POST"], [":path", "/callout"], [":authority", "app"]], Buffer.from("hi"), [], 2000);
    assert.equal(new Map(r.headers).get(":status"), "200");
    const seen = JSON.parse(Buffer.from(r.body).toString()) as DemoReport;
    assert.equal(seen.path, "/callout");
    assert.equal(seen.body, "hi");
    await assert.rejects(proxy.clusters.httpCall("dead", [[":method", "GET"], [":path", "/"], [":authority", "x"]], new Uint8Array(0), [], 2000));
  });

  it("admin: /ready, /stats, /stats/prometheus, unknown path 404", async () => {
    const admin = proxy.adminPort;
    assert.equal((await request(admin, "/ready")).body, "LIVE\n");
    const stats = await request(admin, "/stats");
    assert.match(stats.body, /^http\.test_http\.downstream_rq_total: \d+$/m);
    assert.match(stats.body, /^cluster\.dead\.upstream_cx_connect_fail: 1$/m);
    const prom = await request(admin, "/stats/prometheus");
    assert.match(prom.body, /^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="test_http"\} \d+$/m);
    assert.equal((await request(admin, "/nope")).status, 404);
  });
});

/**
 * Network filter double that holds data until 6 bytes are there: on reads for connections that
 * start with "R", on writes for connections that start with "W". Records every length it saw.
 */
const heldSeen: string[] = [];
class HoldUntilSix implements NetworkFilter {
  onNewConnection() { return "Continue" as const; }
  onData(d: { buf: Buffer }) {
    heldSeen.push(`data(${d.buf.toString()})`);
    return d.buf[0] === 0x52 && d.buf.length < 6 ? "StopIteration" as const : "Continue" as const;
  }
  onWrite(d: { buf: Buffer }) {
    heldSeen.push(`write(${d.buf.toString()})`);
    return d.buf[0] === 0x57 && d.buf.length < 6 ? "StopIteration" as const : "Continue" as const;
  }
  onEvent() { /* nothing */ }
}

describe("tcp_proxy keeps data a network filter stopped on (Envoy's connection buffers)", () => {
  let app: DemoApp;
  let proxy: Proxy;
  before(async () => {
    app = await startDemoApp();
    const boot = parseBootstrap(BOOT, "inline.yaml", { skipFiles: true, repoRoot: process.cwd() });
    const runtime: WasmRuntime = {
      loadPlugin: async (config: PluginConfig): Promise<LoadedPlugin> => ({
        config, newHttpFilter: (_w, cb) => new HttpDouble(cb), newNetworkFilter: () => new HoldUntilSix(), shutdown: async () => undefined,
      }),
      shutdown: async () => undefined,
    };
    proxy = await startProxy({
      bootstrap: boot, stats: createStatsStore(boot.statsTags), runtime, workers: 1,
      portMap: { 19900: 0, 19901: 0, 19902: 0, 19910: app.httpPort, 19911: app.tcpPort, 19912: 1 },
    });
  });
  after(async () => {
    await proxy?.stop();
    await app?.close();
  });

  /** Sends `a`, then `b` 80 ms later; resolves with everything echoed back once 6 bytes arrived. */
  const twoWrites = (a: string, b: string) => new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port: proxy.listenerPort("tcp") });
    let out = "";
    const t = setTimeout(() => { s.destroy(); reject(new Error(`timeout, got "${out}" seen ${heldSeen.join(" ")}`)); }, 3000);
    s.setEncoding("utf8");
    s.on("connect", () => { s.write(a); setTimeout(() => s.write(b), 80); });
    s.on("data", (d) => { out += d; if (out.length >= 6) s.end(); });
    s.on("close", () => { clearTimeout(t); resolve(out); });
    s.on("error", reject);
  });

  it("read side: after StopIteration the next onData sees the earlier bytes plus the new ones", async () => {
    heldSeen.length = 0;
    assert.equal(await twoWrites("RAB", "CDE"), "RABCDE");
    assert.deepEqual(heldSeen.filter((e) => e.startsWith("data(R")), ["data(RAB)", "data(RABCDE)"], heldSeen.join(" "));
  });

  it("write side: upstream bytes a write filter stopped on are presented again with the next upstream data", async () => {
    heldSeen.length = 0;
    assert.equal(await twoWrites("WAB", "CDE"), "WABCDE");
    assert.deepEqual(heldSeen.filter((e) => e.startsWith("write(W")), ["write(WAB)", "write(WABCDE)"], heldSeen.join(" "));
  });
});

describe("proxy start-up failures", () => {
  it("a plugin that fails to load stops start-up with its message, and nothing stays bound", async () => {
    const boot = parseBootstrap(BOOT, "inline.yaml", { skipFiles: true, repoRoot: process.cwd() });
    const refusing: WasmRuntime = {
      loadPlugin: async (c) => { throw new Error(`Unable to create Wasm HTTP filter ${c.name}`); },
      shutdown: async () => undefined,
    };
    // Pin the first listener to a known free port, so we can check it is released afterwards.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    const free = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(
      startProxy({ bootstrap: boot, stats: createStatsStore([]), runtime: refusing, portMap: { 19900: 0, 19901: free, 19902: 0 } }),
      /Unable to create Wasm HTTP filter double/,
    );
    const again = net.createServer();
    await new Promise<void>((resolve, reject) => { again.once("error", reject); again.listen(free, "127.0.0.1", () => resolve()); });
    await new Promise<void>((r) => again.close(() => r()));
  });
});
