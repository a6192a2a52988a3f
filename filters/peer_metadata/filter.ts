// Metadata exchange (Istio's istio.metadata_exchange / envoy.filters.http.peer_metadata and the TCP
// metadata_exchange network filter) for stock Envoy.
//
//   PeerMetadataRoot      HTTP root (root_id "peer_metadata"): configuration, this proxy's own
//                         header value (computed once), the peer cache, the workload table and
//                         its refresh (tick + proxy_http_call + shared data).
//   PeerMetadataStream    one HTTP request: request headers = downstream discovery, strip,
//                         upstream propagation; response headers = upstream discovery, strip,
//                         downstream propagation.
//   PeerMetadataTcpRoot   network root (root_id "peer_metadata_tcp"): same configuration, plus
//                         the exchange frame this side writes.
//   PeerMetadataTcpStream one connection: our frame leads the first bytes towards the peer, the
//                         peer's frame is drained from the first bytes from it (either side may
//                         speak first), discovery on mismatch, a timeout for a stalled partial frame.
import {
  Context, RootContext, HeadersStatus, NetworkStatus, registerRootContext,
} from "../../shared/abi/context";
import {
  HeaderMap, BufferType, LogLevel, logEnabled, log, replaceHeaderBytes, getBufferBytes, setBufferBytes,
  getPropertyView, viewEquals, getPropertyI64, getPropertyBool, propertyPath, setTickPeriodMillis, httpCall, getHeader,
  getSharedData, setSharedData, nowNanos, bumpCounter, recordMetric, WasmResult, setEffectiveContext, continueStream, StreamType,
} from "../../shared/abi/host";
import { HeaderPair } from "../../shared/abi/pairs";
import { parseJsonDeferring, JsonKind } from "../../shared/codec/json";
import { readLocalNode } from "../../shared/peer/local";
import { peerFromNode, localExchange } from "../../shared/peer/exchange";
import { PeerSide, writeNoPeer, writePeerBytes } from "../../shared/peer/filter_state";
import { parseConfig, PeerMetadataConfig, Method, TcpDirection } from "./config";
import { encodeHeaderValue } from "./header_value";
import { HttpCounters, TcpCounters } from "./counters";
import { DiscoveryEnv, Seen, discover, stripHeaders, discoverFromWorkloads, Outcome } from "./discovery";
import { buildFrame, parseFrame, FrameStatus, FRAME_HEADER_BYTES } from "./tcp_frame";
import { WorkloadTable } from "./workloads";

const LISTENER_DIRECTION = propertyPath(["xds", "listener_direction"]);
const LISTENER_DIRECTION_OLD = propertyPath(["listener_direction"]);
const CLUSTER_NAME = propertyPath(["xds", "cluster_name"]);
const CLUSTER_EXTERNAL = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "external"]);
const CLUSTER_DISABLE_MX = propertyPath(["xds", "cluster_metadata", "filter_metadata", "istio", "disable_mx"]);
const PASSTHROUGH_CLUSTER = String.UTF8.encode("PassthroughCluster");

/** Which steps run for a request (fixed by config, or chosen per listener direction in auto mode). */
class Plan {
  // Decided once, not per request: whether each side runs discovery, and strips (it reads the headers).
  discoverDown: bool;
  discoverUp: bool;
  stripDown: bool;
  stripUp: bool;
  constructor(
    public down: Array<Method>,
    public up: Array<Method>,
    public downPropagation: bool,
    public upPropagation: bool,
  ) {
    this.discoverDown = down.length > 0;
    this.discoverUp = up.length > 0;
    this.stripDown = down.includes(Method.IstioHeaders);
    this.stripUp = up.includes(Method.IstioHeaders);
  }
}

function both(): Array<Method> { return [Method.IstioHeaders, Method.WorkloadDiscovery]; }
function none(): Array<Method> { return new Array<Method>(); }

