// The plugin configuration: the JSON shape of Istio's stats.PluginConfig (the Wasm-era filter took
// it as JSON text). See config.proto for the schema and README.md for every field with an example.
import { parseJson, JsonFields, JsonValue, JsonKind } from "../../shared/codec/json";
import { compile, Catalog, EnvoyCatalog, AttrRef, ValueKind, Node } from "../../shared/expr";
import { MetricType } from "../../shared/abi/host";
import { tagIndex, TAG_COUNT, TAG_NAMES } from "./labels";
import { METRIC_COUNT, METRIC_SPECS } from "./metrics";
import { Role } from "./request_labels";

/** How the reporter label is chosen. */
export const enum ReporterMode { Auto = 0, Source = 1, Destination = 2, Waypoint = 3 }

export const DEFAULT_TCP_REPORTING_MS: u32 = 5000;

// Peer attributes available to expressions. Istio's native filter reads the exchanged peer as
// filter state (`filter_state.upstream_peer.service`, `...labels['role']`: istio/proxy
// testdata/stats/*.yaml): its fields are WorkloadMetadataObject's Struct keys (type, workload, name,
// cluster, namespace, service, revision, app, version, identity, region, availability_zone, labels).
// The Wasm-era roots `upstream_peer.<f>` / `downstream_peer.<f>` with their field names are kept.
export const SOURCE_UPSTREAM_PEER: i32 = 100;
export const SOURCE_DOWNSTREAM_PEER: i32 = 101;
/** An attribute no catalog knows: it always reads as absent, so the label reports `unknown` (as a CEL evaluation error does in Istio). */
export const SOURCE_ABSENT: i32 = 102;
export const enum PeerField { Workload = 0, Namespace = 1, Cluster = 2, Service = 3, Revision = 4, App = 5, Version = 6, Identity = 7, Label = 8, Name = 9, Type = 10, Absent = 11 }
const PEER_FIELDS = "workload_name, namespace, cluster_id, canonical_service, canonical_revision, app, version, identity, labels['<key>']";

/** A field of the native peer Struct (WorkloadMetadataObject::serializeAsProto keys), or -1. */
function nativePeerField(f: string): i32 {
  if (f == "workload") return PeerField.Workload;
  if (f == "namespace") return PeerField.Namespace;
  if (f == "cluster") return PeerField.Cluster;
  if (f == "service") return PeerField.Service;
  if (f == "revision") return PeerField.Revision;
  if (f == "app") return PeerField.App;
  if (f == "version") return PeerField.Version;
  if (f == "identity") return PeerField.Identity;
  if (f == "name") return PeerField.Name;
  if (f == "type") return PeerField.Type;
  if (f == "region" || f == "availability_zone") return PeerField.Absent; // not exchanged by this suite
  return -1;
}

export class PeerCatalog extends Catalog {
  bind(ref: AttrRef): string {
    const s = ref.segments;
    // Istio's native vocabulary: filter_state.upstream_peer.<field> / .labels['<key>']
    if (ref.root == "filter_state" && s.length >= 1 && (s[0] == "upstream_peer" || s[0] == "downstream_peer")) {
      ref.source = s[0] == "upstream_peer" ? SOURCE_UPSTREAM_PEER : SOURCE_DOWNSTREAM_PEER;
      ref.type = ValueKind.String;
      if (s.length == 3 && s[1] == "labels") { ref.field = PeerField.Label; ref.segments = ["labels", s[2]]; return ""; }
      const f = s.length == 2 ? nativePeerField(s[1]) : -1;
      // Anything else (the whole struct, an unknown key) is a CEL evaluation error in Istio: unknown.
      ref.field = f >= 0 ? f : PeerField.Absent;
      ref.segments = ["x"];
      return "";
    }
    let source = 0;
    if (ref.root == "upstream_peer") source = SOURCE_UPSTREAM_PEER;
    else if (ref.root == "downstream_peer") source = SOURCE_DOWNSTREAM_PEER;
    else return "unknown attribute '" + ref.text + "' (supported roots: Envoy attributes, filter_state.upstream_peer, filter_state.downstream_peer, upstream_peer, downstream_peer)";
    if (s.length == 0) return "'" + ref.text + "' is not a value; name a peer field (" + PEER_FIELDS + ")";
    const f = s[0];
    let field = -1;
    if (f == "labels") {
      if (s.length != 2) return "'" + ref.text + "': index labels with a key, e.g. " + ref.root + ".labels['app']";
      field = PeerField.Label;
    } else {
      if (f == "workload_name" || f == "workload") field = PeerField.Workload;
      else if (f == "namespace") field = PeerField.Namespace;
      else if (f == "cluster_id" || f == "cluster") field = PeerField.Cluster;
      else if (f == "canonical_service" || f == "service") field = PeerField.Service;
      else if (f == "canonical_revision" || f == "revision") field = PeerField.Revision;
      else if (f == "app") field = PeerField.App;
      else if (f == "version") field = PeerField.Version;
      else if (f == "identity") field = PeerField.Identity;
      else return "unknown peer field '" + f + "' (supported: " + PEER_FIELDS + ")";
      if (s.length != 1) return "'" + ref.text + "': " + f + " has no fields";
    }
    ref.source = source;
    ref.field = field;
    ref.type = ValueKind.String;
    return "";
  }
}

