// Plugin configuration: the JSON form of Istio's io.istio.http.peer_metadata.Config plus this
// suite's own options (see config.proto and README.md). Parsing is plain code with no host calls,
// so specs exercise every error message.
import { parseJsonDeferring, JsonFields, JsonValue } from "../../shared/codec/json";
import { ExchangeKeySet } from "../../shared/peer/exchange";
import { WorkloadTable } from "./workloads";

export enum Method { IstioHeaders = 0, WorkloadDiscovery = 1 }

// Header names. Istio's real sidecars use the envoy pair; the design doc named the istio pair.
export const ISTIO_METADATA_HEADER = "x-istio-peer-metadata";
export const ISTIO_ID_HEADER = "x-istio-peer-id";
export const ENVOY_METADATA_HEADER = "x-envoy-peer-metadata";
export const ENVOY_ID_HEADER = "x-envoy-peer-metadata-id";

export const DEFAULT_CACHE_SIZE: i32 = 500;
export const DEFAULT_MAX_HEADER_BYTES: i32 = 8192;
export const DEFAULT_MAX_FRAME_BYTES: i32 = 65536;
export const DEFAULT_FRAME_TIMEOUT_MS: i32 = 1000;
export const DEFAULT_REFRESH_MS: i32 = 30000;
export const DEFAULT_FETCH_TIMEOUT_MS: i32 = 5000;

export enum TcpDirection { Auto = 0, Inbound = 1, Outbound = 2 }

export class DiscoveryConfig {
  /** Control endpoint polled with proxy_http_call; "" = table from config only. */
  cluster: string = "";
  path: string = "/workloads";
  authority: string = "workload-discovery";
  refreshMs: i32 = DEFAULT_REFRESH_MS;
  timeoutMs: i32 = DEFAULT_FETCH_TIMEOUT_MS;
  /** Shared-data key holding the fetched table (one copy per proxy, read by every worker VM). */
  sharedKey: string = "peer_metadata.workloads";
}

export class PeerMetadataConfig {
  downstreamDiscovery: Array<Method> = new Array<Method>();
  upstreamDiscovery: Array<Method> = new Array<Method>();
  downstreamPropagation: bool = false;
  upstreamPropagation: bool = false;
  skipExternalClusters: bool = false;
  /** No discovery/propagation list given: follow xds.listener_direction like the Wasm-era plugin. */
  auto: bool = true;
  sharedWithUpstream: bool = false;
  additionalLabels: Array<string> = new Array<string>();

  metadataHeader: string = ISTIO_METADATA_HEADER;
  idHeader: string = ISTIO_ID_HEADER;
  /** Also read (and strip) the other preset's pair on discovery. */
  acceptBothHeaderSets: bool = true;
  exchangeKeys: ExchangeKeySet = ExchangeKeySet.Minimal;
  maxCacheSize: i32 = DEFAULT_CACHE_SIZE;
  maxHeaderBytes: i32 = DEFAULT_MAX_HEADER_BYTES;

  workloads: WorkloadTable = new WorkloadTable();
  discovery: DiscoveryConfig = new DiscoveryConfig();

  tcpDirection: TcpDirection = TcpDirection.Auto;
  maxFrameBytes: i32 = DEFAULT_MAX_FRAME_BYTES;
  /** How long an inbound connection may hold an incomplete frame before its bytes go on unread (0 = no limit, as Istio). */
  frameTimeoutMs: i32 = DEFAULT_FRAME_TIMEOUT_MS;
  /** Trust domain for identities built from workload entries without one. */
  trustDomain: string = "cluster.local";

  /** The other preset's header names (read and stripped when acceptBothHeaderSets). */
  otherMetadataHeader(): string { return this.metadataHeader == ENVOY_METADATA_HEADER ? ISTIO_METADATA_HEADER : ENVOY_METADATA_HEADER; }
  otherIdHeader(): string { return this.idHeader == ENVOY_ID_HEADER ? ISTIO_ID_HEADER : ENVOY_ID_HEADER; }
}

export class ConfigResult {
  constructor(public config: PeerMetadataConfig | null, public field: string, public why: string) {}
}