function listenerDirection(): i64 {
  const d = getPropertyI64(LISTENER_DIRECTION, -1);
  return d >= 0 ? d : getPropertyI64(LISTENER_DIRECTION_OLD, 0);
}

/** State both roots build at configure time. */
class Shared {
  cfg: PeerMetadataConfig = new PeerMetadataConfig();
  env: DiscoveryEnv = new DiscoveryEnv();
  ownValue: ArrayBuffer = new ArrayBuffer(0);
  ownId: ArrayBuffer = new ArrayBuffer(0);
  frame: ArrayBuffer = new ArrayBuffer(0);
  /** This proxy's node (xds.node) was readable: only then are exchange headers and frames sent. */
  exchanging: bool = false;
  dynamicCas: u32 = 0;
}

/** Parses configuration and computes this proxy's exchange data. Returns "" or "field\nwhy". */
function configure(root: RootContext, size: u32, s: Shared): bool {
  const r = parseConfig(root.pluginConfiguration(size));
  if (r.config === null) return root.configError(r.field, r.why);
  const cfg = r.config!;
  const node = readLocalNode();
  // Istio's filter always has a node (LocalInfo); a host that cannot give one gets no exchange
  // headers or frame from us rather than an empty id and payload claiming to be a peer.
  if (!node.found && logEnabled(LogLevel.Warn)) log(LogLevel.Warn, root.rootId + ": node metadata not readable (xds.node); not sending exchange headers or frames");
  const self = peerFromNode(node.metadata, node.id, cfg.additionalLabels);
  const exchange = localExchange(node.metadata, self, cfg.exchangeKeys);
  s.cfg = cfg;
  s.exchanging = node.found;
  s.ownValue = String.UTF8.encode(encodeHeaderValue(exchange));
  s.ownId = String.UTF8.encode(node.id);
  s.frame = buildFrame(exchange, node.id);
  s.env.configure(cfg);
  if (logEnabled(LogLevel.Debug)) {
    log(LogLevel.Debug, root.rootId + ": exchanging " + (cfg.exchangeKeys == 1 ? "full" : "minimal") + " key set as " +
      cfg.metadataHeader + " (" + s.ownValue.byteLength.toString() + " bytes); " + cfg.workloads.size.toString() + " configured workload addresses");
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Workload table refresh: one fetch per proxy per interval (a lease in shared data), every worker
// VM picks the result up from shared data on its next tick.

function syncSharedTable(root: RootContext, s: Shared): void {
  const key = s.cfg.discovery.sharedKey;
  const d = getSharedData(key);
  if (d.result != WasmResult.Ok || d.value === null || d.cas == s.dynamicCas) return;
  s.dynamicCas = d.cas;
  const err = loadTableBody(s.env.dynamicTable, d.value!, s.cfg);
  if (err.length > 0 && logEnabled(LogLevel.Warn)) log(LogLevel.Warn, root.rootId + ": shared workload table rejected: " + err);
  const c = s.env.counters;
  if (c !== null && c.workloads != 0) recordMetric(c.workloads, <u64>(s.env.dynamicTable.size + s.env.staticTable.size));
}

/** Loads `{"workloads":[...]}` (or a bare array) into `table`; "" or the error. */
export function loadTableBody(table: WorkloadTable, body: ArrayBuffer, cfg: PeerMetadataConfig): string {
  const text = String.UTF8.decode(body);
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 0x20) start++;
  if (start >= text.length || text.charCodeAt(start) != 0x5b) {
    const r = parseJsonDeferring(text, "workloads");
    if (!r.ok) return "invalid JSON: " + r.error;
    if (r.value!.kind != JsonKind.Object || r.deferredStart < 0) return "expected {\"workloads\": [...]}";
    start = r.deferredStart;
  }
  const err = table.loadText(text, start, cfg.additionalLabels, cfg.trustDomain);
  if (err.startsWith("!")) return "invalid JSON: " + err.substring(1);
  return err.length > 0 ? "workloads" + err : "";
}

function maybeFetch(root: RootContext, s: Shared, pending: u32): u32 {
  const dc = s.cfg.discovery;
  if (dc.cluster.length == 0 || pending != 0) return pending;
  const leaseKey = dc.sharedKey + ".lease";
  const now = nowNanos();
  const lease = getSharedData(leaseKey);
  let cas: u32 = 0;
  if (lease.result == WasmResult.Ok && lease.value !== null && lease.value!.byteLength == 8) {
    const last = load<u64>(changetype<usize>(lease.value!));
    if (now - last < <u64>dc.refreshMs * 1000000) return 0;
    cas = lease.cas;
  }
  const stamp = new ArrayBuffer(8);
  store<u64>(changetype<usize>(stamp), now);
  // Another worker took the lease since we read it: it fetches, we read its result later.
  if (setSharedData(leaseKey, stamp, cas) != WasmResult.Ok) return 0;
  const headers = [
    new HeaderPair(":method", "GET"), new HeaderPair(":path", dc.path),
    new HeaderPair(":authority", dc.authority), new HeaderPair("accept", "application/json"),
  ];
  const token = httpCall(dc.cluster, headers, null, [], <u32>dc.timeoutMs);
  if (token == 0) {
    const c = s.env.counters;
    if (c !== null) bumpCounter(c.fetchFailed, 1);
    if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, root.rootId + ": workload_discovery.cluster \"" + dc.cluster + "\": http_call refused");
  }
  return token;
}

