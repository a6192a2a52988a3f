// The discovery steps a stream runs, in configuration order, first success wins (Istio's
// peer_metadata filter.cc: `for method in discovery: if found break`). Each step touches the host
// only through shared/abi wrappers and writes its verdict to filter state via shared/peer.
import {
  HeaderMap, removeHeaderBytes, getPropertyView, getHeaderView, viewPtr, viewCopy, viewString, propertyPath, bumpCounter,
} from "../../shared/abi/host";
import { encodePeerState, writePeerBytes, writeNoPeer, PeerSide } from "../../shared/peer/filter_state";
import { peerFromEndpointMetadata, PeerSource } from "../../shared/peer/peer";
import { ExchangeTranscoder, TranscodeStatus } from "../../shared/peer/transcode";
import { base64DecodeBytes } from "../../shared/codec/base64";
import { PeerCache, CachedPeer, unpaddedLength } from "./cache";
import { Reject } from "./header_value";
import { WorkloadTable, ipOfAddress } from "./workloads";
import { HttpCounters } from "./counters";
import { Method, PeerMetadataConfig } from "./config";

export const SOURCE_ADDRESS = propertyPath(["source", "address"]);
export const UPSTREAM_ADDRESS = propertyPath(["upstream", "address"]);
export const ENDPOINT_WORKLOAD = propertyPath(["xds", "upstream_host_metadata", "filter_metadata", "istio", "workload"]);

/** Everything discovery needs that lives in the root context (one per VM). */
export class DiscoveryEnv {
  mdName: ArrayBuffer = new ArrayBuffer(0);
  idName: ArrayBuffer = new ArrayBuffer(0);
  /** The other preset's names, or null when only the configured pair is read. */
  otherMd: ArrayBuffer | null = null;
  otherId: ArrayBuffer | null = null;
  /** `request.headers.<name>` / `response.headers.<name>` paths: Envoy joins repeated headers with ','. */
  joined: StaticArray<ArrayBuffer> = new StaticArray<ArrayBuffer>(8);
  maxHeaderBytes: i32 = 8192;
  additionalLabels: Array<string> = new Array<string>();
  /** Exchange Struct -> filter-state bytes for the configured additional labels (the miss path). */
  transcoder: ExchangeTranscoder = new ExchangeTranscoder([]);
  /** What the cached filter-state bytes depend on besides the payload: the additional labels. */
  private cacheKey: string = "";
  cache: PeerCache = new PeerCache(500);
  staticTable: WorkloadTable = new WorkloadTable();
  dynamicTable: WorkloadTable = new WorkloadTable();
  counters: HttpCounters | null = null;
  /**
   * What the last discover() saw of the exchange headers (Seen bits), for the stream callback that
   * called it: one VM runs one callback at a time, so a per-VM field needs no per-stream object.
   */
  seen: u32 = 0;

  /**
   * Header names, paths and limits from a validated configuration. The cache survives only if its
   * size and everything its stored bytes depend on (the additional labels) are unchanged: a
   * reconfigure that adds a label must not keep serving peers recorded without it.
   */
  configure(cfg: PeerMetadataConfig): void {
    this.mdName = String.UTF8.encode(cfg.metadataHeader);
    this.idName = String.UTF8.encode(cfg.idHeader);
    const names = [cfg.metadataHeader, cfg.otherMetadataHeader(), cfg.idHeader, cfg.otherIdHeader()];
    for (let i = 0; i < 8; i++) this.joined[i] = propertyPath([i < 4 ? "request" : "response", "headers", names[i & 3]]);
    if (cfg.acceptBothHeaderSets) {
      this.otherMd = String.UTF8.encode(cfg.otherMetadataHeader());
      this.otherId = String.UTF8.encode(cfg.otherIdHeader());
    } else {
      this.otherMd = null;
      this.otherId = null;
    }
    this.maxHeaderBytes = cfg.maxHeaderBytes;
    this.additionalLabels = cfg.additionalLabels;
    this.transcoder = new ExchangeTranscoder(cfg.additionalLabels);
    const key = cfg.additionalLabels.join("\n");
    if (this.cache.maxSize != cfg.maxCacheSize || key != this.cacheKey) this.cache = new PeerCache(cfg.maxCacheSize);
    this.cacheKey = key;
    this.staticTable = cfg.workloads;
  }
}

export enum Outcome { Found = 0, Absent = 1, Rejected = 2 }

