// The 25 standard label values of one request or connection, from plain facts. No host calls here:
// filter.ts reads the facts, this file decides (and as-pect specs call it directly).
import { Tag, orUnknown, revisionOrLatest, flagsOrDash, securityPolicy } from "./labels";
import { PeerMetadata } from "../../shared/peer/peer";

export const enum Role { Source = 0, Destination = 1, Waypoint = 2 }

export function reporterName(role: Role): string {
  return role == Role.Source ? "source" : role == Role.Destination ? "destination" : "waypoint";
}

/** What the context read from Envoy for one request/connection. */
export class RequestFacts {
  protocol: string = "http";            // "http" | "grpc" | "tcp"
  responseCode: i64 = 0;                // 0 when there was no response (Istio reports "0")
  grpcStatus: i64 = -1;                 // -1 when absent
  responseFlags: string = "";           // Envoy short flags joined by ","
  mtls: bool = false;                   // downstream connection is mutual TLS (server side)
  peerPrincipal: string = "";
  localPrincipal: string = "";
  hostHeader: string = "";              // request Host / :authority
  clusterName: string = "";
  routeName: string = "";
  serviceHost: string = "";             // cluster metadata istio.services[0].host
  serviceName: string = "";             // ... .name
  serviceNamespace: string = "";        // ... .namespace
}

/** Clusters whose name is reported as destination_service_name (Istio's catch-all clusters). */
function isCatchAllCluster(name: string): bool {
  // Every request asks this of its (usually long, outbound|port||host) cluster name: the names are
  // 16 to 29 characters long and start with B, P or I, which rules out most names without a compare.
  const n = name.length;
  if (n < 16 || n > 29) return false;
  const c = name.charCodeAt(0);
  if (c != 0x42 && c != 0x50 && c != 0x49) return false;
  return name == "BlackHoleCluster" || name == "PassthroughCluster" || name == "InboundPassthroughCluster" ||
    name == "InboundPassthroughClusterIpv4" || name == "InboundPassthroughClusterIpv6";
}

/** The canonical service of a workload: the label, else the workload name (Wasm-era fallback). */
export function canonicalService(w: PeerMetadata): string {
  return w.canonicalService.length > 0 ? w.canonicalService : w.workload;
}

/**
 * Fills `out` (indexed by Tag) with the standard labels. `peer` is null when no peer metadata was
 * found (every peer field then reports `unknown`, the revision `latest`).
 */
export function fillStandardLabels(out: StaticArray<string>, role: Role, f: RequestFacts, local: PeerMetadata,
                                   peer: PeerMetadata | null, disableHostHeaderFallback: bool): void {
  const serverSide = role != Role.Source;
  const p = peer !== null ? peer : EMPTY;
  const src = serverSide ? p : local;
  const dst = serverSide ? local : p;

  unchecked(out[Tag.reporter] = reporterName(role));
  unchecked(out[Tag.source_workload] = orUnknown(src.workload));
  unchecked(out[Tag.source_canonical_service] = orUnknown(canonicalService(src)));
  unchecked(out[Tag.source_canonical_revision] = revisionOrLatest(src.canonicalRevision));
  unchecked(out[Tag.source_workload_namespace] = orUnknown(src.namespace));
  unchecked(out[Tag.source_app] = orUnknown(src.app));
  unchecked(out[Tag.source_version] = orUnknown(src.version));
  unchecked(out[Tag.source_cluster] = orUnknown(src.cluster));
  unchecked(out[Tag.destination_workload] = orUnknown(dst.workload));
  unchecked(out[Tag.destination_workload_namespace] = orUnknown(dst.namespace));
  unchecked(out[Tag.destination_app] = orUnknown(dst.app));
  unchecked(out[Tag.destination_version] = orUnknown(dst.version));
  unchecked(out[Tag.destination_canonical_service] = orUnknown(canonicalService(dst)));
  unchecked(out[Tag.destination_canonical_revision] = revisionOrLatest(dst.canonicalRevision));
  unchecked(out[Tag.destination_cluster] = orUnknown(dst.cluster));

  // Principals: server side reads the downstream certificates, client side the upstream ones;
  // the client falls back to the peer's identity from metadata (native istio_stats).
  if (serverSide) {
    unchecked(out[Tag.source_principal] = orUnknown(f.peerPrincipal));
    unchecked(out[Tag.destination_principal] = orUnknown(f.localPrincipal));
  } else {
    unchecked(out[Tag.source_principal] = orUnknown(f.localPrincipal));
    unchecked(out[Tag.destination_principal] = orUnknown(f.peerPrincipal.length > 0 ? f.peerPrincipal : p.identity));
  }

  fillDestinationService(out, serverSide, f, local, p, disableHostHeaderFallback);

  unchecked(out[Tag.request_protocol] = f.protocol);
  unchecked(out[Tag.response_code] = codeString(f.responseCode));
  unchecked(out[Tag.grpc_response_status] = f.protocol == "grpc" && f.grpcStatus >= 0 ? codeString(f.grpcStatus) : "");
  unchecked(out[Tag.response_flags] = flagsOrDash(f.responseFlags));
  unchecked(out[Tag.connection_security_policy] = securityPolicy(serverSide, f.mtls));
}

