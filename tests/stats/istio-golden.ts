// Helpers for the golden tests built from istio/proxy's own test data (tests/testdata/istio/, see its
// README for the commit and license): a renderer for the small part of Go's text/template those
// files use, loaders for their YAML/JSON fragments, a client and a server "sidecar" (the test host's
// wasm runtime with Istio's node metadata, running dist/peer_metadata.wasm and dist/istio_stats.wasm
// on one StreamInfo, as Envoy runs an HTTP filter chain), and the comparison of one Prometheus family
// with a golden file the way istio/proxy's driver.ExactStat does (every series, label and value).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { HeaderList, NodeInfo, StreamInfo, HttpFilter, NetworkFilter } from "../host/api";
import { createWasmRuntime, createStatsStore, type WasmPlugin, type WasmRuntimeHandle } from "../host/wasm/index";
import type { EnvoyStatsStore } from "../host/wasm/stats";
import { FakeClusters, FakeHttpCallbacks, FakeNetCallbacks, Logs, makeStreamInfo, pluginConfig } from "../host/conformance/harness";

export const ISTIO = path.join(process.cwd(), "tests", "testdata", "istio");
const DIST = (m: string) => readFileSync(path.join(process.cwd(), "dist", m));

export interface TemplateContext { Vars: Record<string, string>; Ports: Record<string, number>; N: number }

/**
 * Go text/template, as far as istio/proxy's testdata uses it: `{{ .Vars.X }}`, `{{ .Ports.X }}`,
 * `{{ .N }}` (pipes such as `| fill | indent 6` are ignored), `if` / `else if` / `else` / `end`
 * on `.Vars.X`, `eq .Vars.X "v"`, `ne .Vars.X "v"`, and `{{-` / `-}}` whitespace trimming.
 */
export function render(text: string, ctx: TemplateContext): string {
  type Tok = { kind: "text"; s: string } | { kind: "act"; s: string };
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open < 0) { toks.push({ kind: "text", s: text.slice(i) }); break; }
    let before = text.slice(i, open);
    const close = text.indexOf("}}", open);
    let body = text.slice(open + 2, close);
    if (body.startsWith("-")) { before = before.replace(/\s+$/, ""); body = body.slice(1); }
    let trimAfter = false;
    if (body.endsWith("-")) { trimAfter = true; body = body.slice(0, -1); }
    toks.push({ kind: "text", s: before });
    toks.push({ kind: "act", s: body.trim() });
    i = close + 2;
    if (trimAfter) while (i < text.length && /\s/.test(text[i])) i++;
  }
  const value = (expr: string): string => {
    const head = expr.split("|")[0].trim();
    if (head === ".N") return String(ctx.N);
    const m = /^\.(Vars|Ports)\.(\w+)$/.exec(head);
    if (!m) throw new Error(`template: unsupported expression {{ ${expr} }}`);
    const v = m[1] === "Vars" ? ctx.Vars[m[2]] : ctx.Ports[m[2]];
    return v === undefined ? "" : String(v);
  };
  const cond = (expr: string): boolean => {
    const eq = /^(eq|ne)\s+(\S+)\s+"([^"]*)"$/.exec(expr);
    if (eq) return (value(eq[2]) === eq[3]) === (eq[1] === "eq");
    return value(expr) !== "";
  };
  // stack of [taking output now, some branch already taken]
  const stack: Array<[boolean, boolean]> = [];
  const on = () => stack.every(([t]) => t);
  let out = "";
  for (const t of toks) {
    if (t.kind === "text") { if (on()) out += t.s; continue; }
    const a = t.s;
    if (a.startsWith("if ")) { const c = cond(a.slice(3).trim()); stack.push([c, c]); }
    else if (a.startsWith("else if ")) { const top = stack[stack.length - 1]; const c = !top[1] && cond(a.slice(8).trim()); top[0] = c; top[1] = top[1] || c; }
    else if (a === "else") { const top = stack[stack.length - 1]; top[0] = !top[1]; top[1] = true; }
    else if (a === "end") stack.pop();
    else if (on()) out += value(a);
  }
  return out;
}

