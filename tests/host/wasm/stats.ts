// Envoy's stats store as far as the suite needs it: counters, gauges, histograms keyed by their
// full name, Envoy's tag extraction (source/common/config/well_known_names.cc defaults plus the
// bootstrap's stats_config.stats_tags), and the two admin formats. Custom Wasm stats live under
// `wasmcustom.` (envoy context.cc `defineMetric`); the Prometheus formatter strips that namespace,
// adds no `envoy_` prefix and drops names that then start with a digit
// (source/server/admin/prometheus_stats.cc `metricName`, envoyproxy/envoy PR #17357).
import type { StatsStore, StatsTagRule } from "../api";

export type StatKind = "counter" | "gauge" | "histogram";

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.cc `defaultBuckets`). */
export const DEFAULT_BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export const CUSTOM_NAMESPACE = "wasmcustom";

/**
 * Default tag extractors that matter for this suite, as JS regexes. Semantics (TagExtractorImpl):
 * group 1 is removed from the name, group 2 (or group 1 when absent) is the tag value.
 */
const DEFAULT_EXTRACTORS: Array<[string, string]> = [
  ["envoy.cluster_name", "^cluster\\.((.*?)\\.)"],
  ["envoy.listener_address", "^listener\\.(((?:[_.\\d]*|[_\\[\\]aAbBcCdDeEfF\\d]*))\\.)"],
  ["envoy.http_conn_manager_prefix", "^http\\.((.*?)\\.)"],
  ["envoy.tcp_prefix", "^tcp\\.((.*?)\\.)\\w+?$"],
  ["envoy.virtual_host", "^vhost\\.((.*?)\\.)"],
  ["envoy.virtual_cluster", "^vhost(?=\\.).*?\\.vcluster\\.((.*?)\\.)\\w+?$"],
  ["envoy.response_code", "_rq(_(\\d{3}))$"],
  ["envoy.response_code_class", "_rq(_(\\dxx))$"],
  ["envoy.http_user_agent", "^http(?=\\.).*?\\.user_agent\\.((.+?)\\.)\\w+?$"],
  ["envoy.rds_route_config", "^http(?=\\.).*?\\.rds\\.((.*?)\\.)\\w+?$"],
  ["envoy.grpc_bridge_service", "^cluster(?=\\.).*?\\.grpc\\.((.+)\\.)"],
  ["envoy.worker_id", "^(?:listener_manager|server)\\.(worker_(\\d+)\\.)"],
];

interface Extractor { name: string; regex?: RegExp; fixedValue?: string; }

interface Stat {
  name: string;
  kind: StatKind;
  value: number;             // counter / gauge
  pending: number[];         // histogram samples since the last flush
  buckets: number[];         // cumulative counts after flush (per DEFAULT_BUCKETS)
  count: number;
  sum: number;
  flushed: boolean;
  used: boolean;             // a value was ever recorded (Envoy's ParentHistogramImpl::used)
  cumulative: Map<number, number>;   // log-linear bin (left edge) -> count, all merged samples
  interval: Map<number, number>;     // the same for the samples merged by the last flush
  tagged?: { name: string; tags: Array<[string, string]> };
}

export class EnvoyStatsStore implements StatsStore {
  private stats = new Map<string, Stat>();
  private extractors: Extractor[];

  constructor(rules: StatsTagRule[]) {
    // Envoy: custom stats_tags come first and replace a default extractor with the same name.
    const custom = rules.map((r) => ({ name: r.tagName, regex: r.regex ? new RegExp(translateRegex(r.regex)) : undefined, fixedValue: r.fixedValue }));
    const names = new Set(custom.map((c) => c.name));
    this.extractors = [...custom, ...DEFAULT_EXTRACTORS.filter(([n]) => !names.has(n)).map(([name, re]) => ({ name, regex: new RegExp(re) }))];
  }

  /** Creates the stat if absent (Envoy creates on define, so zero-valued stats are listed). */
  define(name: string, kind: StatKind): Stat {
    let s = this.stats.get(name);
    if (!s) {
      s = { name, kind, value: 0, pending: [], buckets: DEFAULT_BUCKETS.map(() => 0), count: 0, sum: 0, flushed: false,
        used: false, cumulative: new Map(), interval: new Map() };
      this.stats.set(name, s);
    }
    return s;
  }

