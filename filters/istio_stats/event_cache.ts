// Recent events' standard labels and label sets, keyed by the inputs of fillStandardLabels.
//
// The 25 standard values are a pure function of (role, request facts, local and peer metadata,
// host-header switch). Requests of a busy workload repeat a handful of those inputs, and the filter
// already hands out the same objects for repeats (peer decoded once per distinct filter state,
// principals and cluster names decoded once per distinct bytes), so a repeat is recognised by a few
// integer and pointer comparisons. A hit skips filling the labels, hashing them and looking up the
// label set of every plan without expressions: the entry remembers the set each such plan resolved
// to. (A plan with expressions takes values from the request itself and is resolved every time.)
//
// Entries hold references to their key objects, so an equal pointer is always the same, unchanged
// object (PeerMetadata is not modified once decoded). Strings are compared by value (a pointer
// test first), so a new string with the same text still hits.
import { PeerMetadata } from "../../shared/peer/peer";
import { TAG_COUNT } from "./labels";
import { LabelSet } from "./metrics";
import { Role, RequestFacts } from "./request_labels";

export const EVENT_CACHE_SIZE: i32 = 8;

export class EventEntry {
  used: bool = false;
  role: Role = Role.Source;
  disableHostHeaderFallback: bool = false;
  local: PeerMetadata | null = null;
  peer: PeerMetadata | null = null;
  upstreamPeer: PeerMetadata | null = null;
  protocol: string = "";
  responseCode: i64 = 0;
  grpcStatus: i64 = -1;
  responseFlags: string = "";
  mtls: bool = false;
  peerPrincipal: string = "";
  localPrincipal: string = "";
  hostHeader: string = "";
  clusterName: string = "";
  routeName: string = "";
  serviceHost: string = "";
  serviceName: string = "";
  serviceNamespace: string = "";
  /** The standard labels of this key (filled by the caller on a miss). */
  std: StaticArray<string> = new StaticArray<string>(TAG_COUNT);
  /** Per plan (Recorder.plans index): the label set resolved for these labels, null until first needed (plans without expressions only). */
  sets: StaticArray<LabelSet | null>;

  constructor(plans: i32) { this.sets = new StaticArray<LabelSet | null>(plans); }

  matches(role: Role, f: RequestFacts, local: PeerMetadata, peer: PeerMetadata | null, disable: bool): bool {
    return this.used && this.responseCode == f.responseCode && this.grpcStatus == f.grpcStatus && this.role == role &&
      this.mtls == f.mtls && this.disableHostHeaderFallback == disable &&
      changetype<usize>(this.peer) == changetype<usize>(peer) && changetype<usize>(this.local) == changetype<usize>(local) &&
      changetype<usize>(this.upstreamPeer) == changetype<usize>(f.upstreamPeer) &&
      same(this.protocol, f.protocol) && same(this.responseFlags, f.responseFlags) &&
      same(this.peerPrincipal, f.peerPrincipal) && same(this.localPrincipal, f.localPrincipal) &&
      same(this.hostHeader, f.hostHeader) && same(this.clusterName, f.clusterName) && same(this.routeName, f.routeName) &&
      same(this.serviceHost, f.serviceHost) && same(this.serviceName, f.serviceName) && same(this.serviceNamespace, f.serviceNamespace);
  }

  assign(role: Role, f: RequestFacts, local: PeerMetadata, peer: PeerMetadata | null, disable: bool): void {
    this.used = true;
    this.role = role;
    this.disableHostHeaderFallback = disable;
    this.local = local;
    this.peer = peer;
    this.upstreamPeer = f.upstreamPeer;
    this.protocol = f.protocol;
    this.responseCode = f.responseCode;
    this.grpcStatus = f.grpcStatus;
    this.responseFlags = f.responseFlags;
    this.mtls = f.mtls;
    this.peerPrincipal = f.peerPrincipal;
    this.localPrincipal = f.localPrincipal;
    this.hostHeader = f.hostHeader;
    this.clusterName = f.clusterName;
    this.routeName = f.routeName;
    this.serviceHost = f.serviceHost;
    this.serviceName = f.serviceName;
    this.serviceNamespace = f.serviceNamespace;
    for (let i = 0, n = this.sets.length; i < n; i++) unchecked(this.sets[i] = null);
  }
}

// @ts-ignore: decorator
@inline function same(a: string, b: string): bool {
  return changetype<usize>(a) == changetype<usize>(b) || a == b;
}

/** A fixed ring of EVENT_CACHE_SIZE entries, allocated once; a miss overwrites the oldest. */
export class EventCache {
  entries: StaticArray<EventEntry>;
  /** Next entry to overwrite; the most recent one is just before it. */
  private next: i32 = 0;
  hits: u64 = 0;
  misses: u64 = 0;

  constructor(plans: i32) {
    this.entries = new StaticArray<EventEntry>(EVENT_CACHE_SIZE);
    for (let i = 0; i < EVENT_CACHE_SIZE; i++) unchecked(this.entries[i] = new EventEntry(plans));
  }

  /** The entry for these inputs, or null (then `claim` one and fill its `std`). Most recent first. */
  find(role: Role, f: RequestFacts, local: PeerMetadata, peer: PeerMetadata | null, disable: bool): EventEntry | null {
    for (let k = 1; k <= EVENT_CACHE_SIZE; k++) {
      const e = unchecked(this.entries[(this.next - k + EVENT_CACHE_SIZE) % EVENT_CACHE_SIZE]);
      if (!e.used) break;
      if (e.matches(role, f, local, peer, disable)) { this.hits++; return e; }
    }
    this.misses++;
    return null;
  }

  /** Takes the oldest entry for these inputs; the caller fills its `std`. */
  claim(role: Role, f: RequestFacts, local: PeerMetadata, peer: PeerMetadata | null, disable: bool): EventEntry {
    const e = unchecked(this.entries[this.next]);
    this.next = (this.next + 1) % EVENT_CACHE_SIZE;
    e.assign(role, f, local, peer, disable);
    return e;
  }
}
