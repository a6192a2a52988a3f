// dist/istio_stats.wasm under the real wasm runtime (tests/host/wasm), driven filter by filter with
// the conformance harness's fake StreamInfo and callbacks: configuration errors, one request's
// labels as Prometheus sees them, gRPC message counters, the periodic TCP report, the cardinality
// guard, the stats_tags/extraStatTags lists agreeing with the label order, and hostile input
// (the VM must keep serving: a trap would fail every stream on the worker).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import protobuf from "protobufjs";
import { env, pluginConfig, makeStreamInfo, FakeHttpCallbacks, FakeNetCallbacks, requestHeaders, immediate, type Env } from "../host/conformance/harness";
import type { HeaderList, StreamInfo } from "../host/api";
import type { WasmPlugin } from "../host/wasm/index";
import { ISTIO_HTTP_LABELS } from "./istio-labels";

const ROOT = process.cwd();
const WASM = readFileSync(path.join(ROOT, "dist", "istio_stats.wasm"));

const LABELS = ISTIO_HTTP_LABELS;
const TAGS = [...LABELS, "x_user", "metric"].map((t) => ({ tagName: t, regex: `(${t}=\\.=(.*?);\\.;)` }));

// google.protobuf.Struct bytes for the metadata-exchange filter state (shared/peer/README.md).
const pbRoot = new protobuf.Root();
pbRoot.addJSON((protobuf.common as any).get("google/protobuf/struct.proto").nested);
const StructT = pbRoot.lookupType("google.protobuf.Struct");
function peerState(fields: Record<string, string>): Uint8Array {
  return StructT.encode(StructT.fromObject({ fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, { stringValue: v }])) })).finish();
}
const CLIENT_PEER = peerState({ workload: "productpage-v1", namespace: "bookinfo", service: "productpage", revision: "v1", app: "productpage", version: "v1", cluster: "c1" });

async function load(e: Env, config: object | string, kind: "http" | "network" = "http", rootId = "istio_stats"): Promise<WasmPlugin> {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  return e.runtime.loadPlugin(pluginConfig(WASM, { rootId, vmId: "stats", configuration: Buffer.from(text), failurePolicy: "FAIL_OPEN" }), kind);
}

function inbound(over: Partial<StreamInfo> = {}): StreamInfo {
  const si = makeStreamInfo({ responseFlags: [], ...over });
  si.upstream!.clusterMetadata = {};
  si.filterState.set("wasm.downstream_peer", CLIENT_PEER);
  return si;
}

function http(p: WasmPlugin, si: StreamInfo, req: HeaderList, resp: HeaderList, trailers?: HeaderList): void {
  const cb = new FakeHttpCallbacks(si);
  cb.reqHeaders = req;
  cb.respHeaders = resp;
  const f = p.newHttpFilter(0, cb);
  f.decodeHeaders(req, true);
  f.encodeHeaders(resp, trailers === undefined);
  if (trailers) { cb.respTrailers = trailers; f.encodeTrailers(trailers); }
  f.log();
  f.onDestroy();
}

/** Parses /stats/prometheus lines of one metric into label maps with values. */
function series(e: Env, name: string): Array<{ labels: Record<string, string>; value: number; order: string[] }> {
  e.stats.flush();
  return e.stats.prometheus().split("\n").filter((l) => l.startsWith(name + "{")).map((l) => {
    const body = l.slice(name.length + 1, l.lastIndexOf("}"));
    const labels: Record<string, string> = {};
    const order: string[] = [];
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) { labels[m[1]] = m[2]; order.push(m[1]); }
    return { labels, value: Number(l.slice(l.lastIndexOf(" ") + 1)), order };
  });
}

const guestErrors = (e: Env) => e.logs.lines.filter((l) => l.level >= 4).map((l) => l.msg);

