// istio_stats: Istio's standard metrics (istio_requests_total & co.) for stock Envoy.
//   root  (StatsRoot):   configuration, this proxy's own labels, istio_build, the TCP reporting tick
//   stream (StatsStream): HTTP — request headers (protocol, Host), access-log phase (record);
//                         TCP  — byte counts, periodic and final reports.
// One stream class serves both: Envoy calls HTTP callbacks on HTTP filters and network callbacks on
// network filters, so the same module works under root_id `istio_stats` and `istio_stats_tcp`.
import {
  Context, RootContext, HeadersStatus, NetworkStatus, TrailersStatus, registerRootContext, HeaderMap, MetricType,
  propertyPath, getPropertyBytes, getPropertyI64, getPropertyBool,
  getPropertyView, getHeaderView, viewPtr, viewEquals, viewStartsWith, viewCopy,
  defineMetric, recordMetric, setTickPeriodMillis, setEffectiveContext, WasmResult, LogLevel, logIf,
} from "../../shared/abi";
import { ProtoReader } from "../../shared/codec/protobuf";
import { Attributes, AttrRef, Value, SOURCE_PROPERTY, readProperty } from "../../shared/expr";
import { PeerMetadata, peerFromEndpointMetadata, workloadTypeName } from "../../shared/peer/peer";
import { readLocalNode } from "../../shared/peer/local";
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { decodePeerState, PEER_UNKNOWN, DOWNSTREAM_PEER_KEY, UPSTREAM_PEER_KEY, DOWNSTREAM_PEER_ID_KEY, UPSTREAM_PEER_ID_KEY } from "../../shared/peer/filter_state";
import { parseConfig, StatsConfig, ReporterMode, roleFor, SOURCE_UPSTREAM_PEER, SOURCE_DOWNSTREAM_PEER, PeerField } from "./config";
import { Recorder } from "./recorder";
import { M } from "./metrics";
import { encodeField } from "./labels";
import { Role, RequestFacts, fillStandardLabels, responseFlagsString, hostHeaderMatters } from "./request_labels";

// Property paths, encoded once. Listener/cluster/route facts are Envoy's `xds.*` attributes (the
// Wasm-era top-level names `cluster_name`, `listener_direction`, ... are gone from current Envoy).
const P_LISTENER_DIRECTION = propertyPath(["xds", "listener_direction"]);
const P_RESPONSE_CODE = propertyPath(["response", "code"]);
const P_GRPC_STATUS = propertyPath(["response", "grpc_status"]);
const P_RESPONSE_FLAGS = propertyPath(["response", "flags"]);
const P_DURATION = propertyPath(["request", "duration"]);
const P_REQUEST_TOTAL_SIZE = propertyPath(["request", "total_size"]);
const P_RESPONSE_TOTAL_SIZE = propertyPath(["response", "total_size"]);
const P_CONN_PEER_SAN = propertyPath(["connection", "uri_san_peer_certificate"]);
const P_CONN_LOCAL_SAN = propertyPath(["connection", "uri_san_local_certificate"]);
const P_UP_PEER_SAN = propertyPath(["upstream", "uri_san_peer_certificate"]);
const P_UP_LOCAL_SAN = propertyPath(["upstream", "uri_san_local_certificate"]);
const P_REQUEST_HOST = propertyPath(["request", "host"]);
const P_CLUSTER_NAME = propertyPath(["xds", "cluster_name"]);
const P_ROUTE_NAME = propertyPath(["xds", "route_name"]);
const P_SVC_HOST = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "host"]);
const P_SVC_NAME = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "name"]);
const P_SVC_NAMESPACE = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "services", "0", "namespace"]);
const P_ENDPOINT_WORKLOAD = propertyPath(["xds", "upstream_host_metadata", "filter_metadata", "istio", "workload"]);
const P_GRPC_STATS = propertyPath(["filter_state", "envoy.filters.http.grpc_stats"]);
const P_PEER: StaticArray<ArrayBuffer> = [propertyPath([DOWNSTREAM_PEER_KEY]), propertyPath([UPSTREAM_PEER_KEY])];
const P_PEER_ID: StaticArray<ArrayBuffer> = [propertyPath([DOWNSTREAM_PEER_ID_KEY]), propertyPath([UPSTREAM_PEER_ID_KEY])];
const UNKNOWN_ID = String.UTF8.encode(PEER_UNKNOWN);
const H_CONTENT_TYPE = String.UTF8.encode("content-type");
const H_GRPC_STATUS = String.UTF8.encode("grpc-status");
const GRPC_CONTENT_TYPE = String.UTF8.encode("application/grpc");
const DOWNSTREAM: i32 = 0;
const UPSTREAM: i32 = 1;