export function istioFile(rel: string): string { return readFileSync(path.join(ISTIO, rel), "utf8"); }
export function istioYaml(rel: string, ctx: TemplateContext): any { return parseYaml(render(istioFile(rel), ctx)); }
/**
 * A `*_node_metadata.json.tmpl` fragment: the inside of the bootstrap's YAML flow mapping
 * `metadata: { ... }` (hence read as YAML, which also takes the trailing comma some of them have).
 */
export function istioNodeMetadata(rel: string, ctx: TemplateContext): Record<string, unknown> {
  return parseYaml("{" + render(istioFile(rel), ctx) + "}");
}

/** The bootstrap `stats_config.stats_tags` of istio/proxy testdata/bootstrap/stats.yaml.tmpl. */
export function istioStatsTags(ctx: TemplateContext): Array<{ tagName: string; regex: string }> {
  return (istioYaml("testdata/bootstrap/stats.yaml.tmpl", ctx).stats_config.stats_tags as Array<{ tag_name: string; regex: string }>)
    .map((t) => ({ tagName: t.tag_name, regex: t.regex }));
}

export interface GoldenSeries { value: number; labels: Array<[string, string]> }
export interface GoldenFamily { name: string; type: string; series: GoldenSeries[] }

/** A testdata/metric/*.yaml(.tmpl) family (io.prometheus.client.MetricFamily in YAML). */
export function goldenFamily(rel: string, ctx: TemplateContext): GoldenFamily {
  const y = istioYaml(rel, ctx);
  return normalize({
    name: y.name, type: String(y.type).toLowerCase(),
    series: (y.metric as any[]).map((m) => ({
      value: Number((m.counter ?? m.gauge).value),
      labels: (m.label as Array<{ name: string; value: unknown }>).map((l) => [l.name, String(l.value ?? "")] as [string, string]),
    })),
  });
}

function normalize(f: GoldenFamily): GoldenFamily {
  f.series.sort((a, b) => JSON.stringify(a.labels) < JSON.stringify(b.labels) ? -1 : 1);
  return f;
}

/** One family from the host's /stats/prometheus output (counters and gauges), in the same shape. */
export function scrapedFamily(stats: EnvoyStatsStore, name: string): GoldenFamily | undefined {
  stats.flush();
  const text = stats.prometheus();
  const type = /^# TYPE (\S+) (\S+)$/m.exec(text.split("\n").filter((l) => l.startsWith(`# TYPE ${name} `)).join("\n"))?.[2];
  const series: GoldenSeries[] = [];
  for (const l of text.split("\n")) {
    if (!l.startsWith(name + "{") && !l.startsWith(name + " ")) continue;
    const brace = l.indexOf("{");
    const labels: Array<[string, string]> = [];
    if (brace === name.length) {
      const body = l.slice(brace + 1, l.lastIndexOf("}"));
      for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.push([m[1], m[2].replace(/\\(.)/g, "$1")]);
    }
    series.push({ value: Number(l.slice(l.lastIndexOf(" ") + 1)), labels });
  }
  if (type === undefined && series.length === 0) return undefined;
  return normalize({ name, type: type ?? "", series });
}

export interface ClusterFacts { name: string; metadata: Record<string, unknown>; endpointMetadata: Record<string, unknown> }

/** A cluster of an istio/proxy bootstrap template (its `metadata.filter_metadata` and first endpoint's). */
export function istioCluster(rel: string, name: string, ctx: TemplateContext): ClusterFacts {
  const b = istioYaml(rel, ctx);
  const c = (b.static_resources.clusters as any[]).find((x) => x.name === name);
  if (!c) throw new Error(`${rel}: no cluster ${name}`);
  const ep = c.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0];
  return { name, metadata: c.metadata?.filter_metadata ?? {}, endpointMetadata: ep?.metadata?.filter_metadata ?? {} };
}

/** A cluster of an istio/proxy xDS cluster template (testdata/cluster/*.yaml.tmpl). */
export function istioClusterFile(rel: string, ctx: TemplateContext): ClusterFacts {
  const c = istioYaml(rel, ctx);
  const ep = c.load_assignment?.endpoints?.[0]?.lb_endpoints?.[0];
  return { name: c.name, metadata: c.metadata?.filter_metadata ?? {}, endpointMetadata: ep?.metadata?.filter_metadata ?? {} };
}

