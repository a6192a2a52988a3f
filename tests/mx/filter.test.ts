// The HTTP metadata-exchange filter (dist/peer_metadata.wasm) in the test host's wasm side:
// Istio's header rules (proxy test/envoye2e/http_metadata_exchange TestHTTPExchange), the cache,
// workload discovery, configuration errors and the bad-input table.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import {
  Sidecar, CLIENT_NODE, SERVER_NODE, INBOUND, OUTBOUND, header, peerState, peerId, PEER_UNKNOWN,
} from "./sidecar";
import { pbDecodeStruct, pbEncodeStruct } from "./codec";
import type { HeaderList } from "../host/api";
import { immediate } from "../host/conformance/harness";

const MD = "x-istio-peer-metadata";
const ID = "x-istio-peer-id";

const sidecars: Sidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
async function sidecar(nodeInfo = SERVER_NODE(), config: unknown = INBOUND, workers = 1): Promise<Sidecar> {
  const s = new Sidecar(nodeInfo, workers);
  sidecars.push(s);
  return s.load(config);
}

test("client sidecar: outbound request carries the minimal Istio payload and its node id", async () => {
  const client = await sidecar(CLIENT_NODE(), { ...OUTBOUND, additional_labels: ["role"] });
  const r = client.http([], []);
  assert.deepEqual(header(r.request, ID), [CLIENT_NODE().id]);
  const [value] = header(r.request, MD);
  assert.deepEqual(pbDecodeStruct(Buffer.from(value, "base64")), {
    NAME: "productpage-v1-abc", NAMESPACE: "default", WORKLOAD_NAME: "productpage-v1", CLUSTER_ID: "client-cluster",
    OWNER: "kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1",
    LABELS: { app: "productpage", version: "v1", role: "client", "service.istio.io/canonical-name": "productpage", "service.istio.io/canonical-revision": "version-1" },
  });
  // No response headers from the server: upstream peer unknown (nothing in the workload table).
  assert.equal(peerId(r.state, "upstream"), PEER_UNKNOWN);
});

test("interop preset and full key set: x-envoy-* headers with the pre-1.24 payload", async () => {
  const client = await sidecar(CLIENT_NODE(), { ...OUTBOUND, headers: "envoy", exchange_keys: "full" });
  const r = client.http([], []);
  assert.equal(header(r.request, MD).length, 0);
  const md = pbDecodeStruct(Buffer.from(header(r.request, "x-envoy-peer-metadata")[0], "base64"));
  assert.equal(md.ISTIO_VERSION, "1.28.0");
  assert.equal(md.MESH_ID, "mesh1");
  assert.equal((md.LABELS as any)["pod-template-hash"], "abc");
  assert.equal(md.INSTANCE_IPS, undefined);
  assert.deepEqual(header(r.request, "x-envoy-peer-metadata-id"), [CLIENT_NODE().id]);
});