/**
 * A text property whose value rarely changes between requests (cluster, route, SANs): the value is
 * read as a view and compared in place with the last bytes, so a repeat allocates and decodes
 * nothing and returns the same string (label comparisons then hit on the pointer).
 */
class TextProperty {
  bytes: ArrayBuffer = new ArrayBuffer(0);
  value: string = "";
  constructor(public path: ArrayBuffer) {}
  read(): string {
    const n = getPropertyView(this.path);
    if (n < 0) return "";
    if (viewEquals(n, this.bytes)) return this.value;
    this.bytes = viewCopy(n);
    this.value = String.UTF8.decode(this.bytes);
    return this.value;
  }
}

const enum PeerState { Pending = 0, Found = 1, NotFound = 2 }

/** Decoded peers keyed by their filter-state bytes: a repeat peer costs one read and one in-place compare. */
class PeerCache {
  bytes: ArrayBuffer = new ArrayBuffer(0);
  peer: PeerMetadata | null = null;
  state: PeerState = PeerState.Pending;

  read(side: i32): PeerMetadata | null {
    const n = getPropertyView(unchecked(P_PEER[side]));
    if (n > 0) {
      if (this.peer !== null && viewEquals(n, this.bytes)) { this.state = PeerState.Found; return this.peer; }
      const b = viewCopy(n);
      const p = decodePeerState(b);
      if (p !== null) { this.bytes = b; this.peer = p; this.state = PeerState.Found; return p; }
    }
    this.state = viewEquals(getPropertyView(unchecked(P_PEER_ID[side])), UNKNOWN_ID) ? PeerState.NotFound : PeerState.Pending;
    return null;
  }
}

export class StatsRoot extends RootContext {
  config: StatsConfig = new StatsConfig();
  recorder: Recorder | null = null;
  local: PeerMetadata = new PeerMetadata();
  /** Open TCP connections and gRPC streams: reported on every tick. */
  liveStreams: Array<StatsStream> = new Array<StatsStream>();
  peers: StaticArray<PeerCache> = [new PeerCache(), new PeerCache()];
  facts: RequestFacts = new RequestFacts();
  attrs: StreamAttributes = new StreamAttributes();
  buildGauge: u32 = 0;
  upPeerSan: TextProperty = new TextProperty(P_UP_PEER_SAN);
  upLocalSan: TextProperty = new TextProperty(P_UP_LOCAL_SAN);
  connPeerSan: TextProperty = new TextProperty(P_CONN_PEER_SAN);
  connLocalSan: TextProperty = new TextProperty(P_CONN_LOCAL_SAN);
  clusterName: TextProperty = new TextProperty(P_CLUSTER_NAME);
  routeName: TextProperty = new TextProperty(P_ROUTE_NAME);
  svcHost: TextProperty = new TextProperty(P_SVC_HOST);
  svcName: TextProperty = new TextProperty(P_SVC_NAME);
  svcNamespace: TextProperty = new TextProperty(P_SVC_NAMESPACE);
  serviceOfCluster: string = "";
  serviceKnown: bool = false;
  serviceHost: string = "";
  serviceName: string = "";
  serviceNamespace: string = "";
  /** listener_direction once seen (a root context serves the listener its filter config is on). */
  direction: i64 = 0;
  authority: TextProperty = new TextProperty(P_REQUEST_HOST);
  /** The last endpoint-metadata peer (client-side fallback) and the bytes it was decoded from. */
  endpointBytes: ArrayBuffer = new ArrayBuffer(0);
  endpointPeer: PeerMetadata | null = null;
  endpointKnown: bool = false;

