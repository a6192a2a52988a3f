// Turns a config into per-metric label plans and series, and records one event (a finished HTTP
// request, a TCP report) into them. No host calls except defining/incrementing metrics.
import { incrementMetric, recordMetric } from "../../shared/abi/host";
import { Node, Attributes, evaluateString } from "../../shared/expr";
import { MetricType } from "../../shared/abi/host";
import { StatsConfig } from "./config";
import { METRIC_COUNT, METRIC_SPECS, MetricSpec, LabelPlan, LabelSet, MetricSeries, buildPlan } from "./metrics";
import { TagSet } from "./labels";
import { UNKNOWN } from "./labels";
import { EventCache, EventEntry } from "./event_cache";

export class Recorder {
  /** Indexed by M; null when the metric is dropped by config. */
  series: StaticArray<MetricSeries | null> = new StaticArray<MetricSeries | null>(METRIC_COUNT);
  plans: Array<LabelPlan> = new Array<LabelPlan>();
  /** Per plan: the label set of the current event (null = not resolved yet). */
  private own: StaticArray<LabelSet | null> = new StaticArray<LabelSet | null>(0);
  /** The cached event's sets (beginCached), used for the plans that evaluate no expression; else null. */
  private cached: StaticArray<LabelSet | null> | null = null;
  /** Recent events' labels and sets (used only when no plan evaluates expressions). */
  events: EventCache = new EventCache(0);
  private maxSeries: i32 = 0;
  private scratch: Array<string> = new Array<string>();
  /** True when any plan evaluates an expression (the context then prepares Attributes). */
  usesExpressions: bool = false;

  /** `definitions`: series indexed from METRIC_COUNT on, and their value expressions. */
  custom: Array<MetricSeries> = new Array<MetricSeries>();
  customValues: Array<Node> = new Array<Node>();

  constructor(cfg: StatsConfig) {
    this.maxSeries = cfg.maxSeriesPerMetric;
    const slots = METRIC_COUNT + cfg.custom.length;
    for (let m = 0; m < slots; m++) {
      const isCustom = m >= METRIC_COUNT;
      const spec = isCustom
        ? new MetricSpec(cfg.custom[m - METRIC_COUNT].name, cfg.custom[m - METRIC_COUNT].type, TagSet.None)
        : unchecked(METRIC_SPECS[m]);
      const changes = isCustom ? cfg.custom[m - METRIC_COUNT].changes : unchecked(cfg.standard[m]);
      if (changes.drop) continue;
      let plan = buildPlan(spec, changes);
      plan.slots = slots;
      let shared = false;
      for (let i = 0; i < this.plans.length; i++) {
        if (this.plans[i].signature == plan.signature) { plan = this.plans[i]; shared = true; break; }
      }
      if (!shared) {
        plan.index = this.plans.length;
        this.plans.push(plan);
        for (let i = 0; i < plan.exprs.length; i++) if (plan.exprs[i] !== null) { plan.usesExpressions = true; this.usesExpressions = true; }
        while (this.scratch.length < plan.names.length) this.scratch.push("");
      }
      const series = new MetricSeries(m, spec, plan, cfg.maxSeriesPerMetric);
      if (isCustom) { this.custom.push(series); this.customValues.push(cfg.custom[m - METRIC_COUNT].value); }
      else unchecked(this.series[m] = series);
    }
    // a custom metric's value is an expression even when its labels are not
    if (this.custom.length > 0) this.usesExpressions = true;
    this.own = new StaticArray<LabelSet | null>(this.plans.length);
    this.events = new EventCache(this.plans.length);
  }

  /** Starts an event: label sets are resolved lazily, once per plan. */
  begin(): void {
    const own = this.own;
    for (let i = 0, n = own.length; i < n; i++) unchecked(own[i] = null);
    this.cached = null;
  }

