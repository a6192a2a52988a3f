// Requirement evaluation and per-token authentication, as Envoy's verifier.cc and authenticator.cc.
// Synchronous over plain values: a KeySource answers "these keys", "fetch failed" or "not fetched
// yet"; in the last case the whole evaluation reports Pending and is run again once the JWKS is in
// (nothing is applied to the request until an evaluation completes, so re-running is harmless).
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { base64UrlEncode } from "../../shared/codec/base64";
import { JwtIdentity, splitSpaceDelimitedClaims } from "../../shared/authn/index";
import { Status } from "./status";
import { Jwt, parseJwt, verifyTimeConstraint, audiencesAllowed } from "./jwt";
import { Jwks, verifySignature } from "./jwks";
import { JwtAuthnConfig, Provider, Requirement, ReqKind } from "./config";
import { Extractor, ExtractedToken, LocKind } from "./extract";
import { RequestView } from "./matcher";
import { JwtCache } from "./jwt_cache";

export enum KeyState { Ready = 0, Pending = 1, Failed = 2 }

/** Where verification gets keys, time and caches (the filter: host-backed; specs: plain values). */
export class KeySource {
  now: u64 = 0;
  caches: Array<JwtCache | null> = new Array<JwtCache | null>();
  cacheHits: i32 = 0;
  cacheMisses: i32 = 0;
  /** State of provider i's keys; Ready => keys(i) is non-null. */
  state(p: Provider): KeyState { return p.local !== null ? KeyState.Ready : KeyState.Failed; }
  keys(p: Provider): Jwks | null { return p.local; }
  cache(p: Provider): JwtCache | null { return p.index < this.caches.length ? this.caches[p.index] : null; }
}

/** A verified token and what it adds to the request. */
export class GoodToken {
  constructor(public jwt: Jwt, public provider: Provider, public token: ExtractedToken) {}
}

export class Outcome {
  status: Status = Status.Ok;
  /** Provider whose keys are not fetched yet (Pending), or -1. */
  pending: i32 = -1;
  good: Array<GoodToken> = new Array<GoodToken>();
  /** Envoy's dynamic-metadata namespace content (payload / header / failed status per provider). */
  metadata: JsonValue = JsonValue.object();
  /** Provider of the token whose failure decided a denial (-1: none / missing). */
  failedProvider: i32 = -1;
  /** failed_status_in_metadata entries written (then metadata is not just the good tokens'). */
  failuresRecorded: i32 = 0;
  get isPending(): bool { return this.pending >= 0; }
}

const PENDING: Status = <Status>(-1);

function putMember(obj: JsonValue, key: string, v: JsonValue): void {
  for (let i = 0; i < obj.keys.length; i++) if (obj.keys[i] == key) { obj.items[i] = v; return; }
  obj.set(key, v);
}

export class Evaluator {
  /** One extractor per provider, and one over all providers (allow_missing*). */
  extractors: Array<Extractor> = new Array<Extractor>();
  all: Extractor = new Extractor();

  constructor(public cfg: JwtAuthnConfig) {
    for (let i = 0; i < cfg.providers.length; i++) {
      const e = new Extractor();
      e.addProvider(cfg.providers[i]);
      this.extractors.push(e);
      this.all.addProvider(cfg.providers[i]);
    }
  }

  /** jwks_cache.cc findByIssuer: first provider with this issuer, else the first with no issuer. */
  findByIssuer(iss: string): Provider | null {
    const ps = this.cfg.providers;
    for (let i = 0; i < ps.length; i++) if (ps[i].issuer == iss) return ps[i];
    if (iss.length > 0) for (let i = 0; i < ps.length; i++) if (ps[i].issuer.length == 0) return ps[i];
    return null;
  }

  /** Header names to remove before verifying (sanitizeHeaders of every extractor the requirement uses). */
  sanitizeFor(req: Requirement, out: Array<string>): void {
    if (req.kind == ReqKind.Provider || req.kind == ReqKind.ProviderAndAudiences) {
      const s = this.extractors[req.provider].sanitize;
      for (let i = 0; i < s.length; i++) if (!out.includes(s[i])) out.push(s[i]);
    } else if (req.kind == ReqKind.AllowMissing || req.kind == ReqKind.AllowMissingOrFailed) {
      const s = this.all.sanitize;
      for (let i = 0; i < s.length; i++) if (!out.includes(s[i])) out.push(s[i]);
    } else {
      for (let i = 0; i < req.children.length; i++) this.sanitizeFor(req.children[i], out);
    }
  }

