// Metadata exchange end to end: caller -> client sidecar -> mTLS -> server sidecar -> demo app,
// both sidecars running dist/peer_metadata.wasm as configured by envoy-configs/mx-{client,server}-sidecar.yaml
// (HTTP filter and TCP network filter), in the test host with the real wasm runtime.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { rmSync } from "node:fs";
import type { Proxy } from "../host/proxy/proxy";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import type { DemoReport } from "../demo/app";
import { httpGet as get, tcpRoundTrip as tcpBytes } from "../demo/client";

const tcpRoundTrip = async (port: number, payload: string) => (await tcpBytes(port, payload)).toString("latin1");
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";
import type { StreamInfo, WasmRuntime, WasmRuntimeOptions } from "../host/api";
import protobuf from "protobufjs";

const ROOT = process.cwd();
const CERTS = path.join(ROOT, "build", `certs-mx-e2e-${process.pid}`);
const PEER_UNKNOWN = "envoy.wasm.metadata_exchange.peer_unknown";

// protobufjs Struct (independent decoder) for the filter state the sidecars wrote.
const pbRoot = new protobuf.Root();
pbRoot.addJSON((protobuf.common as any).get("google/protobuf/struct.proto").nested);
const StructT = pbRoot.lookupType("google.protobuf.Struct");
function plain(v: any): unknown {
  if (v.structValue) return Object.fromEntries(Object.entries(v.structValue.fields ?? {}).map(([k, x]) => [k, plain(x)]));
  if (v.stringValue !== undefined) return v.stringValue;
  return null;
}
function structOf(b: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!b) return undefined;
  const s = StructT.toObject(StructT.decode(b)) as any;
  return Object.fromEntries(Object.entries(s.fields ?? {}).map(([k, x]) => [k, plain(x)]));
}

/** The real runtime, remembering every stream's StreamInfo (filter state included) per sidecar. */
const seen = { client: { http: [] as StreamInfo[], tcp: [] as StreamInfo[] }, server: { http: [] as StreamInfo[], tcp: [] as StreamInfo[] } };
function recordingRuntime(opts: WasmRuntimeOptions): WasmRuntime {
  const rt = createWasmRuntime(opts);
  const sink = opts.node.cluster.startsWith("client") ? seen.client : seen.server;
  return {
    loadPlugin: async (config, kind) => {
      const p = await rt.loadPlugin(config, kind);
      return {
        config: p.config,
        newHttpFilter: (w, cb) => { sink.http.push(cb.streamInfo); return p.newHttpFilter(w, cb); },
        newNetworkFilter: (w, cb) => { sink.tcp.push(cb.streamInfo); return p.newNetworkFilter(w, cb); },
        shutdown: () => p.shutdown(),
      };
    },
    shutdown: () => rt.shutdown(),
  };
}