  /**
   * Starts an event whose standard labels are `e.std` (a cached event). For plans without
   * expressions the label set depends on the standard labels alone: a set already resolved for the
   * entry is reused, a new one is resolved once and remembered in it. Plans with expressions are
   * resolved per event as after begin().
   */
  beginCached(e: EventEntry): void {
    if (this.usesExpressions) {
      const own = this.own;
      for (let i = 0, n = own.length; i < n; i++) unchecked(own[i] = null);
    }
    this.cached = e.sets;
  }

  /** The label set of `plan` for this event's standard values and attributes. */
  private setOf(plan: LabelPlan, std: StaticArray<string>, attrs: Attributes | null): LabelSet {
    const idx = plan.index;
    const cached = this.cached;
    const store = cached !== null && !plan.usesExpressions ? cached : this.own;
    const have = unchecked(store[idx]);
    if (have !== null) return have;
    const n = plan.names.length;
    const values = this.scratch;
    for (let i = 0; i < n; i++) {
      const tag = unchecked(plan.std[i]);
      let v: string = UNKNOWN;
      if (tag >= 0) v = unchecked(std[tag]);
      else if (attrs !== null) {
        const r: string | null = evaluateString(unchecked(plan.exprs[i])!, attrs);
        if (r !== null) v = r;
      }
      unchecked(values[i] = v);
    }
    const set = plan.resolve(values, this.maxSeries, unchecked(std[0]));
    unchecked(store[idx] = set);
    return set;
  }

  /** Metric id for metric `m` in this event, 0 when dropped or refused by the host. */
  id(m: i32, std: StaticArray<string>, attrs: Attributes | null): u32 {
    const s = unchecked(this.series[m]);
    if (s === null) return 0;
    return s.idFor(this.setOf(s.plan, std, attrs));
  }

  /** Counter += delta (skipped for 0: Envoy refuses non-positive counter deltas). */
  add(m: i32, delta: u64, std: StaticArray<string>, attrs: Attributes | null): void {
    if (delta == 0) return;
    const id = this.id(m, std, attrs);
    if (id != 0) incrementMetric(id, <i64>delta);
  }

  /** Histogram sample. */
  sample(m: i32, value: u64, std: StaticArray<string>, attrs: Attributes | null): void {
    const id = this.id(m, std, attrs);
    if (id != 0) recordMetric(id, value);
  }

  /**
   * Records every `definitions` metric for this event (Istio: at the end of an HTTP stream and at
   * TCP close). The value is the expression's CEL string parsed as an unsigned integer; an
   * evaluation error or a non-number records 0, as the native filter does (SimpleAtoi failure).
   */
  recordCustom(std: StaticArray<string>, attrs: Attributes | null): void {
    for (let i = 0; i < this.custom.length; i++) {
      const s = this.custom[i];
      let amount: u64 = 0;
      if (attrs !== null) {
        const v = evaluateString(this.customValues[i], attrs);
        if (v !== null) amount = parseUnsigned(v);
      }
      const id = s.idFor(this.setOf(s.plan, std, attrs));
      if (id == 0) continue;
      if (s.spec.type == MetricType.Counter) { if (amount > 0) incrementMetric(id, <i64>amount); }
      else recordMetric(id, amount); // gauge: set; histogram: one sample
    }
  }

  /** Series currently defined for metric m (for tests and the bench). */
  seriesCount(m: i32): i32 {
    const s = unchecked(this.series[m]);
    return s === null ? 0 : s.count;
  }

  overflowed(m: i32): u64 {
    const s = unchecked(this.series[m]);
    return s === null ? 0 : s.overflowed;
  }
}


/** absl::SimpleAtoi into uint64: optional surrounding spaces and '+', decimal digits, no overflow; else 0. */
function parseUnsigned(s: string): u64 {
  const t = s.trim();
  let i = 0;
  if (t.length > 0 && t.charCodeAt(0) == 0x2b) i = 1;
  if (i >= t.length) return 0;
  let v: u64 = 0;
  for (; i < t.length; i++) {
    const d = t.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return 0;
    if (v > (u64.MAX_VALUE - <u64>d) / 10) return 0;
    v = v * 10 + <u64>d;
  }
  return v;
}