/** Bits of DiscoveryEnv.seen. */
export namespace Seen {
  /** The map carried a metadata header (either preset): downstream propagation answers it. */
  export const MD: u32 = 1;
  /** The map carried an id header (either preset). */
  export const ID: u32 = 2;
  /** The configured metadata header was read and is absent. */
  export const NO_MD: u32 = 4;
  /** The other preset's metadata header was read and is absent. */
  export const NO_OTHER_MD: u32 = 8;
  export const NO_ID: u32 = 16;
  export const NO_OTHER_ID: u32 = 32;
}

const EMPTY = new ArrayBuffer(0);

/** Index into DiscoveryEnv.joined: request/response x md/id x configured/other pair. */
export function joinedIndex(map: HeaderMap, id: bool, other: bool): i32 {
  return (map == HeaderMap.ResponseHeaders ? 4 : 0) + (id ? 2 : 0) + (other ? 1 : 0);
}

/** True when the header occurs more than once (the attribute view joins repeats with ','). */
function repeated(env: DiscoveryEnv, map: HeaderMap, id: bool, other: bool): bool {
  const n = getPropertyView(env.joined[joinedIndex(map, id, other)]);
  const p = viewPtr();
  for (let i = 0; i < n; i++) if (load<u8>(p + <usize>i) == 0x2c) return true;
  return false;
}

function reject(env: DiscoveryEnv, r: Reject): Outcome {
  const c = env.counters;
  if (c !== null) c.reject(r);
  return Outcome.Rejected;
}

/**
 * istio_headers: reads the exchange headers from `map` and records what it saw in env.seen.
 * A cache hit allocates nothing: the id is hashed and compared where the host put it (a view), then
 * the metadata value is compared with the raw value the entry was decoded from; two filter-state
 * writes follow. Only a miss copies the bytes it keeps. Each view is dead after the next host read.
 */
export function discoverFromHeaders(env: DiscoveryEnv, map: HeaderMap, side: PeerSide): Outcome {
  let seen: u32 = 0;
  let idN = getHeaderView(map, env.idName);
  let usedOther = false;
  if (idN < 0) {
    seen |= Seen.NO_ID;
    if (env.otherId !== null) {
      idN = getHeaderView(map, env.otherId!);
      if (idN < 0) seen |= Seen.NO_OTHER_ID;
      else usedOther = true;
    }
  }
  let hit: CachedPeer | null = null;
  let idBytes: ArrayBuffer | null = null;
  if (idN > 0) {
    hit = env.cache.findAt(viewPtr(), idN);
    if (hit === null) idBytes = viewCopy(idN);
  } else if (idN == 0) {
    idBytes = EMPTY;
  }
  let mdN = getHeaderView(map, usedOther ? env.otherMd! : env.mdName);
  let mdOther = usedOther;
  if (mdN < 0) {
    seen |= usedOther ? Seen.NO_OTHER_MD : Seen.NO_MD;
    if (env.otherMd !== null && !usedOther) {
      mdN = getHeaderView(map, env.otherMd!);
      if (mdN < 0) seen |= Seen.NO_OTHER_MD;
      else mdOther = true;
    }
  }
  if (idN >= 0) seen |= Seen.ID;
  if (mdN >= 0) seen |= Seen.MD;
  env.seen = seen;
  // Istio (peer_metadata filter.cc MXMethod::derivePeerInfo): without a non-empty metadata header
  // this method finds nothing, whatever the id header says or the cache holds.
  if (mdN <= 0) return Outcome.Absent;
  if (hit !== null) {
    // Padded and unpadded base64 of the same bytes are the same metadata (Envoy decodes both).
    if (viewEqualsUnpadded(mdN, hit.raw)) {
      writePeerBytes(side, hit.state, hit.id);
      return Outcome.Found;
    }
    // Same id, different metadata: Istio would keep serving the first value. We refuse both
    // for this request and forget the entry, so the next request decodes afresh.
    env.cache.delete(hit.id);
    return reject(env, Reject.IdMismatch);
  }
  if (mdN > env.maxHeaderBytes) return reject(env, Reject.TooLarge);
  // A miss from here on: keep the value (without padding) before the next host read replaces the
  // view, then look for duplicated exchange headers. Base64 has no ',' and Istio node ids have none.
  const md = viewCopy(unpaddedLength(viewPtr(), mdN));
  if (repeated(env, map, false, mdOther) || (idBytes !== null && repeated(env, map, true, usedOther))) return reject(env, Reject.DuplicateHeader);
  const raw = base64DecodeBytes(md);
  if (raw === null) return reject(env, Reject.BadBase64);
  const idBuf = idBytes === null ? EMPTY : idBytes!;
  const t = env.transcoder;
  const st = t.transcode(raw, changetype<usize>(idBuf), idBuf.byteLength, PeerSource.Headers);
  if (st != TranscodeStatus.Ok) return reject(env, st == TranscodeStatus.WrongType ? Reject.WrongType : Reject.BadProtobuf);
  const state = t.state;
  if (idBuf.byteLength > 0) {
    const evicted = env.cache.put(new CachedPeer(state, idBuf, md));
    const c = env.counters;
    if (c !== null) {
      bumpCounter(c.cacheMiss, 1);
      if (evicted > 0) bumpCounter(c.cacheEvicted, evicted);
    }
  }
  writePeerBytes(side, state, idBuf);
  return Outcome.Found;
}