/** A proxy of the e2e topology: its node, stats store (Istio's stats_tags), and the two filters. */
export class GoldenSidecar {
  logs = new Logs();
  stats: EnvoyStatsStore;
  runtime: WasmRuntimeHandle;
  mx?: WasmPlugin;
  istioStats?: WasmPlugin;

  constructor(public node: NodeInfo, tags: Array<{ tagName: string; regex: string }>) {
    this.stats = createStatsStore(tags) as EnvoyStatsStore;
    this.runtime = createWasmRuntime({ workers: 1, node, clusters: new FakeClusters(), stats: this.stats, log: this.logs.sink }) as WasmRuntimeHandle;
  }

  /** Loads the metadata-exchange filter with an istio/proxy `mx_native_*` config's `value`. */
  async loadMx(config: unknown, kind: "http" | "network" = "http"): Promise<void> {
    this.mx = await this.runtime.loadPlugin(pluginConfig(DIST("peer_metadata.wasm"), {
      name: "mx", rootId: kind === "http" ? "peer_metadata" : "peer_metadata_tcp", vmId: "mx",
      configuration: Buffer.from(JSON.stringify(config ?? {})), failurePolicy: "FAIL_OPEN",
    }), kind);
  }

  /** Loads istio_stats with an istio/proxy stats config (stats.PluginConfig as YAML/JSON object). */
  async loadStats(config: unknown, kind: "http" | "network" = "http"): Promise<void> {
    this.istioStats = await this.runtime.loadPlugin(pluginConfig(DIST("istio_stats.wasm"), {
      name: "stats", rootId: kind === "http" ? "istio_stats" : "istio_stats_tcp", vmId: "stats",
      configuration: Buffer.from(JSON.stringify(config ?? {})), failurePolicy: "FAIL_OPEN",
    }), kind);
  }

  /** The HTTP chain [mx?, stats?] on one StreamInfo. */
  httpChain(si: StreamInfo): HttpChain {
    const filters: HttpFilter[] = [];
    const cbs: FakeHttpCallbacks[] = [];
    for (const p of [this.mx, this.istioStats]) {
      if (!p) continue;
      const cb = new FakeHttpCallbacks(si);
      cbs.push(cb);
      filters.push(p.newHttpFilter(0, cb));
    }
    return new HttpChain(filters, cbs);
  }

  /** The network chain [stats, mx] or [mx, stats] on one StreamInfo. */
  networkChain(si: StreamInfo, order: Array<"mx" | "stats">): { filters: NetworkFilter[]; cbs: FakeNetCallbacks[] } {
    const filters: NetworkFilter[] = [];
    const cbs: FakeNetCallbacks[] = [];
    for (const which of order) {
      const p = which === "mx" ? this.mx : this.istioStats;
      if (!p) continue;
      const cb = new FakeNetCallbacks(si);
      cbs.push(cb);
      filters.push(p.newNetworkFilter(0, cb));
    }
    return { filters, cbs };
  }

  async stop(): Promise<void> {
    await this.mx?.shutdown();
    await this.istioStats?.shutdown();
    await this.runtime.shutdown();
  }
}

/** Envoy's HTTP filter order: decode callbacks in chain order, encode callbacks in reverse. */
export class HttpChain {
  constructor(public filters: HttpFilter[], public cbs: FakeHttpCallbacks[]) {}
  decodeHeaders(h: HeaderList, end: boolean): void {
    for (const cb of this.cbs) cb.reqHeaders = h;
    for (const f of this.filters) f.decodeHeaders(h, end);
  }
  encodeHeaders(h: HeaderList, end: boolean): void {
    for (const cb of this.cbs) cb.respHeaders = h;
    for (const f of [...this.filters].reverse()) f.encodeHeaders(h, end);
  }
  encodeTrailers(t: HeaderList): void {
    for (const cb of this.cbs) cb.respTrailers = t;
    for (const f of [...this.filters].reverse()) f.encodeTrailers(t);
  }
  finish(): void {
    for (const f of this.filters) f.log();
    for (const f of this.filters) f.onDestroy();
  }
}

export function streamInfo(over: Partial<StreamInfo>): StreamInfo {
  return makeStreamInfo({ responseFlags: [], filterState: new Map(), ...over });
}