  get(name: string): Stat | undefined { return this.stats.get(name); }

  counterAdd(name: string, delta: number): void { this.define(name, "counter").value += delta; }
  gaugeSet(name: string, value: number): void { this.define(name, "gauge").value = value; }
  gaugeAdd(name: string, delta: number): void { this.define(name, "gauge").value += delta; }
  histogramRecord(name: string, value: number): void {
    const s = this.define(name, "histogram");
    s.used = true;
    s.pending.push(value);
  }
  /** Current value of a counter or gauge (undefined if absent). */
  value(name: string): number | undefined { return this.stats.get(name)?.value; }

  flush(): void {
    for (const s of this.stats.values()) {
      if (s.kind !== "histogram") continue;
      s.interval = new Map();
      for (const v of s.pending) {
        const bin = binLeft(v);
        s.interval.set(bin, (s.interval.get(bin) ?? 0) + 1);
        s.cumulative.set(bin, (s.cumulative.get(bin) ?? 0) + 1);
        s.count++;
        s.sum += v;
        for (let i = 0; i < DEFAULT_BUCKETS.length; i++) if (v <= DEFAULT_BUCKETS[i]) s.buckets[i]++;
      }
      if (s.pending.length) s.flushed = true;
      s.pending.length = 0;
    }
  }

  /** Envoy's TagProducerImpl: every extractor sees the original name; removals are applied together. */
  extractTags(name: string): { name: string; tags: Array<[string, string]> } {
    const remove: Array<[number, number]> = [];
    const tags: Array<[string, string]> = [];
    for (const ex of this.extractors) {
      if (ex.fixedValue !== undefined && !ex.regex) { tags.push([ex.name, ex.fixedValue]); continue; }
      if (!ex.regex) continue;
      const m = ex.regex.exec(name);
      if (!m || m[1] === undefined) continue;
      const value = m.length > 2 && m[2] !== undefined ? m[2] : m[1];
      const start = m.index + m[0].indexOf(m[1]);
      remove.push([start, start + m[1].length]);
      tags.push([ex.name, value]);
    }
    if (!remove.length) return { name, tags };
    let out = "";
    for (let i = 0; i < name.length; i++) if (!remove.some(([a, b]) => i >= a && i < b)) out += name[i];
    return { name: out, tags };
  }

  private tagged(s: Stat): { name: string; tags: Array<[string, string]> } {
    if (!s.tagged) s.tagged = this.extractTags(s.name);
    return s.tagged;
  }

