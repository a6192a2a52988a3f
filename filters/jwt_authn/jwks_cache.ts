// Remote JWKS (Envoy jwks_cache.cc + common/jwks_fetcher.cc + jwks_async_fetcher.cc) for a Wasm
// filter: one fetch per proxy, not per worker. The fetched body lives in shared data
// `jwt_authn.jwks.<cluster>|<uri>` ([u64 fetched-at ns][JWKS JSON]); whoever wants keys and finds none
// fresh takes the lease `<key>.lease` ([u64 stamp ns][u8 state: 1 fetching, 2 failed]) with
// compare-and-swap and calls proxy_http_call; the others wait and see the result on their tick.
// Requests that need keys wait (StopIteration) and are resumed when the fetch ends either way.
// Keys already fetched serve until cache_duration runs out (async_fetch: until replaced), also
// during an outage; a fetch that fails leaves waiting requests with "Jwks remote fetch is failed".
import {
  HeaderMap, BufferType, LogLevel, logEnabled, log, httpCall, getHeader, getBufferBytes, getSharedData, setSharedData,
  nowNanos, WasmResult,
} from "../../shared/abi/host";
import { HeaderPair } from "../../shared/abi/pairs";
import { Provider, RemoteJwksConfig } from "./config";
import { Jwks, parseJwks } from "./jwks";
import { Status } from "./status";

const STATE_FETCHING: u8 = 1;
const STATE_FAILED: u8 = 2;
/** Background refetch this long before expiry (jwks_async_fetcher.cc). */
const ASYNC_REFETCH_EARLY_NS: u64 = 5000000000;

export class RemoteKeys {
  key: string;
  jwks: Jwks | null = null;
  fetchedAtNs: u64 = 0;
  cas: u32 = 0;
  /** Token of this VM's fetch in flight, 0 when none. */
  token: u32 = 0;
  attempts: i32 = 0;
  /** Last failure this VM saw (own fetch or another worker's lease record). */
  failedAtNs: u64 = 0;
  /** async_fetch: next background fetch time. */
  nextAsyncNs: u64 = 0;

  constructor(public provider: Provider, public cfg: RemoteJwksConfig) {
    this.key = "jwt_authn.jwks." + cfg.cluster + "|" + cfg.uri;
  }

  get leaseKey(): string { return this.key + ".lease"; }

  /** Usable keys now? (async_fetch keys never expire: they are replaced by the background fetch.) */
  fresh(now: u64): bool {
    if (this.jwks === null) return false;
    if (this.cfg.asyncFetch) return true;
    return now < this.fetchedAtNs + <u64>this.cfg.cacheDurationMs * 1000000;
  }

  /** Picks up what another worker (or this one) published. */
  sync(): void {
    const d = getSharedData(this.key);
    if (d.result != WasmResult.Ok || d.value === null || d.cas == this.cas || d.value!.byteLength < 8) return;
    this.cas = d.cas;
    const v = d.value!;
    const at = load<u64>(changetype<usize>(v));
    const jwks = parseJwks(String.UTF8.decode(v.slice(8)));
    if (jwks.status != Status.Ok) return;
    this.jwks = jwks;
    this.fetchedAtNs = at;
  }

  /** The failure stamp in the lease record, or 0. */
  leaseFailedAt(): u64 {
    const d = getSharedData(this.leaseKey);
    if (d.result != WasmResult.Ok || d.value === null || d.value!.byteLength != 9) return 0;
    const p = changetype<usize>(d.value!);
    return load<u8>(p + 8) == STATE_FAILED ? load<u64>(p) : 0;
  }
}

export class FetchResult {
  constructor(public ok: bool, public why: string) {}
}

function record(stamp: u64, state: u8): ArrayBuffer {
  const b = new ArrayBuffer(9);
  store<u64>(changetype<usize>(b), stamp);
  store<u8>(changetype<usize>(b) + 8, state);
  return b;
}

/**
 * Takes the lease and starts a fetch if nobody is fetching. Returns false when the call could not be
 * started at all (unknown cluster): the caller treats that as a failed fetch.
 */