/**
 * The catalog of stats expressions: the exchanged peers first (so `filter_state.upstream_peer.*`
 * is not read as raw Envoy filter state), then Envoy's attributes. A path neither knows is bound
 * as always-absent and recorded in `unknown`: Istio's CEL reports such a label as `unknown` at
 * request time rather than refusing the configuration.
 */
export class StatsCatalog extends Catalog {
  peers: PeerCatalog = new PeerCatalog();
  envoy: EnvoyCatalog = new EnvoyCatalog();
  unknown: Array<string> = new Array<string>();
  bind(ref: AttrRef): string {
    const root = ref.root;
    const peerRoot = root == "upstream_peer" || root == "downstream_peer" ||
      (root == "filter_state" && ref.segments.length >= 1 && (ref.segments[0] == "upstream_peer" || ref.segments[0] == "downstream_peer"));
    let why = peerRoot ? this.peers.bind(ref) : this.envoy.bind(ref);
    if (why.length == 0) return "";
    this.unknown.push(ref.text + " (" + why + ")");
    ref.source = SOURCE_ABSENT;
    ref.type = ValueKind.String;
    return "";
  }
}

/**
 * The label changes configuration makes to one metric, in the native filter's terms
 * (istio/proxy istio_stats.cc MetricOverrides): per standard tag an override (an expression, or
 * null = removed; one map entry per tag, so a later `dimensions` entry replaces an earlier
 * `tags_to_remove` and the reverse), and new tags appended in configuration order (sorted within
 * one `metrics[]` entry).
 */
export class MetricChanges {
  drop: bool = false;
  overrideKeys: Array<string> = new Array<string>();
  overrideExprs: Array<Node | null> = new Array<Node | null>();
  addKeys: Array<string> = new Array<string>();
  addExprs: Array<Node> = new Array<Node>();

  setOverride(key: string, expr: Node | null): void {
    const i = this.overrideKeys.indexOf(key);
    if (i >= 0) { this.overrideExprs[i] = expr; return; }
    this.overrideKeys.push(key);
    this.overrideExprs.push(expr);
  }

  /** The override of a standard tag: 0 none, 1 an expression, -1 removed. */
  overrideOf(key: string): i32 {
    const i = this.overrideKeys.indexOf(key);
    if (i < 0) return 0;
    return this.overrideExprs[i] === null ? -1 : 1;
  }

  /** Appends a new tag (a repeated name keeps its place and takes the later expression). */
  add(key: string, expr: Node): void {
    const i = this.addKeys.indexOf(key);
    if (i >= 0) { this.addExprs[i] = expr; return; }
    this.addKeys.push(key);
    this.addExprs.push(expr);
  }
}

/** A `definitions[]` entry: metric istio_<name> whose value is an integer expression. */
export class CustomMetric {
  changes: MetricChanges = new MetricChanges();
  constructor(public name: string, public type: MetricType, public value: Node) {}
}

export class StatsConfig {
  reporter: ReporterMode = ReporterMode.Auto;
  disableHostHeaderFallback: bool = false;
  tcpReportingMs: u32 = DEFAULT_TCP_REPORTING_MS;
  /** Cardinality guard: most label sets per metric (per VM); 0 = unlimited. */
  maxSeriesPerMetric: i32 = 0;
  /** Per standard metric (indexed by M). */
  standard: StaticArray<MetricChanges> = newChanges();
  /** `definitions`, in configuration order. */
  custom: Array<CustomMetric> = new Array<CustomMetric>();
  /** What the native filter logs and skips (an expression that does not parse, an unknown tag, ...). */
  warnings: Array<string> = new Array<string>();
}

function newChanges(): StaticArray<MetricChanges> {
  const a = new StaticArray<MetricChanges>(METRIC_COUNT);
  for (let i = 0; i < METRIC_COUNT; i++) unchecked(a[i] = new MetricChanges());
  return a;
}