function onFetched(root: RootContext, s: Shared, bodySize: u32): void {
  const c = s.env.counters;
  const status = getHeader(HeaderMap.HttpCallResponseHeaders, ":status");
  const body = getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize);
  if (status === null || status != "200" || body === null) {
    if (c !== null) bumpCounter(c.fetchFailed, 1);
    if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, root.rootId + ": workload table fetch failed (status " + (status === null ? "none" : status!) + ")");
    return;
  }
  // Validate before publishing so one bad response cannot empty every worker's table.
  const check = new WorkloadTable();
  const err = loadTableBody(check, body!, s.cfg);
  if (err.length > 0) {
    if (c !== null) bumpCounter(c.fetchFailed, 1);
    if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, root.rootId + ": workload table rejected: " + err);
    return;
  }
  setSharedData(s.cfg.discovery.sharedKey, body!, 0);
  if (c !== null) bumpCounter(c.fetchOk, 1);
  syncSharedTable(root, s);
}

/**
 * What the HTTP and TCP roots share: configuration state, and the workload table kept in sync with
 * shared data (and, when a control endpoint is configured, refreshed on the tick).
 */
class DiscoveryRoot extends RootContext {
  onValidateConfiguration(size: u32): bool {
    const r = parseConfig(this.pluginConfiguration(size));
    return r.config !== null ? true : this.configError(r.field, r.why);
  }

  s: Shared = new Shared();
  pendingFetch: u32 = 0;

  /** After a successful configure: pick up the table other workers loaded and start polling if configured. */
  startDiscovery(): void {
    syncSharedTable(this, this.s);
    if (this.s.cfg.discovery.cluster.length > 0) setTickPeriodMillis(<u32>min(this.s.cfg.discovery.refreshMs, 1000));
  }

  onTick(): void {
    syncSharedTable(this, this.s);
    this.pendingFetch = maybeFetch(this, this.s, this.pendingFetch);
  }

  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
    if (token != this.pendingFetch) return;
    this.pendingFetch = 0;
    onFetched(this, this.s, bodySize);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP

class PeerMetadataRoot extends DiscoveryRoot {
  plans: StaticArray<Plan> = [new Plan(none(), none(), false, false), new Plan(none(), none(), false, false), new Plan(none(), none(), false, false)];
  fixed: Plan | null = null;

