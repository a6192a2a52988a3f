// Istio's standard metrics, the label plan of each (which tags, in which order, from where), and
// the series cache: one metric id per distinct label set, defined once, with a cardinality guard.
import { MetricType, defineMetric, incrementMetric } from "../../shared/abi/host";
import { Node } from "../../shared/expr";
import { TAG_COUNT, TAG_NAMES, NAME_ORDER, TagSet, tagInSet, encodeField, UNKNOWN } from "./labels";

export class MetricSpec {
  constructor(public name: string, public type: MetricType, public tags: TagSet) {}
}

export const enum M {
  requests_total = 0, request_duration_milliseconds = 1, request_bytes = 2, response_bytes = 3,
  request_messages_total = 4, response_messages_total = 5,
  tcp_sent_bytes_total = 6, tcp_received_bytes_total = 7, tcp_connections_opened_total = 8, tcp_connections_closed_total = 9,
}
export const METRIC_COUNT: i32 = 10;

/** proxy@release-1.11 extensions/stats/plugin.cc defaultMetrics(): names, types and label subsets. */
export const METRIC_SPECS: StaticArray<MetricSpec> = [
  new MetricSpec("requests_total", MetricType.Counter, TagSet.Http),
  new MetricSpec("request_duration_milliseconds", MetricType.Histogram, TagSet.Http),
  new MetricSpec("request_bytes", MetricType.Histogram, TagSet.Http),
  new MetricSpec("response_bytes", MetricType.Histogram, TagSet.Http),
  new MetricSpec("request_messages_total", MetricType.Counter, TagSet.Peer),
  new MetricSpec("response_messages_total", MetricType.Counter, TagSet.Peer),
  new MetricSpec("tcp_sent_bytes_total", MetricType.Counter, TagSet.Tcp),
  new MetricSpec("tcp_received_bytes_total", MetricType.Counter, TagSet.Tcp),
  new MetricSpec("tcp_connections_opened_total", MetricType.Counter, TagSet.Tcp),
  new MetricSpec("tcp_connections_closed_total", MetricType.Counter, TagSet.Tcp),
];

/** Prefix of every emitted name; Envoy files Wasm metrics under `wasmcustom.`, which its Prometheus output strips. */
export const METRIC_PREFIX = "istio_";
/** Counts label sets refused by the cardinality guard, per metric (label `metric`). */
export const OVERFLOW_METRIC = "istio_stats_overflow_total";
/** Value of every non-reporter label of the overflow series. */
export const OVERFLOW_VALUE = "overflow";

/**
 * The labels one or more metrics carry, in stat-name order: each field is a standard tag (value
 * from the 25-array) or an expression (override or custom dimension; errors report `unknown`).
 * Metrics with identical plans share one, so a request builds each label string once.
 */
export class LabelPlan {
  names: Array<string> = new Array<string>();
  std: Array<i32> = new Array<i32>();          // Tag index, or -1 for an expression
  exprs: Array<Node | null> = new Array<Node | null>();
  signature: string = "";
  // Last label set seen (values and encoded string): consecutive requests of one workload pair
  // usually repeat it, and then no string is built and no map is hashed.
  lastValues: Array<string> = new Array<string>();
  lastKey: string = "";
  hasLast: bool = false;
  /** Pre-encoded overflow label string (reporter kept, every other label `overflow`). */
  overflowKey: string = "";

  finish(): void {
    let sig = "";
    for (let i = 0; i < this.names.length; i++) {
      sig += this.names[i] + (this.std[i] >= 0 ? "" : "=" + changetype<usize>(this.exprs[i]).toString()) + ";";
    }
    this.signature = sig;
    for (let i = 0; i < this.names.length; i++) this.lastValues.push("");
  }

  /** Encodes the label part of a stat name for these values (one per field). */
  encode(values: Array<string>): string {
    let s = "";
    for (let i = 0, n = this.names.length; i < n; i++) s += encodeField(unchecked(this.names[i]), unchecked(values[i]));
    return s;
  }

  /** The overflow series' labels: the reporter as given, every other label `overflow`. */
  encodeOverflow(reporter: string): string {
    let s = "";
    for (let i = 0, n = this.names.length; i < n; i++) {
      const name = unchecked(this.names[i]);
      s += encodeField(name, name == "reporter" ? reporter : OVERFLOW_VALUE);
    }
    return s;
  }
}

