// One scenario, two hosts: runs a plugin and its streams/connections under the cpp-host driver
// (proxy-wasm-cpp-host + WAMR, build/cpphost) and under tests/host, and reports both the same way
// so tests can compare them.
//
// Property values for the driver come from tests/host's property code (one implementation of
// Envoy's attributes): the driver lists the paths the guest asked for, this side computes them for
// that stream event, and the driver runs again until nothing is missing.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { HeaderList, NodeInfo, StreamInfo } from "../host/api";
import { getPropertySegments, splitPath, type PropertySource } from "../host/wasm/properties";
import { Status } from "../host/wasm/status";
import { env, FakeHttpCallbacks, FakeNetCallbacks, makeStreamInfo, pluginConfig, immediate } from "../host/conformance/harness";
import type { EnvoyStatsStore } from "../host/wasm/stats";

export interface ScenarioEvent {
  on: "request_headers" | "request_body" | "request_trailers" | "response_headers" | "response_body" | "response_trailers"
    | "log" | "destroy" | "new_connection" | "downstream_data" | "upstream_data" | "downstream_close" | "upstream_close";
  headers?: HeaderList;
  trailers?: HeaderList;
  body?: string;
  /** TCP bytes, hex */
  data?: string;
  end_stream?: boolean;
  remote?: boolean;
}

export interface StreamSpec {
  plugin?: number;
  worker?: number;
  kind?: "http" | "tcp";
  repeat?: number;
  /** streams run before linear memory is first measured (default 1) */
  warmup?: number;
  events: ScenarioEvent[];
  streamInfo?: Partial<StreamInfo>;
  /** "wasm.<name>" -> bytes, hex */
  filterState?: Record<string, string>;
  upstreamFilterState?: Record<string, string>;
  allowOnHeadersStopIteration?: boolean;
}

export interface PluginSpec { name: string; rootId: string; configuration?: string; kind?: "http" | "network"; }

export interface Scenario {
  module: string;
  vmId?: string;
  vmConfig?: string;
  workers?: number;
  logLevel?: number;
  node?: NodeInfo;
  plugins: PluginSpec[];
  streams?: StreamSpec[];
  clusters?: string[];
  httpResponses?: Record<string, { headers: HeaderList; body: string; trailers: HeaderList }>;
  ticks?: number;
}

export interface LocalReply { status: number; body: string; headers: HeaderList; grpc_status: number | null; details: string; }

export interface StreamReport {
  statuses: string[];
  request_headers: HeaderList;
  response_headers: HeaderList;
  local_reply: LocalReply | null;
  filter_state: Record<string, string>;
  actions: string[];
  /** cpp-host only: wall time per stream after the warm-up (bench figures) */
  ns_per_stream?: number;
}

export interface Report {
  loaded: boolean;
  /** the first failure message of the load (cpp-host's text) */
  error: string;
  errors: string[];
  streams: StreamReport[];
  /** custom metrics by the name the guest defined */
  metrics: Record<string, number>;
  /** guest log lines [level, message] */
  logs: Array<[number, string]>;
  memory: { before: number; after: number };
}

export const NODE: NodeInfo = {
  id: "sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local", cluster: "reviews.ns",
  metadata: { NAME: "reviews-v1", LABELS: { app: "reviews" } },
};

/** Top-level names Envoy resolves itself; anything else is filter state ("wasm.<name>"). */
const KNOWN = new Set(["plugin_name", "plugin_root_id", "plugin_vm_id", "xds", "connection_id", "request", "response",
  "connection", "upstream", "source", "destination", "metadata", "filter_state"]);

function lastBefore(events: ScenarioEvent[], upto: number, on: string, field: "headers" | "trailers"): HeaderList | undefined {
  let found: HeaderList | undefined;
  for (let i = 0; i <= upto && i < events.length; i++) if (events[i].on === on) found = events[i][field];
  return found;
}

function propEntry(src: PropertySource, pathHex: string): { v?: string; s?: number; fs?: boolean } {
  const segs = splitPath(Buffer.from(pathHex, "hex"));
  if (src.stream && segs.length && !KNOWN.has(segs[0])) return { fs: true };
  const r = getPropertySegments(src, segs);
  return typeof r === "number" ? { s: r } : { v: Buffer.from(r).toString("hex") };
}

