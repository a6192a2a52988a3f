// peer_metadata (dist/peer_metadata.wasm) per request against the null filter, with the shared
// bench host (tests/bench/bench-host.ts): per stream it keeps the request and response header maps
// and the filter state, and serves the properties the filter reads, doing the same stream
// bookkeeping for every module.
//
//  1. cache-hit path: a server sidecar (Istio's inbound config); every request carries the
//     exchange headers of one of 100 already-cached client peers. Per request the filter reads
//     two headers, compares, strips four, writes two filter-state keys and answers two response
//     headers. Target: <= 4x the null filter. Next to each configuration, its call floor:
//     tests/fixtures/call_floor replaying the host calls of one recorded hit with no filter logic.
//     BENCH_SHOW_CALLS=1 prints them.
//  2. linear memory over 1M requests, 1,000 distinct peers cycling through the 500-entry cache
//     (every request a miss: decode, encode, insert, evict a quarter every 125 requests).
//  3. a 100k-workload IP table from configuration: configure time, memory per entry, lookup cost.
import path from "node:path";
import { pbEncodeStruct } from "../mx/codec";
import {
  instantiate, Stream, header as H, headerValues as hv, hasHeader as hk, pairs, i64, enc, dec, callFloorConfig, describeCalls,
  memoryNote, FIXTURES, DIST, REQUESTS, WARMUP, type HeaderMap as Headers, type PropertyValue, type HostCall, timeRequests,
} from "./bench-host";

const NODE_ID = "sidecar~10.0.0.2~ratings-v1-xyz.default~default.svc.cluster.local";
const NODE: Record<string, string | Record<string, string>> = {
  NAME: "ratings-v1-xyz", NAMESPACE: "default", WORKLOAD_NAME: "ratings-v1", CLUSTER_ID: "server-cluster",
  OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/ratings-v1",
  LABELS: { app: "ratings", version: "v1", "service.istio.io/canonical-name": "ratings", "service.istio.io/canonical-revision": "v1" },
};
const INBOUND = JSON.stringify({ downstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], downstream_propagation: [{ istio_headers: {} }] });
const PROPERTIES: Array<[string, PropertyValue]> = [
  ["xds\0node\0id", enc.encode(NODE_ID)],
  ["xds\0listener_direction", i64(1)],
  ...Object.entries(NODE).map(([k, v]): [string, PropertyValue] => [`xds\0node\0metadata\0${k}`, typeof v === "string" ? enc.encode(v) : pairs(v)]),
  ["source\0address", (s) => s?.source],
];

function vmFor(file: string, rootId: string, config: string, opts: { noopWrites?: boolean; record?: boolean } = {}) {
  // Diagnostic only (noopWrites): the host's copying writes become no-ops, leaving the module's own
  // work plus its header reads. Not a configuration anyone runs.
  const override = opts.noopWrites ? { proxy_set_property: () => 0, proxy_replace_header_map_value: () => 0, proxy_remove_header_map_value: () => 0 } : undefined;
  return instantiate(file, { rootId, config, properties: PROPERTIES, override, record: opts.record, trapOnExit: true });
}
const DEFAULT_SOURCE = enc.encode("10.0.0.9:41234");
const stream = (extra: Headers, source = DEFAULT_SOURCE) => new Stream([...REQUEST, ...extra], [...RESPONSE], 0, source);

const REQUEST: Headers = [H(":method", "GET"), H(":path", "/api/v1/items?page=2"), H(":authority", "ratings.default.svc"), H(":scheme", "http"),
  H("user-agent", "bench/1.0"), H("accept", "*/*"), H("x-request-id", "7f1c0c1e-5d4b-4c1a-9a57-3e7f2a9d1b11")];
const RESPONSE: Headers = [H(":status", "200"), H("content-type", "application/json"), H("content-length", "128"), H("date", "Sun, 22 Nov 2026 02:00:00 GMT")];

