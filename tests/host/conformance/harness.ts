// Shared helpers for the wasm-side conformance tests: a recording LogSink, fake StreamInfo and
// filter callbacks (what the proxy side would provide), and parsing of the host_probe fixture's
// `E ...` / `R ...` log lines.
import { readFileSync } from "node:fs";
import path from "node:path";
import type {
  ClusterManager, HeaderList, HttpCalloutResponse, HttpFilterCallbacks, NetworkFilterCallbacks, PluginConfig, StreamInfo,
} from "../api";
import { createWasmRuntime, createStatsStore, WasmRuntimeHandle, WasmPlugin } from "../wasm/index";
import type { EnvoyStatsStore } from "../wasm/stats";

export const FIXTURES = path.join(process.cwd(), "build", "fixtures");
export const fixture = (name: string) => readFileSync(path.join(FIXTURES, `${name}.wasm`));

export class Logs {
  lines: Array<{ level: number; msg: string }> = [];
  logLevel = 0;
  sink = {
    log: (level: number, message: string) => { this.lines.push({ level, msg: message }); },
    level: () => this.logLevel,
  };
  /** Guest lines (without Envoy's "wasm log <prefix>: " part). */
  guest(): string[] {
    return this.lines.map((l) => l.msg).filter((m) => m.startsWith("wasm log")).map((m) => m.slice(m.indexOf(": ") + 2));
  }
  events(): string[] { return this.guest().filter((m) => m.startsWith("E ")).map((m) => m.slice(2)); }
  /** Results of `op` in `event`: [status, value]. */
  results(event: string, op: string): Array<[number, string]> {
    return this.guest().filter((m) => m.startsWith(`R ${event} ${op} `)).map((m) => {
      const rest = m.slice(`R ${event} ${op} `.length);
      const sp = rest.indexOf(" ");
      return [Number(rest.slice(0, sp)), rest.slice(sp + 1)] as [number, string];
    });
  }
  result(event: string, op: string, index = 0): [number, string] {
    const r = this.results(event, op);
    if (r.length <= index) throw new Error(`no result for ${event} ${op} #${index}; guest log:\n${this.guest().join("\n")}`);
    return r[index];
  }
  clear(): void { this.lines.length = 0; }
}

export const hex = (h: string) => Buffer.from(h, "hex");
export const text = (h: string) => Buffer.from(h, "hex").toString("utf8");

export class FakeClusters implements ClusterManager {
  calls: Array<{ cluster: string; headers: HeaderList; body: Uint8Array; timeoutMs: number }> = [];
  names = new Set<string>(["backend"]);
  responder: (cluster: string, headers: HeaderList, body: Uint8Array) => Promise<HttpCalloutResponse> =
    async () => ({ headers: [[":status", "200"], ["x-from", "backend"]], body: Buffer.from("pong!"), trailers: [] });
  has(c: string): boolean { return this.names.has(c); }
  httpCall(cluster: string, headers: HeaderList, body: Uint8Array, _t: HeaderList, timeoutMs: number): Promise<HttpCalloutResponse> {
    this.calls.push({ cluster, headers, body, timeoutMs });
    return this.responder(cluster, headers, body);
  }
}

export function makeStreamInfo(over: Partial<StreamInfo> = {}): StreamInfo {
  return {
    connection: {
      id: 42, sourceAddress: "10.1.2.3:41234", destinationAddress: "127.0.0.1:15006", mtls: true, requestedServerName: "svc.local",
      tlsVersion: "TLSv1.3", uriSanPeerCertificate: ["spiffe://cluster.local/ns/default/sa/client"], uriSanLocalCertificate: ["spiffe://cluster.local/ns/default/sa/server"],
      dnsSanPeerCertificate: [], subjectPeerCertificate: "CN=client", sha256PeerCertificateDigest: "abcd",
    },
    listenerDirection: "INBOUND",
    listenerMetadata: {},
    routeName: "default-route",
    routeMetadata: {},
    virtualHostName: "vh",
    filterChainName: "fc0",
    upstream: {
      address: "127.0.0.1:8080", localAddress: "127.0.0.1:50000", clusterName: "inbound|8080||",
      clusterMetadata: { istio: { services: "reviews" } }, hostMetadata: { istio: { workload: "reviews-v1" } },
      tlsVersion: "", uriSanPeerCertificate: [],
    },
    protocol: "HTTP/1.1",
    startTimeNs: 1700000000123456789n,
    requestBytes: 5,
    requestTotalBytes: 120,
    responseCode: 200,
    responseCodeDetails: "via_upstream",
    responseFlags: ["UH", "DC"],
    responseBytes: 7,
    responseTotalBytes: 99,
    bytesReceived: 0,
    bytesSent: 0,
    filterState: new Map(),
    dynamicMetadata: {},
    ...over,
  };
}

