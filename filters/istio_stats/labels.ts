// Istio's standard labels: their names, the order Prometheus shows them in, which metric carries
// which subset, the fallback values, and the Wasm-era encoding of labels inside a stat name.
//
// Facts carried over from istio/proxy (`extensions/stats/plugin.h` STD_ISTIO_DIMENSIONS, release-1.10
// to 1.17) and Envoy's tag extraction (envoyproxy/envoy `source/common/stats/tag_producer_impl.cc`):
// - Tag indices below follow the native filter's emission order, which is also the order of the
//   bootstrap `stats_tags` Istio's test bootstrap uses, hence the Prometheus label order.
// - Inside the stat name the Wasm plugin (1.10–1.17) wrote the tags in STD_ISTIO_DIMENSIONS order;
//   Envoy's tag extractors do not care where a tag sits, so the name keeps that historical order.
// - Layout: `<tag>=.=<value>;.;` per tag, then `istio_<metric>`.

export const TAG_COUNT: i32 = 25;

export const enum Tag {
  reporter = 0,
  source_workload = 1,
  source_canonical_service = 2,
  source_canonical_revision = 3,
  source_workload_namespace = 4,
  source_principal = 5,
  source_app = 6,
  source_version = 7,
  source_cluster = 8,
  destination_workload = 9,
  destination_workload_namespace = 10,
  destination_principal = 11,
  destination_app = 12,
  destination_version = 13,
  destination_service = 14,
  destination_canonical_service = 15,
  destination_canonical_revision = 16,
  destination_service_name = 17,
  destination_service_namespace = 18,
  destination_cluster = 19,
  request_protocol = 20,
  response_code = 21,
  grpc_response_status = 22,
  response_flags = 23,
  connection_security_policy = 24,
}

/** Tag names, indexed by `Tag` (the Prometheus label order). */
export const TAG_NAMES: StaticArray<string> = [
  "reporter",
  "source_workload", "source_canonical_service", "source_canonical_revision", "source_workload_namespace",
  "source_principal", "source_app", "source_version", "source_cluster",
  "destination_workload", "destination_workload_namespace", "destination_principal", "destination_app",
  "destination_version", "destination_service", "destination_canonical_service", "destination_canonical_revision",
  "destination_service_name", "destination_service_namespace", "destination_cluster",
  "request_protocol", "response_code", "grpc_response_status", "response_flags", "connection_security_policy",
];

/** Order of the tags inside the stat name: the Wasm plugin's STD_ISTIO_DIMENSIONS (1.10–1.17). */
export const NAME_ORDER: StaticArray<i32> = [
  Tag.reporter, Tag.source_workload, Tag.source_workload_namespace, Tag.source_principal, Tag.source_app,
  Tag.source_version, Tag.source_canonical_service, Tag.source_canonical_revision, Tag.source_cluster,
  Tag.destination_workload, Tag.destination_workload_namespace, Tag.destination_principal, Tag.destination_app,
  Tag.destination_version, Tag.destination_service, Tag.destination_service_name, Tag.destination_service_namespace,
  Tag.destination_canonical_service, Tag.destination_canonical_revision, Tag.destination_cluster,
  Tag.request_protocol, Tag.response_flags, Tag.connection_security_policy, Tag.response_code, Tag.grpc_response_status,
];

/** Which standard tags a metric carries (Istio: count_peer_labels / count_tcp_labels / all). */
export const enum TagSet { Http = 0, Tcp = 1, Peer = 2, None = 3 }

/** True when a metric of this kind carries the tag by default. */
export function tagInSet(set: TagSet, tag: i32): bool {
  if (set == TagSet.None) return false; // custom metrics (definitions) carry only configured tags
  if (tag <= Tag.destination_cluster) return true;
  if (set == TagSet.Http) return true;
  if (set == TagSet.Tcp) return tag == Tag.request_protocol || tag == Tag.response_flags || tag == Tag.connection_security_policy;
  return false;
}

/** Index of a standard tag by name, or -1. */
export function tagIndex(name: string): i32 {
  for (let i = 0; i < TAG_COUNT; i++) if (unchecked(TAG_NAMES[i]) == name) return i;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Fallbacks (Wasm era, proxy@release-1.11 map_unknown_if_empty; native keeps the same values).

export const UNKNOWN = "unknown";
export const LATEST = "latest";
export const NO_FLAGS = "-";

/** A peer field: empty becomes `unknown`. */
export function orUnknown(v: string): string {
  return v.length == 0 ? UNKNOWN : v;
}

/** A canonical revision: empty becomes `latest`. */
export function revisionOrLatest(v: string): string {
  return v.length == 0 ? LATEST : v;
}

/** Envoy short response flags joined by `,`; no flag is `-`. */
export function flagsOrDash(v: string): string {
  return v.length == 0 ? NO_FLAGS : v;
}

/**
 * `connection_security_policy`: the client side cannot know what the server enforced and reports
 * `unknown`; the server side reports `mutual_tls` when the downstream connection is mTLS, else `none`.
 */
export function securityPolicy(serverSide: bool, mtls: bool): string {
  if (!serverSide) return UNKNOWN;
  return mtls ? "mutual_tls" : "none";
}

// ---------------------------------------------------------------------------------------------
// Stat-name encoding.

export const VALUE_SEPARATOR = "=.=";
export const FIELD_SEPARATOR = ";.;";

/**
 * Makes a label value safe to put between `=.=` and `;.;`. Values come from peers and clients, and
 * Envoy's tag regexes search the whole name, so a value holding `x=.=` or `;.;` could forge or
 * swallow another label. Every `.` that directly follows `=` or `;` (or opens the value, which
 * follows `=`) becomes `_`; then neither separator can occur inside a value. Most values
 * (`reviews.default.svc.cluster.local`, `spiffe://...`) have no such `.` and are returned as is.
 */
export function sanitizeValue(v: string): string {
  const n = v.length;
  let needs = false;
  for (let i = 0; i < n; i++) {
    if (v.charCodeAt(i) == 0x2e && (i == 0 || isSep(v.charCodeAt(i - 1)))) { needs = true; break; }
  }
  if (!needs) return v;
  let out = "";
  let from = 0;
  for (let i = 0; i < n; i++) {
    if (v.charCodeAt(i) == 0x2e && (i == 0 || isSep(v.charCodeAt(i - 1)))) {
      out += v.substring(from, i) + "_";
      from = i + 1;
    }
  }
  return out + v.substring(from);
}

// @ts-ignore: decorator
@inline function isSep(c: i32): bool { return c == 0x3d || c == 0x3b; }

/** Appends one `<tag>=.=<value>;.;` field. */
export function encodeField(name: string, value: string): string {
  return name + VALUE_SEPARATOR + sanitizeValue(value) + FIELD_SEPARATOR;
}