  prometheus(): string {
    const groups = new Map<string, { kind: StatKind; lines: string[] }>();
    for (const s of [...this.stats.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const t = this.tagged(s);
      const metric = prometheusName(t.name);
      if (metric === null) continue;
      if (s.kind === "histogram" && !s.flushed) continue;
      let g = groups.get(metric);
      if (!g) groups.set(metric, (g = { kind: s.kind, lines: [] }));
      const labels = t.tags.map(([k, v]) => `${sanitize(k)}="${escapeLabel(v)}"`);
      const braces = (extra: string[] = []) => {
        const all = [...labels, ...extra];
        return all.length ? `{${all.join(",")}}` : "";
      };
      if (s.kind !== "histogram") {
        g.lines.push(`${metric}${braces()} ${s.value}`);
      } else {
        DEFAULT_BUCKETS.forEach((b, i) => g!.lines.push(`${metric}_bucket${braces([`le="${b}"`])} ${s.buckets[i]}`));
        g.lines.push(`${metric}_bucket${braces(['le="+Inf"'])} ${s.count}`);
        g.lines.push(`${metric}_sum${braces()} ${s.sum}`);
        g.lines.push(`${metric}_count${braces()} ${s.count}`);
      }
    }
    // Envoy's formatter writes counters, then gauges, then histograms, each sorted by name.
    const rank: Record<StatKind, number> = { counter: 0, gauge: 1, histogram: 2 };
    let out = "";
    for (const name of [...groups.keys()].sort((a, b) => rank[groups.get(a)!.kind] - rank[groups.get(b)!.kind] || (a < b ? -1 : a > b ? 1 : 0))) {
      const g = groups.get(name)!;
      out += `# TYPE ${name} ${g.kind}\n${g.lines.join("\n")}\n`;
    }
    return out;
  }

  text(): string {
    // Envoy's text renderer: counters and gauges by name, then histograms by name with the quantile
    // summary (ParentHistogramImpl::quantileSummary): P<q>(<interval>,<cumulative>) per supported
    // quantile, or "No recorded values" for a histogram nothing was recorded into.
    const lines: string[] = [];
    const sorted = [...this.stats.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const s of sorted) if (s.kind !== "histogram") lines.push(`${s.name}: ${s.value}`);
    for (const s of sorted) {
      if (s.kind !== "histogram") continue;
      if (!s.used) { lines.push(`${s.name}: No recorded values`); continue; }
      const iv = approxQuantiles(s.interval);
      const cu = approxQuantiles(s.cumulative);
      lines.push(`${s.name}: ${QUANTILE_LABELS.map((l, i) => `P${l}(${fmtDouble(iv[i])},${fmtDouble(cu[i])})`).join(" ")}`);
    }
    return lines.join("\n") + (lines.length ? "\n" : "");
  }
}

/** HistogramStatisticsImpl::supportedQuantiles and how the summary labels them (P{:g} of 100 q). */
const QUANTILES = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];
const QUANTILE_LABELS = ["0", "25", "50", "75", "90", "95", "99", "99.5", "99.9", "100"];

/** Envoy records integers into circllhist: bins of two significant decimal digits, [left, left + 10^(e-1)). */
function decade(v: number): number {
  let e = Math.floor(Math.log10(v));
  if (10 ** e > v) e--;
  else if (10 ** (e + 1) <= v) e++;
  return e;
}
function binWidth(left: number): number {
  return left <= 0 ? 0 : 10 ** (decade(left) - 1);
}
function binLeft(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v === 0) return 0;
  const e = decade(v);
  return e === 0 ? v : Math.floor(v / 10 ** (e - 1)) * 10 ** (e - 1);
}

/** circllhist's approximate quantiles: walk the bins, interpolate linearly inside the bin that holds q * count. */
function approxQuantiles(bins: Map<number, number>): number[] {
  const total = [...bins.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return QUANTILES.map(() => NaN);
  const out = QUANTILES.map((q) => q * total);
  const done = QUANTILES.map(() => false);
  let upper = 0;
  let qi = 0;
  for (const left of [...bins.keys()].sort((a, b) => a - b)) {
    const n = bins.get(left)!;
    if (n === 0) continue;
    const lower = upper;
    upper = lower + n;
    const width = binWidth(left);
    while (qi < out.length && out[qi] <= upper) {
      out[qi] = left + ((out[qi] - lower) / (upper - lower)) * width;
      done[qi] = true;
      qi++;
    }
  }
  return out.map((v, i) => (done[i] ? v : NaN));
}

/** fmt's "{}" for a double: shortest round-trip digits, "nan" for NaN. */
function fmtDouble(v: number): string {
  return Number.isNaN(v) ? "nan" : String(v);
}

/** prometheus_stats.cc `metricName`: custom namespace stripped without `envoy_`; else `envoy_` + name. */
export function prometheusName(tagExtracted: string): string | null {
  const prefix = CUSTOM_NAMESPACE + ".";
  if (tagExtracted.startsWith(prefix)) {
    const n = sanitize(tagExtracted.slice(prefix.length));
    return /^[0-9]/.test(n) || n === "" ? null : n;
  }
  return "envoy_" + sanitize(tagExtracted);
}

export function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, "_");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** RE2 / POSIX classes that appear in Envoy configs, in JS syntax. */
function translateRegex(re: string): string {
  return re.replace(/\[:digit:\]/g, "\\d").replace(/\[:alpha:\]/g, "a-zA-Z").replace(/\[:alnum:\]/g, "a-zA-Z0-9");
}

export function createStatsStore(tagRules: StatsTagRule[]): StatsStore {
  return new EnvoyStatsStore(tagRules);
}
