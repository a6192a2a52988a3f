// JWT authentication (Envoy envoy.filters.http.jwt_authn; Istio RequestAuthentication) for stock
// Envoy. A request goes through the same steps as in Envoy's filter, one file each:
//   config.ts / istio.ts / legacy.ts   configuration (Envoy JSON and the two Istio front ends)
//   matcher.ts      which requirement applies (rules, first match wins; filter_state_rules)
//   extract.ts      where tokens are (headers with value_prefix, query parameters, cookies)
//   jwt.ts          parse and claim checks;   jwks.ts  keys and signature (shared/crypto)
//   verifier.ts     requirement evaluation (provider, any, all, allow_missing*) and outputs
//   jwks_cache.ts   remote JWKS shared across workers;   jwt_cache.ts  verified-token cache
//   reply.ts        401/403, WWW-Authenticate, details;  counters.ts  stats
//   shared/authn    the filter-state handoff to RBAC
//
//   JwtAuthnRoot    root_id "jwt_authn": configuration, keys, caches, counters, fetches, waiting streams
//   JwtAuthnStream  one request: decide on request headers (or after the JWKS arrives)
import { Context, RootContext, HeadersStatus, registerRootContext } from "../../shared/abi/context";
import {
  HeaderMap, LogLevel, logEnabled, log, getHeaderPairs, removeHeader, addHeader, sendLocalResponse, continueStream,
  StreamType, setEffectiveContext, setTickPeriodMillis, nowNanos, propertyPath, getPropertyString, setProperty, bumpCounter,
} from "../../shared/abi/host";
import { HeaderPair } from "../../shared/abi/pairs";
import { AuthnResult, writeAuthnResult, encodeAuthnResult, AUTHN_STATE_KEY } from "../../shared/authn/index";
import { parseConfig, JwtAuthnConfig, Requirement, Provider } from "./config";
import { Evaluator, KeySource, KeyState, Outcome, outputEdits, identityOf } from "./verifier";
import { Jwks } from "./jwks";
import { JwtCache } from "./jwt_cache";
import { RemoteKeys, startFetch, onFetchResponse, publishFailure } from "./jwks_cache";
import { RequestView } from "./matcher";
import { Status } from "./status";
import { replyFor, originalUri, isCorsPreflight } from "./reply";
import { Counters } from "./counters";
import { originTriggered } from "./legacy";

const TICK_MS: u32 = 100;
const AUTHN_PATH = propertyPath([AUTHN_STATE_KEY]);

/** KeySource backed by this VM's remote-key state; one per evaluation of one stream. */
class HostKeys extends KeySource {
  constructor(public root: JwtAuthnRoot, public failed: Array<i32>) { super(); }

  state(p: Provider): KeyState {
    if (p.remote === null) return KeyState.Ready;
    if (this.failed.includes(p.index)) return KeyState.Failed;
    const r = this.root.remotes[p.index]!;
    r.sync();
    if (r.fresh(nowNanos())) return KeyState.Ready;
    return KeyState.Pending;
  }

  keys(p: Provider): Jwks | null {
    if (p.remote === null) return p.local;
    return this.root.remotes[p.index]!.jwks;
  }
}

class Waiter {
  constructor(public stream: JwtAuthnStream, public provider: i32, public sinceNs: u64) {}
}

export class JwtAuthnRoot extends RootContext {
  cfg: JwtAuthnConfig | null = null;
  evaluator: Evaluator | null = null;
  counters: Counters | null = null;
  remotes: Array<RemoteKeys | null> = new Array<RemoteKeys | null>();
  caches: Array<JwtCache | null> = new Array<JwtCache | null>();
  waiters: Array<Waiter> = new Array<Waiter>();

  // proxy_validate_configuration: the parser alone (no counters defined, no tick, no JWKS fetch).
  onValidateConfiguration(size: u32): bool {
    const r = parseConfig(this.pluginConfiguration(size));
    return r.config !== null ? true : this.configError(r.field, r.why);
  }

  onConfigure(size: u32): bool {
    const r = parseConfig(this.pluginConfiguration(size));
    if (r.config === null) return this.configError(r.field, r.why);
    for (let i = 0; i < r.warnings.length; i++) if (logEnabled(LogLevel.Warn)) log(LogLevel.Warn, this.rootId + ": " + r.warnings[i]);
    const cfg = r.config!;
    this.cfg = cfg;
    this.evaluator = new Evaluator(cfg);
    const names = new Array<string>();
    for (let i = 0; i < cfg.providers.length; i++) names.push(cfg.providers[i].name);
    this.counters = new Counters(cfg.statPrefix, names);
    this.remotes = new Array<RemoteKeys | null>();
    this.caches = new Array<JwtCache | null>();
    let anyRemote = false;
    for (let i = 0; i < cfg.providers.length; i++) {
      const p = cfg.providers[i];
      this.remotes.push(p.remote !== null ? new RemoteKeys(p, p.remote!) : null);
      if (p.remote !== null) anyRemote = true;
      this.caches.push(p.jwtCacheSize > 0 ? new JwtCache(p.jwtCacheSize, p.jwtMaxTokenSize) : null);
    }
    // Ticks drive waiting requests (another worker's fetch) and async_fetch refreshes.
    if (anyRemote) setTickPeriodMillis(TICK_MS);
    return true;
  }