  onValidateConfiguration(size: u32): bool {
    const r = parseConfig(this.pluginConfiguration(size));
    return r.ok ? true : this.configError(r.field, r.why);
  }

  onConfigure(size: u32): bool {
    const r = parseConfig(this.pluginConfiguration(size));
    if (!r.ok) return this.configError(r.field, r.why);
    this.config = r.config!;
    // What Istio's filter logs and skips (istio_stats.cc: "Failed to parse expression", "Tag is not standard", ...).
    for (let i = 0; i < this.config.warnings.length; i++) logIf(LogLevel.Warn, this.rootId + ": " + this.config.warnings[i]);
    this.recorder = new Recorder(this.config);
    this.loadLocal();
    setTickPeriodMillis(this.config.tcpReportingMs);
    return true;
  }

  /** This proxy's labels from its node metadata, and istio_build{component="proxy",tag=ISTIO_VERSION}. */
  private loadLocal(): void {
    const node = readLocalNode();
    // Istio's native filter takes this proxy's labels from node metadata as they are (istio_stats.cc
    // Context: WORKLOAD_NAME, NAMESPACE, LABELS[canonical-name|canonical-revision|app|version],
    // CLUSTER_ID), with no fallbacks: an absent key is an empty label.
    const md = node.metadata;
    const l = new PeerMetadata();
    l.workload = md.getString("WORKLOAD_NAME", "");
    l.namespace = md.getString("NAMESPACE", "");
    l.cluster = md.getString("CLUSTER_ID", "");
    const labels = md.get("LABELS");
    l.canonicalService = labelOf(labels, "service.istio.io/canonical-name");
    l.canonicalRevision = labelOf(labels, "service.istio.io/canonical-revision");
    l.app = labelOf(labels, "app");
    l.version = labelOf(labels, "version");
    this.local = l;
    let version = node.metadata.getString("ISTIO_VERSION", "");
    if (version.length == 0) version = "unknown";
    // The Wasm plugin wrote `component.proxy.tag.<version>;.istio_build` (the SDK's dotted tags), but
    // the regexes that undo it, `(component\.(.+?)\.)` and `(tag\.(.+?);\.)`, also match inside
    // ordinary values ("frontend-tag.v2" before a `;.;`) and cannot be produced by Istio's
    // extraStatTags. The `=.=` form used for every other metric gives the same Prometheus series.
    if (this.buildGauge == 0) {
      this.buildGauge = defineMetric(MetricType.Gauge, encodeField("component", "proxy") + encodeField("tag", version) + "istio_build");
      if (this.buildGauge != 0) recordMetric(this.buildGauge, 1);
    }
  }

  onTick(): void {
    // A tick runs in the root context; stream properties (filter state, connection) are readable
    // only after making the connection's context the effective one.
    for (let i = 0; i < this.liveStreams.length; i++) {
      const s = this.liveStreams[i];
      if (setEffectiveContext(s.id) != WasmResult.Ok) continue;
      if (s.isTcp) s.reportTcp(false);
      else s.reportGrpcTick();
    }
    setEffectiveContext(this.id);
  }

  createContext(id: u32): Context { return new StatsStream(id, this); }

  /** The reporter role for the current stream. */
  role(): Role {
    if (this.config.reporter != ReporterMode.Auto) return roleFor(this.config.reporter, 0);
    let dir = this.direction;
    if (dir == 0) { dir = getPropertyI64(P_LISTENER_DIRECTION, 0); this.direction = dir; }
    // Without a listener direction, Istio's Wasm-era root ids tell the side (stats_inbound/_outbound).
    if (dir == 0 && this.rootId.includes("inbound")) dir = 1;
    return roleFor(ReporterMode.Auto, dir);
  }

  /**
   * The standard labels of one event, with the recorder started on it. The labels of recent events
   * are reused, and so are their resolved label sets for plans without expressions (event_cache.ts).
   */
  startEvent(rec: Recorder, role: Role, f: RequestFacts, peer: PeerMetadata | null, disableHostHeaderFallback: bool): StaticArray<string> {
    const cache = rec.events;
    let e = cache.find(role, f, this.local, peer, disableHostHeaderFallback);
    if (e === null) {
      e = cache.claim(role, f, this.local, peer, disableHostHeaderFallback);
      fillStandardLabels(e.std, role, f, this.local, peer, disableHostHeaderFallback);
    }
    rec.beginCached(e);
    return e.std;
  }