  evaluate(req: Requirement, view: RequestView, keys: KeySource): Outcome {
    const o = new Outcome();
    const st = this.evalReq(req, view, keys, o);
    if (st == PENDING) return o;
    o.status = st;
    return o;
  }

  private evalReq(req: Requirement, view: RequestView, keys: KeySource, o: Outcome): Status {
    switch (req.kind) {
      case ReqKind.Empty: return Status.Ok;
      case ReqKind.Provider:
        return this.authenticate(this.extractors[req.provider].extract(view), this.cfg.providers[req.provider], null, false, false, keys, o);
      case ReqKind.ProviderAndAudiences:
        return this.authenticate(this.extractors[req.provider].extract(view), this.cfg.providers[req.provider], req.audiences, false, false, keys, o);
      case ReqKind.AllowMissingOrFailed:
        return this.authenticate(this.all.extract(view), null, null, true, false, keys, o);
      case ReqKind.AllowMissing:
        return this.authenticate(this.all.extract(view), null, null, false, true, keys, o);
      case ReqKind.All: {
        // AllVerifierImpl: the first failure decides.
        for (let i = 0; i < req.children.length; i++) {
          const s = this.evalReq(req.children[i], view, keys, o);
          if (s != Status.Ok) return s;
        }
        return Status.Ok;
      }
      default: {
        // AnyVerifierImpl: allow_missing / allow_missing_or_failed members are flags, not verifiers;
        // the first child success wins; otherwise the most telling error (anything but JwtMissed /
        // JwtUnknownIssuer, then JwtUnknownIssuer, then JwtMissed; envoy#15194), then the flags.
        let allowMissing = false, allowFailed = false;
        let err = Status.JwtMissed;
        let ran = false;
        for (let i = 0; i < req.children.length; i++) {
          const c = req.children[i];
          if (c.kind == ReqKind.AllowMissing) { allowMissing = true; continue; }
          if (c.kind == ReqKind.AllowMissingOrFailed) { allowFailed = true; continue; }
          ran = true;
          const s = this.evalReq(c, view, keys, o);
          if (s == PENDING) return PENDING;
          if (s == Status.Ok) return Status.Ok;
          if (s != Status.JwtMissed && s != Status.JwtUnknownIssuer) err = s;
          else if (s == Status.JwtUnknownIssuer && (err == Status.JwtMissed)) err = s;
        }
        if (!ran) err = Status.JwtMissed;
        if (allowFailed) return Status.Ok;
        if (allowMissing && err == Status.JwtMissed) return Status.Ok;
        return err;
      }
    }
  }

  /** AuthenticatorImpl: tokens verified from the back; see doneWithStatus for the loop rule. */
  private authenticate(tokens: Array<ExtractedToken>, provider: Provider | null, audiences: Array<string> | null,
                       allowFailed: bool, allowMissing: bool, keys: KeySource, o: Outcome): Status {
    // No token: Envoy records the failed status only through its single-provider fallback.
    if (tokens.length == 0) return this.done(Status.JwtMissed, null, allowFailed, allowMissing, o, true);
    while (tokens.length > 0) {
      const t = tokens.pop();
      const used: Array<Provider | null> = [null];
      const s = this.verifyToken(t, provider, audiences, keys, o, used);
      if (s == PENDING) return PENDING;
      const p = used[0];
      if (s != Status.Ok) this.recordFailure(s, p !== null ? p : provider, o);
      if ((s != Status.Ok && !allowFailed && !allowMissing) || tokens.length == 0) {
        if (allowFailed) return Status.Ok;
        if (allowMissing && s == Status.JwtMissed) return Status.Ok;
        return s;
      }
    }
    return Status.Ok;
  }

  private done(s: Status, provider: Provider | null, allowFailed: bool, allowMissing: bool, o: Outcome, record: bool): Status {
    if (s != Status.Ok && record) this.recordFailure(s, provider, o);
    if (allowFailed) return Status.Ok;
    if (allowMissing && s == Status.JwtMissed) return Status.Ok;
    return s;
  }