function streamInfoOf(spec: StreamSpec): StreamInfo {
  return makeStreamInfo({ ...(spec.kind === "tcp" ? { protocol: "" } : {}), ...spec.streamInfo });
}

function localReplyHeaders(r: { status: number; body: string; headers: HeaderList }): HeaderList {
  // What Envoy's sendLocalReply puts through the encoder chain (and the driver replays).
  const h: HeaderList = [[":status", String(r.status)], ...r.headers];
  if (r.body.length) h.push(["content-length", String(Buffer.byteLength(r.body))], ["content-type", "text/plain"]);
  return h;
}

function runDriverOnce(driver: string, input: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const p = spawn(driver, [], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (err += d));
    p.on("error", reject);
    p.on("close", (code) => {
      // WAMR prints a trap's backtrace on stdout before the report: the report is the last line.
      const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      if (!line) return reject(new Error(`cpp-host driver exited ${code} without a report:\n${out}\n${err}`));
      resolve(JSON.parse(line));
    });
    p.stdin.end(JSON.stringify(input));
  });
}

/** Runs the scenario under the cpp-host driver. */
export async function runCppHost(driver: string, sc: Scenario): Promise<Report> {
  const node = sc.node ?? NODE;
  const streams = sc.streams ?? [];
  const infos = streams.map(streamInfoOf);
  const p0 = sc.plugins[0];
  const rootSrc: PropertySource = {
    node, pluginName: p0?.name ?? "", rootId: p0?.rootId ?? "", vmId: sc.vmId ?? "",
    requestHeaders: () => undefined, responseHeaders: () => undefined, responseTrailers: () => undefined,
  };
  const rootProps: Record<string, unknown> = {};
  const eventProps: Array<Array<Record<string, unknown>>> = streams.map((s) => s.events.map(() => ({})));
  // Property discovery runs each stream once; the repeated (memory, bench) run follows once nothing
  // is missing, so a 100k-stream scenario runs in full once instead of once per discovery round.
  let probing = streams.some((s) => (s.repeat ?? 1) > 1);
  for (let round = 0; ; round++) {
    const input = {
      module: sc.module, vm_id: sc.vmId ?? "", vm_config: sc.vmConfig ?? "", workers: sc.workers ?? 1, log_level: sc.logLevel ?? 2,
      plugins: sc.plugins.map((p) => ({ name: p.name, root_id: p.rootId, configuration: p.configuration ?? "", kind: p.kind ?? "http" })),
      root_props: rootProps, clusters: sc.clusters ?? ["backend"], http_responses: sc.httpResponses ?? {}, ticks: sc.ticks ?? 0,
      streams: streams.map((s, i) => ({
        plugin: s.plugin ?? 0, worker: s.worker ?? 0, kind: s.kind ?? "http", repeat: probing ? 1 : s.repeat ?? 1, warmup: s.warmup ?? 1,
        allow_on_headers_stop_iteration: s.allowOnHeadersStopIteration ?? false,
        filter_state: s.filterState ?? {}, upstream_filter_state: s.upstreamFilterState ?? {},
        events: s.events.map((e, j) => ({ ...e, props: eventProps[i][j] })),
      })),
    };
    const r = await runDriverOnce(driver, input);
    let added = 0;
    for (const k of r.root_missing ?? []) if (!(k in rootProps)) { rootProps[k] = propEntry(rootSrc, k); added++; }
    (r.streams ?? []).forEach((sr: any, i: number) => {
      for (const m of sr.missing ?? []) {
        const [ev, k] = m.split(":");
        const j = Number(ev);
        if (!Number.isInteger(j)) continue;
        if (k in eventProps[i][j]) continue;
        const events = streams[i].events;
        const src: PropertySource = {
          node, pluginName: sc.plugins[streams[i].plugin ?? 0].name, rootId: sc.plugins[streams[i].plugin ?? 0].rootId, vmId: sc.vmId ?? "",
          stream: infos[i],
          requestHeaders: () => lastBefore(events, j, "request_headers", "headers"),
          responseHeaders: () => lastBefore(events, j, "response_headers", "headers"),
          responseTrailers: () => lastBefore(events, j, "response_trailers", "trailers"),
        };
        eventProps[i][j][k] = propEntry(src, k);
        added++;
      }
    });
    if (probing && (!added || round >= 5)) { probing = false; continue; }
    if (!added || round >= 6) {
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(r.metrics ?? {})) metrics[k] = (v as any).value;
      return {
        loaded: r.loaded, error: (r.errors ?? [])[0] ?? "", errors: r.errors ?? [], streams: r.streams ?? [], metrics,
        logs: r.logs ?? [], memory: r.memory,
      };
    }
  }
}