test("server sidecar: decodes and strips request headers, answers only what was asked (TestHTTPExchange)", async () => {
  const client = await sidecar(CLIENT_NODE(), { ...OUTBOUND, additional_labels: ["role"] });
  const server = await sidecar(SERVER_NODE(), { ...INBOUND, additional_labels: ["role"] });
  const out = client.http([], []).request.filter(([k]) => k === MD || k === ID);

  // Both headers: both answered, neither reaches the app.
  const both = server.http(out, []);
  assert.equal(header(both.request, MD).length + header(both.request, ID).length, 0);
  assert.equal(header(both.response, ID)[0], SERVER_NODE().id);
  assert.ok(header(both.response, MD)[0].length > 20);
  const down = peerState(both.state, "downstream")!;
  assert.equal(down.workload, "productpage-v1");
  assert.equal(down.service, "productpage");
  assert.equal(down.revision, "version-1");
  assert.equal(down.cluster, "client-cluster");
  assert.equal(down.type, "deployment");
  assert.deepEqual(down.labels, { role: "client" });
  assert.equal(down.id, CLIENT_NODE().id);
  assert.equal(peerId(both.state, "downstream"), CLIENT_NODE().id);

  // Only the id (cached by now): only -id answered (TestHTTPExchange), and no peer: Istio's
  // MXMethod::derivePeerInfo looks the cache up only when a metadata header came with the id
  // (istio/proxy@068793d292d354e9ee507da2101faffdf5409bd1 peer_metadata/filter.cc).
  const onlyId = server.http(out.filter(([k]) => k === ID), []);
  assert.deepEqual(header(onlyId.response, ID), [SERVER_NODE().id]);
  assert.deepEqual(header(onlyId.response, MD), []);
  assert.equal(peerState(onlyId.state, "downstream"), undefined);
  assert.equal(peerId(onlyId.state, "downstream"), PEER_UNKNOWN);

  // Nothing: nothing answered, peer unknown (source 10.1.2.3 is not in any table).
  const none = server.http([], []);
  assert.deepEqual(header(none.response, ID), []);
  assert.deepEqual(header(none.response, MD), []);
  assert.equal(peerId(none.state, "downstream"), PEER_UNKNOWN);

  // The client decodes the server's answer and strips it from the response its app sees.
  const back = client.http([], both.response.filter(([k]) => k === MD || k === ID));
  assert.equal(header(back.response, MD).length + header(back.response, ID).length, 0);
  const up = peerState(back.state, "upstream")!;
  assert.equal(up.workload, "ratings-v1");
  assert.deepEqual(up.labels, { role: "server" });
  assert.equal(server.counter("peer_metadata.cache_miss"), 1);
  assert.equal(server.plugin.failed(0), false);
});

test("both header sets are accepted by default; only the configured one when accept_both_header_sets is false", async () => {
  const value = pbEncodeStruct({ NAME: "p", WORKLOAD_NAME: "legacy-client", LABELS: {} }).toString("base64");
  const envoyHeaders: HeaderList = [["x-envoy-peer-metadata", value], ["x-envoy-peer-metadata-id", "legacy-1"]];
  const s = await sidecar(SERVER_NODE(), INBOUND);
  const r = s.http(envoyHeaders, []);
  assert.equal(peerState(r.state, "downstream")!.workload, "legacy-client");
  assert.deepEqual(header(r.request, "x-envoy-peer-metadata"), []);
  const strict = await sidecar(SERVER_NODE(), { ...INBOUND, accept_both_header_sets: false });
  const r2 = strict.http(envoyHeaders, []);
  assert.equal(peerId(r2.state, "downstream"), PEER_UNKNOWN);
});

test("workload discovery: configured IP table for a peer without headers; endpoint metadata upstream", async () => {
  const s = await sidecar(SERVER_NODE(), {
    ...INBOUND, additional_labels: ["role"],
    workloads: [{ name: "legacy-0", namespace: "legacy", addresses: ["10.1.2.3"], workload_name: "legacy", canonical_name: "legacy-svc",
      canonical_revision: "v7", workload_type: "POD", service_account: "legacy-sa", labels: { role: "batch" } }],
  });
  const r = s.http([], []);
  assert.deepEqual(peerState(r.state, "downstream"), {
    app: "legacy-svc", identity: "spiffe://cluster.local/ns/legacy/sa/legacy-sa", labels: { role: "batch" }, name: "legacy-0",
    namespace: "legacy", revision: "v7", service: "legacy-svc", service_account: "legacy-sa", source: "workload_discovery",
    type: "pod", version: "v7", workload: "legacy",
  });
  assert.deepEqual(header(r.response, MD), []);

  const c = await sidecar(CLIENT_NODE(), OUTBOUND);
  const base = (await import("../host/conformance/harness")).makeStreamInfo();
  const r2 = c.http([], [], { upstream: { ...base.upstream!, hostMetadata: { istio: { workload: "ratings-v1;default;ratings;version-1;server-cluster" } } } });
  assert.deepEqual(peerState(r2.state, "upstream"), {
    cluster: "server-cluster", namespace: "default", revision: "version-1", service: "ratings", source: "endpoint_metadata", workload: "ratings-v1",
  });
});