  createContext(id: u32): Context { return new JwtAuthnStream(id, this); }

  /** Starts a fetch for provider i (or joins the one in flight); a refused call fails the waiters now. */
  fetch(i: i32): void {
    const r = this.remotes[i]!;
    if (!startFetch(r, this.rootId)) {
      bumpCounter(this.counters!.fetchFailed, 1);
      publishFailure(r);
      this.wake(i, true);
    }
  }

  onTick(): void {
    const now = nowNanos();
    for (let i = 0; i < this.remotes.length; i++) {
      const r = this.remotes[i];
      if (r === null) continue;
      // async_fetch: first fetch at start, refetch 5 s before expiry, failed_refetch_duration after a failure.
      if (r.cfg.asyncFetch && r.token == 0 && now >= r.nextAsyncNs) {
        r.nextAsyncNs = now + <u64>r.cfg.failedRefetchMs * 1000000;
        this.fetch(i);
      }
    }
    if (this.waiters.length == 0) return;
    for (let i = 0; i < this.remotes.length; i++) {
      const r = this.remotes[i];
      if (r === null || !this.hasWaiter(i)) continue;
      r.sync();
      if (r.fresh(now)) { this.wake(i, false); continue; }
      const failedAt = r.leaseFailedAt();
      if (failedAt > 0) this.wakeFailedSince(i, failedAt);
      // A fetcher that went away (its lease is overdue) is replaced.
      if (r.token == 0) this.fetch(i);
    }
  }

  hasWaiter(i: i32): bool {
    for (let k = 0; k < this.waiters.length; k++) if (this.waiters[k].provider == i) return true;
    return false;
  }

  onHttpCallResponse(token: u32, headerCount: u32, bodySize: u32, trailerCount: u32): void {
    for (let i = 0; i < this.remotes.length; i++) {
      const r = this.remotes[i];
      if (r === null || r.token != token || token == 0) continue;
      const res = onFetchResponse(r, bodySize, this.rootId);
      if (res.why == "retry") return;
      bumpCounter(res.ok ? this.counters!.fetchSuccess : this.counters!.fetchFailed, 1);
      this.wake(i, !res.ok);
      return;
    }
  }

  /** Resumes every stream waiting on provider i. */
  wake(i: i32, failed: bool): void {
    const list = this.waiters;
    this.waiters = new Array<Waiter>();
    for (let k = 0; k < list.length; k++) {
      const w = list[k];
      if (w.provider != i) { this.waiters.push(w); continue; }
      if (failed) w.stream.failed.push(i);
      setEffectiveContext(w.stream.id);
      w.stream.resume();
    }
  }

  wakeFailedSince(i: i32, failedAt: u64): void {
    const list = this.waiters;
    this.waiters = new Array<Waiter>();
    for (let k = 0; k < list.length; k++) {
      const w = list[k];
      if (w.provider != i || w.sinceNs > failedAt) { this.waiters.push(w); continue; }
      w.stream.failed.push(i);
      setEffectiveContext(w.stream.id);
      w.stream.resume();
    }
  }

  forget(s: JwtAuthnStream): void {
    for (let k = 0; k < this.waiters.length; k++) {
      if (this.waiters[k].stream === s) { this.waiters.splice(k, 1); k--; }
    }
  }
}

const FILTER_STATE = "filter_state";

export class JwtAuthnStream extends Context {
  view: RequestView = new RequestView();
  requirement: Requirement | null = null;
  uri: string = "";
  failed: Array<i32> = new Array<i32>();
  waiting: bool = false;

  get jroot(): JwtAuthnRoot { return changetype<JwtAuthnRoot>(this.root); }

  onRequestHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    const root = this.jroot;
    const cfg = root.cfg;
    if (cfg === null) return HeadersStatus.Continue;
    const view = this.view;
    const pairs = getHeaderPairs(HeaderMap.RequestHeaders);
    for (let i = 0; i < pairs.length; i++) {
      const k = pairs[i].key;
      if (k == ":path") view.path = pairs[i].value;
      else if (k == ":method") view.method = pairs[i].value;
      else if (k == ":authority") view.host = pairs[i].value;
      else if (k == ":scheme") view.scheme = pairs[i].value;
      view.add(k, pairs[i].value);
    }
    this.uri = originalUri(view);
    const counters = root.counters!;
    if (cfg.bypassCorsPreflight && isCorsPreflight(view)) {
      bumpCounter(counters.corsBypassed, 1);
      return HeadersStatus.Continue;
    }
    // filter_config.h findVerifier: first matching rule; else filter_state_rules; else nothing required.
    let req: Requirement | null = null;
    let matched = false;
    for (let i = 0; i < cfg.rules.length; i++) {
      if (cfg.rules[i].match.match(view)) { req = cfg.rules[i].requirement; matched = true; break; }
    }
    if (!matched && cfg.filterStateRules.length > 0) {
      const f = cfg.filterStateRules[0];
      const v = getPropertyString(propertyPath([FILTER_STATE, f.name]));
      if (v !== null) {
        const idx = f.keys.indexOf(v!);
        if (idx >= 0) req = f.requirements[idx];
      }
    }
    if (req === null) {
      bumpCounter(counters.allowed, 1);
      return HeadersStatus.Continue;
    }
    this.requirement = req;
    // Anti-spoofing: forward_payload_header / claim_to_headers names go before anything is verified.
    const sanitize = new Array<string>();
    root.evaluator!.sanitizeFor(req!, sanitize);
    for (let i = 0; i < sanitize.length; i++) {
      if (view.header(sanitize[i]) !== null) removeHeader(HeaderMap.RequestHeaders, sanitize[i]);
    }
    return this.decide() ? HeadersStatus.Continue : HeadersStatus.StopIteration;
  }

  /** Evaluates; true when the request may continue now (false: a reply was sent, or waiting for keys). */
  decide(): bool {
    const root = this.jroot;
    const keys = new HostKeys(root, this.failed);
    keys.now = nowNanos() / 1000000000;
    keys.caches = root.caches;
    const o = root.evaluator!.evaluate(this.requirement!, this.view, keys);
    const c = root.counters!;
    bumpCounter(c.cacheHit, keys.cacheHits);
    bumpCounter(c.cacheMiss, keys.cacheMisses);
    if (o.isPending) {
      root.waiters.push(new Waiter(this, o.pending, nowNanos()));
      this.waiting = true;
      root.fetch(o.pending);
      return false;
    }
    this.waiting = false;
    return this.finish(o);
  }

  finish(o: Outcome): bool {
    const root = this.jroot;
    const cfg = root.cfg!;
    const c = root.counters!;
    if (o.status != Status.Ok) {
      c.deny(o.status, o.failedProvider, false);
      const r = replyFor(o.status, this.uri, cfg.stripFailureResponse);
      const headers = new Array<HeaderPair>();
      if (r.wwwAuthenticate.length > 0) headers.push(new HeaderPair("www-authenticate", r.wwwAuthenticate));
      sendLocalResponse(r.code, r.details, String.UTF8.encode(r.body), headers);
      return false;
    }
    const legacy = cfg.legacy;
    if (legacy !== null) {
      // istio_authn origin check: applies only to origins whose trigger rules match the path.
      const path = this.view.pathOnly;
      let triggered = false, passed = false;
      for (let i = 0; i < legacy.origins.length; i++) {
        const origin = legacy.origins[i];
        if (!originTriggered(origin, path)) continue;
        triggered = true;
        for (let g = 0; g < o.good.length; g++) if (o.good[g].provider.index == origin.provider) { passed = true; break; }
        if (passed) break;
      }
      if (triggered && !passed && !legacy.originIsOptional) {
        c.deny(Status.JwtMissed, o.failedProvider, true);
        sendLocalResponse(401, "origin_authentication_failed", String.UTF8.encode("Origin authentication failed."), []);
        return false;
      }
    }
    const edits = outputEdits(o);
    for (let i = 0; i < edits.length; i++) {
      const e = edits[i];
      if (e.remove) removeHeader(HeaderMap.RequestHeaders, e.name);
      else addHeader(HeaderMap.RequestHeaders, e.name, e.value);
    }
    if (o.good.length == 1 && o.failuresRecorded == 0) {
      // One verified token and nothing else: the record depends only on the token and its provider,
      // so a token-cache hit writes the bytes it wrote the first time.
      const g = o.good[0];
      let bytes = g.jwt.memoState;
      if (bytes === null || g.jwt.memoProvider != g.provider.index) {
        const res = new AuthnResult();
        res.tokens.push(identityOf(g));
        res.metadata = o.metadata;
        bytes = encodeAuthnResult(res);
        g.jwt.memoState = bytes;
      }
      setProperty(AUTHN_PATH, bytes!);
    } else if (o.good.length > 0 || o.metadata.keys.length > 0) {
      const res = new AuthnResult();
      for (let i = 0; i < o.good.length; i++) res.tokens.push(identityOf(o.good[i]));
      res.metadata = o.metadata;
      writeAuthnResult(res);
    }
    bumpCounter(c.allowed, 1);
    return true;
  }

  /** Called by the root with this stream as the effective context once the keys it waits for are in (or failed). */
  resume(): void {
    if (!this.waiting) return;
    if (this.decide()) continueStream(StreamType.Request);
  }

  onDelete(): void {
    if (this.waiting) this.jroot.forget(this);
  }
}

registerRootContext((id: u32): RootContext => new JwtAuthnRoot(id), "jwt_authn");
