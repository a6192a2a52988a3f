// Turns a config into per-metric label plans and series, and records one event (a finished HTTP
// request, a TCP report) into them. No host calls except defining/incrementing metrics.
import { incrementMetric, recordMetric } from "../../shared/abi/host";
import { Node, Attributes, evaluateString } from "../../shared/expr";
import { StatsConfig } from "./config";
import { METRIC_COUNT, METRIC_SPECS, LabelPlan, LabelSet, MetricSeries, buildPlan } from "./metrics";
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

  constructor(cfg: StatsConfig) {
    this.maxSeries = cfg.maxSeriesPerMetric;
    for (let m = 0; m < METRIC_COUNT; m++) {
      const spec = unchecked(METRIC_SPECS[m]);
      const removed = new Array<string>();
      const dimKeys = new Array<string>();
      const dimExprs = new Array<Node>();
      let drop = false;
      for (let i = 0; i < cfg.overrides.length; i++) {
        const o = cfg.overrides[i];
        if (o.name.length > 0 && o.name != spec.name) continue;
        if (o.drop) drop = true;
        for (let k = 0; k < o.tagsToRemove.length; k++) removed.push(o.tagsToRemove[k]);
        for (let k = 0; k < o.dimensionKeys.length; k++) { dimKeys.push(o.dimensionKeys[k]); dimExprs.push(o.dimensions[k].root!); }
      }
      if (drop) continue;
      let plan = buildPlan(spec, removed, dimKeys, dimExprs);
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
      unchecked(this.series[m] = new MetricSeries(m, spec, plan, cfg.maxSeriesPerMetric));
    }
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