/**
 * One metric's series: label string -> metric id, defined on first use. With `maxSeries` > 0, a new
 * label set beyond the limit is recorded under the overflow series and counted in
 * istio_stats_overflow_total{metric=...}, so a label explosion (a per-user header as a dimension)
 * cannot grow memory without bound.
 */
export class MetricSeries {
  ids: Map<string, u32> = new Map<string, u32>();
  count: i32 = 0;
  overflowId: u32 = 0;
  overflowCounterId: u32 = 0;
  overflowed: u64 = 0;
  lastKey: string = "";
  lastId: u32 = 0;
  constructor(public spec: MetricSpec, public plan: LabelPlan, public maxSeries: i32) {}

  get fullName(): string { return METRIC_PREFIX + this.spec.name; }

  /** The metric id for a label string (0 when the host refused to define it). */
  idFor(key: string, reporter: string): u32 {
    if (changetype<usize>(key) == changetype<usize>(this.lastKey) && this.lastId != 0) return this.lastId;
    let id: u32 = 0;
    if (this.ids.has(key)) {
      id = this.ids.get(key);
    } else if (this.maxSeries > 0 && this.count >= this.maxSeries) {
      id = this.overflow(reporter);
    } else {
      id = defineMetric(this.spec.type, key + this.fullName);
      if (id != 0) { this.ids.set(key, id); this.count++; }
    }
    this.lastKey = key;
    this.lastId = id;
    return id;
  }

  private overflow(reporter: string): u32 {
    this.overflowed++;
    if (this.overflowCounterId == 0) {
      this.overflowCounterId = defineMetric(MetricType.Counter, encodeField("metric", this.fullName) + OVERFLOW_METRIC);
    }
    if (this.overflowCounterId != 0) incrementCounter(this.overflowCounterId);
    if (this.overflowId == 0) {
      this.overflowId = defineMetric(this.spec.type, this.plan.encodeOverflow(reporter) + this.fullName);
    }
    // Not cached as lastId: the next request must be checked against the map again.
    return this.overflowId;
  }
}

function incrementCounter(id: u32): void { incrementMetric(id, 1); }

/**
 * Builds the plan of one metric from the standard subset and the config overrides that name it
 * (or name no metric). `removed`/`dimKeys`/`dimExprs` are the merged override lists, in config order.
 */
export function buildPlan(spec: MetricSpec, removed: Array<string>, dimKeys: Array<string>, dimExprs: Array<Node>): LabelPlan {
  const plan = new LabelPlan();
  for (let i = 0; i < TAG_COUNT; i++) {
    const tag = unchecked(NAME_ORDER[i]);
    if (!tagInSet(spec.tags, tag)) continue;
    const name = unchecked(TAG_NAMES[tag]);
    if (removed.includes(name)) continue;
    plan.names.push(name);
    plan.std.push(tag);
    plan.exprs.push(null);
  }
  // Overrides of carried tags replace the value source; other keys are new labels, appended in
  // sorted order (Istio's native filter sorts added tags). A later override of a key wins.
  const extraNames = new Array<string>();
  const extraExprs = new Array<Node>();
  for (let k = 0; k < dimKeys.length; k++) {
    const key = dimKeys[k];
    const at = plan.names.indexOf(key);
    if (at >= 0) { plan.std[at] = -1; plan.exprs[at] = dimExprs[k]; continue; }
    const e = extraNames.indexOf(key);
    if (e >= 0) { extraExprs[e] = dimExprs[k]; continue; }
    if (removed.includes(key)) continue;
    extraNames.push(key);
    extraExprs.push(dimExprs[k]);
  }
  // insertion sort of the indices by name (a handful of entries)
  const order = new Array<i32>();
  for (let i = 0; i < extraNames.length; i++) {
    let j = order.length;
    order.push(i);
    while (j > 0 && extraNames[order[j - 1]] > extraNames[i]) { order[j] = order[j - 1]; j--; }
    order[j] = i;
  }
  for (let i = 0; i < order.length; i++) {
    plan.names.push(extraNames[order[i]]);
    plan.std.push(-1);
    plan.exprs.push(extraExprs[order[i]]);
  }
  plan.finish();
  return plan;
}