export class ConfigResult {
  config: StatsConfig | null = null;
  field: string = "";
  why: string = "";
  get ok(): bool { return this.config !== null; }
}

const TOP_KEYS: Array<string> = [
  "reporter", "disable_host_header_fallback", "tcp_reporting_duration", "metrics", "definitions", "max_series_per_metric",
  // accepted for compatibility with Istio's Wasm-era JSON; see README.md
  "debug", "stat_prefix", "field_separator", "value_separator", "max_peer_cache_size",
  "rotation_interval", "graceful_deletion_interval",
];
const METRIC_KEYS: Array<string> = ["name", "dimensions", "tags_to_remove", "drop", "match"];
const DEFINITION_KEYS: Array<string> = ["name", "value", "type"];

function fail(field: string, why: string): ConfigResult {
  const r = new ConfigResult();
  r.field = field;
  r.why = why;
  return r;
}

/** Prometheus label name rules ([a-zA-Z_][a-zA-Z0-9_]*), which Envoy's stats_tags also need. */
function isLabelName(s: string): bool {
  if (s.length == 0 || s.length > 128) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f || (i > 0 && c >= 0x30 && c <= 0x39);
    if (!ok) return false;
  }
  return true;
}

/**
 * A protobuf JSON Duration ("5s", "0.5s", "1.500s") in milliseconds, or -1 when malformed.
 * Also accepts an integer number of milliseconds for convenience.
 */
export function parseDurationMs(v: JsonValue): i64 {
  if (v.kind == JsonKind.Number) return v.isInteger && v.num >= 0 ? <i64>v.num : -1;
  if (v.kind != JsonKind.String) return -1;
  const s = v.str;
  if (s.length < 2 || s.length > 24 || s.charCodeAt(s.length - 1) != 0x73 /* s */) return -1;
  let secs: i64 = 0;
  let frac: i64 = 0;
  let fracDigits = 0;
  let seenDot = false;
  let digits = 0;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2e) { if (seenDot || digits == 0) return -1; seenDot = true; continue; }
    if (c < 0x30 || c > 0x39) return -1;
    if (!seenDot) { secs = secs * 10 + (c - 0x30); digits++; if (digits > 12) return -1; }
    else { if (fracDigits >= 9) return -1; frac = frac * 10 + (c - 0x30); fracDigits++; }
  }
  if (digits == 0 || (seenDot && fracDigits == 0)) return -1;
  let ms = secs * 1000;
  // scale the fraction to milliseconds
  while (fracDigits < 3) { frac *= 10; fracDigits++; }
  while (fracDigits > 3) { frac /= 10; fracDigits--; }
  return ms + frac;
}