const until = async (f: () => boolean, ms = 2000) => {
  const t0 = Date.now();
  while (!f() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
};

describe("e2e: metadata exchange across two mTLS sidecars (HTTP and TCP)", () => {
  let demo: SidecarDemo | undefined;
  let server: Proxy;
  let client: Proxy;

  before(async () => {
    demo = await startSidecarDemo({
      repoRoot: ROOT, certDir: CERTS, freshCerts: true, ephemeral: true, workers: 2, echoLogFrom: 4,
      runtime: recordingRuntime, stats: createStatsStore,
      configs: { client: "mx-client-sidecar.yaml", server: "mx-server-sidecar.yaml" },
    });
    ({ server, client } = demo);
  });

  after(async () => {
    await demo?.stop();
    rmSync(CERTS, { recursive: true, force: true });
  });

  it("HTTP: the client adds the exchange headers, the server decodes and strips them, the response brings the server back", async () => {
    const nClient = seen.client.http.length;
    const nServer = seen.server.http.length;
    const r = await get(`http://127.0.0.1:${client.listenerPort("outbound_http")}/mx`, { "x-test": "mx" });
    assert.equal(r.status, 200, r.body);
    const report = JSON.parse(r.body) as DemoReport;
    // The app echoes what it received: no exchange header reached it.
    const names = report.headers.map(([k]) => k);
    assert.ok(names.includes("x-test"));
    for (const h of ["x-istio-peer-metadata", "x-istio-peer-id", "x-envoy-peer-metadata", "x-envoy-peer-metadata-id"]) {
      assert.ok(!names.includes(h), `app saw ${h}`);
      // ... and the caller does not see the server's answer either (the client strips it).
      assert.equal(r.headers[h], undefined, `caller saw ${h}`);
    }
    await until(() => seen.server.http.length > nServer && seen.client.http.length > nClient);
    const srv = seen.server.http.at(-1)!;
    const cli = seen.client.http.at(-1)!;
    // Server: downstream peer = the client workload, decoded from the request header.
    const down = structOf(srv.filterState.get("wasm.downstream_peer"));
    assert.deepEqual(down, {
      app: "client", cluster: "Kubernetes", id: "sidecar~127.0.0.1~client-6d4f8b7c9-x2x7q.default~default.svc.cluster.local",
      labels: { role: "client" }, name: "client-6d4f8b7c9-x2x7q", namespace: "default", revision: "v1", service: "client",
      source: "istio_headers", type: "deployment", version: "v1", workload: "client",
    });
    // Client: upstream peer = the server workload, decoded from the response header.
    const up = structOf(cli.filterState.get("wasm.upstream_peer"));
    assert.equal(up?.workload, "server");
    assert.equal(up?.source, "istio_headers");
    assert.deepEqual(up?.labels, { role: "server" });
    assert.equal(Buffer.from(cli.filterState.get("wasm.upstream_peer_id")!).toString(), "sidecar~127.0.0.1~server-5c8d7f6b4-k9m2p.default~default.svc.cluster.local");
  });

  it("HTTP: a caller that spoofs exchange headers to the client sidecar is overwritten, not forwarded", async () => {
    const r = await get(`http://127.0.0.1:${client.listenerPort("outbound_http")}/spoof`, { "x-istio-peer-id": "evil", "x-istio-peer-metadata": "AAAA" });
    assert.equal(r.status, 200);
    await until(() => seen.server.http.at(-1)?.filterState.has("wasm.downstream_peer_id") === true);
    const srv = seen.server.http.at(-1)!;
    assert.equal(Buffer.from(srv.filterState.get("wasm.downstream_peer_id")!).toString(), "sidecar~127.0.0.1~client-6d4f8b7c9-x2x7q.default~default.svc.cluster.local");
  });

  it("TCP: frames are exchanged and drained on both sides; the app gets exactly the caller's bytes", async () => {
    const nClient = seen.client.tcp.length;
    const nServer = seen.server.tcp.length;
    const payload = "hello over the tcp exchange\n".repeat(20);
    const got = await tcpRoundTrip(client.listenerPort("outbound_tcp"), payload);
    assert.equal(got, payload, "echo came back byte-for-byte, no frame leaked either way");
    await until(() => seen.server.tcp.length > nServer && seen.client.tcp.length > nClient && seen.client.tcp.at(-1)!.filterState.has("wasm.upstream_peer"));
    const srv = seen.server.tcp.at(-1)!;
    const cli = seen.client.tcp.at(-1)!;
    const down = structOf(srv.filterState.get("wasm.downstream_peer"));
    assert.equal(down?.workload, "client");
    assert.equal(down?.source, "metadata_exchange");
    assert.deepEqual(down?.labels, { role: "client" });
    const up = structOf(cli.filterState.get("wasm.upstream_peer"));
    assert.equal(up?.workload, "server");
    assert.equal(up?.source, "metadata_exchange");
    assert.notEqual(Buffer.from(cli.filterState.get("wasm.upstream_peer_id") ?? []).toString(), PEER_UNKNOWN);
  });
});