  onConfigure(size: u32): bool {
    if (!configure(this, size, this.s)) return false;
    const cfg = this.s.cfg;
    if (this.s.env.counters === null) this.s.env.counters = new HttpCounters();
    if (cfg.auto) {
      // Wasm-era behaviour (proxy@release-1.11 plugin.cc): inbound answers and reads downstream,
      // outbound sends and reads upstream; unspecified (gateways) does both.
      this.fixed = null;
      this.plans[0] = new Plan(both(), both(), true, true);
      this.plans[1] = new Plan(both(), none(), true, false);
      this.plans[2] = new Plan(none(), both(), false, true);
    } else {
      this.fixed = new Plan(cfg.downstreamDiscovery, cfg.upstreamDiscovery, cfg.downstreamPropagation, cfg.upstreamPropagation);
    }
    this.startDiscovery();
    return true;
  }

  plan(): Plan {
    const f = this.fixed;
    if (f !== null) return f;
    const d = listenerDirection();
    return this.plans[d == 1 ? 1 : d == 2 ? 2 : 0];
  }

  /** skip_external_clusters / disable_mx: Istio sends nothing to such clusters. */
  skipUpstream(): bool {
    if (!this.s.cfg.skipExternalClusters) return false;
    if (getPropertyBool(CLUSTER_DISABLE_MX, false) || getPropertyBool(CLUSTER_EXTERNAL, false)) return true;
    return viewEquals(getPropertyView(CLUSTER_NAME), PASSTHROUGH_CLUSTER);
  }

  createContext(id: u32): Context { return new PeerMetadataStream(id, this); }
}

class PeerMetadataStream extends Context {
  /** Seen bits of the request's exchange headers: downstream propagation answers only those. */
  asked: u32 = 0;
  plan: Plan | null = null;

  onRequestHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    const root = changetype<PeerMetadataRoot>(this.root);
    const plan = root.plan();
    this.plan = plan;
    const env = root.s.env;
    if (plan.discoverDown) {
      discover(env, plan.down, HeaderMap.RequestHeaders, PeerSide.Downstream);
      this.asked = env.seen;
      if (plan.stripDown) stripHeaders(env, HeaderMap.RequestHeaders, 0);
    }
    if (plan.upPropagation && root.s.exchanging && !root.skipUpstream()) {
      replaceHeaderBytes(HeaderMap.RequestHeaders, env.mdName, root.s.ownValue);
      replaceHeaderBytes(HeaderMap.RequestHeaders, env.idName, root.s.ownId);
    }
    return HeadersStatus.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    const root = changetype<PeerMetadataRoot>(this.root);
    let plan = this.plan;
    if (plan === null) plan = root.plan();
    const env = root.s.env;
    if (plan!.discoverUp) {
      discover(env, plan!.up, HeaderMap.ResponseHeaders, PeerSide.Upstream);
      if (plan!.stripUp) stripHeaders(env, HeaderMap.ResponseHeaders, env.seen);
    }
    // Istio 1.6+: answer each header only if the request carried it (istio/istio#22546).
    if (plan!.downPropagation && root.s.exchanging) {
      if ((this.asked & Seen.MD) != 0) replaceHeaderBytes(HeaderMap.ResponseHeaders, env.mdName, root.s.ownValue);
      if ((this.asked & Seen.ID) != 0) replaceHeaderBytes(HeaderMap.ResponseHeaders, env.idName, root.s.ownId);
    }
    return HeadersStatus.Continue;
  }
}

// ---------------------------------------------------------------------------------------------
// TCP

class PeerMetadataTcpRoot extends DiscoveryRoot {
  counters: TcpCounters | null = null;
  /** Inbound connections holding an incomplete frame from downstream (see PeerMetadataTcpStream.read). */
  waiting: Array<PeerMetadataTcpStream> = new Array<PeerMetadataTcpStream>();
  waitTicking: bool = false;

