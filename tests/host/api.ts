// The seam between the two halves of the test host, written first so both can be built at once.
//
//   wasm side (tests/host/wasm/*)  = Envoy's wasm filter + proxy-wasm cpp-host: loads modules with
//                                    Envoy's link rules, runs VMs per worker, implements every
//                                    host function, serves properties from StreamInfo, keeps stats.
//   proxy side (tests/host/proxy/*) = Envoy's HCM/router/tcp_proxy/listeners/clusters/admin: reads
//                                    the bootstrap YAML, serves real traffic, drives filters
//                                    through the interfaces below, formats /stats/prometheus.
//
// Neither side reaches into the other's files; they meet only here.

// ---------------------------------------------------------------------------------------------
// Header maps as Envoy holds them: ordered, lower-case keys, duplicates allowed, pseudo-headers first.
export type HeaderList = Array<[string, string]>;

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** envoy.extensions.wasm.v3.PluginConfig, already decoded from the bootstrap. */
export interface PluginConfig {
  name: string;
  rootId: string;
  vmId: string;
  /** raw bytes of vm_config.code.local.filename */
  code: Uint8Array;
  codePath: string;
  runtime: string;                      // "envoy.wasm.runtime.v8"
  vmConfiguration: Uint8Array;          // VM_CONFIGURATION buffer (StringValue unwrapped)
  configuration: Uint8Array;            // PLUGIN_CONFIGURATION buffer (StringValue unwrapped)
  failurePolicy: FailurePolicy;         // fail_open: true => FAIL_OPEN
  allowOnHeadersStopIteration: boolean;
  environment: Record<string, string>;  // vm_config.environment_variables.key_values
  allowedCapabilities?: string[];       // capability_restriction_config, if set
}

/** Envoy node identity and metadata (bootstrap `node`). */
export interface NodeInfo {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;    // google.protobuf.Struct as JSON
}

/** Peer/connection facts the proxy knows about a downstream connection or upstream host. */
export interface ConnectionInfo {
  id: number;                           // connection.id
  sourceAddress: string;                // "127.0.0.1:41234"
  destinationAddress: string;           // local address the listener accepted on
  mtls: boolean;
  requestedServerName: string;
  tlsVersion: string;                   // "" without TLS, else e.g. "TLSv1.3"
  uriSanPeerCertificate: string[];
  uriSanLocalCertificate: string[];
  dnsSanPeerCertificate: string[];
  subjectPeerCertificate: string;
  sha256PeerCertificateDigest: string;
}

export interface UpstreamInfo {
  address: string;                      // "127.0.0.1:8080"
  localAddress: string;
  clusterName: string;
  clusterMetadata: Record<string, unknown>;   // cluster.metadata.filter_metadata as JSON
  hostMetadata: Record<string, unknown>;      // endpoint metadata.filter_metadata as JSON
  tlsVersion: string;
  uriSanPeerCertificate: string[];
  /** upstream.uri_san_local_certificate: our own certificate on the upstream TLS connection (added by the proxy side). */
  uriSanLocalCertificate?: string[];
  /** The upstream connection's filter state (Envoy UpstreamInfo::upstreamFilterState), if the proxy side keeps one. */
  filterState?: Map<string, Uint8Array>;
}

/**
 * Everything Envoy's StreamInfo offers to proxy_get_property for one HTTP stream or TCP connection.
 * The proxy side fills it progressively; the wasm side only reads it (and writes filterState).
 */
export interface StreamInfo {
  connection: ConnectionInfo;
  listenerDirection: "INBOUND" | "OUTBOUND" | "UNSPECIFIED";   // xds.listener_direction (1 / 2 / 0)
  listenerMetadata: Record<string, unknown>;
  routeName: string;
  routeMetadata: Record<string, unknown>;
  virtualHostName: string;
  filterChainName: string;
  upstream?: UpstreamInfo;              // set once the router/tcp_proxy picked a host
  protocol: string;                     // "HTTP/1.1" | "HTTP/2" | "" for TCP
  startTimeNs: bigint;                  // request.time
  requestBytes: number;                 // request.size (body bytes so far)
  requestTotalBytes: number;
  responseCode?: number;                // response.code
  responseCodeDetails: string;          // response.code_details (e.g. "via_upstream", "wasm_fail_stream")
  responseFlags: string[];              // Envoy short flags ("UH", "UF", "NR", "DC", ...)
  responseBytes: number;
  responseTotalBytes: number;
  /** The stream's gRPC status (Envoy Grpc::Common::getGrpcStatus): grpc-status trailer, else header (trailers-only),
   *  else httpToGrpcStatus(responseCode); -1 for an invalid value. Set by the proxy side before log(). The wasm side
   *  computes response.grpc_status from the header maps it can see, as Envoy's CEL attribute does. */
  grpcStatus?: number;
  bytesReceived: number;                // TCP: downstream -> upstream bytes
  bytesSent: number;                    // TCP: upstream -> downstream bytes
  durationNs?: bigint;                  // set at completion
  /** Filter state: "wasm.<name>" -> bytes, written by proxy_set_property; visible to later filters. */
  filterState: Map<string, Uint8Array>;
  /** Dynamic metadata: filter namespace -> Struct JSON. */
  dynamicMetadata: Record<string, Record<string, unknown>>;
}

// ---------------------------------------------------------------------------------------------
// Envoy's filter statuses as the proxy side sees them (after cpp-host/Envoy conversion).
export type HeadersStatus = "Continue" | "StopIteration" | "StopAllIterationAndBuffer" | "StopAllIterationAndWatermark";
export type DataStatus = "Continue" | "StopIterationAndBuffer" | "StopIterationAndWatermark" | "StopIterationNoBuffer";
export type TrailersStatus = "Continue" | "StopIteration";
export type NetworkStatus = "Continue" | "StopIteration";

