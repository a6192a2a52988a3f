import { parseConfig, ReporterMode, roleFor, DEFAULT_TCP_REPORTING_MS, parseDurationMs, suffixClash } from "./config";
import { Role } from "./request_labels";
import { parseJson } from "../../shared/codec/json";

function bad(text: string, field: string, why: string): void {
  const r = parseConfig(text);
  expect(r.ok).toBe(false);
  if (r.field != field || r.why != why) trace("got " + r.field + ": " + r.why);
  expect(r.field).toBe(field);
  expect(r.why).toBe(why);
}

function dur(s: string): i64 { return parseDurationMs(parseJson(s).value!); }

describe("istio_stats config", () => {
  it("defaults from an empty configuration", () => {
    const r = parseConfig("");
    expect(r.ok).toBe(true);
    const c = r.config!;
    expect(c.reporter).toBe(ReporterMode.Auto);
    expect(c.disableHostHeaderFallback).toBe(false);
    expect(c.tcpReportingMs).toBe(DEFAULT_TCP_REPORTING_MS);
    expect(c.maxSeriesPerMetric).toBe(0);
    expect(parseConfig("{}").ok).toBe(true);
    // Istio's own default Wasm-era config
    expect(parseConfig("{\"debug\": \"false\", \"stat_prefix\": \"istio\"}").ok).toBe(false); // debug must be a bool
    expect(parseConfig("{\"debug\": false, \"stat_prefix\": \"istio\"}").ok).toBe(true);
  });

  it("reads every field", () => {
    const r = parseConfig("{\"reporter\":\"SERVER_GATEWAY\",\"disable_host_header_fallback\":true,\"tcp_reporting_duration\":\"0.5s\"," +
      "\"max_series_per_metric\":100,\"metrics\":[{\"name\":\"requests_total\",\"dimensions\":{\"x_user\":\"request.headers['x-user']\"," +
      "\"source_app\":\"has(request.headers['x-app']) ? request.headers['x-app'] : 'none'\"},\"tags_to_remove\":[\"response_flags\"]}," +
      "{\"name\":\"tcp_sent_bytes_total\",\"drop\":true}]}");
    if (!r.ok) trace(r.field + ": " + r.why);
    expect(r.ok).toBe(true);
    const c = r.config!;
    expect(c.reporter).toBe(ReporterMode.Waypoint);
    expect(c.disableHostHeaderFallback).toBe(true);
    expect(c.tcpReportingMs).toBe(500);
    expect(c.maxSeriesPerMetric).toBe(100);
    expect(c.overrides.length).toBe(2);
    expect(c.overrides[0].dimensionKeys.length).toBe(2);
    expect(c.overrides[0].tagsToRemove[0]).toBe("response_flags");
    expect(c.overrides[1].drop).toBe(true);
  });

  it("names the field and position of every error", () => {
    bad("{", "configuration", parseJson("{").error);
    bad("{\"reporter\":\"outbound\"}", "reporter", "expected UNSPECIFIED, SERVER_GATEWAY, source, destination or waypoint, got \"outbound\"");
    bad("{\"tcp_reporting_duration\":\"5m\"}", "tcp_reporting_duration", "expected a duration such as \"5s\" or \"0.5s\"");
    bad("{\"tcp_reporting_duration\":\"0.01s\"}", "tcp_reporting_duration", "must be between 0.1s and 3600s");
    bad("{\"metrics\":[{\"name\":\"requests\"}]}", "metrics[0].name", "unknown metric \"requests\" (expected a standard name without istio_, e.g. requests_total)");
    bad("{\"metrics\":[{\"tags_to_remove\":[\"x_user\"]}]}", "metrics[0].tags_to_remove[0]", "\"x_user\" is not a standard Istio label");
    bad("{\"metrics\":[{\"dimensions\":{\"x\":\"request.size + 1\"}}]}", "metrics[0].dimensions.x",
      "unsupported expression at column 14: unexpected '+' (unsupported operator or trailing text) in \"request.size + 1\"");
    bad("{\"metrics\":[{},{\"dimensions\":{\"x\":\"upstream_peer.nope\"}}]}", "metrics[1].dimensions.x",
      "unsupported expression at column 1: unknown peer field 'nope' (supported: workload_name, namespace, cluster_id, canonical_service, canonical_revision, app, version, identity, labels['<key>']) in \"upstream_peer.nope\"");
    bad("{\"metrics\":[{\"dimensions\":{\"bad-name\":\"'x'\"}}]}", "metrics[0].dimensions.bad-name", "a label name must match [a-zA-Z_][a-zA-Z0-9_]*");
    bad("{\"metrics\":[{\"dimensions\":{\"app\":\"'x'\"}}]}", "metrics[0].dimensions.app",
      "\"app\" and the label \"source_app\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_app)");
    bad("{\"metrics\":[{\"dimensions\":{\"image_tag\":\"'x'\"}}]}", "metrics[0].dimensions.image_tag",
      "\"image_tag\" and the label \"tag\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_image_tag)");
    bad("{\"metrics\":[{\"dimensions\":{\"x\":1}}]}", "metrics[0].dimensions.x", "expected an expression string");
    bad("{\"metrics\":[{\"match\":\"true\"}]}", "metrics[0].match", "not supported (Istio does not implement it either)");
    bad("{\"metric\":[]}", "metric", "unknown field (expected one of: reporter, disable_host_header_fallback, tcp_reporting_duration, metrics, max_series_per_metric, debug, stat_prefix, field_separator, value_separator, max_peer_cache_size, rotation_interval, graceful_deletion_interval)");
    bad("{\"max_series_per_metric\":-1}", "max_series_per_metric", "expected an integer in [0, 1000000], got -1");
    bad("{\"field_separator\":\";;\"}", "field_separator", "only \";.;\" is supported (the bootstrap stats_tags regexes assume it)");
    bad("[]", "(root)", "expected an object, got array");
  });

  it("accepts overrides of standard labels and names that cannot clash", () => {
    expect(suffixClash("response_code")).toBe(""); // an override
    expect(suffixClash("x_user")).toBe("");
    expect(suffixClash("request_path")).toBe("");
    expect(suffixClash("app")).toBe("source_app");
    expect(suffixClash("workload_namespace")).toBe("source_workload_namespace");
    expect(suffixClash("my_metric")).toBe("metric");
    expect(parseConfig("{\"metrics\":[{\"dimensions\":{\"source_app\":\"'x'\",\"x_user\":\"'y'\"}}]}").ok).toBe(true);
  });

  it("parses protobuf JSON durations", () => {
    expect(dur("\"5s\"")).toBe(5000);
    expect(dur("\"1.5s\"")).toBe(1500);
    expect(dur("\"0.0015s\"")).toBe(1);
    expect(dur("15000")).toBe(15000);
    expect(dur("\"s\"")).toBe(-1);
    expect(dur("\".5s\"")).toBe(-1);
    expect(dur("\"5.s\"")).toBe(-1);
    expect(dur("\"-1s\"")).toBe(-1);
    expect(dur("true")).toBe(-1);
  });

  it("chooses the reporter from the listener direction unless configured", () => {
    expect(roleFor(ReporterMode.Auto, 1)).toBe(Role.Destination);
    expect(roleFor(ReporterMode.Auto, 2)).toBe(Role.Source);
    expect(roleFor(ReporterMode.Auto, 0)).toBe(Role.Source);
    expect(roleFor(ReporterMode.Source, 1)).toBe(Role.Source);
    expect(roleFor(ReporterMode.Destination, 2)).toBe(Role.Destination);
    expect(roleFor(ReporterMode.Waypoint, 1)).toBe(Role.Waypoint);
  });
});
