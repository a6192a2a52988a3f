import { fillStandardLabels, RequestFacts, Role, responseFlagsString, codeString, hostHeaderMatters, namespaceOfPrincipal } from "./request_labels";
import { Tag, TAG_COUNT } from "./labels";
import { PeerMetadata } from "../../shared/peer/peer";

function productpage(): PeerMetadata {
  const p = new PeerMetadata();
  p.workload = "productpage-v1"; p.namespace = "default"; p.canonicalService = "productpage"; p.canonicalRevision = "v1";
  p.app = "productpage"; p.version = "v1"; p.cluster = "client-cluster";
  return p;
}

function ratings(): PeerMetadata {
  const p = new PeerMetadata();
  p.workload = "ratings-v1"; p.namespace = "default"; p.canonicalService = "ratings"; p.canonicalRevision = "version-1";
  p.app = "ratings"; p.version = "v1"; p.cluster = "server-cluster";
  p.identity = "spiffe://cluster.local/ns/default/sa/ratings";
  return p;
}

function labels(role: Role, f: RequestFacts, local: PeerMetadata, peer: PeerMetadata | null, disableHost: bool = false): StaticArray<string> {
  const out = new StaticArray<string>(TAG_COUNT);
  fillStandardLabels(out, role, f, local, peer, disableHost);
  return out;
}

