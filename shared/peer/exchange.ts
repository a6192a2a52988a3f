// The metadata-exchange payload: the google.protobuf.Struct of UPPER_CASE node-metadata keys that
// travels base64-encoded in x-envoy-peer-metadata (HTTP) and inside the TCP exchange frame.
//   - minimal set (Istio 1.24+, convertWorkloadMetadataToStruct): NAME, NAMESPACE, WORKLOAD_NAME,
//     CLUSTER_ID, OWNER (rebuilt, only for a known workload type), LABELS (always present; only the
//     canonical name/revision, app, version and the configured additional labels);
//   - full set (Istio 1.8-1.23 FlatNode fields): NAME, NAMESPACE, OWNER, WORKLOAD_NAME, ISTIO_VERSION,
//     MESH_ID, CLUSTER_ID, LABELS (all), PLATFORM_METADATA, APP_CONTAINERS, copied from node metadata.
// Receivers read the same keys whatever the sender's era (extra keys are ignored, as in 1.24+).
import { JsonValue, JsonKind } from "../codec/json";
import {
  PeerMetadata, PeerSource, WorkloadType, parseOwner, CANONICAL_NAME_LABEL, CANONICAL_REVISION_LABEL,
  APP_LABEL, VERSION_LABEL, APP_K8S_LABEL, VERSION_K8S_LABEL, serviceAccountOf,
} from "./peer";

export const KEY_NAME = "NAME";
export const KEY_NAMESPACE = "NAMESPACE";
export const KEY_WORKLOAD_NAME = "WORKLOAD_NAME";
export const KEY_CLUSTER_ID = "CLUSTER_ID";
export const KEY_OWNER = "OWNER";
export const KEY_LABELS = "LABELS";
export const KEY_SERVICE_ACCOUNT = "SERVICE_ACCOUNT";

/** Node-metadata keys of the pre-1.24 (FlatNode) exchange set. */
export const FULL_KEYS: Array<string> = [
  "NAME", "NAMESPACE", "OWNER", "WORKLOAD_NAME", "ISTIO_VERSION", "MESH_ID", "CLUSTER_ID", "LABELS",
  "PLATFORM_METADATA", "APP_CONTAINERS",
];

export enum ExchangeKeySet { Minimal = 0, Full = 1 }

function str(node: JsonValue, key: string): string {
  const v = node.get(key);
  return v !== null && v.kind == JsonKind.String ? v.str : "";
}

function labelOf(labels: JsonValue | null, key: string): string {
  if (labels === null || labels.kind != JsonKind.Object) return "";
  const v = labels.get(key);
  return v !== null && v.kind == JsonKind.String ? v.str : "";
}

/**
 * The receiver's view of an exchange Struct (Istio 1.24+ convertStructToWorkloadMetadata): only
 * the known keys and the allow-listed additional labels are read; a value of the wrong type reads
 * as empty, as protobuf's string_value() of a non-string does.
 */
export function peerFromExchange(s: JsonValue, additionalLabels: Array<string>): PeerMetadata {
  const p = new PeerMetadata();
  p.name = str(s, KEY_NAME);
  p.namespace = str(s, KEY_NAMESPACE);
  p.workload = str(s, KEY_WORKLOAD_NAME);
  p.cluster = str(s, KEY_CLUSTER_ID);
  p.workloadType = parseOwner(str(s, KEY_OWNER), p.workload);
  // SERVICE_ACCOUNT travels only in 1.5-1.7 payloads; keep it when present.
  p.serviceAccount = str(s, KEY_SERVICE_ACCOUNT);
  const labels = s.get(KEY_LABELS);
  if (labels !== null && labels.kind == JsonKind.Object) {
    p.canonicalService = labelOf(labels, CANONICAL_NAME_LABEL);
    p.canonicalRevision = labelOf(labels, CANONICAL_REVISION_LABEL);
    p.app = labelOf(labels, APP_LABEL);
    p.version = labelOf(labels, VERSION_LABEL);
    for (let i = 0; i < additionalLabels.length; i++) {
      const k = additionalLabels[i];
      const v = labels.get(k);
      if (v !== null && v.kind == JsonKind.String) p.setLabel(k, v.str);
    }
  }
  p.source = PeerSource.Headers;
  return p;
}

/** This proxy as a peer, from its own node metadata (the same reading a receiver would do, plus fallbacks). */
export function peerFromNode(node: JsonValue, nodeId: string, additionalLabels: Array<string>): PeerMetadata {
  const p = peerFromExchange(node, additionalLabels);
  p.id = nodeId;
  const labels = node.get(KEY_LABELS);
  if (p.app.length == 0) p.app = labelOf(labels, APP_K8S_LABEL);
  if (p.version.length == 0) p.version = labelOf(labels, VERSION_K8S_LABEL);
  p.source = PeerSource.None;
  return p;
}

/** The minimal (1.24+) exchange Struct for a peer. */
export function minimalExchange(p: PeerMetadata): JsonValue {
  const s = JsonValue.object();
  if (p.name.length > 0) s.set(KEY_NAME, JsonValue.fromString(p.name));
  if (p.namespace.length > 0) s.set(KEY_NAMESPACE, JsonValue.fromString(p.namespace));
  if (p.workload.length > 0) s.set(KEY_WORKLOAD_NAME, JsonValue.fromString(p.workload));
  if (p.cluster.length > 0) s.set(KEY_CLUSTER_ID, JsonValue.fromString(p.cluster));
  const labels = JsonValue.object();
  if (p.canonicalService.length > 0) labels.set(CANONICAL_NAME_LABEL, JsonValue.fromString(p.canonicalService));
  if (p.canonicalRevision.length > 0) labels.set(CANONICAL_REVISION_LABEL, JsonValue.fromString(p.canonicalRevision));
  if (p.app.length > 0) labels.set(APP_LABEL, JsonValue.fromString(p.app));
  if (p.version.length > 0) labels.set(VERSION_LABEL, JsonValue.fromString(p.version));
  for (let i = 0; i < p.labelKeys.length; i++) {
    const k = p.labelKeys[i];
    if (k == CANONICAL_NAME_LABEL || k == CANONICAL_REVISION_LABEL || k == APP_LABEL || k == VERSION_LABEL) continue;
    labels.set(k, JsonValue.fromString(p.labelValues[i]));
  }
  s.set(KEY_LABELS, labels);
  if (p.workloadType != WorkloadType.Unknown) s.set(KEY_OWNER, JsonValue.fromString(p.owner()));
  return s;
}

/** The full (pre-1.24) exchange Struct: the FlatNode keys copied verbatim from node metadata. */
export function fullExchange(node: JsonValue): JsonValue {
  const s = JsonValue.object();
  for (let i = 0; i < FULL_KEYS.length; i++) {
    const v = node.get(FULL_KEYS[i]);
    if (v !== null) s.set(FULL_KEYS[i], v);
  }
  return s;
}

/** The Struct this proxy sends, chosen once at configure time. */
export function localExchange(node: JsonValue, self: PeerMetadata, keys: ExchangeKeySet): JsonValue {
  return keys == ExchangeKeySet.Full ? fullExchange(node) : minimalExchange(self);
}

/** Service account from a peer's identity when the payload did not carry one. */
export function fillServiceAccount(p: PeerMetadata): void {
  if (p.serviceAccount.length == 0 && p.identity.length > 0) p.serviceAccount = serviceAccountOf(p.identity);
}