  /**
   * The Host header for the destination_service labels, only when they can use it: with the
   * fallback enabled, and the cluster's service metadata absent or overridden by a catch-all
   * route/cluster (hostHeaderMatters). `seen` is a value kept from on_request_headers; null reads
   * `request.host` now (on_log, as Istio's stats did: Envoy keeps the request headers for logging).
   */
  hostHeaderOf(f: RequestFacts, seen: string | null): string {
    if (this.config.disableHostHeaderFallback || !hostHeaderMatters(f)) return "";
    return seen !== null ? seen : this.authority.read();
  }

  /** Expression attributes for an event, or null when no plan evaluates an expression. */
  eventAttributes(rec: Recorder, role: Role, peer: PeerMetadata | null): Attributes | null {
    if (!rec.usesExpressions) return null;
    this.attrs.reset(this, role, peer);
    return this.attrs;
  }

  /** The peer for `role`: downstream on the server side, upstream on the client side (endpoint metadata fallback). */
  peerFor(role: Role): PeerMetadata | null {
    const side = role == Role.Source ? UPSTREAM : DOWNSTREAM;
    const cache = unchecked(this.peers[side]);
    const p = cache.read(side);
    if (p !== null || side == DOWNSTREAM) return p;
    const n = getPropertyView(P_ENDPOINT_WORKLOAD);
    if (n <= 0) return null;
    // Decoded once per distinct value: the same peer object for repeats keeps the event cache hitting.
    let fromEndpoint = this.endpointPeer;
    if (!this.endpointKnown || !viewEquals(n, this.endpointBytes)) {
      const ep = viewCopy(n);
      fromEndpoint = peerFromEndpointMetadata(String.UTF8.decode(ep));
      this.endpointBytes = ep;
      this.endpointPeer = fromEndpoint;
      this.endpointKnown = true;
    }
    if (fromEndpoint !== null) cache.state = PeerState.Found;
    return fromEndpoint;
  }
}

function labelOf(labels: JsonValue | null, key: string): string {
  if (labels === null || labels.kind != JsonKind.Object) return "";
  const v = labels.get(key);
  return v !== null && v.kind == JsonKind.String ? v.str : "";
}

/** Expression attributes for one event: Envoy properties, plus the peers as seen by this stream. */
class StreamAttributes extends Attributes {
  upstream: PeerMetadata | null = null;
  downstream: PeerMetadata | null = null;
  upstreamRead: bool = false;
  downstreamRead: bool = false;
  root: StatsRoot | null = null;

  reset(root: StatsRoot, role: Role, peer: PeerMetadata | null): void {
    this.root = root;
    this.upstreamRead = role == Role.Source;
    this.downstreamRead = role != Role.Source;
    this.upstream = role == Role.Source ? peer : null;
    this.downstream = role != Role.Source ? peer : null;
  }

  lookup(ref: AttrRef): Value | null {
    if (ref.source == SOURCE_PROPERTY) return readProperty(ref);
    if (ref.field == PeerField.Absent) return null;
    let p: PeerMetadata | null = null;
    if (ref.source == SOURCE_UPSTREAM_PEER) {
      if (!this.upstreamRead) { this.upstream = new PeerCache().read(UPSTREAM); this.upstreamRead = true; }
      p = this.upstream;
    } else if (ref.source == SOURCE_DOWNSTREAM_PEER) {
      if (!this.downstreamRead) { this.downstream = new PeerCache().read(DOWNSTREAM); this.downstreamRead = true; }
      p = this.downstream;
    }
    if (p === null) return null;
    let v = "";
    switch (ref.field) {
      case PeerField.Workload: v = p.workload; break;
      case PeerField.Namespace: v = p.namespace; break;
      case PeerField.Cluster: v = p.cluster; break;
      case PeerField.Service: v = p.canonicalService; break;
      case PeerField.Revision: v = p.canonicalRevision; break;
      case PeerField.App: v = p.app; break;
      case PeerField.Version: v = p.version; break;
      case PeerField.Identity: v = p.identity; break;
      case PeerField.Name: v = p.name; break;
      case PeerField.Type: v = workloadTypeName(p.workloadType); break;
      case PeerField.Label: {
        const key = ref.segments[1];
        if (key == "app") v = p.app;
        else if (key == "version") v = p.version;
        else if (key == "service.istio.io/canonical-name") v = p.canonicalService;
        else if (key == "service.istio.io/canonical-revision") v = p.canonicalRevision;
        else v = p.label(key);
        break;
      }
    }
    return v.length == 0 ? null : Value.str(v);
  }
}

