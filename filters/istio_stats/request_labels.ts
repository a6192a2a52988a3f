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
  mtls: bool = false;                   // unused by the labels (Istio derives mutual_tls from the two SANs); kept for callers
  peerPrincipal: string = "";           // server: downstream peer certificate URI SAN; client: upstream peer certificate URI SAN
  localPrincipal: string = "";          // server: downstream local certificate URI SAN; client: upstream local certificate URI SAN
  /** Waypoint (SERVER_GATEWAY) reporters: the upstream peer from the exchange, which supplies the destination labels. */
  upstreamPeer: PeerMetadata | null = null;
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

/**
 * The namespace in a principal `<domain>/ns/<namespace>/sa/<account>` (istio_stats.cc getNamespace:
 * the text after the first `/ns/` up to the next `/`), or "" when there is no `/ns/`.
 */
export function namespaceOfPrincipal(principal: string): string {
  const i = principal.indexOf("/ns/");
  if (i < 0) return "";
  const from = i + 4;
  const end = principal.indexOf("/", from);
  return end < 0 ? principal.substring(from) : principal.substring(from, end);
}

/**
 * Fills `out` (indexed by Tag) with the standard labels, as Istio's native filter
 * (istio/proxy source/extensions/filters/http/istio_stats/istio_stats.cc populatePeerInfo):
 * - this proxy's own labels come from its node metadata as they are (an empty value stays empty);
 * - peer labels that are empty report `unknown`, the peer's canonical revision `latest` (the
 *   waypoint's destination revision `unknown`); there is no canonical-service fallback to the
 *   workload name (that was the Wasm-era plugin);
 * - the peer namespace comes from the peer principal's `/ns/<ns>/` first, then peer metadata;
 * - principals: server side the downstream certificates, client side the upstream ones, the
 *   destination falling back to the exchanged peer's identity; no value reports `unknown`;
 * - connection_security_policy: server `mutual_tls` when both principals are known, else `none`;
 *   client `unknown`.
 * `peer` is null when no peer metadata was found.
 */