/** Records every call the wasm side makes to the proxy side. */
export class FakeHttpCallbacks implements HttpFilterCallbacks {
  actions: string[] = [];
  localReplies: Array<{ status: number; body: string; headers: HeaderList; grpcStatus?: number; details: string }> = [];
  reqHeaders?: HeaderList;
  respHeaders?: HeaderList;
  reqTrailers?: HeaderList;
  respTrailers?: HeaderList;
  reqBody?: Buffer;
  respBody?: Buffer;
  onLocalReply?: (status: number, body: Uint8Array, headers: HeaderList) => void;
  constructor(public streamInfo: StreamInfo = makeStreamInfo()) {}
  continueDecoding(): void { this.actions.push("continueDecoding"); }
  continueEncoding(): void { this.actions.push("continueEncoding"); }
  sendLocalReply(status: number, body: Uint8Array, headers: HeaderList, grpcStatus: number | undefined, details: string): void {
    this.actions.push(`sendLocalReply ${status}`);
    this.localReplies.push({ status, body: Buffer.from(body).toString(), headers, grpcStatus, details });
    this.onLocalReply?.(status, body, headers);
  }
  resetStream(details: string): void { this.actions.push(`resetStream ${details}`); }
  requestHeaders() { return this.reqHeaders; }
  responseHeaders() { return this.respHeaders; }
  requestTrailers() { return this.reqTrailers; }
  responseTrailers() { return this.respTrailers; }
  addRequestTrailers(): HeaderList { return (this.reqTrailers ??= []); }
  addResponseTrailers(): HeaderList { return (this.respTrailers ??= []); }
  requestBody() { return this.reqBody; }
  responseBody() { return this.respBody; }
  setRequestBody(b: Buffer): void { this.reqBody = b; this.actions.push(`setRequestBody ${b.toString()}`); }
  setResponseBody(b: Buffer): void { this.respBody = b; this.actions.push(`setResponseBody ${b.toString()}`); }
}

export class FakeNetCallbacks implements NetworkFilterCallbacks {
  actions: string[] = [];
  constructor(public streamInfo: StreamInfo = makeStreamInfo({ protocol: "" })) {}
  continueReading(): void { this.actions.push("continueReading"); }
  close(): void { this.actions.push("close"); }
}

export function pluginConfig(code: Uint8Array, over: Partial<PluginConfig> = {}): PluginConfig {
  return {
    name: "probe-plugin", rootId: "probe", vmId: "vm1", code, codePath: "probe.wasm", runtime: "envoy.wasm.runtime.v8",
    vmConfiguration: new Uint8Array(0), configuration: new Uint8Array(0), failurePolicy: "FAIL_CLOSED",
    allowOnHeadersStopIteration: false, environment: {}, ...over,
  };
}

export interface Env {
  logs: Logs;
  clusters: FakeClusters;
  stats: EnvoyStatsStore;
  runtime: WasmRuntimeHandle;
}

export function env(workers = 1, statsTags: Array<{ tagName: string; regex?: string; fixedValue?: string }> = []): Env {
  const logs = new Logs();
  const clusters = new FakeClusters();
  const stats = createStatsStore(statsTags) as EnvoyStatsStore;
  const runtime = createWasmRuntime({
    workers, node: { id: "sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local", cluster: "reviews.ns", metadata: { NAME: "reviews-v1", LABELS: { app: "reviews" } } },
    clusters, stats, log: logs.sink,
  });
  return { logs, clusters, stats, runtime };
}

/** Loads host_probe with a script (PLUGIN_CONFIGURATION) and optional vm_start script. */
export async function probe(e: Env, script: string, over: Partial<PluginConfig> = {}, kind: "http" | "network" = "http"): Promise<WasmPlugin> {
  return e.runtime.loadPlugin(pluginConfig(fixture("host_probe"), { configuration: Buffer.from(script), ...over }), kind);
}

export function requestHeaders(extra: HeaderList = []): HeaderList {
  return [[":authority", "svc.local"], [":path", "/foo?x=1"], [":method", "GET"], [":scheme", "http"],
    ["user-agent", "curl/8"], ["x-request-id", "rid-1"], ...extra];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const immediate = () => new Promise((r) => setImmediate(r));