export class StatsStream extends Context {
  grpc: bool = false;
  /** gRPC streams only: the Host header seen in on_request_headers. */
  host: string = "";
  live: bool = false;
  messagesDone: bool = false;
  reportedRequestMessages: u64 = 0;
  reportedResponseMessages: u64 = 0;
  /** grpc-status seen in response headers (trailers-only) or trailers; -1 none. */
  grpcStatusSeen: i64 = -1;
  // TCP
  isTcp: bool = false;
  received: u64 = 0;
  sent: u64 = 0;
  reportedReceived: u64 = 0;
  reportedSent: u64 = 0;
  opened: bool = false;
  finished: bool = false;

  get stats(): StatsRoot { return changetype<StatsRoot>(this.root); }

  // ---- HTTP
  onRequestHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    // Istio: gRPC is a request whose content-type starts with application/grpc (an ASCII prefix, so
    // comparing bytes equals decoding and testing startsWith).
    this.grpc = viewStartsWith(getHeaderView(HeaderMap.RequestHeaders, H_CONTENT_TYPE), GRPC_CONTENT_TYPE);
    // Istio reports gRPC message counts of long streams every tcp_reporting_duration too.
    if (this.grpc) {
      if (!this.live) { this.live = true; this.stats.liveStreams.push(this); }
      // Ticks cannot read request headers (Envoy drops them after this phase until on_log), and a
      // stream's tick and final reports must land on the same series: keep the Host now.
      if (!this.stats.config.disableHostHeaderFallback) this.host = this.stats.authority.read();
    }
    return HeadersStatus.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    if (this.grpc) this.captureGrpcStatus(HeaderMap.ResponseHeaders);
    return HeadersStatus.Continue;
  }

  onResponseTrailers(trailerCount: u32): TrailersStatus {
    if (this.grpc) this.captureGrpcStatus(HeaderMap.ResponseTrailers);
    return TrailersStatus.Continue;
  }

  /** Fallback for hosts without `response.grpc_status`: the grpc-status the upstream sent. */
  private captureGrpcStatus(map: HeaderMap): void {
    const n = getHeaderView(map, H_GRPC_STATUS);
    if (n < 1 || n > 2) return;
    const p = viewPtr();
    let v: i64 = 0;
    for (let i = 0; i < n; i++) {
      const c = <i32>load<u8>(p + i) - 0x30;
      if (c < 0 || c > 9) return;
      v = v * 10 + c;
    }
    this.grpcStatusSeen = v;
  }

  onLog(): void {
    if (this.isTcp) { this.reportTcp(true); return; }
    const root = this.stats;
    const rec = root.recorder;
    if (rec === null) return;
    const role = root.role();
    const peer = root.peerFor(role);
    const f = this.readFacts(role, root.facts);
    f.protocol = this.grpc ? "grpc" : "http";
    f.hostHeader = root.hostHeaderOf(f, this.grpc ? this.host : null);
    f.responseCode = getPropertyI64(P_RESPONSE_CODE, 0);
    f.grpcStatus = this.grpc ? getPropertyI64(P_GRPC_STATUS, this.grpcStatusSeen) : -1;
    const std = root.startEvent(rec, role, f, peer, root.config.disableHostHeaderFallback);
    const attrs = root.eventAttributes(rec, role, peer);
    rec.add(M.requests_total, 1, std, attrs);
    // Istio records the duration only when the request completed (StreamInfo::requestComplete());
    // Envoy's request.duration attribute is absent exactly then.
    const durationNs = getPropertyI64(P_DURATION, -1);
    if (durationNs >= 0) rec.sample(M.request_duration_milliseconds, <u64>(durationNs / 1000000), std, attrs);
    // Istio reads the downstream connection's wire bytes for this stream; Envoy exposes no such
    // attribute to Wasm, so these are request.total_size / response.total_size (headers + body as
    // Envoy counts them; see README.md, deliberate differences).
    rec.sample(M.request_bytes, <u64>max<i64>(getPropertyI64(P_REQUEST_TOTAL_SIZE, 0), 0), std, attrs);
    rec.sample(M.response_bytes, <u64>max<i64>(getPropertyI64(P_RESPONSE_TOTAL_SIZE, 0), 0), std, attrs);
    if (this.grpc) this.reportMessages(rec, std, attrs);
    this.messagesDone = true;
    if (rec.custom.length > 0) rec.recordCustom(std, attrs);
  }

  /** Message count deltas since the last report (grpc_stats filter state holds running totals). */
  private reportMessages(rec: Recorder, std: StaticArray<string>, attrs: Attributes | null): void {
    const counts = grpcMessageCounts(getPropertyBytes(P_GRPC_STATS));
    if (counts === null) return;
    if (counts[0] > this.reportedRequestMessages) rec.add(M.request_messages_total, counts[0] - this.reportedRequestMessages, std, attrs);
    if (counts[1] > this.reportedResponseMessages) rec.add(M.response_messages_total, counts[1] - this.reportedResponseMessages, std, attrs);
    this.reportedRequestMessages = max(counts[0], this.reportedRequestMessages);
    this.reportedResponseMessages = max(counts[1], this.reportedResponseMessages);
  }

  /** A tick while a gRPC stream is open: message counts so far, under the 20 peer labels. */
  reportGrpcTick(): void {
    if (this.messagesDone) return;
    const root = this.stats;
    const rec = root.recorder;
    if (rec === null) return;
    const role = root.role();
    const peer = root.peerFor(role);
    // Istio reports a stream's messages periodically only once the peer is known or known to be
    // absent (istio_stats.cc reportHelper: peerInfoRead); the rest goes out at the end.
    if (peer === null && unchecked(root.peers[role == Role.Source ? UPSTREAM : DOWNSTREAM]).state == PeerState.Pending) return;
    const f = this.readFacts(role, root.facts);
    f.protocol = "grpc";
    f.hostHeader = root.hostHeaderOf(f, this.host);
    const std = root.startEvent(rec, role, f, peer, root.config.disableHostHeaderFallback);
    const attrs = root.eventAttributes(rec, role, peer);
    this.reportMessages(rec, std, attrs);
  }

  /** Facts shared by HTTP and TCP: flags, principals, security policy, destination service inputs. */
  private readFacts(role: Role, f: RequestFacts): RequestFacts {
    f.responseFlags = responseFlagsString(getPropertyI64(P_RESPONSE_FLAGS, 0));
    const root = this.stats;
    // Principals as Istio's filter reads them: the client side from the upstream connection's
    // certificates, the server side from the downstream one's; nothing else (no identity is made up
    // for a side without a certificate: that label reports unknown).
    f.mtls = false;
    if (role == Role.Source) {
      f.peerPrincipal = root.upPeerSan.read();
      f.localPrincipal = root.upLocalSan.read();
      f.upstreamPeer = null;
    } else {
      f.peerPrincipal = root.connPeerSan.read();
      f.localPrincipal = root.connLocalSan.read();
      // a waypoint reports the destination the exchange found upstream
      f.upstreamPeer = role == Role.Waypoint ? unchecked(root.peers[UPSTREAM]).read(UPSTREAM) : null;
    }
    const cluster = root.clusterName.read();
    f.clusterName = cluster;
    f.routeName = this.isTcp ? "" : root.routeName.read();
    // Istio names clusters after the service (outbound|port|subset|host), so the service metadata
    // is read again only when the cluster changes.
    if (changetype<usize>(cluster) != changetype<usize>(root.serviceOfCluster) || !root.serviceKnown) {
      root.serviceOfCluster = cluster;
      root.serviceKnown = true;
      const host = cluster.length > 0 ? root.svcHost.read() : "";
      root.serviceHost = host;
      root.serviceName = host.length > 0 ? root.svcName.read() : "";
      root.serviceNamespace = host.length > 0 ? root.svcNamespace.read() : "";
    }
    f.serviceHost = root.serviceHost;
    f.serviceName = root.serviceName;
    f.serviceNamespace = root.serviceNamespace;
    f.responseCode = 0;
    f.grpcStatus = -1;
    f.hostHeader = "";
    return f;
  }

  // ---- TCP
  onNewConnection(): NetworkStatus {
    this.isTcp = true;
    if (!this.live) { this.live = true; this.stats.liveStreams.push(this); }
    return NetworkStatus.Continue;
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): NetworkStatus {
    this.isTcp = true;
    this.received += dataSize;
    return NetworkStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): NetworkStatus {
    this.isTcp = true;
    this.sent += dataSize;
    return NetworkStatus.Continue;
  }

  onDone(): void {
    if (this.isTcp) this.reportTcp(true);
  }

  onDelete(): void {
    if (!this.live) return;
    const list = this.stats.liveStreams;
    const i = list.indexOf(this);
    if (i >= 0) { list[i] = list[list.length - 1]; list.pop(); }
  }

  /**
   * Reports byte deltas (and `opened` once). Periodic reports wait while the metadata exchange has
   * not decided (Istio's "maybe waiting"); the final report at close always goes out.
   */
  reportTcp(final: bool): void {
    if (this.finished) return;
    const root = this.stats;
    const rec = root.recorder;
    if (rec === null) return;
    const role = root.role();
    const peer = root.peerFor(role);
    const side = role == Role.Source ? UPSTREAM : DOWNSTREAM;
    if (!final && peer === null && unchecked(root.peers[side]).state == PeerState.Pending) return;
    const f = this.readFacts(role, root.facts);
    f.protocol = "tcp";
    const std = root.startEvent(rec, role, f, peer, true);
    const attrs = root.eventAttributes(rec, role, peer);
    if (!this.opened) { rec.add(M.tcp_connections_opened_total, 1, std, attrs); this.opened = true; }
    rec.add(M.tcp_received_bytes_total, this.received - this.reportedReceived, std, attrs);
    rec.add(M.tcp_sent_bytes_total, this.sent - this.reportedSent, std, attrs);
    this.reportedReceived = this.received;
    this.reportedSent = this.sent;
    if (final) {
      rec.add(M.tcp_connections_closed_total, 1, std, attrs);
      if (rec.custom.length > 0) rec.recordCustom(std, attrs);
      this.finished = true;
    }
  }
}

