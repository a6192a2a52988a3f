// The peer model every filter of this suite shares: who is on the other end of a request or
// connection. Mirrors Istio's WorkloadMetadataObject (proxy@release-1.28
// extensions/common/metadata_object.h), plus the service account the RBAC filter needs.

export enum WorkloadType { Unknown = 0, Pod = 1, Deployment = 2, Job = 3, CronJob = 4 }

/** Istio's suffix for a workload type ("" for Unknown): used in OWNER and in filter state `type`. */
export function workloadTypeName(t: WorkloadType): string {
  switch (t) {
    case WorkloadType.Pod: return "pod";
    case WorkloadType.Deployment: return "deployment";
    case WorkloadType.Job: return "job";
    case WorkloadType.CronJob: return "cronjob";
    default: return "";
  }
}

export function workloadTypeFromName(s: string): WorkloadType {
  if (s == "pod") return WorkloadType.Pod;
  if (s == "deployment") return WorkloadType.Deployment;
  if (s == "job") return WorkloadType.Job;
  if (s == "cronjob") return WorkloadType.CronJob;
  return WorkloadType.Unknown;
}

/** Istio's OWNER prefix; the full value is `<prefix><namespace>/<type>s/<workload>`. */
export const OWNER_PREFIX = "kubernetes://apis/apps/v1/namespaces/";

/**
 * Workload type from an OWNER value, as Istio's parseOwner does: drop "s/<workload>" from the end
 * and take the segment after the last '/'. (Like Istio it does not check the dropped text.)
 */
export function parseOwner(owner: string, workload: string): WorkloadType {
  if (owner.length <= workload.length + 2) return WorkloadType.Unknown;
  const head = owner.substring(0, owner.length - workload.length - 2);
  const slash = head.lastIndexOf("/");
  if (slash < 0) return WorkloadType.Unknown;
  return workloadTypeFromName(head.substring(slash + 1));
}

/** OWNER for a peer, or "" when the workload type is unknown (Istio then omits OWNER). */
export function ownerOf(namespace: string, type: WorkloadType, workload: string): string {
  const suffix = workloadTypeName(type);
  if (suffix.length == 0) return "";
  return OWNER_PREFIX + namespace + "/" + suffix + "s/" + workload;
}

// Label keys Istio carries in the minimal (1.24+) exchange set.
export const CANONICAL_NAME_LABEL = "service.istio.io/canonical-name";
export const CANONICAL_REVISION_LABEL = "service.istio.io/canonical-revision";
export const APP_LABEL = "app";
export const VERSION_LABEL = "version";
// Fallbacks newer Istio (proxy master) uses when app/version are absent.
export const APP_K8S_LABEL = "app.kubernetes.io/name";
export const VERSION_K8S_LABEL = "app.kubernetes.io/version";

/** How a peer was discovered (the filter-state `source` field). */
export enum PeerSource { None = 0, Headers = 1, Discovery = 2, EndpointMetadata = 3, Tcp = 4 }

export function peerSourceName(s: PeerSource): string {
  switch (s) {
    case PeerSource.Headers: return "istio_headers";
    case PeerSource.Discovery: return "workload_discovery";
    case PeerSource.EndpointMetadata: return "endpoint_metadata";
    case PeerSource.Tcp: return "metadata_exchange";
    default: return "";
  }
}

export function peerSourceFromName(s: string): PeerSource {
  if (s == "istio_headers") return PeerSource.Headers;
  if (s == "workload_discovery") return PeerSource.Discovery;
  if (s == "endpoint_metadata") return PeerSource.EndpointMetadata;
  if (s == "metadata_exchange") return PeerSource.Tcp;
  return PeerSource.None;
}

export class PeerMetadata {
  /** The peer's exchange id (x-envoy-peer-metadata-id: its Envoy node.id); "" when discovered otherwise. */
  id: string = "";
  /** Instance (pod) name: Istio NAME. */
  name: string = "";
  namespace: string = "";
  /** Istio WORKLOAD_NAME (e.g. the Deployment). */
  workload: string = "";
  workloadType: WorkloadType = WorkloadType.Unknown;
  /** Istio CLUSTER_ID. */
  cluster: string = "";
  /** service.istio.io/canonical-name */
  canonicalService: string = "";
  /** service.istio.io/canonical-revision */
  canonicalRevision: string = "";
  app: string = "";
  version: string = "";
  /** SPIFFE identity, e.g. spiffe://cluster.local/ns/default/sa/bookinfo-productpage; "" if unknown. */
  identity: string = "";
  serviceAccount: string = "";
  /** Additional labels (config `additional_labels`), sorted by key, keys unique. */
  labelKeys: Array<string> = new Array<string>();
  labelValues: Array<string> = new Array<string>();
  source: PeerSource = PeerSource.None;