  /** failed_status_in_metadata: {code, message} under the provider's key (single provider when unknown). */
  private recordFailure(s: Status, p: Provider | null, o: Outcome): void {
    let prov = p;
    if (prov === null && this.cfg.providers.length == 1) prov = this.cfg.providers[0];
    if (prov !== null && s != Status.JwtMissed) o.failedProvider = prov.index;
    if (prov === null || prov.failedStatusInMetadata.length == 0) return;
    const st = JsonValue.object();
    st.set("code", JsonValue.fromNumber(<f64>(<i32>s)));
    st.set("message", JsonValue.fromString(statusText(s)));
    putMember(o.metadata, prov.failedStatusInMetadata, st);
    o.failuresRecorded++;
  }

  private verifyToken(t: ExtractedToken, fixed: Provider | null, audiences: Array<string> | null, keys: KeySource, o: Outcome, used: Array<Provider | null>): Status {
    let jwt: Jwt | null = null;
    let cache: JwtCache | null = null;
    if (fixed !== null) {
      cache = keys.cache(fixed);
      if (cache !== null) {
        jwt = cache.lookup(t.token);
        if (jwt !== null) keys.cacheHits++; else keys.cacheMisses++;
      }
    }
    const hit = jwt !== null;
    if (jwt === null) {
      const fresh = new Jwt();
      const ps = parseJwt(t.token, fresh);
      if (ps != Status.Ok) return ps;
      jwt = fresh;
    }
    const j = jwt!;
    if (!t.loc.isIssuerAllowed(j.iss)) return Status.JwtUnknownIssuer;
    const p = fixed !== null ? fixed : this.findByIssuer(j.iss);
    if (p === null) return Status.JwtUnknownIssuer;
    used[0] = p;
    const ts = verifyTimeConstraint(j, keys.now, p.clockSkewS);
    if (ts != Status.Ok) {
      if (hit && ts == Status.JwtExpired) cache!.remove(t.token);
      return ts;
    }
    if (!audiencesAllowed(audiences !== null ? audiences : p.audiences, j.audiences)) return Status.JwtAudienceNotAllowed;
    // Newer Envoy (JwksData isSubjectAllowed / isLifetimeAllowed): subject matcher, then remaining
    // lifetime (exp - now) < max_lifetime; require_expiration is an infinite max_lifetime.
    if (p.subjects !== null && !p.subjects!.match(j.sub)) return Status.JwtVerificationFail;
    if (p.maxLifetimeS >= 0 || p.requireExpiration) {
      if (!j.hasExp) return Status.JwtExpired;
      if (p.maxLifetimeS >= 0 && <i64>j.exp - <i64>keys.now >= p.maxLifetimeS) return Status.JwtExpired;
    }
    if (!hit) {
      const state = keys.state(p);
      if (state == KeyState.Pending) { o.pending = p.index; return PENDING; }
      if (state == KeyState.Failed) return p.remote !== null ? Status.JwksFetchFail : Status.JwksNoValidKeys;
      const jwks = keys.keys(p);
      if (jwks === null || jwks.status != Status.Ok || jwks.keys.length == 0) return Status.JwksNoValidKeys;
      const vs = verifySignature(j, jwks);
      if (vs != Status.Ok) return vs;
      if (fixed !== null && cache !== null) cache.insert(t.token, j);
    }
    this.good(j, p, t, o);
    return Status.Ok;
  }

  private good(j: Jwt, p: Provider, t: ExtractedToken, o: Outcome): void {
    o.good.push(new GoodToken(j, p, t));
    if (p.headerInMetadata.length > 0) putMember(o.metadata, p.headerInMetadata, j.header);
    if (p.payloadInMetadata.length > 0) putMember(o.metadata, p.payloadInMetadata, splitPayload(j, p));
  }
}

function statusText(s: Status): string {
  return statusString(s);
}
import { statusString } from "./status";

