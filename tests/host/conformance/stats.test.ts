// Behaviour 15: metrics through the ABI and the StatsStore's Prometheus/text output with Envoy's
// tag extraction (defaults + stats_tags), `wasmcustom.` stripping and default histogram buckets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createStatsStore, EnvoyStatsStore } from "../wasm/stats";
import { env, probe, FakeHttpCallbacks, requestHeaders } from "./harness";

test("metric ids by type (4k, 4k+1, 4k+2), counter/gauge/histogram rules, same name -> same stat across workers", async () => {
  const e = env(2);
  const p = await probe(e, [
    "request_headers define 0 requests",
    "request_headers inc metric 1",
    "request_headers inc metric 0",
    "request_headers inc metric -3",
    "request_headers record metric 10",
    "request_headers metric metric",
    "request_headers define 1 active",
    "request_headers inc metric 5",
    "request_headers inc metric -2",
    "request_headers record metric 9",
    "request_headers metric metric",
    "request_headers define 2 latency_ms",
    "request_headers record metric 7",
    "request_headers inc metric 1",
    "request_headers metric metric",
    "request_headers define 0 requests",
    "request_headers define 3 bad",
    "request_headers inc 999 1",
  ].join("\n"));
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  const ids = e.logs.results("request_headers", "define");
  assert.deepEqual(ids.slice(0, 4), [[0, "4"], [0, "5"], [0, "6"], [0, "8"]], "counter 4, gauge 5, histogram 6, second counter 8");
  assert.equal(ids[4][0], 2, "metric type > 2 -> BAD_ARGUMENT");
  const inc = e.logs.results("request_headers", "inc").map((r) => r[0]);
  assert.deepEqual(inc, [0, 2, 2, 0, 0, 2, 1], "counter delta <= 0 -> BAD_ARGUMENT; gauge +/-; histogram inc -> BAD_ARGUMENT; unknown -> NOT_FOUND");
  const got = e.logs.results("request_headers", "metric");
  assert.deepEqual(got[0], [0, "11"], "record on a counter adds (1 + 10)");
  assert.deepEqual(got[1], [0, "9"], "record on a gauge sets");
  assert.equal(got[2][0], 2, "get on a histogram -> BAD_ARGUMENT");
  // worker 1 and a second definition of the same name hit the same stat
  p.newHttpFilter(1, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  assert.equal(e.stats.value("wasmcustom.requests"), 22);
  assert.equal(e.stats.value("wasmcustom.active"), 9);
  await e.runtime.shutdown();
});

test("Prometheus: wasmcustom stripped, no envoy_ prefix, Istio-style stats_tags labels, histograms after flush", async () => {
  const e = env(1, [{ tagName: "reporter", regex: "(reporter=\\.=(.*?);\\.;)" }, { tagName: "destination_service", regex: "(destination_service=\\.=(.*?);\\.;)" }]);
  const p = await probe(e, [
    "request_headers define 0 reporter=.=destination;.;destination_service=.=reviews;.;istio_requests_total",
    "request_headers inc metric 3",
    "request_headers define 2 reporter=.=destination;.;istio_request_duration_milliseconds",
    "request_headers record metric 7",
    "request_headers record metric 3000",
    "request_headers define 0 my.custom-thing",
    "request_headers inc metric 1",
    "request_headers define 1 9lives",
    "request_headers define 1 a_gauge",
  ].join("\n"));
  p.newHttpFilter(0, new FakeHttpCallbacks()).decodeHeaders(requestHeaders(), true);
  e.stats.counterAdd("cluster.backend.upstream_rq_200", 4);
  e.stats.counterAdd("http.ingress_http.downstream_rq_total", 2);
  let prom = e.stats.prometheus();
  assert.ok(prom.includes('# TYPE istio_requests_total counter\nistio_requests_total{reporter="destination",destination_service="reviews"} 3\n'), prom);
  assert.ok(prom.includes("# TYPE my_custom_thing counter\nmy_custom_thing 1\n"));
  assert.ok(!/9lives/.test(prom), "names starting with a digit after stripping are dropped");
  assert.ok(prom.includes('envoy_cluster_upstream_rq{envoy_cluster_name="backend",envoy_response_code="200"} 4'), prom);
  assert.ok(prom.includes('envoy_http_downstream_rq_total{envoy_http_conn_manager_prefix="ingress_http"} 2'), prom);
  assert.ok(!prom.includes("istio_request_duration_milliseconds"), "histograms appear only after a flush");
  e.stats.flush();
  prom = e.stats.prometheus();
  assert.ok(prom.includes("# TYPE istio_request_duration_milliseconds histogram\n"));
  assert.ok(prom.includes('istio_request_duration_milliseconds_bucket{reporter="destination",le="0.5"} 0\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_bucket{reporter="destination",le="10"} 1\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_bucket{reporter="destination",le="5000"} 2\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_bucket{reporter="destination",le="3600000"} 2\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_bucket{reporter="destination",le="+Inf"} 2\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_sum{reporter="destination"} 3007\n'));
  assert.ok(prom.includes('istio_request_duration_milliseconds_count{reporter="destination"} 2\n'));
  const types = [...prom.matchAll(/^# TYPE \S+ (\w+)$/gm)].map((m) => m[1]);
  assert.deepEqual(types, [...types].sort((a, b) => ["counter", "gauge", "histogram"].indexOf(a) - ["counter", "gauge", "histogram"].indexOf(b)),
    "counters, then gauges, then histograms");
  const txt = e.stats.text();
  assert.ok(txt.includes("wasmcustom.my.custom-thing: 1\n"), "/stats keeps the full name");
  await e.runtime.shutdown();
});

test("tag extraction follows TagExtractorImpl: group 1 removed, group 2 is the value; fixed_value tags", () => {
  const s = createStatsStore([{ tagName: "mesh", fixedValue: "m1" }, { tagName: "custom", regex: "^foo\\.((\\w+)\\.)" }]) as EnvoyStatsStore;
  assert.deepEqual(s.extractTags("foo.bar.baz_rq_503"), { name: "foo.baz_rq", tags: [["mesh", "m1"], ["custom", "bar"], ["envoy.response_code", "503"]] });
  s.gaugeSet("foo.bar.open", 2);
  assert.ok(s.prometheus().includes('envoy_foo_open{mesh="m1",custom="bar"} 2'));
});

test("/stats text: histograms after counters and gauges, Envoy's quantile summary P<q>(interval,cumulative), 'No recorded values'", () => {
  const s = createStatsStore([]) as EnvoyStatsStore;
  s.counterAdd("zz.counter", 2);
  s.define("a.empty_hist", "histogram");
  s.histogramRecord("a.hist", 1);
  s.flush();
  const quantiles = ["0", "25", "50", "75", "90", "95", "99", "99.5", "99.9", "100"];
  // one sample of 1 falls in circllhist's bin [1, 1.1): the quantiles interpolate across it
  const one = ["1", "1.025", "1.05", "1.075", "1.09", "1.095", "1.099", "1.0995", "1.0999", "1.1"];
  assert.equal(s.text(), [
    "zz.counter: 2",
    "a.empty_hist: No recorded values",
    "a.hist: " + quantiles.map((q, i) => `P${q}(${one[i]},${one[i]})`).join(" "),
    "",
  ].join("\n"));
  // the next flush interval has no samples: interval quantiles are nan, cumulative ones stay
  s.flush();
  assert.ok(s.text().includes("a.hist: " + quantiles.map((q, i) => `P${q}(nan,${one[i]})`).join(" ") + "\n"), s.text());
  // two-digit bins: 1234 and 1250 share [1200, 1300), 40 is [40, 41), 0 has its own zero-width bin;
  // a quantile that lands on a bin's upper count is that bin's right edge (hist_approx_quantile)
  s.histogramRecord("b.hist", 0);
  s.histogramRecord("b.hist", 1234);
  s.histogramRecord("b.hist", 1250);
  s.histogramRecord("b.hist", 40);
  s.flush();
  const b = s.text().split("\n").find((l) => l.startsWith("b.hist: "))!;
  assert.match(b, /^b\.hist: P0\(0,0\) P25\(0,0\) P50\(41,41\) P75\(1250,1250\) P90\(1280,1280\) .* P100\(1300,1300\)$/);
});
