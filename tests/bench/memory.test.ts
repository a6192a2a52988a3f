// The bench smoke run of `npm test`: what the README claims about memory, checked on every test
// run with a few hundred thousand requests per filter in the bench host (tests/bench/bench-host.ts):
// a Wasm VM's linear memory never shrinks, so a leak or an unbounded cache shows as growth between
// the end of a warm-up and the end of the run. Memory only; speed is `npm run bench`'s business.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { instantiate, Stream, header as H, headerId, pairs, i64, enc, DIST, type HeaderMap as Headers, type PropertyValue } from "./bench-host";
import { pbEncodeStruct } from "../mx/codec";

const RUN = Number(process.env.SMOKE_REQUESTS ?? 300_000);
const WARM = 20_000;

/** Runs `count` requests after WARM warm-up ones; returns linear memory at both points. */
function flat(vm: ReturnType<typeof instantiate>, make: (i: number) => Stream, count: number) {
  for (let i = 0; i < WARM; i++) vm.request(make(i));
  const warm = vm.memoryBytes();
  let last!: Stream;
  for (let i = WARM; i < WARM + count; i++) last = vm.request(make(i));
  return { warm, end: vm.memoryBytes(), last };
}

// ---- peer_metadata: a server sidecar with Istio's inbound config.
const PM_PROPS: Array<[string, PropertyValue]> = [
  ["xds\0node\0id", enc.encode("sidecar~10.0.0.2~ratings-v1-xyz.default~default.svc.cluster.local")],
  ["xds\0listener_direction", i64(1)],
  ["xds\0node\0metadata\0NAME", enc.encode("ratings-v1-xyz")],
  ["xds\0node\0metadata\0NAMESPACE", enc.encode("default")],
  ["xds\0node\0metadata\0WORKLOAD_NAME", enc.encode("ratings-v1")],
  ["xds\0node\0metadata\0LABELS", pairs({ app: "ratings", version: "v1" })],
  ["source\0address", enc.encode("10.0.0.9:41234")],
];
const INBOUND = JSON.stringify({ downstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], downstream_propagation: [{ istio_headers: {} }] });
const REQ: Headers = [H(":method", "GET"), H(":path", "/"), H(":authority", "ratings"), H("x-request-id", "7f1c0c1e")];
function peers(n: number): Headers[] {
  return Array.from({ length: n }, (_, i) => [
    H("x-istio-peer-metadata", pbEncodeStruct({ NAME: `productpage-v1-${i}`, NAMESPACE: "default", WORKLOAD_NAME: "productpage-v1", LABELS: { app: "productpage" } }).toString("base64")),
    H("x-istio-peer-id", `sidecar~10.0.${i >> 8}.${i & 255}~productpage-v1-${i}.default~default.svc.cluster.local`),
  ]);
}
const pmVm = () => instantiate(path.join(DIST, "peer_metadata.wasm"), { rootId: "peer_metadata", config: INBOUND, properties: PM_PROPS, trapOnExit: true });

test(`peer_metadata: linear memory flat over ${RUN} cache hits (100 peers)`, () => {
  const hot = peers(100);
  const r = flat(pmVm(), (i) => new Stream([...REQ, ...hot[i % 100]], [H(":status", "200")]), RUN);
  assert.ok(r.last.stateValue("downstream_peer"), "the peer was recorded");
  assert.equal(r.end, r.warm, `linear memory grew from ${r.warm} to ${r.end} bytes`);
});

test(`peer_metadata: linear memory flat over ${RUN} cache misses (1,000 peers through the 500-entry cache)`, () => {
  const cold = peers(1000);
  const r = flat(pmVm(), (i) => new Stream([...REQ, ...cold[i % 1000]], [H(":status", "200")]), RUN);
  assert.ok(r.last.stateValue("downstream_peer"), "the peer was recorded");
  assert.equal(r.end, r.warm, `linear memory grew from ${r.warm} to ${r.end} bytes`);
});

// ---- istio_stats: a client sidecar reporting with the upstream peer in filter state.
function structOf(fields: Record<string, string>): Uint8Array { return pbEncodeStruct(fields); }
const ST_PROPS: Array<[string, PropertyValue]> = [
  ["xds\0node\0id", enc.encode("sidecar~10.0.0.1~productpage-v1-abc.default~default.svc.cluster.local")],
  ["xds\0node\0metadata\0NAME", enc.encode("productpage-v1-abc")],
  ["xds\0node\0metadata\0NAMESPACE", enc.encode("default")],
  ["xds\0node\0metadata\0WORKLOAD_NAME", enc.encode("productpage-v1")],
  ["xds\0node\0metadata\0LABELS", pairs({ app: "productpage", version: "v1" })],
  ["xds\0listener_direction", i64(2)],
  ["xds\0cluster_name", enc.encode("outbound|9080||ratings.default.svc.cluster.local")],
  ["response\0flags", i64(0)],
  ["upstream_peer", structOf({ workload: "ratings-v1", namespace: "default", service: "ratings", app: "ratings", version: "v1" })],
  ["response\0code", (s) => (s ? i64([200, 404, 503][s.n % 3]) : undefined)],
  ["request\0duration", (s) => (s ? i64(3_000_000) : undefined)],
];
const X_USER = headerId("x-user");
const stVm = (config: string) => instantiate(path.join(DIST, "istio_stats.wasm"), { rootId: "istio_stats", config, properties: ST_PROPS, trapOnExit: true });
const stStream = (i: number, user: Uint8Array) => new Stream([...REQ, [X_USER, user]], [H(":status", "200")], i);

test(`istio_stats: linear memory flat over ${RUN} requests (three label sets)`, () => {
  const vm = stVm("");
  const users = ["alice", "bob", "carol"].map((u) => enc.encode(u));
  const r = flat(vm, (i) => stStream(i, users[i % 3]), RUN);
  const total = [...vm.metrics.values()].filter((m) => m.name.endsWith("istio_requests_total")).reduce((a, m) => a + m.value, 0);
  assert.equal(total, WARM + RUN, "every request counted");
  assert.equal(r.end, r.warm, `linear memory grew from ${r.warm} to ${r.end} bytes`);
});

test(`istio_stats: linear memory flat over ${RUN} unique x-user values under the cardinality guard`, () => {
  const vm = stVm(JSON.stringify({ max_series_per_metric: 1000, metrics: [{ name: "requests_total", dimensions: { x_user: "request.headers['x-user']" } }] }));
  const r = flat(vm, (i) => stStream(i, enc.encode("user-" + i)), RUN);
  const series = [...vm.metrics.values()].filter((m) => m.name.endsWith("istio_requests_total") && m.name.startsWith("reporter="));
  assert.equal(series.length, 1001, "1000 series plus the overflow series");
  assert.equal(r.end, r.warm, `linear memory grew from ${r.warm} to ${r.end} bytes`);
});