/** The payload with the provider's space_delimited_claims split, computed once per token and provider. */
export function splitPayload(j: Jwt, p: Provider): JsonValue {
  if (j.memoProvider != p.index || j.memoPayload === null) {
    j.memoProvider = p.index;
    j.memoPayload = splitSpaceDelimitedClaims(j.payload, p.spaceDelimitedClaims);
    j.memoState = null;
  }
  return j.memoPayload!;
}

/** The handoff record for one verified token (shared/authn format). */
export function identityOf(g: GoodToken): JwtIdentity {
  const id = new JwtIdentity();
  id.provider = g.provider.name;
  id.issuer = g.jwt.iss;
  id.subject = g.jwt.sub;
  id.presenter = g.jwt.azp;
  id.audiences = g.jwt.audiences;
  id.claims = splitPayload(g.jwt, g.provider);
  if (g.provider.headerInMetadata.length > 0) id.header = g.jwt.header;
  return id;
}

// ---- outputs (authenticator.cc handleGoodJwt) ----

export class HeaderEdit {
  constructor(public name: string, public value: string, public remove: bool) {}
}

/** convertClaimDoubleToString: integral values in [0, 2^64) as integers, else std::to_string (6 decimals). */
export function claimNumberText(d: f64): string {
  if (d < 0 || d >= 18446744073709551616.0 || Math.floor(d) != d) return toStdString(d);
  return (<u64>d).toString();
}

/** std::to_string(double): "%f". */
export function toStdString(d: f64): string {
  if (isNaN(d)) return d < 0 ? "-nan" : "nan";
  if (!isFinite(d)) return d < 0 ? "-inf" : "inf";
  const neg = d < 0;
  let a = Math.abs(d);
  // Round to 6 decimals the way printf does for values that fit (good enough for claims).
  let whole = Math.floor(a);
  let frac = Math.round((a - whole) * 1000000.0);
  if (frac >= 1000000.0) { whole += 1; frac -= 1000000.0; }
  let fs = (<i64>frac).toString();
  while (fs.length < 6) fs = "0" + fs;
  const ws = whole < 9007199254740992.0 ? (<i64>whole).toString() : whole.toString();
  return (neg ? "-" : "") + ws + "." + fs;
}

/** StructUtils::GetValue with a dotted path. */
function claimAt(payload: JsonValue, path: string): JsonValue | null {
  const parts = path.split(".");
  let v: JsonValue | null = payload;
  for (let i = 0; i < parts.length; i++) {
    if (v === null || v.kind != JsonKind.Object) return null;
    v = v.get(parts[i]);
  }
  return v;
}

function padBase64(s: string): string {
  const r = s.length & 3;
  return r == 2 ? s + "==" : r == 3 ? s + "=" : s;
}

/** Header edits for the good tokens, in verification order (forward payload, claims, token removal). */
export function outputEdits(o: Outcome): Array<HeaderEdit> {
  const edits = new Array<HeaderEdit>();
  for (let i = 0; i < o.good.length; i++) {
    const g = o.good[i];
    const p = g.provider;
    if (p.forwardPayloadHeader.length > 0) {
      edits.push(new HeaderEdit(p.forwardPayloadHeader, p.padForwardPayloadHeader ? padBase64(g.jwt.payloadB64) : g.jwt.payloadB64, false));
    }
    for (let c = 0; c < p.claimToHeaders.length; c++) {
      const ch = p.claimToHeaders[c];
      const v = claimAt(g.jwt.payload, ch.claim);
      if (v === null) continue;
      let text = "";
      if (v.kind == JsonKind.String) text = v.str;
      else if (v.kind == JsonKind.Number) text = claimNumberText(v.num);
      else if (v.kind == JsonKind.Bool) text = v.bool ? "true" : "false";
      else if (v.kind == JsonKind.Object || v.kind == JsonKind.Array) text = base64Std(v.toString());
      if (text.length > 0) edits.push(new HeaderEdit(ch.header, text, false));
    }
    if (!p.forward && g.token.loc.kind == LocKind.Header) edits.push(new HeaderEdit(g.token.loc.name, "", true));
  }
  return edits;
}

import { base64Encode } from "../../shared/codec/base64";
/** Newer Envoy copies object/array claims as base64 (standard, padded) of their JSON. */
function base64Std(s: string): string { return base64Encode(String.UTF8.encode(s)); }
