// Decoded peers keyed by exchange id, per VM (per Envoy worker), bounded.
//
// Istio (proxy@release-1.28 peer_metadata filter.cc, MXMethod::lookup; Wasm era plugin.cc) keeps
// at most max_peer_cache_size (default 500) entries and, when full, erases the first quarter in
// hash-map iteration order: not an LRU. AssemblyScript's Map iterates in insertion order, so
// the quarter evicted here is the oldest-inserted one. A size of 0 disables caching.
//
// Each entry keeps what the hot path needs without re-encoding: the filter-state bytes, the id
// bytes, and the raw header value it was decoded from (to notice an id that changes metadata).
import { PeerMetadata } from "../../shared/peer/peer";

export class CachedPeer {
  constructor(
    public peer: PeerMetadata,
    /** encodePeerState(peer), written verbatim to filter state. */
    public state: ArrayBuffer,
    public id: ArrayBuffer,
    /** The header value (still base64) the entry was decoded from. */
    public raw: ArrayBuffer,
  ) {}

  /** Whether `value` is byte-for-byte the value this entry was decoded from. */
  sameRaw(value: ArrayBuffer): bool {
    const n = value.byteLength;
    if (n != this.raw.byteLength) return false;
    return memory.compare(changetype<usize>(value), changetype<usize>(this.raw), n) == 0;
  }
}

export class PeerCache {
  private map: Map<string, CachedPeer> = new Map<string, CachedPeer>();
  /** Entries evicted so far (for the counter and the bench). */
  evicted: u64 = 0;

  constructor(public maxSize: i32) {}

  get size(): i32 { return this.map.size; }

  get(id: string): CachedPeer | null {
    return this.map.has(id) ? this.map.get(id) : null;
  }

  /** Inserts or replaces; returns how many entries were evicted to make room. */
  put(id: string, entry: CachedPeer): i32 {
    if (this.maxSize <= 0) return 0;
    this.map.set(id, entry);
    if (this.map.size <= this.maxSize) return 0;
    let n = this.maxSize / 4;
    if (n < 1) n = 1;
    const keys = this.map.keys();
    for (let i = 0; i < n && i < keys.length; i++) this.map.delete(keys[i]);
    this.evicted += <u64>n;
    return n;
  }

  delete(id: string): void {
    if (this.map.has(id)) this.map.delete(id);
  }
}
