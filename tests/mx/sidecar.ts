// A metadata-exchange filter loaded in the test host's wasm side (tests/host/wasm), driven the way
// Envoy's HCM / tcp_proxy would drive it, for filter-level tests without sockets.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { HeaderList, NodeInfo, StreamInfo } from "../host/api";
import { createWasmRuntime, createStatsStore, type WasmPlugin, type WasmRuntimeHandle } from "../host/wasm/index";
import type { EnvoyStatsStore } from "../host/wasm/stats";
import { FakeClusters, FakeHttpCallbacks, FakeNetCallbacks, Logs, makeStreamInfo, pluginConfig } from "../host/conformance/harness";
import { pbDecodeStruct } from "./codec";

export const PEER_UNKNOWN = "envoy.wasm.metadata_exchange.peer_unknown";
export const MODULE = () => readFileSync(path.join(process.cwd(), "dist", "peer_metadata.wasm"));

export function node(name: string, ns: string, workload: string, cluster: string, labels: Record<string, string>): NodeInfo {
  return {
    id: `sidecar~10.0.0.1~${name}.${ns}~${ns}.svc.cluster.local`,
    cluster: `${workload}.${ns}`,
    metadata: {
      NAME: name, NAMESPACE: ns, WORKLOAD_NAME: workload, CLUSTER_ID: cluster,
      OWNER: `kubernetes://apis/apps/v1/namespaces/${ns}/deployments/${workload}`, ISTIO_VERSION: "1.28.0", MESH_ID: "mesh1",
      LABELS: labels, INSTANCE_IPS: "10.0.0.1",
    },
  };
}

export const CLIENT_NODE = () => node("productpage-v1-abc", "default", "productpage-v1", "client-cluster",
  { app: "productpage", version: "v1", "service.istio.io/canonical-name": "productpage", "service.istio.io/canonical-revision": "version-1", role: "client", "pod-template-hash": "abc" });
export const SERVER_NODE = () => node("ratings-v1-xyz", "default", "ratings-v1", "server-cluster",
  { app: "ratings", version: "v1", "service.istio.io/canonical-name": "ratings", "service.istio.io/canonical-revision": "version-1", role: "server" });

export const INBOUND = { downstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], downstream_propagation: [{ istio_headers: {} }] };
export const OUTBOUND = { upstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], upstream_propagation: [{ istio_headers: {} }] };

export class Sidecar {
  logs = new Logs();
  clusters = new FakeClusters();
  stats: EnvoyStatsStore = createStatsStore([]) as EnvoyStatsStore;
  runtime: WasmRuntimeHandle;
  plugin!: WasmPlugin;
  /** The host's clock (ns): tests advance it and run the tick themselves instead of sleeping. */
  nowNs = 1_700_000_000_000_000_000n;

  constructor(public node: NodeInfo, public workers = 1) {
    this.logs.logLevel = 2;
    this.runtime = createWasmRuntime({
      workers, node, clusters: this.clusters, stats: this.stats, log: this.logs.sink, clock: () => this.nowNs,
    }) as WasmRuntimeHandle;
  }

  /** Moves the host's clock forward by `ms`. */
  advance(ms: number): void { this.nowNs += BigInt(ms) * 1_000_000n; }

  async load(config: unknown, kind: "http" | "network" = "http", rootId = kind === "http" ? "peer_metadata" : "peer_metadata_tcp"): Promise<this> {
    this.plugin = await this.runtime.loadPlugin(pluginConfig(MODULE(), {
      name: "mx", rootId, vmId: "mx", codePath: "dist/peer_metadata.wasm",
      configuration: Buffer.from(typeof config === "string" ? config : JSON.stringify(config)),
    }), kind);
    return this;
  }

  /** One HTTP request through the filter: returns the headers as the filter left them and the filter state. */
  http(req: HeaderList, resp: HeaderList, info: Partial<StreamInfo> = {}, worker = 0) {
    const si = makeStreamInfo({ listenerDirection: "UNSPECIFIED", ...info, filterState: new Map() });
    const cb = new FakeHttpCallbacks(si);
    const request: HeaderList = [[":authority", "ratings"], [":path", "/"], [":method", "GET"], ...req];
    const response: HeaderList = [[":status", "200"], ...resp];
    cb.reqHeaders = request;
    cb.respHeaders = response;
    const f = this.plugin.newHttpFilter(worker, cb);
    const s1 = f.decodeHeaders(request, true);
    const s2 = f.encodeHeaders(response, true);
    f.log();
    f.onDestroy();
    return { request, response, status: [s1, s2], state: si.filterState, info: si };
  }

  counter(name: string): number {
    const line = this.stats.text().split("\n").find((l) => l.startsWith(`wasmcustom.${name}: `));
    return line ? Number(line.slice(line.indexOf(": ") + 2)) : 0;
  }

  newConnection(info: Partial<StreamInfo> = {}, worker = 0) {
    const cb = new FakeNetCallbacks(makeStreamInfo({ protocol: "", listenerDirection: "UNSPECIFIED", ...info, filterState: new Map() }));
    const f = this.plugin.newNetworkFilter(worker, cb);
    return { f, cb, state: cb.streamInfo.filterState, status: f.onNewConnection() };
  }

  async stop() { await this.plugin?.shutdown(); await this.runtime.shutdown(); }
}

export function header(h: HeaderList, name: string): string[] {
  return h.filter(([k]) => k === name).map(([, v]) => v);
}

/** Decodes filter state `wasm.<side>_peer` (a Struct) into a plain object, or undefined. */
export function peerState(state: Map<string, Uint8Array>, side: "downstream" | "upstream"): Record<string, unknown> | undefined {
  const b = state.get(`wasm.${side}_peer`);
  return b ? pbDecodeStruct(b) : undefined;
}

export function peerId(state: Map<string, Uint8Array>, side: "downstream" | "upstream"): string | undefined {
  const b = state.get(`wasm.${side}_peer_id`);
  return b ? Buffer.from(b).toString() : undefined;
}