export function fillStandardLabels(out: StaticArray<string>, role: Role, f: RequestFacts, local: PeerMetadata,
                                   peer: PeerMetadata | null, disableHostHeaderFallback: bool): void {
  const serverSide = role != Role.Source;
  const p = peer !== null ? peer : EMPTY;
  // Client: the upstream certificate, else the identity the exchanged peer announced (an
  // endpoint-metadata peer has none).
  const peerSan = serverSide || f.peerPrincipal.length > 0 ? f.peerPrincipal : p.identity;
  let peerNamespace = peerSan.length > 0 ? namespaceOfPrincipal(peerSan) : "";
  if (peerNamespace.length == 0) peerNamespace = p.namespace;

  unchecked(out[Tag.reporter] = reporterName(role));
  if (serverSide) {
    unchecked(out[Tag.source_workload] = orUnknown(p.workload));
    unchecked(out[Tag.source_canonical_service] = orUnknown(p.canonicalService));
    unchecked(out[Tag.source_canonical_revision] = revisionOrLatest(p.canonicalRevision));
    unchecked(out[Tag.source_workload_namespace] = orUnknown(peerNamespace));
    unchecked(out[Tag.source_principal] = orUnknown(peerSan));
    unchecked(out[Tag.source_app] = orUnknown(p.app));
    unchecked(out[Tag.source_version] = orUnknown(p.version));
    unchecked(out[Tag.source_cluster] = orUnknown(p.cluster));
  } else {
    unchecked(out[Tag.source_workload] = local.workload);
    unchecked(out[Tag.source_canonical_service] = local.canonicalService);
    unchecked(out[Tag.source_canonical_revision] = local.canonicalRevision);
    unchecked(out[Tag.source_workload_namespace] = local.namespace);
    unchecked(out[Tag.source_principal] = orUnknown(f.localPrincipal));
    unchecked(out[Tag.source_app] = local.app);
    unchecked(out[Tag.source_version] = local.version);
    unchecked(out[Tag.source_cluster] = local.cluster);
  }

  let host = "";
  let name = "";
  let ns = "";
  if (!disableHostHeaderFallback) { host = f.hostHeader; name = f.hostHeader; }
  if (f.routeName == "block_all") name = "BlackHoleCluster";
  else if (f.routeName == "allow_any") name = "PassthroughCluster";
  else if (isCatchAllCluster(f.clusterName)) name = f.clusterName;
  else if (f.serviceHost.length > 0 || f.serviceName.length > 0 || f.serviceNamespace.length > 0) {
    if (f.serviceHost.length > 0) host = f.serviceHost;
    ns = f.serviceNamespace;
    if (f.serviceName.length > 0) name = f.serviceName;
    else {
      const dot = host.indexOf(".");
      name = dot < 0 ? host : host.substring(0, dot);
    }
  }

  if (role == Role.Waypoint) {
    // SERVER_GATEWAY: the destination is the upstream peer the exchange found (istio_stats.cc
    // reads peerInfo(ClientSidecar) = filter state upstream_peer; no endpoint-metadata fallback).
    const e = f.upstreamPeer !== null ? f.upstreamPeer! : EMPTY;
    unchecked(out[Tag.destination_workload] = orUnknown(e.workload));
    unchecked(out[Tag.destination_workload_namespace] = orUnknown(e.namespace));
    unchecked(out[Tag.destination_principal] = orUnknown(e.identity));
    unchecked(out[Tag.destination_app] = orUnknown(e.app));
    unchecked(out[Tag.destination_version] = orUnknown(e.version));
    unchecked(out[Tag.destination_service] = orUnknown(host));
    unchecked(out[Tag.destination_canonical_service] = orUnknown(e.canonicalService));
    unchecked(out[Tag.destination_canonical_revision] = orUnknown(e.canonicalRevision));
    unchecked(out[Tag.destination_service_name] = orUnknown(name));
    unchecked(out[Tag.destination_service_namespace] = orUnknown(ns));
    unchecked(out[Tag.destination_cluster] = orUnknown(e.cluster));
  } else if (serverSide) {
    unchecked(out[Tag.destination_workload] = local.workload);
    unchecked(out[Tag.destination_workload_namespace] = local.namespace);
    unchecked(out[Tag.destination_principal] = orUnknown(f.localPrincipal));
    unchecked(out[Tag.destination_app] = local.app);
    unchecked(out[Tag.destination_version] = local.version);
    unchecked(out[Tag.destination_service] = host.length > 0 ? host : local.canonicalService);
    unchecked(out[Tag.destination_canonical_service] = local.canonicalService);
    unchecked(out[Tag.destination_canonical_revision] = local.canonicalRevision);
    unchecked(out[Tag.destination_service_name] = name.length > 0 ? name : local.canonicalService);
    unchecked(out[Tag.destination_service_namespace] = local.namespace);
    unchecked(out[Tag.destination_cluster] = local.cluster);
  } else {
    unchecked(out[Tag.destination_workload] = orUnknown(p.workload));
    unchecked(out[Tag.destination_workload_namespace] = orUnknown(peerNamespace));
    unchecked(out[Tag.destination_principal] = orUnknown(peerSan));
    unchecked(out[Tag.destination_app] = orUnknown(p.app));
    unchecked(out[Tag.destination_version] = orUnknown(p.version));
    unchecked(out[Tag.destination_service] = orUnknown(host));
    unchecked(out[Tag.destination_canonical_service] = orUnknown(p.canonicalService));
    unchecked(out[Tag.destination_canonical_revision] = revisionOrLatest(p.canonicalRevision));
    unchecked(out[Tag.destination_service_name] = orUnknown(name));
    unchecked(out[Tag.destination_service_namespace] = ns.length > 0 ? ns : orUnknown(peerNamespace));
    unchecked(out[Tag.destination_cluster] = orUnknown(p.cluster));
  }

  unchecked(out[Tag.request_protocol] = f.protocol);
  unchecked(out[Tag.response_code] = codeString(f.responseCode));
  unchecked(out[Tag.grpc_response_status] = f.protocol == "grpc" && f.grpcStatus >= 0 ? codeString(f.grpcStatus) : "");
  unchecked(out[Tag.response_flags] = flagsOrDash(f.responseFlags));
  unchecked(out[Tag.connection_security_policy] = securityPolicy(serverSide, f.peerPrincipal.length > 0 && f.localPrincipal.length > 0));
}

/**
 * Whether fillDestinationService reads `f.hostHeader`: the cluster's `istio.services` metadata is
 * absent, or a catch-all route or cluster takes precedence. Otherwise the Host header cannot change
 * any label and the filter need not read it.
 */
export function hostHeaderMatters(f: RequestFacts): bool {
  return f.serviceHost.length == 0 || f.routeName == "block_all" || f.routeName == "allow_any" || isCatchAllCluster(f.clusterName);
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

