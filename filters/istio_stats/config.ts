// The plugin configuration: the JSON shape of Istio's stats.PluginConfig (the Wasm-era filter took
// it as JSON text). See config.proto for the schema and README.md for every field with an example.
import { parseJson, JsonFields, JsonValue, JsonKind } from "../../shared/codec/json";
import { compile, Compiled, Catalog, EnvoyCatalog, AttrRef, ValueKind } from "../../shared/expr";
import { tagIndex, TAG_COUNT, TAG_NAMES } from "./labels";
import { METRIC_COUNT, METRIC_SPECS } from "./metrics";
import { Role } from "./request_labels";

/** How the reporter label is chosen. */
export const enum ReporterMode { Auto = 0, Source = 1, Destination = 2, Waypoint = 3 }

export const DEFAULT_TCP_REPORTING_MS: u32 = 5000;

// Peer attributes available to expressions: `upstream_peer.<field>` / `downstream_peer.<field>`.
export const SOURCE_UPSTREAM_PEER: i32 = 100;
export const SOURCE_DOWNSTREAM_PEER: i32 = 101;
export const enum PeerField { Workload = 0, Namespace = 1, Cluster = 2, Service = 3, Revision = 4, App = 5, Version = 6, Identity = 7, Label = 8 }
const PEER_FIELDS = "workload_name, namespace, cluster_id, canonical_service, canonical_revision, app, version, identity, labels['<key>']";

export class PeerCatalog extends Catalog {
  bind(ref: AttrRef): string {
    let source = 0;
    if (ref.root == "upstream_peer") source = SOURCE_UPSTREAM_PEER;
    else if (ref.root == "downstream_peer") source = SOURCE_DOWNSTREAM_PEER;
    else return "unknown attribute '" + ref.text + "' (supported roots: Envoy attributes, upstream_peer, downstream_peer)";
    const s = ref.segments;
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

/** One `metrics[]` entry. */
export class MetricOverride {
  /** Base name without `istio_` ("" = every metric). */
  name: string = "";
  dimensionKeys: Array<string> = new Array<string>();
  dimensions: Array<Compiled> = new Array<Compiled>();
  tagsToRemove: Array<string> = new Array<string>();
  drop: bool = false;
}

export class StatsConfig {
  reporter: ReporterMode = ReporterMode.Auto;
  disableHostHeaderFallback: bool = false;
  tcpReportingMs: u32 = DEFAULT_TCP_REPORTING_MS;
  /** Cardinality guard: most label sets per metric (per VM); 0 = unlimited. */
  maxSeriesPerMetric: i32 = 0;
  overrides: Array<MetricOverride> = new Array<MetricOverride>();
}

export class ConfigResult {
  config: StatsConfig | null = null;
  field: string = "";
  why: string = "";
  get ok(): bool { return this.config !== null; }
}

const TOP_KEYS: Array<string> = [
  "reporter", "disable_host_header_fallback", "tcp_reporting_duration", "metrics", "max_series_per_metric",
  // accepted for compatibility with Istio's Wasm-era JSON; see README.md
  "debug", "stat_prefix", "field_separator", "value_separator", "max_peer_cache_size",
  "rotation_interval", "graceful_deletion_interval",
];
const METRIC_KEYS: Array<string> = ["name", "dimensions", "tags_to_remove", "drop", "match"];

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

  cfg.disableHostHeaderFallback = f.bool("disable_host_header_fallback", false);
  cfg.maxSeriesPerMetric = <i32>f.integer("max_series_per_metric", 0, 0, 1000000);
  f.bool("debug", false); // type-checked, ignored (Istio deprecated it)
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

  const metrics = f.array("metrics");
  if (!f.ok) return fail(f.errorField, f.errorWhy);
  if (metrics !== null) {
    const catalog = new EnvoyCatalog(new PeerCatalog());
    for (let i = 0; i < metrics.items.length; i++) {
      const m = f.element("metrics", metrics, i);
      if (!m.ok || !m.onlyKeys(METRIC_KEYS)) return fail(f.errorField, f.errorWhy);
      const o = new MetricOverride();
      const at = "metrics[" + i.toString() + "]";
      o.name = m.string("name", "");
      o.drop = m.bool("drop", false);
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (m.has("match")) return fail(at + ".match", "not supported (Istio does not implement it either)");
      if (o.name.length > 0 && metricIndex(o.name) < 0) {
        return fail(at + ".name", "unknown metric \"" + o.name + "\" (expected a standard name without istio_, e.g. requests_total)");
      }
      const remove = m.stringArray("tags_to_remove");
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (remove !== null) {
        for (let k = 0; k < remove.length; k++) {
          if (tagIndex(remove[k]) < 0) return fail(at + ".tags_to_remove[" + k.toString() + "]", "\"" + remove[k] + "\" is not a standard Istio label");
          o.tagsToRemove.push(remove[k]);
        }
      }
      const dims = m.object("dimensions");
      if (!f.ok) return fail(f.errorField, f.errorWhy);
      if (dims !== null) {
        for (let k = 0; k < dims.obj.keys.length; k++) {
          const key = dims.obj.keys[k];
          const val = dims.obj.items[k];
          const where = at + ".dimensions." + key;
          if (!isLabelName(key)) return fail(where, "a label name must match [a-zA-Z_][a-zA-Z0-9_]*");
          if (key == "reporter") return fail(where, "reporter is set by the filter (use the reporter field)");
          const clash = suffixClash(key);
          if (clash.length > 0) {
            return fail(where, "\"" + key + "\" and the label \"" + clash + "\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_" + key + ")");
          }
          if (val.kind != JsonKind.String) return fail(where, "expected an expression string");
          const c = compile(val.str, catalog);
          if (!c.ok) return fail(where, "unsupported expression at " + c.error + " in \"" + val.str + "\"");
          o.dimensionKeys.push(key);
          o.dimensions.push(c);
        }
      }
      cfg.overrides.push(o);
    }
  }
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