/**
 * Message counts from Envoy's grpc_stats filter state (emit_filter_state: true): Istio's Wasm plugin
 * read "<request>,<response>"; Envoy's own serialization is the FilterObject proto
 * (request_message_count = 1, response_message_count = 2). Null when absent or unreadable.
 */
export function grpcMessageCounts(b: ArrayBuffer | null): StaticArray<u64> | null {
  if (b === null || b.byteLength == 0) return null;
  const out = new StaticArray<u64>(2);
  const s = String.UTF8.decode(b);
  const comma = s.indexOf(",");
  if (comma > 0 && isDigits(s.substring(0, comma)) && isDigits(s.substring(comma + 1))) {
    out[0] = U64.parseInt(s.substring(0, comma));
    out[1] = U64.parseInt(s.substring(comma + 1));
    return out;
  }
  const r = new ProtoReader(b);
  while (r.ok && !r.atEnd && r.tag()) {
    if (r.wireType == 0 && (r.field == 1 || r.field == 2)) out[r.field - 1] = r.varint();
    else r.skip();
  }
  return r.ok ? out : null;
}

function isDigits(s: string): bool {
  if (s.length == 0 || s.length > 19) return false;
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c < 0x30 || c > 0x39) return false; }
  return true;
}

registerRootContext((id: u32): RootContext => new StatsRoot(id), "istio_stats");
registerRootContext((id: u32): RootContext => new StatsRoot(id), "istio_stats_tcp");