  onConfigure(size: u32): bool {
    if (!configure(this, size, this.s)) return false;
    if (this.counters === null) this.counters = new TcpCounters();
    this.startDiscovery();
    return true;
  }

  createContext(id: u32): Context { return new PeerMetadataTcpStream(id, this); }

  /** Starts the frame-wait clock of a connection; ticks run while any connection waits. */
  startWait(c: PeerMetadataTcpStream): void {
    c.waitSince = nowNanos();
    this.waiting.push(c);
    if (!this.waitTicking) {
      this.waitTicking = true;
      const t = this.s.cfg.frameTimeoutMs;
      setTickPeriodMillis(<u32>max(5, min(250, t / 4)));
    }
  }

  onTick(): void {
    if (this.waiting.length > 0) this.expireWaits();
    super.onTick();
  }

  /**
   * Releases connections whose frame did not complete within tcp.frame_timeout_ms: their held
   * bytes go on unchanged (continue_stream(DOWNSTREAM) on that connection) and the peer falls back
   * to discovery. Without this a client whose first bytes happen to be a prefix of the magic and
   * which then waits for the server would stall for ever (Istio waits without bound).
   */
  expireWaits(): void {
    const now = nowNanos();
    const limit = <u64>this.s.cfg.frameTimeoutMs * 1000000;
    const keep = new Array<PeerMetadataTcpStream>();
    for (let i = 0; i < this.waiting.length; i++) {
      const c = this.waiting[i];
      if (c.readDone || c.closed) continue;
      if (now - c.waitSince < limit) { keep.push(c); continue; }
      setEffectiveContext(c.id);
      continueStream(StreamType.Downstream);
      const k = this.counters;
      if (k !== null) bumpCounter(k.frameTimeout, 1);
      c.giveUp();
    }
    this.waiting = keep;
    if (keep.length == 0 && this.waitTicking) {
      this.waitTicking = false;
      const dc = this.s.cfg.discovery;
      setTickPeriodMillis(dc.cluster.length > 0 ? <u32>min(dc.refreshMs, 1000) : 0);
    }
  }
}

/**
 * One connection. Istio's native filter writes its frame in front of the first bytes it sees in
 * either direction (onData or onWrite both call writeNodeMetadata, proxy@release-1.28
 * metadata_exchange.cc) and reads the peer's frame from the first bytes arriving in its read
 * direction. A Wasm filter can only put bytes in front of bytes travelling the same way, so here:
 *   - our frame goes in front of the first bytes going towards the peer (outbound: downstream data,
 *     which goes upstream; inbound: upstream data, which goes downstream), whichever side speaks
 *     first: for a server-first protocol (MySQL, SMTP) the server sidecar's frame leads the
 *     greeting, the client sidecar reads it and sends its own in front of the client's first bytes;
 *   - the peer's frame is read and drained from the first bytes coming from the peer;
 *   - once the peer's first bytes showed no frame, we send none (it does not run the exchange).
 */
class PeerMetadataTcpStream extends Context {
  /** Inbound (server side): the peer's frame arrives on downstream data, ours goes on upstream data. */
  inbound: bool = false;
  readDone: bool = false;
  found: bool = false;
  /** Our frame was written, or can no longer be (application bytes already flowed our way). */
  writeDone: bool = false;
  closed: bool = false;
  /** In the root's wait list since this time (ns), 0 when not waiting. */
  waitSince: u64 = 0;

  tcpRoot(): PeerMetadataTcpRoot { return changetype<PeerMetadataTcpRoot>(this.root); }

  onNewConnection(): NetworkStatus {
    const d = this.tcpRoot().s.cfg.tcpDirection;
    this.inbound = d == TcpDirection.Auto ? listenerDirection() == 1 : d == TcpDirection.Inbound;
    return NetworkStatus.Continue;
  }

  side(): PeerSide { return this.inbound ? PeerSide.Downstream : PeerSide.Upstream; }