  /** Value of an additional label, or "" when absent. */
  label(key: string): string {
    for (let i = 0, n = this.labelKeys.length; i < n; i++) {
      if (unchecked(this.labelKeys[i]) == key) return unchecked(this.labelValues[i]);
    }
    return "";
  }

  /** Sets an additional label, keeping keys sorted and unique. */
  setLabel(key: string, value: string): void {
    const n = this.labelKeys.length;
    let i = 0;
    while (i < n && unchecked(this.labelKeys[i]) < key) i++;
    if (i < n && unchecked(this.labelKeys[i]) == key) { this.labelValues[i] = value; return; }
    // Insert at i (AssemblyScript's splice cannot insert).
    this.labelKeys.push(key);
    this.labelValues.push(value);
    for (let j = n; j > i; j--) {
      this.labelKeys[j] = this.labelKeys[j - 1];
      this.labelValues[j] = this.labelValues[j - 1];
    }
    this.labelKeys[i] = key;
    this.labelValues[i] = value;
  }

  owner(): string { return ownerOf(this.namespace, this.workloadType, this.workload); }

  /** Fills identity from the service account (and the reverse) where one of them is known. */
  completeIdentity(trustDomain: string): void {
    if (this.identity.length == 0 && this.serviceAccount.length > 0 && this.namespace.length > 0) {
      this.identity = "spiffe://" + (trustDomain.length > 0 ? trustDomain : "cluster.local") + "/ns/" + this.namespace + "/sa/" + this.serviceAccount;
    } else if (this.serviceAccount.length == 0 && this.identity.length > 0) {
      this.serviceAccount = serviceAccountOf(this.identity);
    }
  }

  equals(o: PeerMetadata): bool {
    if (this.id != o.id || this.name != o.name || this.namespace != o.namespace || this.workload != o.workload ||
      this.workloadType != o.workloadType || this.cluster != o.cluster || this.canonicalService != o.canonicalService ||
      this.canonicalRevision != o.canonicalRevision || this.app != o.app || this.version != o.version ||
      this.identity != o.identity || this.serviceAccount != o.serviceAccount || this.source != o.source ||
      this.labelKeys.length != o.labelKeys.length) return false;
    for (let i = 0; i < this.labelKeys.length; i++) {
      if (this.labelKeys[i] != o.labelKeys[i] || this.labelValues[i] != o.labelValues[i]) return false;
    }
    return true;
  }

  clone(): PeerMetadata {
    const p = new PeerMetadata();
    p.id = this.id; p.name = this.name; p.namespace = this.namespace; p.workload = this.workload;
    p.workloadType = this.workloadType; p.cluster = this.cluster; p.canonicalService = this.canonicalService;
    p.canonicalRevision = this.canonicalRevision; p.app = this.app; p.version = this.version;
    p.identity = this.identity; p.serviceAccount = this.serviceAccount; p.source = this.source;
    p.labelKeys = this.labelKeys.slice(0);
    p.labelValues = this.labelValues.slice(0);
    return p;
  }
}

/** The `sa` segment of a SPIFFE id `spiffe://<td>/ns/<ns>/sa/<sa>`, or "". */
export function serviceAccountOf(identity: string): string {
  const i = identity.lastIndexOf("/sa/");
  if (i < 0 || !identity.startsWith("spiffe://")) return "";
  const rest = identity.substring(i + 4);
  return rest.indexOf("/") >= 0 ? "" : rest;
}

/** The `ns` segment of a SPIFFE id, or "". */
export function namespaceOfIdentity(identity: string): string {
  if (!identity.startsWith("spiffe://")) return "";
  const i = identity.indexOf("/ns/");
  if (i < 0) return "";
  const rest = identity.substring(i + 4);
  const j = rest.indexOf("/");
  return j < 0 ? rest : rest.substring(0, j);
}

/**
 * Istio's endpoint metadata fallback (EDS `filter_metadata.istio.workload`):
 * `workload;namespace;canonical-service;canonical-revision;cluster`, at least 5 parts
 * (Istio's convertEndpointMetadata). Null when it has fewer parts.
 */
export function peerFromEndpointMetadata(value: string): PeerMetadata | null {
  const parts = value.split(";");
  if (parts.length < 5) return null;
  const p = new PeerMetadata();
  p.workload = parts[0];
  p.namespace = parts[1];
  p.canonicalService = parts[2];
  p.canonicalRevision = parts[3];
  p.cluster = parts[4];
  p.source = PeerSource.EndpointMetadata;
  return p;
}