/** Whether the viewed header value equals `raw` once '=' padding is dropped from the view. */
function viewEqualsUnpadded(n: i32, raw: ArrayBuffer): bool {
  const p = viewPtr();
  const m = unpaddedLength(p, n);
  return m == raw.byteLength && memory.compare(p, changetype<usize>(raw), <usize>m) == 0;
}

/** workload_discovery: IP lookup of the peer address, then (upstream) Istio's endpoint metadata. */
export function discoverFromWorkloads(env: DiscoveryEnv, side: PeerSide): Outcome {
  const an = getPropertyView(side == PeerSide.Downstream ? SOURCE_ADDRESS : UPSTREAM_ADDRESS);
  if (an >= 0) {
    const ip = ipOfAddress(viewString(an));
    if (ip.length > 0) {
      let state = env.dynamicTable.lookup(ip);
      if (state === null) state = env.staticTable.lookup(ip);
      if (state !== null) {
        writePeerBytes(side, state!, null);
        const c = env.counters;
        if (c !== null) bumpCounter(c.discoveryHit, 1);
        return Outcome.Found;
      }
    }
  }
  if (side == PeerSide.Upstream) {
    const en = getPropertyView(ENDPOINT_WORKLOAD);
    if (en >= 0) {
      const p = peerFromEndpointMetadata(viewString(en));
      if (p !== null) {
        writePeerBytes(side, encodePeerState(p!), null);
        return Outcome.Found;
      }
    }
  }
  return Outcome.Absent;
}

/**
 * Runs `methods` in order; records "no peer" when none found it. Returns whether one did. env.seen
 * afterwards says what istio_headers saw (0 when it did not run).
 */
export function discover(env: DiscoveryEnv, methods: Array<Method>, map: HeaderMap, side: PeerSide): bool {
  env.seen = 0;
  const n = methods.length;
  for (let i = 0; i < n; i++) {
    const m = unchecked(methods[i]);
    const o = m == Method.IstioHeaders ? discoverFromHeaders(env, map, side) : discoverFromWorkloads(env, side);
    if (o == Outcome.Found) return true;
  }
  if (n > 0) {
    writeNoPeer(side);
    const c = env.counters;
    if (c !== null) bumpCounter(c.notFound, 1);
  }
  return false;
}

/**
 * Removes every exchange header this filter reads, so the next hop (or the app) never sees them,
 * except those `absent` (Seen.NO_* bits) says were just read from this map and not there.
 * Removing an absent response header is a no-op in Envoy, so the response side passes env.seen.
 * The request side passes 0: Envoy clears the route cache on every request-header removal
 * (Context::removeHeaderMapValue), present or not, and skipping that would not be equivalent.
 */
export function stripHeaders(env: DiscoveryEnv, map: HeaderMap, absent: u32): void {
  if ((absent & Seen.NO_MD) == 0) removeHeaderBytes(map, env.mdName);
  if ((absent & Seen.NO_ID) == 0) removeHeaderBytes(map, env.idName);
  if (env.otherMd !== null) {
    if ((absent & Seen.NO_OTHER_MD) == 0) removeHeaderBytes(map, env.otherMd!);
    if ((absent & Seen.NO_OTHER_ID) == 0) removeHeaderBytes(map, env.otherId!);
  }
}
