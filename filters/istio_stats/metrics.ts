// Istio's standard metrics, the label plan of each (which tags, in which order, from where), and
// the series cache: one metric id per distinct label set, defined once, with a cardinality guard.
import { MetricType, defineMetric, incrementMetric } from "../../shared/abi/host";
import { Node } from "../../shared/expr";
import { MetricChanges } from "./config";
import { TAG_COUNT, TAG_NAMES, NAME_ORDER, TagSet, tagInSet, encodeField } from "./labels";

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

/** One distinct label set of a plan, with the metric id of each metric using it (0 = not defined yet). */
export class LabelSet {
  /** Indexed by metric (standard metrics by M, then the configured definitions). */
  ids: StaticArray<u32>;
  next: LabelSet | null = null;
  constructor(public values: StaticArray<string>, public hash: u64, public overflow: bool, slots: i32 = METRIC_COUNT) {
    this.ids = new StaticArray<u32>(slots);
  }
}

/**
 * The labels one or more metrics carry, in stat-name order: each field is a standard tag (value
 * from the 25-array) or an expression (override or custom dimension; errors report `unknown`).
 * Metrics with identical plans share one, so a request resolves its label set once per plan.
 *
 * Label sets are found by a 64-bit hash of the values and confirmed value by value; the encoded
 * stat name is built only when a metric id is defined. So a request of a known label set builds no
 * string and hashes only the short values.
 */
export class LabelPlan {
  names: Array<string> = new Array<string>();
  std: Array<i32> = new Array<i32>();          // Tag index, or -1 for an expression
  exprs: Array<Node | null> = new Array<Node | null>();
  signature: string = "";
  /** Position in the recorder's plan list. */
  index: i32 = 0;
  /** True when a field is an expression (its label sets then depend on more than the standard labels). */
  usesExpressions: bool = false;
  sets: Map<u64, LabelSet> = new Map<u64, LabelSet>();
  size: i32 = 0;
  last: LabelSet | null = null;
  overflowSet: LabelSet | null = null;
  /** Metrics a label set can serve (standard + custom): the size of LabelSet.ids. */
  slots: i32 = METRIC_COUNT;

  finish(): void {
    let sig = "";
    for (let i = 0; i < this.names.length; i++) {
      sig += this.names[i] + (this.std[i] >= 0 ? "" : "=" + changetype<usize>(this.exprs[i]).toString()) + ";";
    }
    this.signature = sig;
  }

  /**
   * Per position, the value the last hash was computed from and that value's own hash. Most values
   * of a request are the very string objects of the previous one (cached peer, principals, cluster),
   * so only the values that changed (response code, custom dimensions) are hashed again. Holding
   * the strings here keeps them alive, so an equal pointer always means an equal value.
   */
  hashedValues: StaticArray<string> = new StaticArray<string>(0);
  valueHashes: StaticArray<u64> = new StaticArray<u64>(0);

  /**
   * The label set for `values` (the first names.length entries), created if new. Past `max` sets
   * (when max > 0) a new combination gets the shared overflow set instead.
   */
  resolve(values: Array<string>, max: i32, reporter: string): LabelSet {
    const n = this.names.length;
    const last = this.last;
    if (last !== null && sameValues(last.values, values, n)) return last;
    const h = this.hashOf(values, n);
    let found: LabelSet | null = this.sets.has(h) ? this.sets.get(h) : null;
    let head = found;
    while (found !== null && !sameValues(found.values, values, n)) found = found.next;
    if (found === null) {
      if (max > 0 && this.size >= max) return this.overflow(reporter);
      const copy = new StaticArray<string>(n);
      for (let i = 0; i < n; i++) unchecked(copy[i] = unchecked(values[i]));
      found = new LabelSet(copy, h, false, this.slots);
      found.next = head;
      this.sets.set(h, found);
      this.size++;
    }
    this.last = found;
    return found;
  }

  /** hashLabelValues(values, n), rehashing only the values whose string object changed since the last call. */
  hashOf(values: Array<string>, n: i32): u64 {
    if (this.hashedValues.length != n) {
      this.hashedValues = new StaticArray<string>(n);
      this.valueHashes = new StaticArray<u64>(n);
      const empty = hashValue("");
      for (let i = 0; i < n; i++) { unchecked(this.hashedValues[i] = ""); unchecked(this.valueHashes[i] = empty); }
    }
    const seen = this.hashedValues;
    const hashes = this.valueHashes;
    let h: u64 = HASH_SEED;
    for (let i = 0; i < n; i++) {
      const v = unchecked(values[i]);
      let vh: u64;
      if (changetype<usize>(v) == changetype<usize>(unchecked(seen[i]))) vh = unchecked(hashes[i]);
      else { vh = hashValue(v); unchecked(seen[i] = v); unchecked(hashes[i] = vh); }
      h = mixHash(h, vh);
    }
    return h;
  }

