// End to end through both sidecars over mTLS, with the real wasm runtime running
// build/fixtures/add_header.wasm (HTTP) and build/fixtures/null.wasm (TCP network filter) as
// envoy-configs/{client,server}-sidecar.yaml configure them.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import path from "node:path";
import { rmSync } from "node:fs";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";
import { grpcFrame, grpcUnframe, type DemoReport } from "../demo/app";
import { spiffeId } from "../certs/generate";

/** Waits for a condition the proxies reach asynchronously (at most 2 s), instead of sleeping a fixed time. */
const until = async (f: () => boolean) => {
  for (let t0 = Date.now(); !f() && Date.now() - t0 < 2000;) await new Promise((r) => setTimeout(r, 2));
};
import type { StreamInfo, WasmRuntime, WasmRuntimeOptions } from "../host/api";

const ROOT = process.cwd();
const CERTS = path.join(ROOT, "build", `certs-e2e-${process.pid}`);

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string; trailers: Record<string, string | string[] | undefined>; }

function h1(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; trailers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body, trailers: res.trailers }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    if (opts.trailers) req.addTrailers(opts.trailers);
    req.end(opts.body);
  });
}

function h2(url: string, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<Reply & { raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const timer = setTimeout(() => { session.destroy(); reject(new Error("h2 client timeout")); }, 5000);
    session.on("error", (e) => { clearTimeout(timer); reject(e); });
    const req = session.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    let rh: Reply["headers"] = {};
    let trailers: Reply["trailers"] = {};
    req.on("response", (h) => { status = Number(h[":status"]); rh = h as Reply["headers"]; });
    req.on("trailers", (t) => { trailers = t as Reply["trailers"]; });
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      clearTimeout(timer);
      session.close();
      const raw = Buffer.concat(chunks);
      resolve({ status, headers: rh, body: raw.toString(), trailers, raw });
    });
    req.on("error", (e) => { clearTimeout(timer); session.destroy(); reject(e); });
    if (body !== undefined) req.end(body);
  });
}

function tcpRoundTrip(host: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let got = "";
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`tcp timeout, got ${JSON.stringify(got)}`)); }, 5000);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(payload));
    sock.on("data", (d) => {
      got += d;
      if (got.length >= payload.length) { sock.end(); }
    });
    sock.on("close", () => { clearTimeout(timer); resolve(got); });
    sock.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}

const headerOf = (r: DemoReport, name: string) => r.headers.find(([k]) => k === name)?.[1];

/** The real runtime, with each stream's StreamInfo recorded on the way in (per sidecar, by node id). */
const seenStreams: { client: StreamInfo[]; server: StreamInfo[] } = { client: [], server: [] };
function recordingRuntime(opts: WasmRuntimeOptions): WasmRuntime {
  const rt = createWasmRuntime(opts);
  const sink = opts.node.cluster.startsWith("client") ? seenStreams.client : seenStreams.server;
  return {
    loadPlugin: async (config, kind) => {
      const p = await rt.loadPlugin(config, kind);
      return {
        config: p.config,
        newHttpFilter: (w, cb) => { sink.push(cb.streamInfo); return p.newHttpFilter(w, cb); },
        newNetworkFilter: (w, cb) => p.newNetworkFilter(w, cb),
        shutdown: () => p.shutdown(),
      };
    },
    shutdown: () => rt.shutdown(),
  };
}

