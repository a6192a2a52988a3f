import { PeerMetadata, PeerSource, WorkloadType, parseOwner, ownerOf, serviceAccountOf, namespaceOfIdentity, peerFromEndpointMetadata } from "./peer";
import { peerFromExchange, peerFromNode, minimalExchange, fullExchange, ExchangeKeySet, localExchange } from "./exchange";
import { encodePeerState, decodePeerState, writePeer, writeNoPeer, readPeer, PeerSide, PeerStatus } from "./filter_state";
import { parseJson, JsonValue } from "../codec/json";
import { encodeStruct, decodeStruct } from "../codec/protobuf";
export { malloc } from "@solo-io/proxy-runtime/assembly/malloc";

function obj(text: string): JsonValue { return parseJson(text).value!; }

function sample(): PeerMetadata {
  const p = new PeerMetadata();
  p.id = "sidecar~10.0.0.1~productpage-v1-abc.default~default.svc.cluster.local";
  p.name = "productpage-v1-abc";
  p.namespace = "default";
  p.workload = "productpage-v1";
  p.workloadType = WorkloadType.Deployment;
  p.cluster = "client-cluster";
  p.canonicalService = "productpage";
  p.canonicalRevision = "version-1";
  p.app = "productpage";
  p.version = "v1";
  p.identity = "spiffe://cluster.local/ns/default/sa/bookinfo-productpage";
  p.serviceAccount = "bookinfo-productpage";
  p.setLabel("role", "client");
  p.setLabel("a-first", "x");
  p.source = PeerSource.Headers;
  return p;
}

describe("peer model", () => {
  it("parses OWNER the way Istio does", () => {
    expect(parseOwner("kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1", "productpage-v1")).toBe(WorkloadType.Deployment);
    expect(parseOwner("kubernetes://apis/batch/v1/namespaces/ns/cronjobs/nightly", "nightly")).toBe(WorkloadType.CronJob);
    expect(parseOwner("kubernetes://apis/v1/namespaces/ns/pods/p", "p")).toBe(WorkloadType.Pod);
    expect(parseOwner("kubernetes://apis/apps/v1/namespaces/ns/replicasets/x", "x")).toBe(WorkloadType.Unknown);
    expect(parseOwner("short", "productpage-v1")).toBe(WorkloadType.Unknown);
    expect(parseOwner("", "")).toBe(WorkloadType.Unknown);
    expect(ownerOf("default", WorkloadType.Job, "j")).toBe("kubernetes://apis/apps/v1/namespaces/default/jobs/j");
    expect(ownerOf("default", WorkloadType.Unknown, "j")).toBe("");
  });
  it("reads SPIFFE ids", () => {
    expect(serviceAccountOf("spiffe://cluster.local/ns/default/sa/sleep")).toBe("sleep");
    expect(namespaceOfIdentity("spiffe://cluster.local/ns/foo/sa/sleep")).toBe("foo");
    expect(serviceAccountOf("https://x/sa/y")).toBe("");
    const p = new PeerMetadata();
    p.namespace = "ns"; p.serviceAccount = "sa";
    p.completeIdentity("td.example");
    expect(p.identity).toBe("spiffe://td.example/ns/ns/sa/sa");
  });
  it("keeps additional labels sorted and unique", () => {
    const p = new PeerMetadata();
    p.setLabel("b", "1"); p.setLabel("a", "2"); p.setLabel("b", "3");
    expect(p.labelKeys.join(",")).toBe("a,b");
    expect(p.label("b")).toBe("3");
    expect(p.label("zz")).toBe("");
  });
  it("parses Istio's endpoint metadata string", () => {
    const p = peerFromEndpointMetadata("ratings-v1;default;ratings;version-1;server-cluster")!;
    expect(p.workload).toBe("ratings-v1");
    expect(p.namespace).toBe("default");
    expect(p.canonicalService).toBe("ratings");
    expect(p.canonicalRevision).toBe("version-1");
    expect(p.cluster).toBe("server-cluster");
    expect(peerFromEndpointMetadata("a;b;c;d")).toBeNull();
  });
});

function nodeMeta(): JsonValue {
  return obj("{\"NAME\":\"productpage-v1-abc\",\"NAMESPACE\":\"default\",\"WORKLOAD_NAME\":\"productpage-v1\"," +
    "\"CLUSTER_ID\":\"client-cluster\",\"OWNER\":\"kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1\"," +
    "\"ISTIO_VERSION\":\"1.28.0\",\"MESH_ID\":\"mesh1\",\"INSTANCE_IPS\":\"10.0.0.1\"," +
    "\"LABELS\":{\"app\":\"productpage\",\"version\":\"v1\",\"service.istio.io/canonical-name\":\"productpage\"," +
    "\"service.istio.io/canonical-revision\":\"version-1\",\"role\":\"client\",\"pod-template-hash\":\"abc\"}}");
}