test("workload table from a control endpoint: fetched once per proxy, shared with every worker VM", async () => {
  const s = new Sidecar(SERVER_NODE(), 2);
  sidecars.push(s);
  s.clusters.names.add("wds");
  s.clusters.responder = async () => ({
    headers: [[":status", "200"]], trailers: [],
    body: Buffer.from(JSON.stringify({ workloads: [{ name: "w1", namespace: "ns1", addresses: ["10.1.2.3"], workload_name: "dyn" }] })),
  });
  await s.load({ ...INBOUND, workload_discovery: { cluster: "wds", path: "/debug/workloads", refresh_interval_ms: 60000 } });
  s.plugin.tick(0);
  s.plugin.tick(1);
  await immediate(); // the fake cluster answers in microtasks; its callback has run by now
  s.plugin.tick(0);
  s.plugin.tick(1);
  assert.equal(s.clusters.calls.length, 1, "one fetch for two workers");
  assert.deepEqual(s.clusters.calls[0].headers.find(([k]) => k === ":path"), [":path", "/debug/workloads"]);
  for (const w of [0, 1]) assert.equal(peerState(s.http([], [], {}, w).state, "downstream")!.workload, "dyn", `worker ${w}`);
  assert.equal(s.counter("peer_metadata.workload_fetch_ok"), 1);
});

test("configuration errors fail the plugin and name the field", async () => {
  for (const [config, field] of [
    ['{"max_peer_cache_size": "lots"}', "max_peer_cache_size: expected an integer, got string"],
    ['{"upstream_discovery": [{"dns": {}}]}', "upstream_discovery[0].dns: unknown discovery method"],
    ['{"workloads": [{"addresses": ["::zz"]}]}', "workloads[0].addresses[0]: expected an IPv4 or IPv6 address"],
    ["{not json", "configuration: invalid JSON: line 1 column 2"],
    ['{"workloads": [{"addresses": ["10.0.0.1"]}, tru]}', "configuration: invalid JSON: line 1 column 45: unexpected character 't'"],
  ]) {
    const s = new Sidecar(SERVER_NODE());
    sidecars.push(s);
    await assert.rejects(s.load(config));
    const logged = s.logs.lines.map((l) => l.msg).join("\n");
    assert.ok(logged.includes("peer_metadata: invalid configuration: " + field), logged);
  }
});

test("bad-input table: the VM never traps, the peer is unknown, a counter says why", async () => {
  const s = await sidecar(SERVER_NODE(), INBOUND);
  const good = pbEncodeStruct({ NAME: "c", WORKLOAD_NAME: "client", LABELS: {} }).toString("base64");
  const other = pbEncodeStruct({ NAME: "c", WORKLOAD_NAME: "imposter", LABELS: {} }).toString("base64");
  // Prime the cache for the "id changes metadata" case.
  assert.equal(peerState(s.http([[MD, good], [ID, "stable-id"]], []).state, "downstream")!.workload, "client");
  const cases: Array<[string, HeaderList, string]> = [
    ["bad base64", [[MD, "***"], [ID, "a"]], "bad_base64"],
    ["truncated protobuf", [[MD, Buffer.from(good, "base64").subarray(0, 7).toString("base64")], [ID, "b"]], "bad_protobuf"],
    ["wrong value types", [[MD, pbEncodeStruct({ NAME: 1, LABELS: "x" } as any).toString("base64")], [ID, "c"]], "wrong_type"],
    ["a 1 MiB header", [[MD, "A".repeat(1 << 20)], [ID, "d"]], "header_too_large"],
    ["a duplicated header", [[MD, good], [MD, other], [ID, "e"]], "duplicate_header"],
    ["an id that changes its metadata", [[MD, other], [ID, "stable-id"]], "id_metadata_mismatch"],
  ];
  for (const [name, headers, reason] of cases) {
    const before = s.counter(`peer_metadata.rejected.${reason}`);
    const r = s.http(headers, []);
    assert.equal(s.plugin.failed(0), false, `${name}: VM failed`);
    assert.deepEqual(r.status, ["Continue", "Continue"], name);
    assert.equal(peerState(r.state, "downstream"), undefined, name);
    assert.equal(peerId(r.state, "downstream"), PEER_UNKNOWN, name);
    assert.equal(s.counter(`peer_metadata.rejected.${reason}`), before + 1, `${name}: counter ${reason}`);
    assert.equal(header(r.request, MD).length + header(r.request, ID).length, 0, `${name}: stripped`);
  }
  // After the mismatch the entry is forgotten; the next request decodes the new value.
  assert.equal(peerState(s.http([[MD, other], [ID, "stable-id"]], []).state, "downstream")!.workload, "imposter");
});

