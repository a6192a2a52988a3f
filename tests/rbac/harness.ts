// The RBAC filter (dist/rbac.wasm) loaded in the test host's wasm side, driven as Envoy's HCM and
// network filter manager drive it, for decision tests without sockets.
import { readFileSync } from "node:fs";
import path from "node:path";
import type { HeaderList, StreamInfo, ConnectionInfo } from "../host/api";
import { createWasmRuntime, createStatsStore, type WasmPlugin, type WasmRuntimeHandle } from "../host/wasm/index";
import type { EnvoyStatsStore } from "../host/wasm/stats";
import { FakeClusters, FakeHttpCallbacks, FakeNetCallbacks, Logs, makeStreamInfo, pluginConfig } from "../host/conformance/harness";

export const MODULE = () => readFileSync(path.join(process.cwd(), "dist", "rbac.wasm"));

/** A request as the decision table states it; everything not given takes a neutral default. */
export interface Req {
  method?: string;
  path?: string;
  host?: string;
  headers?: HeaderList;
  /** The peer certificate; omit `tls` (or set it false) for a plaintext connection. */
  tls?: boolean;
  uriSan?: string[];
  dnsSan?: string[];
  subject?: string;
  source?: string;        // "ip:port"
  destination?: string;   // "ip:port"
  sni?: string;
  /** Dynamic metadata: namespace -> Struct JSON (e.g. envoy.filters.http.jwt_authn: {payload: {...}}). */
  metadata?: Record<string, Record<string, unknown>>;
  filterState?: Record<string, string>;
  filterStateBytes?: Record<string, Uint8Array>;
}

export interface Decision {
  allowed: boolean;
  status?: number;
  body?: string;
  details?: string;
  state: Map<string, Uint8Array>;
}

export function streamInfo(r: Req, protocol = "HTTP/1.1"): StreamInfo {
  const base = makeStreamInfo();
  const tls = r.tls ?? false;
  const connection: ConnectionInfo = {
    ...base.connection,
    sourceAddress: r.source ?? "10.1.2.3:41234",
    destinationAddress: r.destination ?? "10.0.0.9:8080",
    mtls: tls && (r.uriSan?.length ?? 0) + (r.dnsSan?.length ?? 0) > 0,
    requestedServerName: r.sni ?? "",
    tlsVersion: tls ? "TLSv1.3" : "",
    uriSanPeerCertificate: r.uriSan ?? [],
    dnsSanPeerCertificate: r.dnsSan ?? [],
    subjectPeerCertificate: r.subject ?? "",
  };
  const fs = new Map<string, Uint8Array>();
  for (const [k, v] of Object.entries(r.filterState ?? {})) fs.set(k, Buffer.from(v));
  for (const [k, v] of Object.entries(r.filterStateBytes ?? {})) fs.set(k, v);
  return { ...base, protocol, connection, filterState: fs, dynamicMetadata: r.metadata ?? {} };
}

export class RbacHost {
  logs = new Logs();
  clusters = new FakeClusters();
  stats: EnvoyStatsStore = createStatsStore([]) as EnvoyStatsStore;
  runtime: WasmRuntimeHandle;
  plugin!: WasmPlugin;
  hostCalls = 0;

  constructor(logLevel = 2) {
    this.logs.logLevel = logLevel;
    this.runtime = createWasmRuntime({ workers: 1, node: { id: "n", cluster: "c", metadata: {} }, clusters: this.clusters, stats: this.stats, log: this.logs.sink }) as WasmRuntimeHandle;
  }

  /** Loads the plugin; resolves to an error text instead of throwing when configuration fails. */
  async load(config: unknown, kind: "http" | "network" = "http"): Promise<string | null> {
    try {
      this.plugin = await this.runtime.loadPlugin(pluginConfig(MODULE(), {
        name: "rbac", rootId: kind === "http" ? "rbac" : "rbac_tcp", vmId: "rbac", codePath: "dist/rbac.wasm",
        configuration: Buffer.from(typeof config === "string" ? config : JSON.stringify(config)),
      }), kind);
      return null;
    } catch (e) {
      return String((e as Error).message) + "\n" + this.logs.lines.map((l) => l.msg).join("\n");
    }
  }

  http(r: Req): Decision {
    const si = streamInfo(r);
    const cb = new FakeHttpCallbacks(si);
    const request: HeaderList = [[":authority", r.host ?? "svc.example"], [":path", r.path ?? "/"], [":method", r.method ?? "GET"], [":scheme", "http"], ...(r.headers ?? [])];
    cb.reqHeaders = request;
    const f = this.plugin.newHttpFilter(0, cb);
    const s = f.decodeHeaders(request, true);
    f.log();
    f.onDestroy();
    const reply = cb.localReplies[0];
    return { allowed: s === "Continue" && !reply, status: reply?.status, body: reply?.body, details: reply?.details, state: si.filterState };
  }

  /** A TCP connection that sends `chunks` downstream bytes: returns whether it was closed and after which chunk. */
  tcp(r: Req, chunks = 1): { allowed: boolean; closedAt: number; state: Map<string, Uint8Array> } {
    const cb = new FakeNetCallbacks(streamInfo(r, ""));
    const f = this.plugin.newNetworkFilter(0, cb);
    f.onNewConnection();
    let closedAt = -1;
    for (let i = 0; i < chunks; i++) {
      f.onData({ buf: Buffer.from("hello") }, false);
      if (closedAt < 0 && cb.actions.includes("close")) closedAt = i;
    }
    f.onEvent("RemoteClose");
    return { allowed: closedAt < 0, closedAt, state: cb.streamInfo.filterState };
  }

  counter(name: string): number {
    const line = this.stats.text().split("\n").find((l) => l.startsWith(`wasmcustom.${name}: `));
    return line ? Number(line.slice(line.indexOf(": ") + 2)) : 0;
  }

  async stop() { await this.plugin?.shutdown(); await this.runtime.shutdown(); }
}