describe("istio_stats standard label values", () => {
  it("client side (reporter=source): local is the source, the upstream peer the destination", () => {
    const f = new RequestFacts();
    f.responseCode = 200;
    f.hostHeader = "ratings:9080";
    f.serviceHost = "ratings.default.svc.cluster.local";
    f.serviceName = "ratings";
    f.serviceNamespace = "default";
    f.localPrincipal = "spiffe://cluster.local/ns/default/sa/productpage";
    const l = labels(Role.Source, f, productpage(), ratings());
    expect(l[Tag.reporter]).toBe("source");
    expect(l[Tag.source_workload]).toBe("productpage-v1");
    expect(l[Tag.source_canonical_revision]).toBe("v1");
    expect(l[Tag.source_principal]).toBe("spiffe://cluster.local/ns/default/sa/productpage");
    expect(l[Tag.destination_workload]).toBe("ratings-v1");
    expect(l[Tag.destination_canonical_revision]).toBe("version-1");
    expect(l[Tag.destination_cluster]).toBe("server-cluster");
    // no upstream certificate: the peer's identity from metadata
    expect(l[Tag.destination_principal]).toBe("spiffe://cluster.local/ns/default/sa/ratings");
    expect(l[Tag.destination_service]).toBe("ratings.default.svc.cluster.local");
    expect(l[Tag.destination_service_name]).toBe("ratings");
    expect(l[Tag.destination_service_namespace]).toBe("default");
    expect(l[Tag.request_protocol]).toBe("http");
    expect(l[Tag.response_code]).toBe("200");
    expect(l[Tag.grpc_response_status]).toBe("");
    expect(l[Tag.response_flags]).toBe("-");
    expect(l[Tag.connection_security_policy]).toBe("unknown");
  });

  it("server side (reporter=destination) with mTLS and no peer metadata", () => {
    const f = new RequestFacts();
    f.responseCode = 503;
    f.responseFlags = "UF,URX";
    f.mtls = true;
    f.peerPrincipal = "spiffe://cluster.local/ns/default/sa/productpage";
    f.localPrincipal = "spiffe://cluster.local/ns/default/sa/ratings";
    f.hostHeader = "ratings:9080";
    const l = labels(Role.Destination, f, ratings(), null, true);
    expect(l[Tag.reporter]).toBe("destination");
    expect(l[Tag.source_workload]).toBe("unknown");
    expect(l[Tag.source_canonical_service]).toBe("unknown");
    expect(l[Tag.source_canonical_revision]).toBe("latest");
    expect(l[Tag.source_principal]).toBe("spiffe://cluster.local/ns/default/sa/productpage");
    expect(l[Tag.destination_workload]).toBe("ratings-v1");
    expect(l[Tag.destination_principal]).toBe("spiffe://cluster.local/ns/default/sa/ratings");
    // host header fallback disabled (Istio's inbound default): the local canonical service
    expect(l[Tag.destination_service]).toBe("ratings");
    expect(l[Tag.destination_service_name]).toBe("ratings");
    expect(l[Tag.destination_service_namespace]).toBe("default");
    expect(l[Tag.response_flags]).toBe("UF,URX");
    expect(l[Tag.connection_security_policy]).toBe("mutual_tls");
    // istio_stats.cc: mutual_tls_ = !peer_san.empty() && !local_san.empty()
    f.peerPrincipal = "";
    expect(labels(Role.Destination, f, ratings(), null, true)[Tag.connection_security_policy]).toBe("none");
  });

  // istio_stats.cc populatePeerInfo: "fallback from using the namespace from SAN if available to
  // using peer metadata"; golden tcp_server_connection_open_without_mx.yaml.tmpl expects
  // source_workload_namespace="default" for a peer with a certificate and no exchange.
  it("the peer namespace comes from the peer principal first, then peer metadata (both sides)", () => {
    expect(namespaceOfPrincipal("spiffe://cluster.local/ns/bookinfo/sa/x")).toBe("bookinfo");
    expect(namespaceOfPrincipal("spiffe://cluster.local/ns/bookinfo")).toBe("bookinfo");
    expect(namespaceOfPrincipal("spiffe://cluster.local/sa/x")).toBe("");
    const f = new RequestFacts();
    f.peerPrincipal = "spiffe://cluster.local/ns/default/sa/client";
    f.localPrincipal = "spiffe://cluster.local/ns/default/sa/server";
    expect(labels(Role.Destination, f, ratings(), null)[Tag.source_workload_namespace]).toBe("default");
    const other = productpage();
    other.namespace = "metadata-ns";
    expect(labels(Role.Destination, f, ratings(), other)[Tag.source_workload_namespace]).toBe("default");
    f.peerPrincipal = "";
    expect(labels(Role.Destination, f, ratings(), other)[Tag.source_workload_namespace]).toBe("metadata-ns");
    // client: the upstream certificate, else the peer identity, else peer metadata
    const c = new RequestFacts();
    c.peerPrincipal = "spiffe://cluster.local/ns/cert-ns/sa/ratings";
    const peer = ratings();
    peer.namespace = "md-ns";
    let l = labels(Role.Source, c, productpage(), peer);
    expect(l[Tag.destination_workload_namespace]).toBe("cert-ns");
    expect(l[Tag.destination_service_namespace]).toBe("cert-ns"); // no cluster metadata namespace
    c.peerPrincipal = "";
    l = labels(Role.Source, c, productpage(), peer);
    expect(l[Tag.destination_workload_namespace]).toBe("default"); // ratings().identity is .../ns/default/...
    peer.identity = "";
    expect(labels(Role.Source, c, productpage(), peer)[Tag.destination_workload_namespace]).toBe("md-ns");
    // cluster metadata's namespace wins for destination_service_namespace (TestStatsDestinationServiceNamespacePrecedence)
    c.serviceHost = "server.default.svc.cluster.local";
    c.serviceNamespace = "svc-ns";
    expect(labels(Role.Source, c, productpage(), peer)[Tag.destination_service_namespace]).toBe("svc-ns");
  });

  it("no principal is made up: without a certificate the label is unknown", () => {
    const f = new RequestFacts();
    const l = labels(Role.Source, f, productpage(), null);
    expect(l[Tag.source_principal]).toBe("unknown");
    expect(l[Tag.destination_principal]).toBe("unknown");
    const s = labels(Role.Destination, f, ratings(), productpage());
    expect(s[Tag.source_principal]).toBe("unknown");
    expect(s[Tag.destination_principal]).toBe("unknown");
    expect(s[Tag.connection_security_policy]).toBe("none");
  });

  // istio_stats.cc: this proxy's labels are pool_.add(extractString(node metadata, ...)) with no
  // "unknown"; only peer values fall back.
  it("this proxy's own labels are its node metadata as is, empty included", () => {
    const local = new PeerMetadata();
    local.workload = "ratings-v1";
    const s = labels(Role.Destination, new RequestFacts(), local, productpage(), true);
    expect(s[Tag.destination_workload]).toBe("ratings-v1");
    expect(s[Tag.destination_workload_namespace]).toBe("");
    expect(s[Tag.destination_canonical_service]).toBe("");
    expect(s[Tag.destination_canonical_revision]).toBe("");
    expect(s[Tag.destination_service]).toBe("");
    expect(s[Tag.destination_cluster]).toBe("");
    const c = labels(Role.Source, new RequestFacts(), local, null);
    expect(c[Tag.source_app]).toBe("");
    expect(c[Tag.source_canonical_revision]).toBe("");
  });

  // istio_stats.cc Reporter::ServerGateway: destination labels from peerInfo(ClientSidecar) (the
  // upstream peer), canonical revision "unknown" when absent, service fallbacks "unknown".
  it("waypoint: the destination labels come from the upstream peer", () => {
    const f = new RequestFacts();
    f.upstreamPeer = ratings();
    f.peerPrincipal = "spiffe://cluster.local/ns/default/sa/client";
    f.localPrincipal = "spiffe://cluster.local/ns/default/sa/waypoint";
    let l = labels(Role.Waypoint, f, productpage(), productpage(), true);
    expect(l[Tag.reporter]).toBe("waypoint");
    expect(l[Tag.source_workload]).toBe("productpage-v1");
    expect(l[Tag.destination_workload]).toBe("ratings-v1");
    expect(l[Tag.destination_principal]).toBe("spiffe://cluster.local/ns/default/sa/ratings");
    expect(l[Tag.destination_canonical_revision]).toBe("version-1");
    expect(l[Tag.destination_service]).toBe("unknown");
    expect(l[Tag.destination_service_namespace]).toBe("unknown");
    expect(l[Tag.destination_cluster]).toBe("server-cluster");
    expect(l[Tag.connection_security_policy]).toBe("mutual_tls");
    f.upstreamPeer = null;
    l = labels(Role.Waypoint, f, productpage(), productpage(), true);
    expect(l[Tag.destination_workload]).toBe("unknown");
    expect(l[Tag.destination_canonical_revision]).toBe("unknown");
  });

  it("destination_service: Host header, catch-all routes and clusters, cluster metadata", () => {
    const f = new RequestFacts();
    f.hostHeader = "example.com";
    let l = labels(Role.Source, f, productpage(), null);
    expect(l[Tag.destination_service]).toBe("example.com");
    expect(l[Tag.destination_service_name]).toBe("example.com");
    expect(l[Tag.destination_service_namespace]).toBe("unknown");
    l = labels(Role.Source, f, productpage(), null, true);
    expect(l[Tag.destination_service]).toBe("unknown");
    expect(l[Tag.destination_service_name]).toBe("unknown");
    f.routeName = "allow_any";
    expect(labels(Role.Source, f, productpage(), null)[Tag.destination_service_name]).toBe("PassthroughCluster");
    f.routeName = "block_all";
    expect(labels(Role.Source, f, productpage(), null)[Tag.destination_service_name]).toBe("BlackHoleCluster");
    f.routeName = "";
    const catchAll = ["BlackHoleCluster", "PassthroughCluster", "InboundPassthroughCluster", "InboundPassthroughClusterIpv4", "InboundPassthroughClusterIpv6"];
    for (let i = 0; i < catchAll.length; i++) {
      f.clusterName = catchAll[i];
      expect(labels(Role.Source, f, productpage(), null)[Tag.destination_service_name]).toBe(catchAll[i]);
    }
    // Same lengths and first letters, other names: not catch-all (the Host header stays the name).
    const others = ["BlackHoleClustex", "PassthroughClusterX", "IngressGatewayCluster", "InboundPassthroughClusterIpv5"];
    for (let i = 0; i < others.length; i++) {
      f.clusterName = others[i];
      expect(labels(Role.Source, f, productpage(), null)[Tag.destination_service_name]).toBe("example.com");
    }
    f.clusterName = "InboundPassthroughClusterIpv4";
    f.clusterName = "outbound|9080||reviews.default.svc.cluster.local";
    f.serviceHost = "reviews.default.svc.cluster.local";
    f.serviceNamespace = "default";
    l = labels(Role.Source, f, productpage(), ratings());
    expect(l[Tag.destination_service]).toBe("reviews.default.svc.cluster.local");
    expect(l[Tag.destination_service_name]).toBe("reviews"); // no name: host up to the first dot
    // no namespace in metadata on the client: the peer's
    f.serviceNamespace = "";
    expect(labels(Role.Source, f, productpage(), ratings())[Tag.destination_service_namespace]).toBe("default");
  });

  // The native filter has no canonical-service fallback to the workload name (Wasm-era only).
  it("an empty peer canonical service is unknown; gRPC status only for gRPC", () => {
    const peer = new PeerMetadata();
    peer.workload = "legacy";
    const f = new RequestFacts();
    f.protocol = "grpc";
    f.grpcStatus = 14;
    f.responseCode = 200;
    const l = labels(Role.Destination, f, ratings(), peer);
    expect(l[Tag.source_canonical_service]).toBe("unknown");
    expect(l[Tag.source_workload]).toBe("legacy");
    expect(l[Tag.source_app]).toBe("unknown");
    expect(l[Tag.grpc_response_status]).toBe("14");
    expect(l[Tag.request_protocol]).toBe("grpc");
    f.protocol = "tcp";
    expect(labels(Role.Destination, f, ratings(), peer)[Tag.grpc_response_status]).toBe("");
  });

  it("maps Envoy's response flag bits to short names", () => {
    expect(responseFlagsString(0)).toBe("");
    expect(responseFlagsString(0x2)).toBe("UH");
    expect(responseFlagsString(0x20 | 0x8000)).toBe("UF,URX");
    expect(responseFlagsString(0x4000)).toBe("DC");
    expect(responseFlagsString(-1).startsWith("LH,UH,UT")).toBe(true);
    expect(codeString(404)).toBe("404");
    expect(codeString(404) === codeString(404)).toBe(true); // interned
    expect(codeString(1000)).toBe("1000");
  });
});