function peerHeaders(n: number): Headers[] {
  return Array.from({ length: n }, (_, i) => [
    H("x-istio-peer-metadata", pbEncodeStruct({
      CLUSTER_ID: "client-cluster", LABELS: { app: "productpage", "service.istio.io/canonical-name": "productpage", "service.istio.io/canonical-revision": "v1", version: "v1" },
      NAME: `productpage-v1-${i}`, NAMESPACE: "default", OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1", WORKLOAD_NAME: "productpage-v1",
    }).toString("base64")),
    H("x-istio-peer-id", `sidecar~10.0.${i >> 8}.${i & 255}~productpage-v1-${i}.default~default.svc.cluster.local`),
  ] as Headers);
}

const dist = path.join(DIST, "peer_metadata.wasm");
const nullWasm = path.join(FIXTURES, "null.wasm");
const callFloorWasm = path.join(FIXTURES, "call_floor.wasm");

function run(file: string, rootId: string, config: string, peers: Headers[], requests: number, noopWrites = false) {
  const vm = vmFor(file, rootId, config, { noopWrites });
  for (let i = 0; i < WARMUP; i++) vm.request(stream(peers[i % peers.length]));
  const memWarm = vm.memoryBytes();
  let last!: Stream;
  // CPU time of this process, not wall time: the machine is shared, and being descheduled would
  // otherwise land on whichever module happened to be running.
  const { ns, wall } = timeRequests(0, requests, (i) => { last = vm.request(stream(peers[i % peers.length])); });
  return { ns, wall, memWarm, memEnd: vm.memoryBytes(), last, vm };
}

/** The host calls of one steady-state cache-hit request (after every peer is cached). */
function record(config: string, peers: Headers[]): HostCall[] {
  const vm = vmFor(dist, "peer_metadata", config, { record: true });
  for (let i = 0; i < 2 * peers.length; i++) vm.request(stream(peers[i % peers.length]));
  const calls = vm.recordRequest(stream(peers[0]));
  // Steady state: another cached peer makes the same calls (names, keys, value lengths may differ by a byte).
  const shape = (cs: HostCall[]) => cs.map((c) => `${c.callback} ${c.fn} ${c.map ?? ""} ${c.key ? dec.decode(c.key) : ""}`).join("\n");
  check(shape(vm.recordRequest(stream(peers[1]))) === shape(calls), "the recorded hit is not steady state: another cached peer made other host calls");
  return calls;
}

let failed = false;
function check(cond: boolean, what: string) { if (!cond) { failed = true; console.error(`CHECK FAILED: ${what}`); } }