export function startFetch(r: RemoteKeys, rootId: string): bool {
  if (r.token != 0) return true;
  const now = nowNanos();
  const lease = getSharedData(r.leaseKey);
  let cas: u32 = 0;
  if (lease.result == WasmResult.Ok && lease.value !== null && lease.value!.byteLength == 9) {
    const p = changetype<usize>(lease.value!);
    const stamp = load<u64>(p);
    const state = load<u8>(p + 8);
    // Someone else's fetch is in flight and not overdue: wait for it.
    const overdue = <u64>(r.cfg.timeoutMs * (r.cfg.numRetries < 0 ? 1 : r.cfg.numRetries + 1) + 1000) * 1000000;
    if (state == STATE_FETCHING && now - stamp < overdue) return true;
    cas = lease.cas;
  }
  if (setSharedData(r.leaseKey, record(now, STATE_FETCHING), cas) != WasmResult.Ok) return true; // lost the race: wait
  r.attempts = 0;
  return call(r, rootId);
}

function call(r: RemoteKeys, rootId: string): bool {
  const headers = [
    new HeaderPair(":method", "GET"), new HeaderPair(":path", r.cfg.path), new HeaderPair(":authority", r.cfg.authority),
    new HeaderPair("accept", "application/json"),
  ];
  r.attempts++;
  r.token = httpCall(r.cfg.cluster, headers, null, [], <u32>r.cfg.timeoutMs);
  if (r.token == 0) {
    if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, rootId + ": jwks fetch for provider " + r.provider.name + ": http_call to cluster \"" + r.cfg.cluster + "\" refused");
    return false;
  }
  return true;
}

/** Records a failed fetch for every worker (lease state failed) and frees the lease. */
export function publishFailure(r: RemoteKeys): void {
  const now = nowNanos();
  r.failedAtNs = now;
  r.token = 0;
  setSharedData(r.leaseKey, record(now, STATE_FAILED), 0);
  if (r.cfg.asyncFetch) r.nextAsyncNs = now + <u64>r.cfg.failedRefetchMs * 1000000;
}

/**
 * Handles this VM's http_call response. Envoy's JwksFetcher: anything but a 200 with a body that
 * parses as a JWKS with a valid key is a failure (onJwksError). Returns whether a retry was started.
 */
export function onFetchResponse(r: RemoteKeys, bodySize: u32, rootId: string): FetchResult {
  const status = getHeader(HeaderMap.HttpCallResponseHeaders, ":status");
  const body = bodySize > 0 ? getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize) : null;
  r.token = 0;
  let why = "";
  let jwks: Jwks | null = null;
  if (status === null) why = "no response (timeout or connection failure)";
  else if (status != "200") why = "status " + status!;
  else if (body === null || body.byteLength == 0) why = "empty body";
  else {
    jwks = parseJwks(String.UTF8.decode(body!));
    if (jwks.status != Status.Ok) why = "invalid JWKS";
  }
  if (why.length > 0) {
    if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, rootId + ": jwks fetch for provider " + r.provider.name + " from " + r.cfg.uri + " failed: " + why);
    // retry_policy: Envoy retries on 5xx, gateway errors, connect failures and resets.
    const retriable = status === null || status!.startsWith("5");
    if (retriable && r.cfg.numRetries >= 0 && r.attempts <= r.cfg.numRetries) {
      if (call(r, rootId)) return new FetchResult(false, "retry");
    }
    publishFailure(r);
    return new FetchResult(false, why);
  }
  const now = nowNanos();
  const out = new ArrayBuffer(8 + body!.byteLength);
  store<u64>(changetype<usize>(out), now);
  memory.copy(changetype<usize>(out) + 8, changetype<usize>(body!), body!.byteLength);
  setSharedData(r.key, out, 0);
  setSharedData(r.leaseKey, record(now, 0), 0);
  r.jwks = jwks;
  r.fetchedAtNs = now;
  const d = getSharedData(r.key);
  if (d.result == WasmResult.Ok) r.cas = d.cas;
  if (r.cfg.asyncFetch) {
    const dur = <u64>r.cfg.cacheDurationMs * 1000000;
    r.nextAsyncNs = now + (dur > ASYNC_REFETCH_EARLY_NS ? dur - ASYNC_REFETCH_EARLY_NS : dur);
  }
  return new FetchResult(true, "");
}
