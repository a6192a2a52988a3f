// Workload discovery: the IP -> workload table used when a peer sent no exchange headers (TCP,
// first packet, waypoint-style traffic, peers without a sidecar).
//
// Entries use the field names of Istio's istio.workload.Workload (ztunnel workload.proto), with
// addresses as text. Conversion follows Istio's workload_discovery api.cc: empty namespace,
// service account and trust domain default to "default", "default", "cluster.local"; identity is
// spiffe://<td>/ns/<ns>/sa/<sa>; app/version are the canonical name/revision.
//
// Memory: each address maps to the finished filter-state bytes of its peer (what the filter writes
// verbatim), so a lookup is one hash probe and no decoding. Per address that is the key string
// (~2 bytes per character + 20 header), the state buffer (~150-300 bytes for a typical workload)
// and the map slot (~24 bytes): about 300-400 bytes, i.e. ~35 MiB for 100k single-address
// workloads per worker VM.
import { JsonValue, JsonKind, JsonArrayReader } from "../../shared/codec/json";
import { PeerMetadata, PeerSource, WorkloadType } from "../../shared/peer/peer";
import { encodePeerState } from "../../shared/peer/filter_state";

function workloadType(s: string): i32 {
  // Accept Istio's enum names and the lower-case suffixes; -1 = invalid.
  if (s == "" || s == "DEPLOYMENT" || s == "deployment") return WorkloadType.Deployment;
  if (s == "CRONJOB" || s == "cronjob") return WorkloadType.CronJob;
  if (s == "POD" || s == "pod") return WorkloadType.Pod;
  if (s == "JOB" || s == "job") return WorkloadType.Job;
  return -1;
}

function isDigit(c: i32): bool { return c >= 0x30 && c <= 0x39; }

/** Canonical text of an IPv4 or IPv6 address, or "" if it is neither. IPv6 is lower-cased only. */
export function canonicalIp(s: string): string {
  if (s.length == 0 || s.length > 45) return "";
  if (s.indexOf(":") >= 0) {
    let colons = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const lc = c | 0x20;
      if (c == 0x3a) colons++;
      else if (!(isDigit(c) || (lc >= 0x61 && lc <= 0x66) || c == 0x2e)) return "";
    }
    return colons >= 2 ? s.toLowerCase() : "";
  }
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    if (i == s.length || s.charCodeAt(i) == 0x2e) {
      if (digits == 0 || value > 255) return "";
      parts++;
      digits = 0;
      value = 0;
      continue;
    }
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return "";
    if (digits > 0 && value == 0) return ""; // leading zero
    value = value * 10 + (c - 0x30);
    digits++;
    if (digits > 3) return "";
  }
  return parts == 4 ? s : "";
}

/** The IP of an Envoy address attribute ("10.0.0.1:41234", "[::1]:80", or a bare IP). */
export function ipOfAddress(addr: string): string {
  if (addr.startsWith("[")) {
    const end = addr.indexOf("]");
    return end > 0 ? canonicalIp(addr.substring(1, end)) : "";
  }
  const colon = addr.lastIndexOf(":");
  if (colon > 0 && addr.indexOf(":") == colon) return canonicalIp(addr.substring(0, colon));
  return canonicalIp(addr);
}

function str(v: JsonValue, key: string, path: string, err: Array<string>): string {
  const x = v.get(key);
  if (x === null) return "";
  if (x.kind != JsonKind.String) { if (err.length == 0) err.push(path + "." + key + ": expected string"); return ""; }
  return x.str;
}