/** What a filter asks of the filter manager; the wasm side calls these AFTER the VM call returns (deferred, as Envoy). */
export interface HttpFilterCallbacks {
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(status: number, body: Uint8Array, headers: HeaderList, grpcStatus: number | undefined, details: string): void;
  resetStream(details: string): void;
  /** The live header maps the filter may mutate while they are available (Envoy's pointers). */
  requestHeaders(): HeaderList | undefined;
  responseHeaders(): HeaderList | undefined;
  requestTrailers(): HeaderList | undefined;
  responseTrailers(): HeaderList | undefined;
  /** Creates (if absent) empty trailers from a body callback at end of stream (Envoy addDecodedTrailers). */
  addRequestTrailers(): HeaderList;
  addResponseTrailers(): HeaderList;
  /** The body Envoy currently buffers for this direction (mutable), or undefined. */
  requestBody(): Buffer | undefined;
  responseBody(): Buffer | undefined;
  setRequestBody(b: Buffer): void;
  setResponseBody(b: Buffer): void;
  streamInfo: StreamInfo;
}

/** One Envoy HTTP filter instance for one stream (Envoy's Http::StreamFilter). */
export interface HttpFilter {
  decodeHeaders(headers: HeaderList, endStream: boolean): HeadersStatus;
  decodeData(data: Buffer, endStream: boolean): DataStatus;
  decodeTrailers(trailers: HeaderList): TrailersStatus;
  encodeHeaders(headers: HeaderList, endStream: boolean): HeadersStatus;
  encodeData(data: Buffer, endStream: boolean): DataStatus;
  encodeTrailers(trailers: HeaderList): TrailersStatus;
  /** Access-log phase (request complete): proxy_on_log. */
  log(): void;
  /** Filter destroyed: proxy_on_done, proxy_on_delete. */
  onDestroy(): void;
}

export interface NetworkFilterCallbacks {
  /** Resume reading after StopIteration (proxy_continue_stream(DOWNSTREAM)). */
  continueReading(): void;
  close(): void;
  streamInfo: StreamInfo;
}

/** One Envoy network filter instance for one connection (Network::Filter). data may be replaced via setData. */
export interface NetworkFilter {
  onNewConnection(): NetworkStatus;
  onData(data: { buf: Buffer }, endStream: boolean): NetworkStatus;    // downstream -> upstream
  onWrite(data: { buf: Buffer }, endStream: boolean): NetworkStatus;   // upstream -> downstream
  onEvent(event: "RemoteClose" | "LocalClose"): void;
  onUpstreamEvent?(event: "RemoteClose" | "LocalClose"): void;
}

// ---------------------------------------------------------------------------------------------
// What the proxy side provides to the wasm side.

export interface HttpCalloutResponse { headers: HeaderList; body: Uint8Array; trailers: HeaderList; }

export interface ClusterManager {
  has(cluster: string): boolean;
  /** Real HTTP to the cluster's endpoint. Rejects on connect failure/timeout/reset. timeoutMs 0 = none. */
  httpCall(cluster: string, headers: HeaderList, body: Uint8Array, trailers: HeaderList, timeoutMs: number): Promise<HttpCalloutResponse>;
}

export interface LogSink {
  /** level: 0 trace .. 5 critical (proxy_log levels). */
  log(level: number, message: string): void;
  /** the `wasm` logger level proxy_get_log_level reports (0..6). */
  level(): number;
}

// ---------------------------------------------------------------------------------------------
// What the wasm side provides to the proxy side.

export interface StatsTagRule { tagName: string; regex?: string; fixedValue?: string; }

export interface StatsStore {
  /** Envoy-native stat helpers for the proxy side (e.g. "http.ingress.downstream_rq_total"). */
  counterAdd(name: string, delta: number): void;
  gaugeSet(name: string, value: number): void;
  histogramRecord(name: string, value: number): void;
  /** Histograms become visible after a flush (Envoy: stats_flush_interval, default 5 s). */
  flush(): void;
  /** /stats/prometheus text, with Envoy's default tag extractors + the bootstrap's stats_tags. */
  prometheus(): string;
  /** /stats plain text ("name: value" lines). */
  text(): string;
}

export interface WasmRuntimeOptions {
  workers: number;                      // Envoy --concurrency: one VM per worker
  node: NodeInfo;
  clusters: ClusterManager;
  stats: StatsStore;
  log: LogSink;
  /**
   * The host's clock for proxy_get_current_time_nanoseconds, in ns since the epoch (default: the
   * system clock). Tests pass their own and advance it, then run the tick themselves
   * (WasmPlugin.tick), instead of sleeping through real time.
   */
  clock?: () => bigint;
}

/** A plugin loaded and configured on every worker (canary passed). */
export interface LoadedPlugin {
  readonly config: PluginConfig;
  newHttpFilter(worker: number, callbacks: HttpFilterCallbacks): HttpFilter;
  newNetworkFilter(worker: number, callbacks: NetworkFilterCallbacks): NetworkFilter;
  /** Stops ticks, runs on_done/on_delete on the roots. */
  shutdown(): Promise<void>;
}

export interface WasmRuntime {
  /** Throws an Error carrying Envoy's message when the module or its configuration is refused. */
  loadPlugin(config: PluginConfig, kind: "http" | "network"): Promise<LoadedPlugin>;
  shutdown(): Promise<void>;
}