describe("istio_stats under the wasm runtime", () => {
  it("a bad configuration fails the plugin and names the field; an expression that does not parse only drops its tag", async () => {
    const e = env(1, TAGS);
    await assert.rejects(load(e, { metrics: [{ dimensions: { "bad-name": "'x'" } }] }));
    const errs = guestErrors(e).join("\n");
    assert.match(errs, /istio_stats: invalid configuration: metrics\[0\]\.dimensions\.bad-name: a label name must match/);
    // Istio (istio_stats.cc) logs "Failed to parse expression" and goes on without the tag
    const e3 = env(1, TAGS);
    const p3 = await load(e3, { metrics: [{ name: "requests_total", dimensions: { x_user: "request.size +", source_app: "(" } }] });
    const warns = e3.logs.lines.filter((l) => l.level === 3).map((l) => l.msg).join("\n");
    assert.match(warns, /metrics\[0\]\.dimensions\.x_user: failed to parse expression "request\.size \+" \(column 15: unexpected end of expression\); tag not added/);
    assert.match(warns, /metrics\[0\]\.dimensions\.source_app: failed to parse expression "\(" .*; tag removed/);
    http(p3, inbound(), requestHeaders(), [[":status", "200"]]);
    const row = series(e3, "istio_requests_total")[0];
    assert.equal(row.labels.x_user, undefined);
    assert.equal(row.labels.source_app, undefined);
    assert.equal(row.labels.source_workload, "productpage-v1");
    await p3.shutdown();
    await e3.runtime.shutdown();
    const e2 = env(1, TAGS);
    await assert.rejects(load(e2, "{\"tcp_reporting_duration\": 5"));
    assert.match(guestErrors(e2).join("\n"), /invalid configuration: configuration: /);
    await e.runtime.shutdown();
    await e2.runtime.shutdown();
  });

  it("records one inbound request with 25 labels in Istio's order and the histograms", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { disable_host_header_fallback: true });
    http(p, inbound({ responseCode: 404, responseFlags: ["NR"], durationNs: 7_500_000n, requestTotalBytes: 300, responseTotalBytes: 40 }), requestHeaders(), [[":status", "404"]]);
    const rows = series(e, "istio_requests_total");
    assert.equal(rows.length, 1, e.stats.prometheus());
    assert.deepEqual(rows[0].order, LABELS);
    assert.equal(rows[0].value, 1);
    assert.deepEqual(rows[0].labels, {
      reporter: "destination", source_workload: "productpage-v1", source_canonical_service: "productpage",
      // Istio takes the peer namespace from its certificate (.../ns/default/sa/client) before the
      // exchanged metadata (namespace bookinfo): istio_stats.cc populatePeerInfo.
      source_canonical_revision: "v1", source_workload_namespace: "default", source_principal: "spiffe://cluster.local/ns/default/sa/client",
      source_app: "productpage", source_version: "v1", source_cluster: "c1",
      // node metadata of the harness: NAME reviews-v1, LABELS {app: reviews}, no WORKLOAD_NAME/NAMESPACE:
      // Istio reports this proxy's own labels as they are, so the absent ones are empty
      destination_workload: "", destination_workload_namespace: "", destination_principal: "spiffe://cluster.local/ns/default/sa/server",
      destination_app: "reviews", destination_version: "", destination_service: "", destination_canonical_service: "",
      destination_canonical_revision: "", destination_service_name: "", destination_service_namespace: "",
      destination_cluster: "", request_protocol: "http", response_code: "404", grpc_response_status: "",
      response_flags: "NR", connection_security_policy: "mutual_tls",
    });
    const dur = e.stats.prometheus().split("\n").filter((l) => l.startsWith("istio_request_duration_milliseconds_"));
    assert.ok(dur.some((l) => l.includes('le="5"') && l.endsWith(" 0")), dur.join("\n"));
    assert.ok(dur.some((l) => l.includes('le="10"') && l.endsWith(" 1")), dur.join("\n"));
    assert.ok(dur.some((l) => l.startsWith("istio_request_duration_milliseconds_sum{") && l.endsWith(" 7")), dur.join("\n"));
    const req = e.stats.prometheus().split("\n").filter((l) => l.startsWith("istio_request_bytes_sum{"));
    assert.ok(req[0]?.endsWith(" 300"), req.join("\n"));
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("outbound: reporter=source, destination from endpoint metadata and cluster metadata, Host header kept", async () => {
    const e = env(1, TAGS);
    const p = await load(e, {});
    const si = makeStreamInfo({ listenerDirection: "OUTBOUND", responseFlags: ["UF", "URX"], responseCode: 503 });
    si.upstream = {
      address: "10.0.0.9:9080", localAddress: "10.0.0.1:50000", clusterName: "outbound|9080||ratings.bookinfo.svc.cluster.local",
      clusterMetadata: { istio: { services: [{ host: "ratings.bookinfo.svc.cluster.local", name: "ratings", namespace: "bookinfo" }] } },
      hostMetadata: { istio: { workload: "ratings-v2;bookinfo;ratings;v2;c2" } },
      tlsVersion: "TLSv1.3", uriSanPeerCertificate: ["spiffe://cluster.local/ns/bookinfo/sa/ratings"],
    };
    http(p, si, requestHeaders(), [[":status", "503"]]);
    const l = series(e, "istio_requests_total")[0].labels;
    assert.equal(l.reporter, "source");
    assert.equal(l.destination_workload, "ratings-v2");
    assert.equal(l.destination_workload_namespace, "bookinfo");
    assert.equal(l.destination_canonical_service, "ratings");
    assert.equal(l.destination_canonical_revision, "v2");
    assert.equal(l.destination_cluster, "c2");
    assert.equal(l.destination_app, "unknown"); // endpoint metadata carries no app/version
    assert.equal(l.destination_principal, "spiffe://cluster.local/ns/bookinfo/sa/ratings");
    assert.equal(l.destination_service, "ratings.bookinfo.svc.cluster.local");
    assert.equal(l.destination_service_name, "ratings");
    assert.equal(l.destination_service_namespace, "bookinfo");
    assert.equal(l.source_app, "reviews"); // this proxy's node LABELS
    assert.equal(l.response_flags, "UF,URX");
    assert.equal(l.connection_security_policy, "unknown");
    // without cluster metadata, the Host header names the service on the client side
    const e2 = env(1, TAGS);
    const p2 = await load(e2, {});
    const si2 = makeStreamInfo({ listenerDirection: "OUTBOUND", responseFlags: [] });
    si2.upstream!.clusterMetadata = {};
    http(p2, si2, requestHeaders(), [[":status", "200"]]);
    const l2 = series(e2, "istio_requests_total")[0].labels;
    assert.equal(l2.destination_service, "svc.local");
    assert.equal(l2.destination_service_name, "svc.local");
    await p.shutdown(); await e.runtime.shutdown();
    await p2.shutdown(); await e2.runtime.shutdown();
  });

  // istio_stats.cc log(): the duration histogram is recorded only `if (duration.has_value())`
  // (StreamInfo::requestComplete()); Envoy's request.duration attribute is absent exactly then.
  it("no duration sample for a request that never completed", async () => {
    const e = env(1, TAGS);
    const p = await load(e, {});
    http(p, inbound({ durationNs: undefined, responseCode: undefined }), requestHeaders(), [[":status", "200"]]);
    assert.equal(series(e, "istio_requests_total")[0]?.value, 1);
    assert.equal(series(e, "istio_request_duration_milliseconds_count").length, 0, e.stats.prometheus());
    assert.equal(series(e, "istio_request_bytes_count")[0]?.value, 1);
    http(p, inbound({ durationNs: 3_000_000n }), requestHeaders(), [[":status", "200"]]);
    assert.equal(series(e, "istio_request_duration_milliseconds_count")[0]?.value, 1);
    await p.shutdown();
    await e.runtime.shutdown();
  });

  // istio_stats.cc reportHelper: periodic gRPC message reports wait until peerInfoRead (the exchange
  // decided); without a verdict the counts go out at the end of the stream.
  it("gRPC: no periodic message report before the peer is known", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { tcp_reporting_duration: "1s" });
    const si = inbound();
    si.filterState.delete("wasm.downstream_peer");
    si.filterState.set("envoy.filters.http.grpc_stats", Buffer.from("2,1"));
    const req = requestHeaders([["content-type", "application/grpc"]]);
    const cb = new FakeHttpCallbacks(si);
    cb.reqHeaders = req;
    const f = p.newHttpFilter(0, cb);
    f.decodeHeaders(req, false);
    p.tick();
    assert.equal(series(e, "istio_request_messages_total").length, 0);
    si.filterState.set("wasm.downstream_peer_id", Buffer.from("envoy.wasm.metadata_exchange.peer_unknown"));
    p.tick();
    assert.equal(series(e, "istio_request_messages_total")[0]?.value, 2);
    f.log();
    f.onDestroy();
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("suite.wasm serves istio_stats by its exact root_id", async () => {
    const e = env(1, TAGS);
    const suite = readFileSync(path.join(ROOT, "dist", "suite.wasm"));
    const p = await e.runtime.loadPlugin(pluginConfig(suite, { rootId: "istio_stats", vmId: "suite", configuration: Buffer.from("{}") }), "http");
    http(p, inbound(), requestHeaders(), [[":status", "200"]]);
    assert.equal(series(e, "istio_requests_total")[0]?.value, 1);
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("gRPC: status from the trailers, message counts from Envoy's grpc_stats filter state", async () => {
    const e = env(1, TAGS);
    const p = await load(e, {});
    const si = inbound();
    si.filterState.set("envoy.filters.http.grpc_stats", Buffer.from("3,5"));
    http(p, si, requestHeaders([["content-type", "application/grpc+proto"]]), [[":status", "200"], ["content-type", "application/grpc"]], [["grpc-status", "14"]]);
    const rows = series(e, "istio_requests_total");
    assert.equal(rows[0].labels.request_protocol, "grpc");
    assert.equal(rows[0].labels.grpc_response_status, "14");
    const reqMsgs = series(e, "istio_request_messages_total");
    const respMsgs = series(e, "istio_response_messages_total");
    assert.equal(reqMsgs[0]?.value, 3);
    assert.equal(respMsgs[0]?.value, 5);
    assert.deepEqual(reqMsgs[0].order, LABELS.slice(0, 20)); // the 20 peer labels only
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("gRPC: message counts of an open stream are reported on the tick, the rest at the end", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { tcp_reporting_duration: "0.1s" });
    const si = inbound();
    si.filterState.set("envoy.filters.http.grpc_stats", Buffer.from("2,1"));
    const req = requestHeaders([["content-type", "application/grpc"]]);
    const cb = new FakeHttpCallbacks(si);
    cb.reqHeaders = req;
    const f = p.newHttpFilter(0, cb);
    f.decodeHeaders(req, false);
    p.tick(0); // the host's tick (tcp_reporting_duration) drives periodic reports; no sleeping
    p.tick(0);
    assert.equal(series(e, "istio_request_messages_total")[0]?.value, 2, "reported while the stream is open");
    assert.equal(series(e, "istio_response_messages_total")[0]?.value, 1);
    assert.equal(series(e, "istio_requests_total").length, 0);
    si.filterState.set("envoy.filters.http.grpc_stats", Buffer.from("5,4"));
    const resp: HeaderList = [[":status", "200"], ["content-type", "application/grpc"]];
    cb.respHeaders = resp;
    f.encodeHeaders(resp, true);
    f.log();
    f.onDestroy();
    p.tick(0); // no further tick reports after the end
    assert.equal(series(e, "istio_request_messages_total")[0]?.value, 5);
    assert.equal(series(e, "istio_response_messages_total")[0]?.value, 4);
    assert.equal(series(e, "istio_requests_total")[0]?.value, 1);
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("TCP: reported on the tick while open, then the rest at close; opened and closed once", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { tcp_reporting_duration: "0.1s" }, "network", "istio_stats_tcp");
    const si = inbound({ protocol: "" });
    const f = p.newNetworkFilter(0, new FakeNetCallbacks(si));
    f.onNewConnection();
    f.onData({ buf: Buffer.alloc(100) }, false);
    f.onWrite({ buf: Buffer.alloc(40) }, false);
    p.tick(0);
    p.tick(0);
    const mid = series(e, "istio_tcp_received_bytes_total");
    assert.equal(mid[0]?.value, 100, "received bytes reported on the tick, before close");
    assert.equal(series(e, "istio_tcp_sent_bytes_total")[0]?.value, 40);
    assert.equal(series(e, "istio_tcp_connections_opened_total")[0]?.value, 1);
    assert.equal(series(e, "istio_tcp_connections_closed_total").length, 0);
    f.onData({ buf: Buffer.alloc(23) }, false);
    f.onEvent("RemoteClose");
    await immediate();
    assert.equal(series(e, "istio_tcp_received_bytes_total")[0]?.value, 123);
    assert.equal(series(e, "istio_tcp_connections_opened_total")[0]?.value, 1);
    assert.equal(series(e, "istio_tcp_connections_closed_total")[0]?.value, 1);
    const labels = series(e, "istio_tcp_connections_closed_total")[0].order;
    assert.deepEqual(labels, LABELS.filter((l) => l !== "response_code" && l !== "grpc_response_status"));
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("TCP: periodic reports wait for the metadata exchange's verdict", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { tcp_reporting_duration: "0.1s" }, "network", "istio_stats_tcp");
    const si = inbound({ protocol: "" });
    si.filterState.delete("wasm.downstream_peer");
    const f = p.newNetworkFilter(0, new FakeNetCallbacks(si));
    f.onNewConnection();
    f.onData({ buf: Buffer.alloc(10) }, false);
    p.tick(0);
    p.tick(0);
    assert.equal(series(e, "istio_tcp_received_bytes_total").length, 0, "nothing reported while the peer is pending");
    si.filterState.set("wasm.downstream_peer_id", Buffer.from("envoy.wasm.metadata_exchange.peer_unknown"));
    p.tick(0);
    const rows = series(e, "istio_tcp_received_bytes_total");
    assert.equal(rows[0]?.value, 10);
    assert.equal(rows[0].labels.source_workload, "unknown");
    f.onEvent("LocalClose");
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("cardinality guard: unique x-user values stop at the limit, the rest go to the overflow series", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { max_series_per_metric: 50, metrics: [{ name: "requests_total", dimensions: { x_user: "request.headers['x-user']" } }] });
    for (let i = 0; i < 400; i++) http(p, inbound(), requestHeaders([["x-user", `user-${i}`]]), [[":status", "200"]]);
    const rows = series(e, "istio_requests_total");
    assert.equal(rows.length, 51);
    const over = rows.filter((r) => r.labels.x_user === "overflow");
    assert.equal(over.length, 1);
    assert.equal(over[0].value, 350);
    assert.equal(over[0].labels.reporter, "destination");
    assert.equal(over[0].labels.source_workload, "overflow");
    assert.equal(series(e, "istio_stats_overflow_total")[0]?.labels.metric, "istio_requests_total");
    assert.equal(series(e, "istio_stats_overflow_total")[0]?.value, 350);
    // metrics without the dimension are not affected
    assert.equal(series(e, "istio_request_bytes_count").length, 1);
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("hostile input never traps: garbage peer state, separator-laden headers, huge values", async () => {
    const e = env(1, TAGS);
    const p = await load(e, { metrics: [{ dimensions: { x_user: "request.headers['x-user']" } }] });
    const junk = [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x0a, 0x80]), Buffer.alloc(0), Buffer.alloc(70000, 0x0a)];
    for (const [i, state] of junk.entries()) {
      const si = inbound();
      si.filterState.set("wasm.downstream_peer", state);
      http(p, si, requestHeaders([["x-user", `a;.;source_app=.=evil${i}`], ["content-type", "application/grpc"]]),
        [[":status", "200"]], [["grpc-status", "99999999999999999999"]]);
    }
    http(p, inbound(), requestHeaders([["x-user", "u".repeat(100000)]]), [[":status", "200"]]);
    const rows = series(e, "istio_requests_total");
    assert.equal(rows.reduce((a, r) => a + r.value, 0), junk.length + 1, e.logs.lines.map((l) => l.msg).join("\n"));
    // a forged field inside a value does not become a label
    for (const r of rows) assert.notEqual(r.labels.source_app?.startsWith("evil"), true);
    assert.ok(rows.some((r) => r.labels.x_user === "a;_;source_app=_=evil0"), JSON.stringify(rows.map((r) => r.labels.x_user)));
    assert.deepEqual(guestErrors(e).filter((m) => /abort|trap|failed/i.test(m)), []);
    await p.shutdown();
    await e.runtime.shutdown();
  });

  it("the bootstrap stats_tags and the Istio extraStatTags list Istio's labels in order", () => {
    for (const file of ["stats-client-sidecar.yaml", "stats-server-sidecar.yaml"]) {
      const boot = parseYaml(readFileSync(path.join(ROOT, "envoy-configs", file), "utf8"));
      const tags = boot.stats_config.stats_tags as Array<{ tag_name: string; regex: string }>;
      assert.deepEqual(tags.slice(0, 25).map((t) => t.tag_name), LABELS, file);
      for (const t of tags.slice(0, 25)) assert.equal(t.regex, `(${t.tag_name}=\\.=(.*?);\\.;)`);
      assert.deepEqual(tags.slice(25).map((t) => t.tag_name), ["component", "tag", "metric"]);
    }
    const mesh = parseYaml(readFileSync(path.join(ROOT, "deploy", "istio", "mesh-stats-tags.yaml"), "utf8"));
    assert.deepEqual(mesh.spec.meshConfig.defaultConfig.extraStatTags, [...LABELS, "component", "tag", "metric"]);
    // every extractor has the shape Istio's extraStatTags renders, so the mesh list is sufficient
    for (const file of ["stats-client-sidecar.yaml", "stats-server-sidecar.yaml"]) {
      const boot = parseYaml(readFileSync(path.join(ROOT, "envoy-configs", file), "utf8"));
      for (const t of boot.stats_config.stats_tags) assert.equal(t.regex, `(${t.tag_name}=\\.=(.*?);\\.;)`, `${file} ${t.tag_name}`);
      assert.deepEqual(boot.stats_config.stats_tags.map((t: { tag_name: string }) => t.tag_name), mesh.spec.meshConfig.defaultConfig.extraStatTags);
    }
  });
});