const TOP_KEYS: Array<string> = [
  "downstream_discovery", "upstream_discovery", "downstream_propagation", "upstream_propagation",
  "shared_with_upstream", "additional_labels",
  "headers", "metadata_header", "id_header", "accept_both_header_sets", "exchange_keys", "max_peer_cache_size",
  "max_header_bytes", "workloads", "workload_discovery", "tcp", "trust_domain",
];

function readDiscoveryList(f: JsonFields, key: string, out: Array<Method>): void {
  const arr = f.array(key);
  if (arr === null) return;
  for (let i = 0; i < arr.length; i++) {
    const e = f.element(key, arr, i);
    if (!e.ok) return;
    if (e.obj.keys.length != 1) {
      e.fail("", "expected exactly one of istio_headers, workload_discovery, baggage");
      return;
    }
    const k = e.obj.keys[0];
    const body = e.object(k);
    if (body === null) return;
    if (k == "istio_headers") {
      body.onlyKeys([]);
      out.push(Method.IstioHeaders);
    } else if (k == "workload_discovery") {
      body.onlyKeys([]);
      out.push(Method.WorkloadDiscovery);
    } else if (k == "baggage") {
      // Istio 1.28 accepts and ignores it (deprecated); so do we.
    } else {
      e.fail(k, "unknown discovery method (expected istio_headers, workload_discovery or baggage)");
      return;
    }
  }
}

/** Returns whether istio_headers is listed; records skip_external_clusters. */
function readPropagationList(f: JsonFields, key: string, cfg: PeerMetadataConfig): bool {
  const arr = f.array(key);
  if (arr === null) return false;
  let headers = false;
  for (let i = 0; i < arr.length; i++) {
    const e = f.element(key, arr, i);
    if (!e.ok) return false;
    if (e.obj.keys.length != 1) { e.fail("", "expected exactly one of istio_headers, baggage"); return false; }
    const k = e.obj.keys[0];
    const body = e.object(k);
    if (body === null) return false;
    if (k == "istio_headers") {
      body.onlyKeys(["skip_external_clusters"]);
      if (body.bool("skip_external_clusters", false)) cfg.skipExternalClusters = true;
      headers = true;
    } else if (k == "baggage") {
      // Not implemented: baggage propagation is for ambient CONNECT tunnels.
      body.onlyKeys([]);
    } else {
      e.fail(k, "unknown propagation method (expected istio_headers or baggage)");
      return false;
    }
  }
  return headers;
}

function validHeaderName(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e;
    if (!ok) return false;
  }
  return true;
}