test("cache stays bounded: 1,000 distinct ids through a 500-entry cache", async () => {
  const s = await sidecar(SERVER_NODE(), INBOUND);
  for (let i = 0; i < 1000; i++) {
    const v = pbEncodeStruct({ NAME: `p${i}`, WORKLOAD_NAME: `w${i}`, LABELS: {} }).toString("base64");
    const r = s.http([[MD, v], [ID, `id-${i}`]], []);
    assert.equal(peerState(r.state, "downstream")!.workload, `w${i}`);
  }
  assert.equal(s.counter("peer_metadata.cache_miss"), 1000);
  // Overflow at 501 entries evicts 125: 1000 inserts -> 4 evictions.
  assert.equal(s.counter("peer_metadata.cache_evicted"), 500);
});

// Istio's filter always has its node (LocalInfo). A host that cannot serve xds.node (nor the
// pre-1.24 top-level `node`) gets no exchange headers from us: an empty x-istio-peer-id and an
// empty payload would claim a peer that says nothing. The test host always serves the node, so
// this runs in the bench's in-process host, which serves only the properties it is given.
test("without a readable xds.node no exchange headers are sent, in either direction", async () => {
  const { instantiate, Stream, header: H, hasHeader } = await import("../bench/bench-host");
  const file = path.join(process.cwd(), "dist", "peer_metadata.wasm");
  const req = () => [H(":method", "GET"), H(":path", "/"), H(":authority", "ratings")];
  const out = instantiate(file, { rootId: "peer_metadata", config: JSON.stringify(OUTBOUND), properties: [] });
  const s1 = out.request(new Stream(req(), [H(":status", "200")]));
  for (const n of [MD, ID, "x-envoy-peer-metadata", "x-envoy-peer-metadata-id"]) assert.equal(hasHeader(s1.request, n), false, `request ${n}`);
  const inb = instantiate(file, { rootId: "peer_metadata", config: JSON.stringify(INBOUND), properties: [] });
  const peer = pbEncodeStruct({ NAME: "p-0", WORKLOAD_NAME: "p", LABELS: {} }).toString("base64");
  const s2 = inb.request(new Stream([...req(), H(MD, peer), H(ID, "id-p")], [H(":status", "200")]));
  assert.equal(hasHeader(s2.response, MD) || hasHeader(s2.response, ID), false, "no answer on the response");
  // Discovery still works: the caller is recorded.
  assert.ok(s2.stateValue("downstream_peer"));
  // With the node, the same configurations do send (the check above is not vacuous).
  const withNode = instantiate(file, { rootId: "peer_metadata", config: JSON.stringify(OUTBOUND), properties: [["xds\0node\0id", Buffer.from("sidecar~1~a.b~b.svc")]] });
  const s3 = withNode.request(new Stream(req(), [H(":status", "200")]));
  assert.equal(hasHeader(s3.request, ID), true);
});
