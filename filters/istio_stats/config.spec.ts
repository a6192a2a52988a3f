import { parseConfig, ReporterMode, roleFor, DEFAULT_TCP_REPORTING_MS, parseDurationMs, suffixClash, StatsConfig, SOURCE_ABSENT } from "./config";
import { M } from "./metrics";
import { MetricType } from "../../shared/abi/host";
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
    // (Istio's default Wasm-era config gives the bool as a string, which Envoy's JSON conversion accepts)
    expect(parseConfig("{\"debug\": \"false\", \"stat_prefix\": \"istio\"}").ok).toBe(true);
    expect(parseConfig("{\"debug\": false, \"stat_prefix\": \"istio\"}").ok).toBe(true);
    // istio/proxy testdata/stats/client_config_disable_header_fallback.yaml: disable_host_header_fallback: "true"
    expect(parseConfig("{\"disable_host_header_fallback\": \"true\"}").config!.disableHostHeaderFallback).toBe(true);
    expect(parseConfig("{\"disable_host_header_fallback\": \"false\"}").config!.disableHostHeaderFallback).toBe(false);
    expect(parseConfig("{\"disable_host_header_fallback\": \"yes\"}").ok).toBe(false);
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
    const rt = c.standard[M.requests_total];
    expect(rt.addKeys.length).toBe(1);
    expect(rt.addKeys[0]).toBe("x_user");
    expect(rt.overrideOf("source_app")).toBe(1);
    expect(rt.overrideOf("response_flags")).toBe(-1);
    expect(rt.overrideOf("reporter")).toBe(0);
    expect(c.standard[M.request_bytes].overrideKeys.length).toBe(0);
    expect(c.standard[M.tcp_sent_bytes_total].drop).toBe(true);
    expect(c.warnings.length).toBe(0);
  });

  it("names the field and position of every error", () => {
    bad("{", "configuration", parseJson("{").error);
    bad("{\"reporter\":\"outbound\"}", "reporter", "expected UNSPECIFIED, SERVER_GATEWAY, source, destination or waypoint, got \"outbound\"");
    bad("{\"tcp_reporting_duration\":\"5m\"}", "tcp_reporting_duration", "expected a duration such as \"5s\" or \"0.5s\"");
    bad("{\"tcp_reporting_duration\":\"0.01s\"}", "tcp_reporting_duration", "must be between 0.1s and 3600s");
    bad("{\"metrics\":[{\"dimensions\":{\"bad-name\":\"'x'\"}}]}", "metrics[0].dimensions.bad-name", "a label name must match [a-zA-Z_][a-zA-Z0-9_]*");
    bad("{\"metrics\":[{\"dimensions\":{\"app\":\"'x'\"}}]}", "metrics[0].dimensions.app",
      "\"app\" and the label \"source_app\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_app)");
    bad("{\"metrics\":[{\"dimensions\":{\"image_tag\":\"'x'\"}}]}", "metrics[0].dimensions.image_tag",
      "\"image_tag\" and the label \"tag\" end alike; Envoy's tag regexes are not anchored, so one would be read out of the other's field (choose a name such as x_image_tag)");
    bad("{\"metrics\":[{\"dimensions\":{\"x\":1}}]}", "metrics[0].dimensions.x", "expected an expression string");
    bad("{\"definitions\":[{\"name\":\"x\",\"value\":\"1\",\"type\":\"SUMMARY\"}]}", "definitions[0].type", "expected COUNTER, GAUGE or HISTOGRAM, got \"SUMMARY\"");
    bad("{\"metric\":[]}", "metric", "unknown field (expected one of: reporter, disable_host_header_fallback, tcp_reporting_duration, metrics, definitions, max_series_per_metric, debug, stat_prefix, field_separator, value_separator, max_peer_cache_size, rotation_interval, graceful_deletion_interval)");
    bad("{\"max_series_per_metric\":-1}", "max_series_per_metric", "expected an integer in [0, 1000000], got -1");
    bad("{\"field_separator\":\";;\"}", "field_separator", "only \";.;\" is supported (the bootstrap stats_tags regexes assume it)");
    bad("[]", "(root)", "expected an object, got array");
  });

  // istio_stats.cc (Config constructor) logs and skips what it cannot use instead of refusing the
  // configuration; the filter logs these warnings at configure time.
  it("logs and skips what Istio logs and skips: unparsable expressions, unknown tags and metrics, match", () => {
    const r = parseConfig("{\"metrics\":[{\"name\":\"requests\"},{\"tags_to_remove\":[\"x_user\"]},{\"match\":\"true\"}," +
      "{\"name\":\"requests_total\",\"dimensions\":{\"destination_app\":\"cannot _ parse | 1\",\"x_new\":\"(\",\"destination_workload\":\"cannot_evaluate\"}}]}");
    if (!r.ok) trace(r.field + ": " + r.why);
    expect(r.ok).toBe(true);
    const c = r.config!;
    const w = c.warnings.join("\n");
    expect(w.includes("metrics[0].name: no metric \"requests\"")).toBe(true);
    expect(w.includes("metrics[1].tags_to_remove[0]: \"x_user\" is not a standard tag; ignored")).toBe(true);
    expect(w.includes("metrics[2].match: not implemented")).toBe(true);
    expect(w.includes("metrics[3].dimensions.destination_app: failed to parse expression")).toBe(true);
    expect(w.includes("attribute cannot_evaluate")).toBe(true);
    const rt = c.standard[M.requests_total];
    // Istio: a standard tag whose expression does not parse is removed; a new one is not added
    expect(rt.overrideOf("destination_app")).toBe(-1);
    expect(rt.addKeys.length).toBe(0);
    // an attribute nothing can read evaluates to unknown
    expect(rt.overrideOf("destination_workload")).toBe(1);
    expect(rt.overrideExprs[rt.overrideKeys.indexOf("destination_workload")]!.attr!.source).toBe(SOURCE_ABSENT);
  });

  // istio/proxy testdata/stats/client_config_customized.yaml.tmpl: `tags_to_remove: [response_flags,
  // source_principal]` for every metric, then a later `dimensions: {source_principal: "'malicious'"}`;
  // the golden client_request_total_customized.yaml.tmpl has source_principal="malicious".
  it("a later dimensions entry overrides an earlier tags_to_remove of the same tag, and the reverse", () => {
    const c = parseConfig("{\"metrics\":[{\"tags_to_remove\":[\"response_flags\",\"source_principal\"]}," +
      "{\"dimensions\":{\"source_principal\":\"'malicious'\"}},{\"name\":\"request_bytes\",\"tags_to_remove\":[\"source_principal\"]}]}").config!;
    expect(c.standard[M.requests_total].overrideOf("source_principal")).toBe(1);
    expect(c.standard[M.requests_total].overrideOf("response_flags")).toBe(-1);
    expect(c.standard[M.request_bytes].overrideOf("source_principal")).toBe(-1);
  });

  it("definitions: custom metrics with a value expression, named by metrics[].name", () => {
    const c = parseConfig("{\"definitions\":[{\"name\":\"custom\",\"value\":\"1\",\"type\":\"COUNTER\"}," +
      "{\"name\":\"g\",\"value\":\"response.code\",\"type\":\"GAUGE\"},{\"name\":\"requests_total\",\"value\":\"1\"}," +
      "{\"name\":\"bad\",\"value\":\"1 +\"}]," +
      "\"metrics\":[{\"name\":\"custom\",\"dimensions\":{\"reporter\":\"'proxy'\"}},{\"dimensions\":{\"source_principal\":\"'malicious'\"}}]}").config!;
    expect(c.custom.length).toBe(2);
    expect(c.custom[0].name).toBe("custom");
    expect(c.custom[0].type).toBe(MetricType.Counter);
    expect(c.custom[1].type).toBe(MetricType.Gauge);
    // standard tags are added to custom metrics in order (reporter from the named entry, then source_principal)
    expect(c.custom[0].changes.addKeys.join(",")).toBe("reporter,source_principal");
    expect(c.custom[1].changes.addKeys.join(",")).toBe("source_principal");
    const w = c.warnings.join("\n");
    expect(w.includes("definitions[2].name: re-defining standard metric not allowed: requests_total")).toBe(true);
    expect(w.includes("definitions[3].value: failed to parse metric value expression")).toBe(true);
  });

  it("binds Istio's filter_state peer paths to the exchanged peer", () => {
    const c = parseConfig("{\"metrics\":[{\"dimensions\":{\"role\":\"filter_state.upstream_peer.labels['role']\"," +
      "\"x_svc\":\"'_' + filter_state.upstream_peer.service\",\"x_ns\":\"filter_state.downstream_peer.namespace\"}}]}").config!;
    expect(c.warnings.length).toBe(0);
    expect(c.standard[M.requests_total].addKeys.join(",")).toBe("role,x_ns,x_svc");
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