  /** Reads the peer's frame from `buffer`; returns StopIteration while it is incomplete. */
  read(buffer: BufferType, size: u32, endOfStream: bool): NetworkStatus {
    const root = this.tcpRoot();
    const cfg = root.s.cfg;
    // Only the frame can matter: never copy more than a maximal frame out of a large first read.
    const want = min<u32>(size, <u32>(FRAME_HEADER_BYTES + cfg.maxFrameBytes));
    const data = getBufferBytes(buffer, 0, want);
    if (data === null) return NetworkStatus.Continue;
    const r = parseFrame(data!, cfg.maxFrameBytes, root.s.env.transcoder);
    if (r.status == FrameStatus.NeedMore) {
      if (!endOfStream && want == size) {
        // Downstream bytes held here can be released later (continue_stream); upstream bytes
        // cannot (continue_stream(UPSTREAM) is unimplemented in Envoy), so only inbound waits are timed.
        if (this.inbound && this.waitSince == 0 && cfg.frameTimeoutMs > 0) root.startWait(this);
        return NetworkStatus.StopIteration;
      }
      // The peer closed mid-frame: give up and let the bytes through, as Istio does.
      this.giveUp();
      return NetworkStatus.Continue;
    }
    this.readDone = true;
    if (r.status == FrameStatus.Done) {
      setBufferBytes(buffer, 0, <u32>r.consumed, new ArrayBuffer(0));
      writePeerBytes(this.side(), r.state!, r.id);
      this.found = true;
      return NetworkStatus.Continue;
    }
    const c = root.counters;
    if (c !== null) c.reject(r.reason);
    this.giveUp();
    return NetworkStatus.Continue;
  }

  /** No frame: try workload discovery, else record "no peer". */
  giveUp(): void {
    this.readDone = true;
    const root = this.tcpRoot();
    if (discoverFromWorkloads(root.s.env, this.side()) == Outcome.Found) {
      this.found = true;
      const c = root.counters;
      if (c !== null) bumpCounter(c.discoveryHit, 1);
      return;
    }
    writeNoPeer(this.side());
  }

  /** Prepends our frame to `buffer`: the first bytes going towards the peer. */
  write(buffer: BufferType): void {
    if (this.writeDone) return;
    this.writeDone = true;
    // The peer's first bytes carried no frame: it does not run the exchange, so our frame would
    // reach its application (Istio gates on ALPN for this; see README, ALPN).
    if (this.readDone && !this.found) return;
    const root = this.tcpRoot();
    // Without our own node (xds.node unreadable) there is nothing to announce.
    if (!root.s.exchanging) return;
    setBufferBytes(buffer, 0, 0, root.s.frame);
    const c = root.counters;
    if (c !== null) bumpCounter(c.metadataAdded, 1);
  }

  onDownstreamData(dataSize: u32, endOfStream: bool): NetworkStatus {
    if (this.inbound) return this.readDone ? NetworkStatus.Continue : this.read(BufferType.DownstreamData, dataSize, endOfStream);
    if (!this.writeDone && (dataSize > 0 || endOfStream)) this.write(BufferType.DownstreamData);
    return NetworkStatus.Continue;
  }

  onUpstreamData(dataSize: u32, endOfStream: bool): NetworkStatus {
    if (!this.inbound) return this.readDone ? NetworkStatus.Continue : this.read(BufferType.UpstreamData, dataSize, endOfStream);
    if (!this.writeDone && (dataSize > 0 || endOfStream)) this.write(BufferType.UpstreamData);
    return NetworkStatus.Continue;
  }

  onDone(): void {
    this.closed = true;
    // Closed before the peer's frame arrived: the stats filter must not wait forever.
    if (!this.readDone) this.giveUp();
  }
}

registerRootContext((id: u32): RootContext => new PeerMetadataRoot(id), "peer_metadata");
registerRootContext((id: u32): RootContext => new PeerMetadataTcpRoot(id), "peer_metadata_tcp");