/** Parses and validates the plugin configuration ("" or whitespace = all defaults). */
export function parseConfig(text: string): ConfigResult {
  const cfg = new PeerMetadataConfig();
  if (text.trim().length == 0) return new ConfigResult(cfg, "", "");
  // The workload table can be large: its array is walked entry by entry instead of built whole.
  const r = parseJsonDeferring(text, "workloads");
  if (!r.ok) return new ConfigResult(null, "configuration", "invalid JSON: " + r.error);
  const f = new JsonFields(r.value!, "");
  if (!f.ok) return new ConfigResult(null, f.errorField, f.errorWhy);
  f.onlyKeys(TOP_KEYS);

  readDiscoveryList(f, "downstream_discovery", cfg.downstreamDiscovery);
  readDiscoveryList(f, "upstream_discovery", cfg.upstreamDiscovery);
  cfg.downstreamPropagation = readPropagationList(f, "downstream_propagation", cfg);
  cfg.upstreamPropagation = readPropagationList(f, "upstream_propagation", cfg);
  cfg.auto = !(f.has("downstream_discovery") || f.has("upstream_discovery") || f.has("downstream_propagation") || f.has("upstream_propagation"));
  cfg.sharedWithUpstream = f.bool("shared_with_upstream", false);
  const labels = f.stringArray("additional_labels");
  if (labels !== null) cfg.additionalLabels = labels;

  const preset = f.string("headers", "istio");
  if (preset == "envoy") {
    cfg.metadataHeader = ENVOY_METADATA_HEADER;
    cfg.idHeader = ENVOY_ID_HEADER;
  } else if (preset != "istio") {
    f.fail("headers", "expected \"istio\" (x-istio-peer-metadata / x-istio-peer-id) or \"envoy\" (x-envoy-peer-metadata / x-envoy-peer-metadata-id), got \"" + preset + "\"");
  }
  cfg.metadataHeader = f.string("metadata_header", cfg.metadataHeader);
  cfg.idHeader = f.string("id_header", cfg.idHeader);
  if (!validHeaderName(cfg.metadataHeader)) f.fail("metadata_header", "expected a lower-case header name");
  if (!validHeaderName(cfg.idHeader)) f.fail("id_header", "expected a lower-case header name");
  if (cfg.metadataHeader == cfg.idHeader) f.fail("id_header", "must differ from metadata_header");
  cfg.acceptBothHeaderSets = f.bool("accept_both_header_sets", true);

  const keys = f.string("exchange_keys", "minimal");
  if (keys == "minimal") cfg.exchangeKeys = ExchangeKeySet.Minimal;
  else if (keys == "full") cfg.exchangeKeys = ExchangeKeySet.Full;
  else f.fail("exchange_keys", "expected \"minimal\" (Istio 1.24+) or \"full\" (Istio 1.8-1.23), got \"" + keys + "\"");

  cfg.maxCacheSize = <i32>f.integer("max_peer_cache_size", DEFAULT_CACHE_SIZE, 0, 1000000);
  cfg.maxHeaderBytes = <i32>f.integer("max_header_bytes", DEFAULT_MAX_HEADER_BYTES, 64, 1048576);
  cfg.trustDomain = f.string("trust_domain", "cluster.local");

  const wl = f.array("workloads");
  if (wl !== null && f.ok) {
    const err = r.deferredStart >= 0
      ? cfg.workloads.loadText(text, r.deferredStart, cfg.additionalLabels, cfg.trustDomain)
      : cfg.workloads.load(wl, cfg.additionalLabels, cfg.trustDomain);
    if (err.startsWith("!")) f.fail("configuration", "invalid JSON: " + err.substring(1));
    else if (err.length > 0) {
      const colon = err.indexOf(": ");
      f.fail("workloads" + err.substring(0, colon), err.substring(colon + 2));
    }
  }

  const wd = f.object("workload_discovery");
  if (wd !== null) {
    wd.onlyKeys(["cluster", "path", "authority", "refresh_interval_ms", "timeout_ms", "shared_data_key"]);
    cfg.discovery.cluster = wd.nonEmptyString("cluster", "");
    cfg.discovery.path = wd.nonEmptyString("path", "/workloads");
    if (!cfg.discovery.path.startsWith("/")) wd.fail("path", "must start with '/'");
    cfg.discovery.authority = wd.nonEmptyString("authority", cfg.discovery.cluster);
    cfg.discovery.refreshMs = <i32>wd.integer("refresh_interval_ms", DEFAULT_REFRESH_MS, 100, 86400000);
    cfg.discovery.timeoutMs = <i32>wd.integer("timeout_ms", DEFAULT_FETCH_TIMEOUT_MS, 1, 600000);
    cfg.discovery.sharedKey = wd.nonEmptyString("shared_data_key", cfg.discovery.sharedKey);
    if (!wd.has("cluster")) wd.fail("cluster", "required (the Envoy cluster serving the workload table)");
  }

  const tcp = f.object("tcp");
  if (tcp !== null) {
    tcp.onlyKeys(["direction", "max_frame_bytes", "frame_timeout_ms"]);
    const d = tcp.string("direction", "auto");
    if (d == "auto") cfg.tcpDirection = TcpDirection.Auto;
    else if (d == "inbound") cfg.tcpDirection = TcpDirection.Inbound;
    else if (d == "outbound") cfg.tcpDirection = TcpDirection.Outbound;
    else tcp.fail("direction", "expected \"auto\", \"inbound\" or \"outbound\", got \"" + d + "\"");
    cfg.maxFrameBytes = <i32>tcp.integer("max_frame_bytes", DEFAULT_MAX_FRAME_BYTES, 64, 16777216);
    cfg.frameTimeoutMs = <i32>tcp.integer("frame_timeout_ms", DEFAULT_FRAME_TIMEOUT_MS, 0, 3600000);
  }

  if (!f.ok) return new ConfigResult(null, f.errorField, f.errorWhy);
  return new ConfigResult(cfg, "", "");
}

/** Exposed for specs: parse a JSON array of workload entries with the same rules as config. */
export function parseWorkloadList(v: JsonValue, labels: Array<string>): string {
  const t = new WorkloadTable();
  return t.load(v, labels, "cluster.local");
}