/**
 * Whether fillDestinationService reads `f.hostHeader`: the cluster's `istio.services` metadata is
 * absent, or a catch-all route or cluster takes precedence. Otherwise the Host header cannot change
 * any label and the filter need not read it.
 */
export function hostHeaderMatters(f: RequestFacts): bool {
  return f.serviceHost.length == 0 || f.routeName == "block_all" || f.routeName == "allow_any" || isCatchAllCluster(f.clusterName);
}

/**
 * destination_service / _name / _namespace (Istio's stats filter, §4.4 of the reference):
 * the Host header unless disabled; Istio's catch-all routes/clusters by name; then the cluster's
 * `istio.services[0]` metadata wins. Empty results: the client reports `unknown` (namespace: the
 * peer's), the server its own canonical service and namespace.
 */
function fillDestinationService(out: StaticArray<string>, serverSide: bool, f: RequestFacts, local: PeerMetadata,
                                peer: PeerMetadata, disableHostHeaderFallback: bool): void {
  let host = "";
  let name = "";
  let ns = "";
  if (!disableHostHeaderFallback) { host = f.hostHeader; name = f.hostHeader; }
  if (f.routeName == "block_all") name = "BlackHoleCluster";
  else if (f.routeName == "allow_any") name = "PassthroughCluster";
  else if (isCatchAllCluster(f.clusterName)) name = f.clusterName;
  else if (f.serviceHost.length > 0) {
    host = f.serviceHost;
    ns = f.serviceNamespace;
    if (f.serviceName.length > 0) name = f.serviceName;
    else {
      const dot = host.indexOf(".");
      name = dot < 0 ? host : host.substring(0, dot);
    }
  }
  if (serverSide) {
    const svc = canonicalService(local);
    if (host.length == 0) host = svc;
    if (name.length == 0) name = svc;
    if (ns.length == 0) ns = local.namespace;
  } else if (ns.length == 0) {
    ns = peer.namespace;
  }
  unchecked(out[Tag.destination_service] = orUnknown(host));
  unchecked(out[Tag.destination_service_name] = orUnknown(name));
  unchecked(out[Tag.destination_service_namespace] = orUnknown(ns));
}

const EMPTY = new PeerMetadata();

// Small-number strings are interned so the per-request path allocates nothing for them.
const CODES = new StaticArray<string | null>(600);
export function codeString(v: i64): string {
  if (v >= 0 && v < 600) {
    const s = unchecked(CODES[<i32>v]);
    if (s !== null) return s;
    const t = v.toString();
    unchecked(CODES[<i32>v] = t);
    return t;
  }
  return v.toString();
}

// Envoy's response flags in StreamInfo bit order, with their short names
// (envoyproxy/envoy source/common/stream_info/utility.h, ResponseFlagUtils).
const FLAG_NAMES: StaticArray<string> = [
  "LH", "UH", "UT", "LR", "UR", "UF", "UC", "UO", "NR", "DI", "FI", "RL", "UAEX", "RLSE", "DC", "URX", "SI", "IH",
  "DPE", "UMSDR", "RFCF", "NFCF", "DT", "UPE", "NC", "OM", "DF", "DO", "DR", "UDO",
];

/** The `response.flags` bitmask as Envoy's short string ("UH,UF"); "" for none. */
export function responseFlagsString(mask: i64): string {
  if (mask == 0) return "";
  let out = "";
  for (let i = 0; i < FLAG_NAMES.length; i++) {
    if ((mask >> i) & 1) out += (out.length > 0 ? "," : "") + unchecked(FLAG_NAMES[i]);
  }
  return out;
}