/** Builds the peer for one workload entry; pushes an error ("<path>: why") on bad input. */
export function peerFromWorkload(v: JsonValue, path: string, additionalLabels: Array<string>, trustDomain: string, err: Array<string>): PeerMetadata {
  const p = new PeerMetadata();
  p.name = str(v, "name", path, err);
  p.namespace = str(v, "namespace", path, err);
  if (p.namespace.length == 0) p.namespace = "default";
  p.workload = str(v, "workload_name", path, err);
  p.cluster = str(v, "cluster_id", path, err);
  p.canonicalService = str(v, "canonical_name", path, err);
  p.canonicalRevision = str(v, "canonical_revision", path, err);
  p.app = p.canonicalService;
  p.version = p.canonicalRevision;
  const t = workloadType(str(v, "workload_type", path, err));
  if (t < 0) { if (err.length == 0) err.push(path + ".workload_type: expected DEPLOYMENT, CRONJOB, POD or JOB"); }
  else p.workloadType = <WorkloadType>t;
  p.serviceAccount = str(v, "service_account", path, err);
  if (p.serviceAccount.length == 0) p.serviceAccount = "default";
  let td = str(v, "trust_domain", path, err);
  if (td.length == 0) td = trustDomain;
  p.identity = "spiffe://" + td + "/ns/" + p.namespace + "/sa/" + p.serviceAccount;
  const labels = v.get("labels");
  if (labels !== null) {
    if (labels.kind != JsonKind.Object) { if (err.length == 0) err.push(path + ".labels: expected object"); }
    else {
      for (let i = 0; i < additionalLabels.length; i++) {
        const l = labels.get(additionalLabels[i]);
        if (l !== null && l.kind == JsonKind.String) p.setLabel(additionalLabels[i], l.str);
      }
    }
  }
  p.source = PeerSource.Discovery;
  return p;
}

export class WorkloadTable {
  private byIp: Map<string, ArrayBuffer> = new Map<string, ArrayBuffer>();

  get size(): i32 { return this.byIp.size; }

  /** The filter-state bytes of the workload at `ip` (canonical text), or null. */
  lookup(ip: string): ArrayBuffer | null {
    return this.byIp.has(ip) ? this.byIp.get(ip) : null;
  }

  /**
   * Replaces the table with a JSON array of workload entries. Returns "" or "<[i].field>: why";
   * on error the table is left unchanged.
   */
  load(arr: JsonValue, additionalLabels: Array<string>, trustDomain: string): string {
    if (arr.kind != JsonKind.Array) return ": expected an array of workloads";
    const next = new Map<string, ArrayBuffer>();
    for (let i = 0; i < arr.items.length; i++) {
      const err = addEntry(next, arr.items[i], i, additionalLabels, trustDomain);
      if (err.length > 0) return err;
    }
    this.byIp = next;
    return "";
  }

  /**
   * Same, reading the array straight from JSON text at `start` (its '['), one entry at a time, so
   * only one entry's parse tree is alive at once. A syntax error comes back as "!<line/column: why>".
   */
  loadText(text: string, start: i32, additionalLabels: Array<string>, trustDomain: string): string {
    const reader = new JsonArrayReader(text, start);
    const next = new Map<string, ArrayBuffer>();
    for (let v = reader.next(); v !== null; v = reader.next()) {
      const err = addEntry(next, v, reader.index - 1, additionalLabels, trustDomain);
      if (err.length > 0) return err;
      // Each entry leaves ~2 KiB of garbage (its tree, the converted peer); the incremental GC lags
      // a burst like this, and Wasm memory never shrinks, so collect fully now and then.
      if ((reader.index & 8191) == 0) __collect();
    }
    if (reader.error.length > 0) return "!" + reader.error;
    this.byIp = next;
    return "";
  }
}

function addEntry(next: Map<string, ArrayBuffer>, v: JsonValue, i: i32, additionalLabels: Array<string>, trustDomain: string): string {
  const path = "[" + i.toString() + "]";
  if (v.kind != JsonKind.Object) return path + ": expected object";
  const err = new Array<string>();
  const p = peerFromWorkload(v, path, additionalLabels, trustDomain, err);
  if (err.length > 0) return err[0];
  const addrs = v.get("addresses");
  if (addrs === null || addrs.kind != JsonKind.Array || addrs.items.length == 0) return path + ".addresses: expected a non-empty array of IP addresses";
  const state = encodePeerState(p);
  for (let j = 0; j < addrs.items.length; j++) {
    const a = addrs.items[j];
    const ip = a.kind == JsonKind.String ? canonicalIp(a.str) : "";
    if (ip.length == 0) return path + ".addresses[" + j.toString() + "]: expected an IPv4 or IPv6 address";
    next.set(ip, state);
  }
  return "";
}