// The filter skips reading the Host header when hostHeaderMatters is false: that is only sound if
// no label can change with it. Check both sides for every case the predicate decides.
function facts(serviceHost: string, route: string, cluster: string, host: string): RequestFacts {
  const f = new RequestFacts();
  f.serviceHost = serviceHost; f.serviceName = serviceHost.length > 0 ? "ratings" : ""; f.serviceNamespace = serviceHost.length > 0 ? "default" : "";
  f.routeName = route; f.clusterName = cluster; f.hostHeader = host;
  return f;
}
function sameForAnyHost(serviceHost: string, route: string, cluster: string): bool {
  for (let r = 0; r < 2; r++) {
    const role = r == 0 ? Role.Source : Role.Destination;
    const a = labels(role, facts(serviceHost, route, cluster, "a.example:80"), productpage(), ratings());
    const b = labels(role, facts(serviceHost, route, cluster, ""), productpage(), ratings());
    for (let i = 0; i < TAG_COUNT; i++) if (a[i] != b[i]) return false;
  }
  return true;
}

describe("istio_stats Host header need", () => {
  it("is not needed when the cluster's service metadata decides destination_service", () => {
    const f = facts("ratings.default.svc.cluster.local", "default", "outbound|9080||ratings.default.svc.cluster.local", "");
    expect(hostHeaderMatters(f)).toBe(false);
    expect(sameForAnyHost("ratings.default.svc.cluster.local", "default", "outbound|9080||ratings.default.svc.cluster.local")).toBe(true);
  });
  it("is needed without service metadata, for catch-all routes and for catch-all clusters", () => {
    expect(hostHeaderMatters(facts("", "default", "outbound|9080||ratings", ""))).toBe(true);
    expect(sameForAnyHost("", "default", "outbound|9080||ratings")).toBe(false);
    expect(hostHeaderMatters(facts("ratings.default.svc.cluster.local", "allow_any", "x", ""))).toBe(true);
    expect(sameForAnyHost("ratings.default.svc.cluster.local", "allow_any", "x")).toBe(false);
    expect(hostHeaderMatters(facts("ratings.default.svc.cluster.local", "block_all", "x", ""))).toBe(true);
    expect(hostHeaderMatters(facts("ratings.default.svc.cluster.local", "default", "PassthroughCluster", ""))).toBe(true);
    expect(sameForAnyHost("ratings.default.svc.cluster.local", "default", "PassthroughCluster")).toBe(false);
  });
});