describe("e2e: client sidecar -> mTLS -> server sidecar -> demo app", () => {
  let demo: SidecarDemo;

  before(async () => {
    demo = await startSidecarDemo({
      repoRoot: ROOT, certDir: CERTS, freshCerts: true, ephemeral: true, workers: 2,
      runtime: recordingRuntime, stats: createStatsStore,
    });
  });

  after(async () => {
    await demo?.stop();
    rmSync(CERTS, { recursive: true, force: true });
  });

  it("HTTP/1.1: the app sees HCM headers and the request crossed mTLS; both sidecars' wasm add the response header", async () => {
    const before = demo.app.seen.length;
    const r = await h1(`${demo.urls.http}/hello?x=1`, { headers: { "x-test": "h1" } });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body) as DemoReport;
    assert.equal(demo.app.seen.length, before + 1);
    assert.equal(seen.path, "/hello?x=1");
    assert.equal(headerOf(seen, "x-test"), "h1");
    // Added by the client sidecar's HCM and kept across the hop.
    assert.match(headerOf(seen, "x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    // The server sidecar's HCM saw TLS, and the client sidecar's HCM had already set it to http.
    assert.equal(headerOf(seen, "x-forwarded-proto"), "http");
    assert.deepEqual(seen.headers.filter(([k]) => k === "x-envoy-expected-rq-timeout-ms"), [["x-envoy-expected-rq-timeout-ms", "15000"]]);
    assert.equal(seen.headers.filter(([k]) => k === "x-request-id").length, 1);
    assert.equal(headerOf(seen, "host")?.startsWith("127.0.0.1:"), true);
    // add_header runs in both sidecars: the header is appended once by each.
    assert.deepEqual(String(r.headers["x-added-by"]).split(/,\s*/), ["shared-abi", "shared-abi"]);
    assert.equal(r.headers.server, "envoy");
    assert.equal(r.headers["x-demo-app"], "echo");
  });

  it("HTTP/1.1 POST with a body and trailers reaches the app intact", async () => {
    const r = await h1(`${demo.urls.http}/post`, { method: "POST", headers: { "transfer-encoding": "chunked", trailer: "x-checksum" }, body: "payload-123", trailers: { "x-checksum": "abc" } });
    assert.equal(r.status, 200, r.body);
    const seen = JSON.parse(r.body) as DemoReport;
    assert.equal(seen.method, "POST");
    assert.equal(seen.body, "payload-123");
    assert.deepEqual(seen.trailers, [["x-checksum", "abc"]]);
  });

  it("h2c to the client sidecar goes upstream as h2 over TLS (ALPN) and reaches the app", async () => {
    const r = await h2(demo.urls.http, { ":method": "GET", ":path": "/via-h2", "x-test": "h2" });
    assert.equal(r.status, 200);
    const seen = JSON.parse(r.body) as DemoReport;
    assert.equal(seen.path, "/via-h2");
    assert.equal(headerOf(seen, "x-test"), "h2");
    assert.deepEqual(String(r.headers["x-added-by"]).split(/,\s*/), ["shared-abi", "shared-abi"]);
  });

  it("gRPC over h2 end to end: framed message, trailers with grpc-status 0", async () => {
    const msg = grpcFrame(Buffer.from("ping"));
    const r = await h2(demo.urls.http, { ":method": "POST", ":path": "/demo.Echo/Echo", "content-type": "application/grpc", te: "trailers" }, msg);
    assert.equal(r.status, 200);
    assert.equal(r.trailers["grpc-status"], "0");
    const inner = grpcUnframe(r.raw);
    assert.ok(inner, "a framed gRPC message came back");
    const seen = JSON.parse(inner!.toString()) as DemoReport;
    assert.equal(seen.protocol, "HTTP/2");
    assert.equal(seen.body, "ping");
    assert.equal(headerOf(seen, "te"), "trailers");
  });

  it("TCP: bytes go through tcp_proxy + network wasm on both sidecars and echo back", async () => {
    const payload = "hello over mtls tcp\n".repeat(50);
    const got = await tcpRoundTrip(demo.urls.tcp.host, demo.urls.tcp.port, payload);
    assert.equal(got, payload);
  });

  it("TCP half-close: the client's FIN travels through both sidecars and the echo still comes back", async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const sock = net.connect({ host: demo.urls.tcp.host, port: demo.urls.tcp.port });
      let out = "";
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`timeout, got ${JSON.stringify(out)}`)); }, 5000);
      sock.setEncoding("utf8");
      sock.on("connect", () => sock.end("half-closed request"));
      sock.on("data", (d) => (out += d));
      sock.on("close", () => { clearTimeout(timer); resolve(out); });
      sock.on("error", (e) => { clearTimeout(timer); reject(e); });
    });
    assert.equal(got, "half-closed request");
  });

  it("StreamInfo.grpcStatus on both sidecars: from the grpc-status trailer, and from the headers of a trailers-only answer", async () => {
    const grpcOf = async (path: string) => {
      const before = { client: seenStreams.client.length, server: seenStreams.server.length };
      const r = await h2(demo.urls.http, { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" }, grpcFrame(Buffer.from("x")));
      const last = (l: StreamInfo[], from: number) => l.slice(from).filter((si) => si.durationNs !== undefined).at(-1);
      // The access-log phase runs after the response: wait for it on both sidecars, not for a time.
      await until(() => !!last(seenStreams.client, before.client) && !!last(seenStreams.server, before.server));
      return { status: r.status, client: last(seenStreams.client, before.client)?.grpcStatus, server: last(seenStreams.server, before.server)?.grpcStatus };
    };
    assert.deepEqual(await grpcOf("/demo.Echo/Echo"), { status: 200, client: 0, server: 0 });
    assert.deepEqual(await grpcOf("/demo.Echo/Nope"), { status: 200, client: 12, server: 12 }, "trailers-only UNIMPLEMENTED from the app");
  });

  it("StreamInfo the wasm filters get is real: mTLS with SPIFFE URI SANs, direction, upstream facts", async () => {
    const r = await h1(`${demo.urls.http}/identity`, { headers: { "x-probe": "identity" } });
    assert.equal(r.status, 200);
    const isProbe = (si: StreamInfo) => si.responseCode === 200 && si.routeName === "default" && si.durationNs !== undefined;
    await until(() => seenStreams.server.some(isProbe) && seenStreams.client.some(isProbe)); // access-log phase runs after the response
    const server = seenStreams.server.filter(isProbe).at(-1)!;
    const client = seenStreams.client.filter(isProbe).at(-1)!;
    assert.ok(server && client, "both sidecars ran the wasm filter for the request");
    // Server sidecar: downstream is the client sidecar over mTLS.
    assert.equal(server.connection.mtls, true);
    assert.deepEqual(server.connection.uriSanPeerCertificate, [spiffeId("client")]);
    assert.deepEqual(server.connection.uriSanLocalCertificate, [spiffeId("server")]);
    assert.equal(server.connection.tlsVersion, "TLSv1.3");
    assert.equal(server.connection.requestedServerName, "outbound_.8080_._.server.default.svc.cluster.local");
    assert.match(server.connection.sha256PeerCertificateDigest, /^[0-9a-f]{64}$/);
    assert.equal(server.listenerDirection, "INBOUND");
    assert.equal(server.upstream?.clusterName, "inbound|8080||");
    assert.equal(server.upstream?.address, `127.0.0.1:${demo.app.httpPort}`);
    assert.equal(server.responseCodeDetails, "via_upstream");
    assert.equal(server.protocol, "HTTP/1.1");
    // Client sidecar: plaintext downstream, mTLS upstream to the server identity.
    assert.equal(client.connection.mtls, false);
    assert.equal(client.listenerDirection, "OUTBOUND");
    assert.equal(client.upstream?.clusterName, "outbound|8080||server.default.svc.cluster.local");
    assert.deepEqual(client.upstream?.uriSanPeerCertificate, [spiffeId("server")]);
    assert.deepEqual(client.upstream?.uriSanLocalCertificate, [spiffeId("client")]);
    assert.equal(client.upstream?.tlsVersion, "TLSv1.3");
    assert.deepEqual(client.upstream?.hostMetadata, { istio: { workload: "server;default;server;v1;Kubernetes" } });
  });

  it("a connection without a client certificate is refused by the server sidecar", async () => {
    const tls = await import("node:tls");
    const outcome = await new Promise<string>((resolve) => {
      const s = tls.connect({ host: "127.0.0.1", port: demo.server.listenerPort("inbound_http"), rejectUnauthorized: false });
      const timer = setTimeout(() => { s.destroy(); resolve("timeout"); }, 5000);
      s.on("secureConnect", () => s.write("GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
      s.on("data", () => { clearTimeout(timer); s.destroy(); resolve("answered"); });
      s.on("error", () => { clearTimeout(timer); resolve("refused"); });
      s.on("close", () => { clearTimeout(timer); resolve("refused"); });
    });
    assert.equal(outcome, "refused");
  });

  it("/stats/prometheus and /stats on both admin ports count the traffic", async () => {
    demo.client.flushStats();
    demo.server.flushStats();
    const cp = await h1(`${demo.urls.clientAdmin}/stats/prometheus`);
    assert.equal(cp.status, 200);
    const rq = /^envoy_http\S*downstream_rq_total\{\S*\} (\d+)$/m.exec(cp.body);
    assert.ok(rq, `client /stats/prometheus has the HCM request counter:\n${cp.body.slice(0, 2000)}`);
    assert.ok(Number(rq![1]) >= 4, rq![0]);
    const sp = await h1(`${demo.urls.serverAdmin}/stats`);
    assert.equal(sp.status, 200);
    const line = sp.body.split("\n").find((l) => l.startsWith("http.inbound_0.0.0.0_8080.downstream_rq_total:"));
    assert.ok(line, `server /stats has the inbound HCM counter:\n${sp.body.slice(0, 2000)}`);
    assert.ok(Number(line!.split(":")[1]) >= 4, line);
    const ready = await h1(`${demo.urls.serverAdmin}/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.trim(), "LIVE");
  });
});
