// This proxy's own identity: node.id and the Istio node-metadata keys, read once at configure time.
// Envoy serves them as `xds.node.{id,metadata.<KEY>}` (Envoy >= 1.24; older Envoy had a top-level
// `node`). Struct-valued keys (LABELS, PLATFORM_METADATA) come back as CEL maps, i.e. in the pairs
// format; a host that returns Struct bytes instead is accepted too.
import { JsonValue } from "../codec/json";
import { decodeStruct } from "../codec/protobuf";
import { getPropertyBytes, propertyPath } from "../abi/host";
import { decodePairs } from "../abi/pairs";

/** Scalar node-metadata keys this suite reads (exchange sets of every era, plus SERVICE_ACCOUNT). */
export const NODE_STRING_KEYS: Array<string> = [
  "NAME", "NAMESPACE", "WORKLOAD_NAME", "CLUSTER_ID", "OWNER", "ISTIO_VERSION", "MESH_ID", "APP_CONTAINERS",
  "SERVICE_ACCOUNT", "INSTANCE_IPS",
];
/** Map-valued node-metadata keys. */
export const NODE_MAP_KEYS: Array<string> = ["LABELS", "PLATFORM_METADATA"];

export class LocalNode {
  constructor(public id: string, public metadata: JsonValue, public found: bool) {}
}

function mapValue(b: ArrayBuffer): JsonValue {
  const out = JsonValue.object();
  if (b.byteLength == 0) return out;
  const pairs = decodePairs(b);
  if (pairs.length > 0) {
    for (let i = 0; i < pairs.length; i++) out.set(pairs[i].key, JsonValue.fromString(pairs[i].value));
    return out;
  }
  const s = decodeStruct(b);
  return s !== null ? s : out;
}

/** Reads node.id and node metadata through proxy_get_property (root context is fine for `xds`). */
export function readLocalNode(): LocalNode {
  let prefix = "xds";
  let id = getPropertyBytes(propertyPath(["xds", "node", "id"]));
  if (id === null) {
    const old = getPropertyBytes(propertyPath(["node", "id"]));
    if (old !== null) { prefix = ""; id = old; }
  }
  const md = JsonValue.object();
  const found = id !== null;
  for (let i = 0; i < NODE_STRING_KEYS.length; i++) {
    const k = NODE_STRING_KEYS[i];
    const b = getPropertyBytes(prefix.length ? propertyPath([prefix, "node", "metadata", k]) : propertyPath(["node", "metadata", k]));
    if (b !== null) md.set(k, JsonValue.fromString(String.UTF8.decode(b)));
  }
  for (let i = 0; i < NODE_MAP_KEYS.length; i++) {
    const k = NODE_MAP_KEYS[i];
    const b = getPropertyBytes(prefix.length ? propertyPath([prefix, "node", "metadata", k]) : propertyPath(["node", "metadata", k]));
    if (b !== null) md.set(k, mapValue(b));
  }
  return new LocalNode(id === null ? "" : String.UTF8.decode(id), md, found);
}