/** Runs the same scenario under tests/host (the wasm side, with the conformance harness's doubles). */
export async function runTestHost(sc: Scenario): Promise<Report> {
  const e = env(sc.workers ?? 1);
  e.logs.logLevel = sc.logLevel ?? 2;
  e.clusters.names = new Set(sc.clusters ?? ["backend"]);
  e.clusters.responder = async (cluster) => {
    const r = sc.httpResponses?.[cluster];
    if (!r) throw new Error("reset");
    return { headers: r.headers, body: Buffer.from(r.body), trailers: r.trailers };
  };
  const code = readFileSync(sc.module);
  const plugins = [];
  let error = "";
  for (const p of sc.plugins) {
    try {
      plugins.push(await e.runtime.loadPlugin(pluginConfig(code, {
        name: p.name, rootId: p.rootId, vmId: sc.vmId ?? "", vmConfiguration: Buffer.from(sc.vmConfig ?? ""),
        configuration: Buffer.from(p.configuration ?? ""),
      }), p.kind ?? "http"));
    } catch (err) {
      const m = (err as Error).message;
      error ||= m.replace(/^Unable to create Wasm (HTTP|network) filter [^:]*: /, "");
    }
  }
  const streams: StreamReport[] = [];
  let memory = { before: 0, after: 0 };
  if (!error) {
    for (let t = 0; t < (sc.ticks ?? 0); t++) for (const p of plugins) p.tick();
    await immediate();
    for (const s of sc.streams ?? []) {
      const plugin = plugins[s.plugin ?? 0];
      const worker = (s.worker ?? 0) % (sc.workers ?? 1);
      const repeat = s.repeat ?? 1;
      let report: StreamReport | undefined;
      for (let r = 0; r < repeat; r++) {
        if (r === 1 || repeat === 1) memory.before = plugin.memoryBytes(worker);
        const info = streamInfoOf(s);
        for (const [k, v] of Object.entries(s.filterState ?? {})) info.filterState.set(k, Buffer.from(v, "hex"));
        report = s.kind === "tcp" ? await runTcp(plugin, worker, s, info) : await runHttp(plugin, worker, s, info);
      }
      memory.after = plugin.memoryBytes(worker);
      streams.push(report!);
    }
  }
  for (const p of plugins) await p.shutdown();
  const metrics: Record<string, number> = {};
  const store = e.stats as EnvoyStatsStore;
  store.flush();
  for (const [name, stat] of (store as any).stats as Map<string, { kind: string; value: number; sum: number }>) {
    // histograms compare as the sum of their samples (the driver keeps the same)
    if (name.startsWith("wasmcustom.")) metrics[name.slice("wasmcustom.".length)] = stat.kind === "histogram" ? stat.sum : stat.value;
  }
  const logs: Array<[number, string]> = e.logs.lines.filter((l) => l.msg.startsWith("wasm log"))
    .map((l) => [l.level, l.msg.slice(l.msg.indexOf(": ") + 2)]);
  const errors = e.logs.lines.filter((l) => l.level >= 4 && !l.msg.startsWith("wasm log")).map((l) => l.msg);
  await e.runtime.shutdown();
  return { loaded: !error, error, errors, streams, metrics, logs, memory };
}