export function parseConfig(text: string): ConfigResult {
  const cfg = new StatsConfig();
  if (text.trim().length == 0) { const r = new ConfigResult(); r.config = cfg; return r; }
  const parsed = parseJson(text);
  if (!parsed.ok) return fail("configuration", parsed.error);
  const f = new JsonFields(parsed.value!, "");
  if (!f.ok) return fail(f.errorField, f.errorWhy);
  if (!f.onlyKeys(TOP_KEYS)) return fail(f.errorField, f.errorWhy);

  // reporter: Istio's enum (UNSPECIFIED follows the listener direction; SERVER_GATEWAY is a waypoint),
  // plus the role names for a fixed override.
  const rep = f.string("reporter", "UNSPECIFIED");
  if (rep == "UNSPECIFIED" || rep == "") cfg.reporter = ReporterMode.Auto;
  else if (rep == "SERVER_GATEWAY" || rep == "waypoint") cfg.reporter = ReporterMode.Waypoint;
  else if (rep == "source" || rep == "SOURCE") cfg.reporter = ReporterMode.Source;
  else if (rep == "destination" || rep == "DESTINATION") cfg.reporter = ReporterMode.Destination;
  else return fail("reporter", "expected UNSPECIFIED, SERVER_GATEWAY, source, destination or waypoint, got \"" + rep + "\"");

  // Booleans also as "true"/"false": Istio's configs give them so (testdata/stats/*disable_header_fallback.yaml)
  // and Envoy's protobuf JSON conversion accepts them.
  cfg.disableHostHeaderFallback = f.protoBool("disable_host_header_fallback", false);
  cfg.maxSeriesPerMetric = <i32>f.integer("max_series_per_metric", 0, 0, 1000000);
  f.protoBool("debug", false); // type-checked, ignored (Istio deprecated it)
  f.integer("max_peer_cache_size", 0, 0, 1000000000); // Wasm era; ignored
  f.string("stat_prefix", "istio");
  if (!f.ok) return fail(f.errorField, f.errorWhy);
  if (f.string("stat_prefix", "istio") != "istio") return fail("stat_prefix", "only \"istio\" is supported (Istio hard-codes the istio_ prefix)");
  if (f.string("field_separator", ";.;") != ";.;") return fail("field_separator", "only \";.;\" is supported (the bootstrap stats_tags regexes assume it)");
  if (f.string("value_separator", "=.=") != "=.=") return fail("value_separator", "only \"=.=\" is supported (the bootstrap stats_tags regexes assume it)");
  if (!f.ok) return fail(f.errorField, f.errorWhy);

  const dur = parsed.value!.get("tcp_reporting_duration");
  if (dur !== null) {
    const ms = parseDurationMs(dur);
    if (ms < 0) return fail("tcp_reporting_duration", "expected a duration such as \"5s\" or \"0.5s\"");
    if (ms < 100 || ms > 3600000) return fail("tcp_reporting_duration", "must be between 0.1s and 3600s");
    cfg.tcpReportingMs = <u32>ms;
  }

  const catalog = new StatsCatalog();
  const defs = f.array("definitions");
  if (!f.ok) return fail(f.errorField, f.errorWhy);
  if (defs !== null) {
    for (let i = 0; i < defs.items.length; i++) {
      const d = f.element("definitions", defs, i);
      if (!d.ok || !d.onlyKeys(DEFINITION_KEYS)) return fail(f.errorField, f.errorWhy);
      const at = "definitions[" + i.toString() + "]";
      const name = d.string("name", "");
      const value = d.string("value", "");
      const typeName = d.string("type", "COUNTER");
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      let type = MetricType.Counter;
      if (typeName == "GAUGE") type = MetricType.Gauge;
      else if (typeName == "HISTOGRAM") type = MetricType.Histogram;
      else if (typeName != "COUNTER") return fail(at + ".type", "expected COUNTER, GAUGE or HISTOGRAM, got \"" + typeName + "\"");
      if (!isLabelName(name)) return fail(at + ".name", "a metric name must match [a-zA-Z_][a-zA-Z0-9_]*");
      // istio_stats.cc: "Re-defining standard metric not allowed" (logged, skipped)
      if (metricIndex(name) >= 0) { cfg.warnings.push(at + ".name: re-defining standard metric not allowed: " + name); continue; }
      if (customIndex(cfg, name) >= 0) continue; // the first definition of a name wins (try_emplace)
      const c = compile(value, catalog);
      if (!c.ok) { cfg.warnings.push(at + ".value: failed to parse metric value expression \"" + value + "\" (" + c.error + "); metric skipped"); continue; }
      cfg.custom.push(new CustomMetric(name, type, c.root!));
    }
  }

  const metrics = f.array("metrics");
  if (!f.ok) return fail(f.errorField, f.errorWhy);
  if (metrics !== null) {
    for (let i = 0; i < metrics.items.length; i++) {
      const m = f.element("metrics", metrics, i);
      if (!m.ok || !m.onlyKeys(METRIC_KEYS)) return fail(f.errorField, f.errorWhy);
      const at = "metrics[" + i.toString() + "]";
      const name = m.string("name", "");
      const drop = m.protoBool("drop", false);
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (m.has("match")) cfg.warnings.push(at + ".match: not implemented (ignored, as in Istio)");
      const std = name.length > 0 ? metricIndex(name) : -1;
      const custom = name.length > 0 ? customIndex(cfg, name) : -1;
      if (name.length > 0 && std < 0 && custom < 0) cfg.warnings.push(at + ".name: no metric \"" + name + "\" (standard names have no istio_ prefix, e.g. requests_total); entry ignored");
      // Istio applies `drop` only to a named standard metric, and ignores the rest of that entry.
      if (drop) { if (std >= 0) unchecked(cfg.standard[std]).drop = true; continue; }

      const remove = m.stringArray("tags_to_remove");
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (remove !== null) {
        for (let k = 0; k < remove.length; k++) {
          if (tagIndex(remove[k]) < 0) { cfg.warnings.push(at + ".tags_to_remove[" + k.toString() + "]: \"" + remove[k] + "\" is not a standard tag; ignored"); continue; }
          // only standard metrics lose tags (custom ones carry no standard tags)
          if (name.length == 0) { for (let x = 0; x < METRIC_COUNT; x++) unchecked(cfg.standard[x]).setOverride(remove[k], null); }
          else if (std >= 0) unchecked(cfg.standard[std]).setOverride(remove[k], null);
        }
      }
      const dims = m.object("dimensions");
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (dims === null) continue;
      // Istio sorts an entry's tags so the order of added tags is deterministic.
      const keys = dims.obj.keys.slice(0);
      keys.sort((a: string, b: string): i32 => a < b ? -1 : a > b ? 1 : 0);
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k];
        const val = dims.obj.get(key)!;
        const where = at + ".dimensions." + key;
        if (!isLabelName(key)) return fail(where, "a label name must match [a-zA-Z_][a-zA-Z0-9_]*");
        const clash = suffixClash(key);
        if (clash.length > 0) {
          return fail(where, "\"" + key + "\" and the label \"" + clash + "\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_" + key + ")");
        }
        if (val.kind != JsonKind.String) return fail(where, "expected an expression string");
        const c = compile(val.str, catalog);
        let expr: Node | null = null;
        if (c.ok) expr = c.root;
        else cfg.warnings.push(where + ": failed to parse expression \"" + val.str + "\" (" + c.error + ")" + (tagIndex(key) >= 0 ? "; tag removed" : "; tag not added"));
        if (tagIndex(key) < 0) {
          if (expr === null) continue;
          if (name.length == 0) {
            for (let x = 0; x < METRIC_COUNT; x++) unchecked(cfg.standard[x]).add(key, expr);
            for (let x = 0; x < cfg.custom.length; x++) cfg.custom[x].changes.add(key, expr);
          } else if (std >= 0) unchecked(cfg.standard[std]).add(key, expr);
          else if (custom >= 0) cfg.custom[custom].changes.add(key, expr);
        } else {
          // A standard tag: an override on standard metrics (an expression that does not parse
          // removes the tag there), an added tag on custom metrics.
          if (name.length == 0) {
            for (let x = 0; x < METRIC_COUNT; x++) unchecked(cfg.standard[x]).setOverride(key, expr);
            if (expr !== null) for (let x = 0; x < cfg.custom.length; x++) cfg.custom[x].changes.add(key, expr);
          } else if (std >= 0) unchecked(cfg.standard[std]).setOverride(key, expr);
          else if (custom >= 0 && expr !== null) cfg.custom[custom].changes.add(key, expr);
        }
      }
    }
  }
  for (let i = 0; i < catalog.unknown.length; i++) cfg.warnings.push("attribute " + catalog.unknown[i] + ": evaluates to unknown");
  const r = new ConfigResult();
  r.config = cfg;
  return r;
}

