// The discovery steps a stream runs, in configuration order, first success wins (Istio's
// peer_metadata filter.cc: `for method in discovery: if found break`). Each step touches the host
// only through shared/abi wrappers and writes its verdict to filter state via shared/peer.
import {
  HeaderMap, getHeaderBytes, removeHeaderBytes, getPropertyBytes, propertyPath,
} from "../../shared/abi/host";
import { encodePeerState, writePeerBytes, writeNoPeer, PeerSide } from "../../shared/peer/filter_state";
import { peerFromEndpointMetadata } from "../../shared/peer/peer";
import { PeerCache, CachedPeer } from "./cache";
import { decodeHeaderValue, Reject } from "./header_value";
import { WorkloadTable, ipOfAddress } from "./workloads";
import { HttpCounters, bump } from "./counters";
import { Method } from "./config";

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
  cache: PeerCache = new PeerCache(500);
  staticTable: WorkloadTable = new WorkloadTable();
  dynamicTable: WorkloadTable = new WorkloadTable();
  counters: HttpCounters | null = null;
}

export enum Outcome { Found = 0, Absent = 1, Rejected = 2 }

/** What the request carried, for downstream propagation (Istio answers only what was asked). */
export class Received {
  md: bool = false;
  id: bool = false;
}

/** Index into DiscoveryEnv.joined: request/response x md/id x configured/other pair. */
export function joinedIndex(map: HeaderMap, id: bool, other: bool): i32 {
  return (map == HeaderMap.ResponseHeaders ? 4 : 0) + (id ? 2 : 0) + (other ? 1 : 0);
}

/** True when the header occurs more than once (the attribute view joins repeats with ','). */
function repeated(env: DiscoveryEnv, map: HeaderMap, id: bool, other: bool): bool {
  const v = getPropertyBytes(env.joined[joinedIndex(map, id, other)]);
  if (v === null) return false;
  const p = changetype<usize>(v);
  for (let i = 0, n = v.byteLength; i < n; i++) if (load<u8>(p + i) == 0x2c) return true;
  return false;
}

function reject(env: DiscoveryEnv, r: Reject): Outcome {
  const c = env.counters;
  if (c !== null) c.reject(r);
  return Outcome.Rejected;
}

/**
 * istio_headers: reads the exchange headers from `map`. Cache hit = one id lookup, one compare
 * against the raw value it was decoded from, two filter-state writes; nothing is decoded.
 */
export function discoverFromHeaders(env: DiscoveryEnv, map: HeaderMap, side: PeerSide, got: Received): Outcome {
  let idBytes = getHeaderBytes(map, env.idName);
  let usedOther = false;
  if (idBytes === null && env.otherId !== null) { idBytes = getHeaderBytes(map, env.otherId!); usedOther = idBytes !== null; }
  let md = getHeaderBytes(map, usedOther ? env.otherMd! : env.mdName);
  if (md === null && env.otherMd !== null && !usedOther) md = getHeaderBytes(map, env.otherMd!);
  got.id = idBytes !== null;
  got.md = md !== null;
  if (idBytes !== null && idBytes.byteLength > 0) {
    const hit = env.cache.get(idBytes);
    if (hit !== null) {
      // Istio serves a cached id even when the value header is missing.
      if (md === null || hit.sameRaw(md)) {
        writePeerBytes(side, hit.state, hit.id);
        return Outcome.Found;
      }
      // Same id, different metadata: Istio would keep serving the first value. We refuse both
      // for this request and forget the entry, so the next request decodes afresh.
      env.cache.delete(idBytes);
      return reject(env, Reject.IdMismatch);
    }
  }
  if (md === null) return Outcome.Absent;
  if (md.byteLength > env.maxHeaderBytes) return reject(env, Reject.TooLarge);
  // Off the hot path from here on (a miss): look for duplicated exchange headers. Base64 has no
  // ',' and Istio node ids have none either.
  const mdOther = usedOther || (env.otherMd !== null && getHeaderBytes(map, env.mdName) === null);
  if (repeated(env, map, false, mdOther) || (idBytes !== null && repeated(env, map, true, usedOther))) return reject(env, Reject.DuplicateHeader);
  const d = decodeHeaderValue(md, env.maxHeaderBytes, env.additionalLabels);
  if (d.peer === null) return reject(env, d.reason);
  const peer = d.peer!;
  const idBuf = idBytes === null ? new ArrayBuffer(0) : idBytes;
  peer.id = String.UTF8.decode(idBuf);
  const state = encodePeerState(peer);
  if (idBuf.byteLength > 0) {
    const evicted = env.cache.put(new CachedPeer(state, idBuf, md));
    const c = env.counters;
    if (c !== null) {
      bump(c.cacheMiss, 1);
      if (evicted > 0) bump(c.cacheEvicted, evicted);
    }
  }
  writePeerBytes(side, state, idBuf);
  return Outcome.Found;
}

/** workload_discovery: IP lookup of the peer address, then (upstream) Istio's endpoint metadata. */
export function discoverFromWorkloads(env: DiscoveryEnv, side: PeerSide): Outcome {
  const addr = getPropertyBytes(side == PeerSide.Downstream ? SOURCE_ADDRESS : UPSTREAM_ADDRESS);
  if (addr !== null) {
    const ip = ipOfAddress(String.UTF8.decode(addr));
    if (ip.length > 0) {
      let state = env.dynamicTable.lookup(ip);
      if (state === null) state = env.staticTable.lookup(ip);
      if (state !== null) {
        writePeerBytes(side, state!, null);
        const c = env.counters;
        if (c !== null) bump(c.discoveryHit, 1);
        return Outcome.Found;
      }
    }
  }
  if (side == PeerSide.Upstream) {
    const ep = getPropertyBytes(ENDPOINT_WORKLOAD);
    if (ep !== null) {
      const p = peerFromEndpointMetadata(String.UTF8.decode(ep));
      if (p !== null) {
        writePeerBytes(side, encodePeerState(p!), null);
        return Outcome.Found;
      }
    }
  }
  return Outcome.Absent;
}

/** Runs `methods` in order; records "no peer" when none found it. Returns whether one did. */
export function discover(env: DiscoveryEnv, methods: Array<Method>, map: HeaderMap, side: PeerSide, got: Received): bool {
  for (let i = 0, n = methods.length; i < n; i++) {
    const m = unchecked(methods[i]);
    const o = m == Method.IstioHeaders ? discoverFromHeaders(env, map, side, got) : discoverFromWorkloads(env, side);
    if (o == Outcome.Found) return true;
  }
  if (methods.length > 0) {
    writeNoPeer(side);
    const c = env.counters;
    if (c !== null) bump(c.notFound, 1);
  }
  return false;
}

/** Removes every exchange header this filter reads, so the next hop (or the app) never sees them. */
export function stripHeaders(env: DiscoveryEnv, map: HeaderMap): void {
  removeHeaderBytes(map, env.mdName);
  removeHeaderBytes(map, env.idName);
  if (env.otherMd !== null) {
    removeHeaderBytes(map, env.otherMd!);
    removeHeaderBytes(map, env.otherId!);
  }
}