// 1. Cache-hit path vs null, 3 interleaved rounds, best of each. Two configurations: Istio's own
// inbound config with one header pair (what Istio strips: 2 headers), and this suite's default that
// also reads and strips the other preset's pair (4 removals per request).
const hot = peerHeaders(100);
const ISTIO_LIKE = JSON.stringify({ ...JSON.parse(INBOUND), accept_both_header_sets: false });
// The same host calls with no filter logic: tests/fixtures/call_floor replaying one recorded hit.
const callsOne = record(ISTIO_LIKE, hot);
const callsBoth = record(INBOUND, hot);
if (process.env.BENCH_SHOW_CALLS) for (const line of describeCalls(callsBoth)) console.log("  " + line);
const floorOne = callFloorConfig(callsOne);
const floorBoth = callFloorConfig(callsBoth);
const rounds = [0, 1, 2].map(() => ({
  nul: run(nullWasm, "null", "{}", hot, REQUESTS),
  one: run(dist, "peer_metadata", ISTIO_LIKE, hot, REQUESTS),
  both: run(dist, "peer_metadata", INBOUND, hot, REQUESTS),
  noop: run(dist, "peer_metadata", ISTIO_LIKE, hot, REQUESTS, true),
  floorOne: run(callFloorWasm, "call_floor", floorOne, hot, REQUESTS),
  floorBoth: run(callFloorWasm, "call_floor", floorBoth, hot, REQUESTS),
}));
type Key = keyof (typeof rounds)[number];
const bestOf = (k: Key) => rounds.map((r) => r[k]).sort((a, b) => a.ns - b.ns)[0];
const bestNull = bestOf("nul");
console.log(`cache-hit path, ${REQUESTS} requests after ${WARMUP} warm-up, 100 cached peers, best of 3 interleaved rounds (CPU ns/request; wall in brackets):`);
console.log(`  null                              ${bestNull.ns.toFixed(1).padStart(9)} ns/request  [${bestNull.wall.toFixed(1)}]`);
const hostStates = (s: Stream) => ({ peer: s.stateValue("downstream_peer"), id: s.stateValue("downstream_peer_id") });
for (const [k, fk, calls, label] of [["one", "floorOne", callsOne, "peer_metadata (one header pair)"], ["both", "floorBoth", callsBoth, "peer_metadata (default: both pairs)"]] as const) {
  const r = bestOf(k);
  const ratio = r.ns / bestNull.ns;
  console.log(`  ${label.padEnd(33)} ${r.ns.toFixed(1).padStart(9)} ns/request  [${r.wall.toFixed(1)}]  ratio ${ratio.toFixed(2)}x  +${(r.ns - bestNull.ns).toFixed(1)} ns  ` +
    (ratio <= 4 ? "(target <= 4x met)" : "(TARGET <= 4x MISSED)"));
  const f = bestOf(fk);
  console.log(`    call floor (the same ${calls.length} host calls, no filter logic): ${f.ns.toFixed(1)} ns/request = ${(f.ns / bestNull.ns).toFixed(2)}x null  [${f.wall.toFixed(1)}]; ` +
    `the filter spends ${(r.ns - f.ns).toFixed(1)} ns/request beyond its host calls`);
  const last = r.last;
  const st = hostStates(last);
  check(!!st.peer && !!st.id && dec.decode(st.id).startsWith("sidecar~10.0."), `${label}: hit path wrote the peer to filter state`);
  check(!hk(last.request, "x-istio-peer-metadata") && !hk(last.request, "x-istio-peer-id"), `${label}: request headers stripped`);
  check(hk(last.response, "x-istio-peer-metadata") && hv(last.response, "x-istio-peer-id")[0] === NODE_ID, `${label}: response answered`);
  check(r.memEnd === r.memWarm, `${label}: linear memory flat on the hit path`);
  // The floor made the same writes: the filter-state keys with the recorded value lengths (peers
  // differ by a byte or two, so the filter's last request need not match the recorded one), the same
  // request headers stripped, the same response headers added.
  const fl = f.last;
  const fst = hostStates(fl);
  const written = (name: string) => calls.find((c) => c.fn === "proxy_set_property" && dec.decode(c.key!) === name)?.len;
  check(!!fst.peer && !!fst.id && fst.peer.length === written("downstream_peer") && fst.id.length === written("downstream_peer_id"),
    `${label}: call floor wrote the recorded filter state sizes (${fst.peer?.length}/${written("downstream_peer")}, ${fst.id?.length}/${written("downstream_peer_id")})`);
  check(!hk(fl.request, "x-istio-peer-metadata") && !hk(fl.request, "x-istio-peer-id") && fl.request.length === last.request.length, `${label}: call floor stripped the same headers`);
  check(fl.response.length === last.response.length, `${label}: call floor answered the same number of response headers`);
  check(f.memEnd === f.memWarm, `${label}: call floor linear memory flat`);
}
const counts = (calls: HostCall[]) => Object.entries(calls.reduce((m, c) => ({ ...m, [c.fn]: (m[c.fn] ?? 0) + 1 }), {} as Record<string, number>))
  .map(([fn, n]) => `${n} ${fn.replace("proxy_", "")}`).join(", ");
console.log(`  (host calls per hit, one pair: ${counts(callsOne)}; both pairs: ${counts(callsBoth)}; the null filter makes none)`);
const noop = bestOf("noop");
console.log(`  diagnostic, one pair with this host's copying writes stubbed out: ${noop.ns.toFixed(1)} ns/request, ratio ${(noop.ns / bestNull.ns).toFixed(2)}x` +
  " (the module's own work + its reads)");