// Labels with a stats_tags extractor besides the 25 standard ones (istio_build, overflow counter).
const EXTRA_TAGS: StaticArray<string> = ["component", "tag", "metric"];

function endsWithLabel(name: string, label: string): bool {
  return name.length > label.length && name.endsWith(label) && name.charCodeAt(name.length - label.length - 1) == 0x5f;
}

/**
 * A new label whose name ends with another label's name after `_` (x_tag / tag), or is the tail of
 * one (app / source_app): the extractor `(app=\.=(.*?);\.;)` would match inside `source_app=.=…`.
 * Returns the clashing label, or "" when the name is safe. Exact standard names are overrides.
 */
export function suffixClash(name: string): string {
  if (tagIndex(name) >= 0) return "";
  for (let i = 0; i < TAG_COUNT + EXTRA_TAGS.length; i++) {
    const other = i < TAG_COUNT ? unchecked(TAG_NAMES[i]) : unchecked(EXTRA_TAGS[i - TAG_COUNT]);
    if (other == name) continue;
    if (endsWithLabel(name, other) || endsWithLabel(other, name)) return other;
  }
  return "";
}

function customIndex(cfg: StatsConfig, name: string): i32 {
  for (let i = 0; i < cfg.custom.length; i++) if (cfg.custom[i].name == name) return i;
  return -1;
}

/** Index in METRIC_SPECS of a base metric name, or -1. */
export function metricIndex(base: string): i32 {
  for (let i = 0; i < METRIC_COUNT; i++) if (unchecked(METRIC_SPECS[i]).name == base) return i;
  return -1;
}

/** The reporter role for a listener direction (1 inbound, 2 outbound) under a configured mode. */
export function roleFor(mode: ReporterMode, listenerDirection: i64): Role {
  if (mode == ReporterMode.Source) return Role.Source;
  if (mode == ReporterMode.Destination) return Role.Destination;
  if (mode == ReporterMode.Waypoint) return Role.Waypoint;
  return listenerDirection == 1 ? Role.Destination : Role.Source;
}

