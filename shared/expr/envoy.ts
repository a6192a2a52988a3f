// Envoy's attribute vocabulary (envoyproxy/envoy docs/root/intro/arch_overview/advanced/attributes.rst)
// bound to host properties: `request.headers['x-user']` reads property ["request","headers","x-user"]
// and decodes it by the attribute's documented type (int/uint/duration: 8 bytes LE; bool: 1 byte).
import { AttrRef, Value, ValueKind } from "./ast";
import { Catalog } from "./parse";
import { Attributes } from "./eval";
import { propertyPath, getPropertyBytes } from "../abi/host";

/** AttrRef.source for attributes read from host properties. Other catalogs use values >= 100. */
export const SOURCE_PROPERTY: i32 = 1;

// "root.field" -> kind; `M` marks a map that must be indexed with a key.
const SCALARS: StaticArray<string> = [
  // request
  "request.path:s", "request.url_path:s", "request.host:s", "request.scheme:s", "request.method:s",
  "request.headers:M", "request.referer:s", "request.useragent:s", "request.time:i", "request.id:s",
  "request.protocol:s", "request.query:s", "request.duration:i", "request.size:i", "request.total_size:i",
  // response
  "response.code:i", "response.code_details:s", "response.flags:i", "response.grpc_status:i",
  "response.headers:M", "response.trailers:M", "response.size:i", "response.total_size:i", "response.backend_latency:i",
  // connection
  "source.address:s", "source.port:i", "destination.address:s", "destination.port:i",
  "connection.id:i", "connection.mtls:b", "connection.requested_server_name:s", "connection.tls_version:s",
  "connection.subject_local_certificate:s", "connection.subject_peer_certificate:s",
  "connection.dns_san_local_certificate:s", "connection.dns_san_peer_certificate:s",
  "connection.uri_san_local_certificate:s", "connection.uri_san_peer_certificate:s",
  "connection.sha256_peer_certificate_digest:s", "connection.transport_failure_reason:s", "connection.termination_details:s",
  // upstream
  "upstream.address:s", "upstream.port:i", "upstream.tls_version:s", "upstream.subject_local_certificate:s",
  "upstream.subject_peer_certificate:s", "upstream.dns_san_local_certificate:s", "upstream.dns_san_peer_certificate:s",
  "upstream.uri_san_local_certificate:s", "upstream.uri_san_peer_certificate:s", "upstream.sha256_peer_certificate_digest:s",
  "upstream.local_address:s", "upstream.transport_failure_reason:s", "upstream.request_attempt_count:i",
  // xds / wasm
  "xds.node:M", "xds.cluster_name:s", "xds.cluster_metadata:M", "xds.listener_direction:i", "xds.listener_metadata:M",
  "xds.route_name:s", "xds.route_metadata:M", "xds.virtual_host_name:s", "xds.virtual_host_metadata:M",
  "xds.upstream_host_metadata:M", "xds.filter_chain_name:s",
  "node:M", "cluster_name:s", "cluster_metadata:M", "listener_direction:i", "listener_metadata:M", "route_name:s",
  "route_metadata:M", "upstream_host_metadata:M", "plugin_name:s", "plugin_root_id:s", "plugin_vm_id:s",
  "filter_state:M",
];

const ROOTS = "request, response, source, destination, connection, upstream, xds, node, cluster_name, cluster_metadata, " +
  "listener_direction, listener_metadata, route_name, route_metadata, upstream_host_metadata, plugin_name, plugin_root_id, plugin_vm_id, filter_state";

/** Looks up "root" or "root.field"; returns the kind letter, or "" when unknown. */
function kindOf(key: string): string {
  for (let i = 0, n = SCALARS.length; i < n; i++) {
    const e = unchecked(SCALARS[i]);
    const colon = e.lastIndexOf(":");
    if (colon == key.length && e.startsWith(key)) return e.substring(colon + 1);
  }
  return "";
}

function isRootKnown(root: string): bool {
  for (let i = 0, n = SCALARS.length; i < n; i++) {
    const e = unchecked(SCALARS[i]);
    if (e.startsWith(root) && (e.charCodeAt(root.length) == 0x2e || e.charCodeAt(root.length) == 0x3a)) return true;
  }
  return false;
}

/**
 * Binds Envoy attributes to properties. Roots it does not know go to `next` (a filter's own roots,
 * such as peer metadata); if there is none, the path is refused naming the supported roots.
 */
export class EnvoyCatalog extends Catalog {
  constructor(public next: Catalog | null = null) { super(); }

  bind(ref: AttrRef): string {
    if (!isRootKnown(ref.root)) {
      const next = this.next;
      if (next !== null) return next.bind(ref);
      return "unknown attribute '" + ref.text + "' (supported roots: " + ROOTS + ")";
    }
    // A root that is itself a map (node, cluster_metadata, ...) or a scalar (cluster_name, ...).
    let kind = kindOf(ref.root);
    let consumed = 0;
    if (kind.length == 0) {
      if (ref.segments.length == 0) return "'" + ref.text + "' is not a value; name a field, e.g. " + ref.root + ".<field>";
      kind = kindOf(ref.root + "." + ref.segments[0]);
      if (kind.length == 0) return "unknown attribute '" + ref.root + "." + ref.segments[0] + "'";
      consumed = 1;
    }
    if (kind == "M") {
      if (ref.segments.length <= consumed) return "'" + ref.text + "' is a map; index it, e.g. " + ref.text + "['key']";
      ref.type = ValueKind.String; // map entries (headers, metadata strings) arrive as text
    } else {
      if (ref.segments.length > consumed) return "'" + ref.text + "' has no fields";
      ref.type = kind == "i" ? ValueKind.Int : kind == "b" ? ValueKind.Bool : ValueKind.String;
    }
    const segs = new Array<string>();
    segs.push(ref.root);
    for (let i = 0; i < ref.segments.length; i++) segs.push(ref.segments[i]);
    ref.path = propertyPath(segs);
    ref.source = SOURCE_PROPERTY;
    return "";
  }
}

/** Reads a property-bound attribute from the host; null when absent or not of its declared type. */
export function readProperty(ref: AttrRef): Value | null {
  const b = getPropertyBytes(ref.path);
  if (b === null) return null;
  if (ref.type == ValueKind.Int) {
    if (b.byteLength != 8) return null;
    return Value.int(load<i64>(changetype<usize>(b)));
  }
  if (ref.type == ValueKind.Bool) {
    if (b.byteLength != 1) return null;
    return Value.bool(load<u8>(changetype<usize>(b)) != 0);
  }
  return Value.str(String.UTF8.decode(b));
}

/** Attributes for expressions that use only Envoy attributes. */
export class PropertyAttributes extends Attributes {
  lookup(ref: AttrRef): Value | null {
    return ref.source == SOURCE_PROPERTY ? readProperty(ref) : null;
  }
}