// 2. Cache-miss path: 1,000 distinct peers through the 500-entry cache, so every request is a miss
// (base64 decode, exchange Struct -> filter-state bytes, insert; a quarter evicted every 125
// requests), beside its call floor (the host calls of one recorded miss, no logic), and memory.
const cold = peerHeaders(1000);
function recordMiss(config: string, peers: Headers[]): HostCall[] {
  const vm = vmFor(dist, "peer_metadata", config, { record: true });
  for (let i = 0; i < 2 * peers.length; i++) vm.request(stream(peers[i % peers.length]));
  // Peer 0 was inserted 1,000 insertions ago: evicted from the 500-entry cache, so this is a miss.
  const calls = vm.recordRequest(stream(peers[0]));
  check(calls.some((c) => c.fn === "proxy_increment_metric"), "the recorded miss counted a cache miss");
  return calls;
}
const callsMiss = recordMiss(INBOUND, cold);
const floorMiss = callFloorConfig(callsMiss);
const churn = run(dist, "peer_metadata", INBOUND, cold, REQUESTS);
const missFloor = run(callFloorWasm, "call_floor", floorMiss, cold, REQUESTS);
const hitBoth = bestOf("both");
const hitFloor = bestOf("floorBoth");
console.log(`cache-miss path, ${REQUESTS} requests, 1,000 distinct peers through a 500-entry cache (every request a miss), default config (both pairs):`);
console.log(`  peer_metadata miss                ${churn.ns.toFixed(1).padStart(9)} ns/request  [${churn.wall.toFixed(1)}]  ratio ${(churn.ns / bestNull.ns).toFixed(2)}x`);
console.log(`    call floor (the same ${callsMiss.length} host calls, no filter logic): ${missFloor.ns.toFixed(1)} ns/request; ` +
  `own work of a miss above its floor: ${(churn.ns - missFloor.ns).toFixed(1)} ns (target <= 5000)`);
console.log(`  beside the hit (both pairs): ${hitBoth.ns.toFixed(1)} ns/request, floor ${hitFloor.ns.toFixed(1)}, own work ${(hitBoth.ns - hitFloor.ns).toFixed(1)} ns`);
console.log(`  (host calls per miss: ${counts(callsMiss)})`);
console.log(`  ${memoryNote(churn.memWarm, churn.memEnd)}`);
check(!!churn.last.stateValue("downstream_peer"), "miss path wrote the peer");
check(churn.memEnd === churn.memWarm, "linear memory flat over the miss run");

// 3. A 100k-workload table from configuration.
const N = 100_000;
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const workloads = Array.from({ length: N }, (_, i) => ({
  name: `w-${i}-abcde`, namespace: `ns-${i % 50}`, addresses: [ip(i)], workload_name: `w-${i}`, canonical_name: `svc-${i % 700}`,
  canonical_revision: "v1", workload_type: "DEPLOYMENT", service_account: `sa-${i % 300}`, cluster_id: "Kubernetes",
}));
const bigConfig = JSON.stringify({ ...JSON.parse(INBOUND), workloads });
const empty = vmFor(dist, "peer_metadata", INBOUND);
const big = vmFor(dist, "peer_metadata", bigConfig);
const lookups = 200_000;
const sources = Array.from({ length: 4096 }, (_, i) => enc.encode(`${ip((i * 7919) % N)}:5000`));
const { ns: lookupNs } = timeRequests(0, lookups, (i) => big.request(stream([], sources[i & 4095])));
const st = big.request(stream([], sources[1]));
check(!!st.stateValue("downstream_peer"), "IP table lookup found the workload");
const perEntry = (big.memoryBytes() - empty.memoryBytes()) / N;
console.log(`workload table: ${N} workloads (${(bigConfig.length / 1048576).toFixed(1)} MiB of JSON config) configured in ${big.configureMs.toFixed(0)} ms (wall);` +
  ` linear memory ${big.memoryBytes()} B vs ${empty.memoryBytes()} B without the table: ${perEntry.toFixed(0)} B per workload high-water` +
  ` (includes the configuration text, held as bytes and as a UTF-16 string while parsing); request found by IP lookup ${lookupNs.toFixed(0)} CPU ns`);

if (failed) process.exit(1);
