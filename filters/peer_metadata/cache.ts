// Decoded peers keyed by exchange id, per VM (per Envoy worker), bounded.
//
// Istio (proxy@release-1.28 peer_metadata filter.cc, MXMethod::lookup; Wasm era plugin.cc) keeps
// at most max_peer_cache_size (default 500) entries and, when full, erases the first quarter in
// hash-map iteration order: not an LRU. AssemblyScript's Map iterates in insertion order, so
// the quarter evicted here is the oldest-inserted one. A size of 0 disables caching.
//
// Each entry keeps what the hot path needs without re-encoding: the filter-state bytes, the id
// bytes, and the raw header value it was decoded from (to notice an id that changes metadata).
export class CachedPeer {
  // No decoded PeerMetadata is kept: the hit path needs only these bytes, and a small live heap
  // keeps the incremental GC's marking cheap.
  constructor(
    /** encodePeerState(peer), written verbatim to filter state. */
    public state: ArrayBuffer,
    public id: ArrayBuffer,
    /** The header value (still base64, '=' padding dropped) the entry was decoded from. */
    public raw: ArrayBuffer,
  ) {}

  /** Whether `value` is the value this entry was decoded from, padded or not. */
  sameRaw(value: ArrayBuffer): bool {
    const p = changetype<usize>(value);
    return sameBytesAt(this.raw, p, unpaddedLength(p, value.byteLength));
  }
}

/**
 * Length of a base64 value at [p, p+n) without its '=' padding (dropped only where the decoder
 * accepts it: a length that is a multiple of 4), so padded and unpadded forms compare equal.
 */
export function unpaddedLength(p: usize, n: i32): i32 {
  if (n > 0 && (n & 3) == 0) {
    if (load<u8>(p + <usize>(n - 1)) == 0x3d) n--;
    if (n > 0 && load<u8>(p + <usize>(n - 1)) == 0x3d) n--;
  }
  return n;
}

/**
 * Hash of the id bytes at [p, p+n): the cache is keyed without decoding the id into a string, and
 * straight from a header view on the hot path. Eight bytes per step in two independent lanes, the
 * tail as one overlapping word (Istio ids are ~70 bytes); the map mixes the result again, and
 * entries compare the full id, so this only has to spread.
 */
export function idHashAt(p: usize, n: i32): u64 {
  let a: u64 = 0xcbf29ce484222325 ^ <u64>n;
  if (n < 8) {
    for (let i = 0; i < n; i++) a = (a ^ <u64>load<u8>(p + <usize>i)) * 0x100000001b3;
    return a ^ (a >> 32);
  }
  let b: u64 = 0x84222325cbf29ce4;
  const end = p + <usize>n;
  let q = p;
  for (; q + 16 <= end; q += 16) {
    a = (a ^ load<u64>(q)) * 0x9e3779b97f4a7c15;
    b = (b ^ load<u64>(q, 8)) * 0xc2b2ae3d27d4eb4f;
    a ^= a >> 29;
    b ^= b >> 31;
  }
  if (q + 8 <= end) {
    a = (a ^ load<u64>(q)) * 0x9e3779b97f4a7c15;
    q += 8;
  }
  if (q < end) b = (b ^ load<u64>(end - 8)) * 0xc2b2ae3d27d4eb4f;
  const h = (a ^ (b >> 27)) * 0x9e3779b97f4a7c15 ^ b;
  return h ^ (h >> 32);
}

export function idHash(id: ArrayBuffer): u64 {
  return idHashAt(changetype<usize>(id), id.byteLength);
}

function sameBytesAt(a: ArrayBuffer, p: usize, n: i32): bool {
  return n == a.byteLength && memory.compare(changetype<usize>(a), p, <usize>n) == 0;
}

export class PeerCache {
  // Keyed by the id's hash; the entry's own id bytes are compared on lookup, so a hash collision
  // is a miss (and the newer id replaces the older), never a wrong peer.
  private map: Map<u64, CachedPeer> = new Map<u64, CachedPeer>();
  // A direct-mapped front index over the map (slot = hash & mask), so a hit is one load instead of
  // Map#has + Map#get. Invariant: a slot is null or holds a live entry of the map whose hash maps
  // to it; put/delete/evict keep it so (dead entries are never served, nor kept alive).
  private front: StaticArray<CachedPeer | null>;
  private frontHash: StaticArray<u64>;
  private mask: u64;
  /** Entries evicted so far. */
  evicted: u64 = 0;

  constructor(public maxSize: i32) {
    let n = 16;
    while (n < maxSize * 2 && n < 4096) n <<= 1;
    this.front = new StaticArray<CachedPeer | null>(n);
    this.frontHash = new StaticArray<u64>(n);
    this.mask = <u64>(n - 1);
  }

  get size(): i32 { return this.map.size; }

  /** The entry whose id is the n bytes at p (e.g. a header view), or null. */
  findAt(p: usize, n: i32): CachedPeer | null {
    const h = idHashAt(p, n);
    const slot = <i32>(h & this.mask);
    const f = unchecked(this.front[slot]);
    if (f !== null && unchecked(this.frontHash[slot]) == h) return sameBytesAt(f.id, p, n) ? f : null;
    if (!this.map.has(h)) return null;
    const e = this.map.get(h);
    if (!sameBytesAt(e.id, p, n)) return null;
    this.remember(h, e);
    return e;
  }

  get(id: ArrayBuffer): CachedPeer | null {
    return this.findAt(changetype<usize>(id), id.byteLength);
  }

  /** Inserts or replaces (entry.id is the key); returns how many entries were evicted to make room. */
  put(entry: CachedPeer): i32 {
    if (this.maxSize <= 0) return 0;
    const h = idHash(entry.id);
    // Re-inserting moves the key to the end of the iteration order.
    if (this.map.has(h)) this.remove(h);
    this.map.set(h, entry);
    this.remember(h, entry);
    if (this.map.size <= this.maxSize) return 0;
    let n = this.maxSize / 4;
    if (n < 1) n = 1;
    const keys = this.map.keys();
    for (let i = 0; i < n && i < keys.length; i++) this.remove(keys[i]);
    this.evicted += <u64>n;
    return n;
  }

  delete(id: ArrayBuffer): void {
    const h = idHash(id);
    if (this.map.has(h) && sameBytesAt(this.map.get(h).id, changetype<usize>(id), id.byteLength)) this.remove(h);
  }

  private remember(h: u64, e: CachedPeer): void {
    const slot = <i32>(h & this.mask);
    unchecked(this.front[slot] = e);
    unchecked(this.frontHash[slot] = h);
  }

  /** Removes the entry under hash h (present) from the map and the front index. */
  private remove(h: u64): void {
    const slot = <i32>(h & this.mask);
    if (unchecked(this.frontHash[slot]) == h && unchecked(this.front[slot]) !== null) unchecked(this.front[slot] = null);
    this.map.delete(h);
  }
}