  private overflow(reporter: string): LabelSet {
    let o = this.overflowSet;
    if (o === null) {
      const n = this.names.length;
      const v = new StaticArray<string>(n);
      for (let i = 0; i < n; i++) unchecked(v[i] = this.names[i] == "reporter" ? reporter : OVERFLOW_VALUE);
      o = new LabelSet(v, 0, true, this.slots);
      this.overflowSet = o;
    }
    return o;
  }

  /** The label part of a stat name for a set. */
  encode(set: LabelSet): string {
    let s = "";
    for (let i = 0, n = this.names.length; i < n; i++) s += encodeField(unchecked(this.names[i]), unchecked(set.values[i]));
    return s;
  }
}

// Back to front: the per-request labels (response code, flags, custom dimensions) sit at the end of
// a plan, so a mismatch is usually found on the first comparisons. Values of a known set are mostly
// the same string objects, so the pointer test settles most of them without a call.
function sameValues(a: StaticArray<string>, b: Array<string>, n: i32): bool {
  for (let i = n - 1; i >= 0; i--) {
    const x = unchecked(a[i]);
    const y = unchecked(b[i]);
    if (changetype<usize>(x) != changetype<usize>(y) && x != y) return false;
  }
  return true;
}

const HASH_SEED: u64 = 0xcbf29ce484222325;

/** FNV-1a over the UTF-16 units of one value, then a terminator (so "a","bc" and "ab","c" differ). */
export function hashValue(v: string): u64 {
  let h: u64 = HASH_SEED;
  const p = changetype<usize>(v);
  const len = <usize>v.length << 1;
  for (let k: usize = 0; k < len; k += 2) h = (h ^ <u64>load<u16>(p + k)) * 0x100000001b3;
  return (h ^ 0xffff) * 0x100000001b3;
}

// @ts-ignore: decorator
@inline function mixHash(h: u64, vh: u64): u64 {
  h = (h ^ vh) * 0x9e3779b97f4a7c15;
  return h ^ (h >> 29);
}

/** The hash of a label set: its values' hashes combined in order (what LabelPlan.hashOf computes). */
export function hashLabelValues(values: Array<string>, n: i32): u64 {
  let h: u64 = HASH_SEED;
  for (let i = 0; i < n; i++) h = mixHash(h, hashValue(unchecked(values[i])));
  return h;
}

/**
 * One metric: its definitions per label set (held in the plan's LabelSets) and the cardinality
 * guard's accounting. With `maxSeries` > 0, a label set beyond the limit is recorded under the
 * overflow series and counted in istio_stats_overflow_total{metric=...}, so a label explosion (a
 * per-user header as a dimension) cannot grow memory without bound.
 */
export class MetricSeries {
  count: i32 = 0;
  overflowCounterId: u32 = 0;
  overflowed: u64 = 0;
  constructor(public index: i32, public spec: MetricSpec, public plan: LabelPlan, public maxSeries: i32) {}

  get fullName(): string { return METRIC_PREFIX + this.spec.name; }

  /** The metric id for a label set, defined on first use (0 when the host refused). */
  idFor(set: LabelSet): u32 {
    if (set.overflow) {
      this.overflowed++;
      if (this.overflowCounterId == 0) {
        this.overflowCounterId = defineMetric(MetricType.Counter, encodeField("metric", this.fullName) + OVERFLOW_METRIC);
      }
      if (this.overflowCounterId != 0) incrementMetric(this.overflowCounterId, 1);
    }
    let id = unchecked(set.ids[this.index]);
    if (id == 0) {
      id = defineMetric(this.spec.type, this.plan.encode(set) + this.fullName);
      unchecked(set.ids[this.index] = id);
      if (id != 0 && !set.overflow) this.count++;
    }
    return id;
  }
}

/**
 * Builds the plan of one metric: the standard tags it carries, in stat-name order, each kept,
 * replaced by an expression or removed as `changes` says, then the added tags in their order.
 * An override of a tag the metric does not carry changes nothing (Istio overrides only the tags a
 * metric has).
 */
export function buildPlan(spec: MetricSpec, changes: MetricChanges): LabelPlan {
  const plan = new LabelPlan();
  for (let i = 0; i < TAG_COUNT; i++) {
    const tag = unchecked(NAME_ORDER[i]);
    if (!tagInSet(spec.tags, tag)) continue;
    const name = unchecked(TAG_NAMES[tag]);
    const at = changes.overrideKeys.indexOf(name);
    if (at >= 0 && changes.overrideExprs[at] === null) continue;
    plan.names.push(name);
    plan.std.push(at >= 0 ? -1 : tag);
    plan.exprs.push(at >= 0 ? changes.overrideExprs[at] : null);
  }
  for (let k = 0; k < changes.addKeys.length; k++) {
    plan.names.push(changes.addKeys[k]);
    plan.std.push(-1);
    plan.exprs.push(changes.addExprs[k]);
  }
  plan.finish();
  return plan;
}