async function runHttp(plugin: any, worker: number, s: StreamSpec, info: StreamInfo): Promise<StreamReport> {
  const cb = new FakeHttpCallbacks(info);
  const f = plugin.newHttpFilter(worker, cb);
  const statuses: string[] = [];
  let replied = false;
  cb.onLocalReply = (status, body, headers) => {
    if (replied || cb.respHeaders) return;
    replied = true;
    const b = Buffer.from(body).toString();
    const h = localReplyHeaders({ status, body: b, headers });
    cb.respHeaders = h;
    // Envoy's local reply goes through this filter's encoder side once the current call returned.
    queueMicrotask(() => {
      statuses.push("local_reply_headers:" + f.encodeHeaders(h, b.length === 0));
      if (b.length) statuses.push("local_reply_body:" + f.encodeData(Buffer.from(b), true));
    });
  };
  for (const e of s.events) {
    if (cb.localReplies.length && ["request_body", "request_trailers", "response_headers", "response_body", "response_trailers"].includes(e.on)) continue;
    switch (e.on) {
      case "request_headers": cb.reqHeaders = e.headers!.map(([k, v]) => [k, v]); statuses.push(f.decodeHeaders(cb.reqHeaders, !!e.end_stream)); break;
      case "request_body": statuses.push(f.decodeData(Buffer.from(e.body ?? ""), !!e.end_stream)); break;
      case "request_trailers": cb.reqTrailers = e.trailers!.map(([k, v]) => [k, v]); statuses.push(f.decodeTrailers(cb.reqTrailers)); break;
      case "response_headers": cb.respHeaders = e.headers!.map(([k, v]) => [k, v]); statuses.push(f.encodeHeaders(cb.respHeaders, !!e.end_stream)); break;
      case "response_body": statuses.push(f.encodeData(Buffer.from(e.body ?? ""), !!e.end_stream)); break;
      case "response_trailers": cb.respTrailers = e.trailers!.map(([k, v]) => [k, v]); statuses.push(f.encodeTrailers(cb.respTrailers)); break;
      case "log": f.log(); break;
      case "destroy": f.onDestroy(); break;
    }
    await immediate();
    await immediate();
  }
  const lr = cb.localReplies[0];
  return {
    statuses, actions: cb.actions,
    request_headers: cb.reqHeaders ?? [], response_headers: cb.respHeaders ?? [],
    local_reply: lr ? { status: lr.status, body: lr.body, headers: lr.headers, grpc_status: lr.grpcStatus ?? null, details: lr.details } : null,
    filter_state: Object.fromEntries([...info.filterState].map(([k, v]) => [k, Buffer.from(v).toString("hex")])),
  };
}

async function runTcp(plugin: any, worker: number, s: StreamSpec, info: StreamInfo): Promise<StreamReport> {
  const cb = new FakeNetCallbacks(info);
  const f = plugin.newNetworkFilter(worker, cb);
  const statuses: string[] = [];
  const actions: string[] = [];
  const pending = { down: Buffer.alloc(0), up: Buffer.alloc(0) };
  for (const e of s.events) {
    switch (e.on) {
      case "new_connection": statuses.push(f.onNewConnection()); break;
      case "downstream_data": case "upstream_data": {
        const down = e.on === "downstream_data";
        const data = { buf: Buffer.concat([down ? pending.down : pending.up, Buffer.from(e.data ?? "", "hex")]) };
        const r = down ? f.onData(data, !!e.end_stream) : f.onWrite(data, !!e.end_stream);
        statuses.push(r);
        if (r === "Continue") {
          actions.push(`${down ? "forward_upstream" : "forward_downstream"} ${data.buf.toString("hex")}`);
          if (down) pending.down = Buffer.alloc(0); else pending.up = Buffer.alloc(0);
        } else if (down) pending.down = data.buf; else pending.up = data.buf;
        break;
      }
      case "downstream_close": f.onEvent(e.remote === false ? "LocalClose" : "RemoteClose"); break;
      case "upstream_close": f.onUpstreamEvent?.(e.remote === false ? "LocalClose" : "RemoteClose"); break;
    }
    await immediate();
  }
  return {
    statuses, actions: [...cb.actions, ...actions], request_headers: [], response_headers: [], local_reply: null,
    filter_state: Object.fromEntries([...info.filterState].map(([k, v]) => [k, Buffer.from(v).toString("hex")])),
  };
}

export { Status };