describe("exchange payload", () => {
  it("builds Istio 1.24+'s minimal set with only the four labels plus additional_labels", () => {
    const node = nodeMeta();
    const self = peerFromNode(node, "id-1", ["role"]);
    expect(self.workloadType).toBe(WorkloadType.Deployment);
    const s = localExchange(node, self, ExchangeKeySet.Minimal);
    expect(decodeStruct(encodeStruct(s))!.toString()).toBe(
      "{\"CLUSTER_ID\":\"client-cluster\",\"LABELS\":{\"app\":\"productpage\",\"role\":\"client\"," +
      "\"service.istio.io/canonical-name\":\"productpage\",\"service.istio.io/canonical-revision\":\"version-1\",\"version\":\"v1\"}," +
      "\"NAME\":\"productpage-v1-abc\",\"NAMESPACE\":\"default\"," +
      "\"OWNER\":\"kubernetes://apis/apps/v1/namespaces/default/deployments/productpage-v1\",\"WORKLOAD_NAME\":\"productpage-v1\"}");
  });
  it("always sends LABELS, possibly empty, and OWNER only for a known type", () => {
    const self = peerFromNode(obj("{\"NAME\":\"x\"}"), "", []);
    expect(minimalExchange(self).toString()).toBe("{\"NAME\":\"x\",\"LABELS\":{}}");
  });
  it("builds the full pre-1.24 set verbatim (all labels, no INSTANCE_IPS)", () => {
    const s = fullExchange(nodeMeta());
    expect(s.has("INSTANCE_IPS")).toBe(false);
    expect(s.getString("MESH_ID")).toBe("mesh1");
    expect(s.get("LABELS")!.has("pod-template-hash")).toBe(true);
  });
  it("reads a payload as a 1.24+ receiver: known keys, allow-listed labels, wrong types empty", () => {
    const p = peerFromExchange(nodeMeta(), ["role"]);
    expect(p.name).toBe("productpage-v1-abc");
    expect(p.canonicalRevision).toBe("version-1");
    expect(p.label("role")).toBe("client");
    expect(p.label("pod-template-hash")).toBe("");
    const bad = peerFromExchange(obj("{\"NAME\":5,\"NAMESPACE\":[\"x\"],\"LABELS\":\"app=x\"}"), []);
    expect(bad.name).toBe("");
    expect(bad.namespace).toBe("");
    expect(bad.app).toBe("");
  });
});

describe("filter state format", () => {
  it("is the deterministic Struct of the documented lower-case fields", () => {
    const bytes = encodePeerState(sample());
    const tree = decodeStruct(bytes)!;
    expect(tree.toString()).toBe(
      "{\"app\":\"productpage\",\"cluster\":\"client-cluster\",\"id\":\"sidecar~10.0.0.1~productpage-v1-abc.default~default.svc.cluster.local\"," +
      "\"identity\":\"spiffe://cluster.local/ns/default/sa/bookinfo-productpage\",\"labels\":{\"a-first\":\"x\",\"role\":\"client\"}," +
      "\"name\":\"productpage-v1-abc\",\"namespace\":\"default\",\"revision\":\"version-1\",\"service\":\"productpage\"," +
      "\"service_account\":\"bookinfo-productpage\",\"source\":\"istio_headers\",\"type\":\"deployment\",\"version\":\"v1\",\"workload\":\"productpage-v1\"}");
    // Byte-identical to the generic deterministic encoder over the same tree.
    const generic = encodeStruct(tree);
    expect(generic.byteLength).toBe(bytes.byteLength);
    expect(memory.compare(changetype<usize>(generic), changetype<usize>(bytes), bytes.byteLength)).toBe(0);
  });
  it("round-trips through the wire decoder", () => {
    const p = sample();
    const back = decodePeerState(encodePeerState(p))!;
    expect(back.equals(p)).toBe(true);
    expect(decodePeerState(new ArrayBuffer(0))!.equals(new PeerMetadata())).toBe(true);
  });
  it("rejects truncated state without aborting", () => {
    const b = encodePeerState(sample());
    let rejected = 0;
    for (let i = 1; i < b.byteLength; i++) if (decodePeerState(b.slice(0, i)) === null) rejected++;
    expect(rejected).toBeGreaterThan(b.byteLength - 16);
  });
  it("is written and read through filter state", () => {
    expect(readPeer(PeerSide.Upstream).status).toBe(PeerStatus.Pending);
    writeNoPeer(PeerSide.Upstream);
    expect(readPeer(PeerSide.Upstream).status).toBe(PeerStatus.NotFound);
    writePeer(PeerSide.Downstream, sample());
    const got = readPeer(PeerSide.Downstream);
    expect(got.status).toBe(PeerStatus.Found);
    expect(got.peer!.equals(sample())).toBe(true);
  });
});
