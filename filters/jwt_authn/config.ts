// Plugin configuration: Envoy's envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication in proto3
// JSON (snake_case or lowerCamel), or one of two front ends compiled to the same model:
//   {"request_authentications": [...]}   Istio RequestAuthentication objects (istio.ts)
//   {"origins": [{"jwt": {...}}], ...}   Istio <= 1.5 authentication Policy (legacy.ts)
// Plain code, no host calls: specs exercise every message. Errors name the field path.
import { JsonValue, JsonKind, parseJson } from "../../shared/codec/json";
import { base64Decode } from "../../shared/codec/base64";
import { Msg, ConfigError } from "../../shared/codec/proto_json";
import { RouteMatch, StringMatcher, parseRouteMatch, parseStringMatcher } from "./matcher";
import { Jwks, parseJwks } from "./jwks";
import { Status } from "./status";
import { normalizeAudience } from "./jwt";
// The front ends build the Envoy JSON Istio would generate and run it through parseEnvoyConfig,
// so both share every check. Errors in their own fields name the front-end field path.
import { parseIstioFrontEnd } from "./istio";
import { parseLegacyFrontEnd } from "./legacy";

export const DEFAULT_CLOCK_SKEW_S: u64 = 60;
export const DEFAULT_CACHE_DURATION_MS: i64 = 600000;
export const DEFAULT_FAILED_REFETCH_MS: i64 = 1000;
export const DEFAULT_JWT_CACHE_SIZE: i32 = 100;
export const DEFAULT_JWT_MAX_TOKEN_SIZE: i32 = 4096;

export class HeaderLocation {
  constructor(public name: string, public prefix: string) {}
}

export class ClaimToHeader {
  constructor(public header: string, public claim: string) {}
}

export class RemoteJwksConfig {
  uri: string = "";
  cluster: string = "";
  /** Parsed from uri: what proxy_http_call sends as :authority and :path. */
  authority: string = "";
  path: string = "/";
  timeoutMs: i64 = 0;
  cacheDurationMs: i64 = DEFAULT_CACHE_DURATION_MS;
  asyncFetch: bool = false;
  fastListener: bool = false;
  failedRefetchMs: i64 = DEFAULT_FAILED_REFETCH_MS;
  /** -1: no retry_policy; else retries after a failed attempt (Envoy: omitted num_retries => 1). */
  numRetries: i32 = -1;
}

export class Provider {
  name: string = "";
  index: i32 = 0;
  issuer: string = "";
  /** Normalised (scheme and one trailing slash removed), as CheckAudience stores them. */
  audiences: Array<string> = new Array<string>();
  subjects: StringMatcher | null = null;
  requireExpiration: bool = false;
  /** max_lifetime in seconds; -1 = unset. */
  maxLifetimeS: i64 = -1;
  remote: RemoteJwksConfig | null = null;
  /** local_jwks parsed at configure time (null for remote). */
  local: Jwks | null = null;
  forward: bool = false;
  fromHeaders: Array<HeaderLocation> = new Array<HeaderLocation>();
  fromParams: Array<string> = new Array<string>();
  fromCookies: Array<string> = new Array<string>();
  forwardPayloadHeader: string = "";
  padForwardPayloadHeader: bool = false;
  payloadInMetadata: string = "";
  spaceDelimitedClaims: Array<string> = new Array<string>();
  headerInMetadata: string = "";
  failedStatusInMetadata: string = "";
  clockSkewS: u64 = DEFAULT_CLOCK_SKEW_S;
  /** 0 = no verified-token cache (jwt_cache_config absent). */
  jwtCacheSize: i32 = 0;
  jwtMaxTokenSize: i32 = DEFAULT_JWT_MAX_TOKEN_SIZE;
  claimToHeaders: Array<ClaimToHeader> = new Array<ClaimToHeader>();
  clearRouteCache: bool = false;
}

export enum ReqKind { Empty = 0, Provider = 1, ProviderAndAudiences = 2, Any = 3, All = 4, AllowMissingOrFailed = 5, AllowMissing = 6 }

export class Requirement {
  kind: ReqKind = ReqKind.Empty;
  provider: i32 = -1;
  /** provider_and_audiences: normalised audiences overriding the provider's. */
  audiences: Array<string> = new Array<string>();
  children: Array<Requirement> = new Array<Requirement>();
}

export class Rule {
  constructor(public match: RouteMatch, public requirement: Requirement | null) {}
}

export class FilterStateRule {
  name: string = "";
  keys: Array<string> = new Array<string>();
  requirements: Array<Requirement> = new Array<Requirement>();
}

/** Legacy Istio Policy origin (enforced after verification, as istio_authn did). */
export class LegacyOrigin {
  provider: i32 = 0;
  issuer: string = "";
  /** Trigger rules: each has excluded and included path matchers (path without query/fragment). */
  excluded: Array<Array<StringMatcher>> = new Array<Array<StringMatcher>>();
  included: Array<Array<StringMatcher>> = new Array<Array<StringMatcher>>();
}

export class LegacyPolicy {
  origins: Array<LegacyOrigin> = new Array<LegacyOrigin>();
  originIsOptional: bool = false;
}

export class JwtAuthnConfig {
  providers: Array<Provider> = new Array<Provider>();
  rules: Array<Rule> = new Array<Rule>();
  filterStateRules: Array<FilterStateRule> = new Array<FilterStateRule>();
  requirementNames: Array<string> = new Array<string>();
  requirementMap: Array<Requirement> = new Array<Requirement>();
  bypassCorsPreflight: bool = false;
  stripFailureResponse: bool = false;
  statPrefix: string = "";
  /** Which front end the configuration came through: "envoy", "istio", "legacy". */
  frontEnd: string = "envoy";
  legacy: LegacyPolicy | null = null;

  providerIndex(name: string): i32 {
    for (let i = 0; i < this.providers.length; i++) if (this.providers[i].name == name) return i;
    return -1;
  }
}

export class ParseResult {
  config: JwtAuthnConfig | null = null;
  field: string = "";
  why: string = "";
  /** Non-fatal problems (Envoy logs these as warnings), e.g. a local JWKS without a valid key. */
  warnings: Array<string> = new Array<string>();
}

/** Splits an http(s) URI into authority and path (query kept). */
export function splitUri(uri: string, out: RemoteJwksConfig): bool {
  let rest: string;
  if (uri.startsWith("https://")) rest = uri.substring(8);
  else if (uri.startsWith("http://")) rest = uri.substring(7);
  else return false;
  const slash = rest.indexOf("/");
  out.authority = slash < 0 ? rest : rest.substring(0, slash);
  out.path = slash < 0 ? "/" : rest.substring(slash);
  return out.authority.length > 0;
}

function parseRemote(o: Msg, p: Provider): void {
  o.only(["http_uri", "cache_duration", "async_fetch", "retry_policy"]);
  const r = new RemoteJwksConfig();
  const h = o.msg("http_uri");
  if (h === null) { if (o.ok) o.fail("http_uri", "is required"); return; }
  h.only(["uri", "cluster", "timeout"]);
  r.uri = h.string("uri");
  r.cluster = h.string("cluster");
  if (!h.ok) return;
  if (r.uri.length == 0) { h.fail("uri", "is required"); return; }
  if (!splitUri(r.uri, r)) { h.fail("uri", "expected an http:// or https:// URI, got \"" + r.uri + "\""); return; }
  if (r.cluster.length == 0) { h.fail("cluster", "is required (a Wasm filter fetches through proxy_http_call to a cluster)"); return; }
  if (!h.has("timeout")) { h.fail("timeout", "is required"); return; }
  r.timeoutMs = h.durationMs("timeout", 0);
  if (!h.ok) return;
  if (r.timeoutMs <= 0) { h.fail("timeout", "must be greater than 0"); return; }
  r.cacheDurationMs = o.durationMs("cache_duration", DEFAULT_CACHE_DURATION_MS);
  if (!o.ok) return;
  if (o.has("cache_duration") && r.cacheDurationMs < 1) { o.fail("cache_duration", "must be at least 1ms"); return; }
  const a = o.msg("async_fetch");
  if (a !== null) {
    a.only(["fast_listener", "failed_refetch_duration"]);
    r.asyncFetch = true;
    r.fastListener = a.boolValue("fast_listener", false);
    r.failedRefetchMs = a.durationMs("failed_refetch_duration", DEFAULT_FAILED_REFETCH_MS);
    if (a.ok && r.failedRefetchMs <= 0) r.failedRefetchMs = DEFAULT_FAILED_REFETCH_MS;
  }
  const rp = o.msg("retry_policy");
  if (rp !== null) {
    rp.only(["retry_back_off", "num_retries", "retry_on", "retry_priority", "retry_host_predicate", "host_selection_retry_max_attempts"]);
    r.numRetries = <i32>rp.integerValue("num_retries", 1, 0, 10);
    const bo = rp.msg("retry_back_off");
    if (bo !== null) { bo.only(["base_interval", "max_interval"]); bo.durationMs("base_interval", 0); bo.durationMs("max_interval", 0); }
  }
  p.remote = r;
}

function parseLocalJwks(o: Msg, p: Provider, res: ParseResult): void {
  o.only(["filename", "inline_string", "inline_bytes", "environment_variable", "watched_directory"]);
  if (o.has("filename")) { o.fail("filename", "not supported: a Wasm filter cannot read files; put the JWKS in inline_string"); return; }
  if (o.has("environment_variable")) { o.fail("environment_variable", "not supported: a Wasm filter cannot read the proxy's environment; use inline_string"); return; }
  if (o.has("watched_directory")) { o.fail("watched_directory", "not supported by a Wasm filter"); return; }
  let text = "";
  if (o.has("inline_string")) text = o.string("inline_string");
  else if (o.has("inline_bytes")) {
    const b = base64Decode(o.string("inline_bytes"));
    if (b === null) { o.fail("inline_bytes", "is not valid base64"); return; }
    text = String.UTF8.decode(b!);
  } else { o.fail("", "one of inline_string, inline_bytes is required"); return; }
  if (!o.ok) return;
  const jwks = parseJwks(text);
  // Unparseable JSON is refused here (the rule; Envoy only warns). A JWKS that parses but
  // has no usable key is Envoy's warning: requests then fail "Jwks doesn't have any valid public key".
  if (jwks.status == Status.JwksParseError) {
    o.fail(o.has("inline_string") ? "inline_string" : "inline_bytes", "invalid JWKS: not a JSON object");
    return;
  }
  if (jwks.status != Status.Ok) {
    res.warnings.push("providers." + p.name + ".local_jwks: invalid inline jwks for issuer \"" + p.issuer + "\": " +
      (jwks.firstKeyError.length > 0 ? jwks.firstKeyError : "no [keys]"));
  }
  p.local = jwks;
}

function parseProvider(o: Msg, name: string, index: i32, res: ParseResult): Provider | null {
  if (!o.only(["issuer", "audiences", "subjects", "require_expiration", "max_lifetime", "remote_jwks", "local_jwks", "forward",
    "from_headers", "from_params", "from_cookies", "forward_payload_header", "pad_forward_payload_header", "payload_in_metadata",
    "normalize_payload_in_metadata", "header_in_metadata", "failed_status_in_metadata", "clock_skew_seconds", "jwt_cache_config",
    "claim_to_headers", "clear_route_cache"])) return null;
  const p = new Provider();
  p.name = name;
  p.index = index;
  p.issuer = o.string("issuer");
  const auds = o.stringList("audiences");
  for (let i = 0; i < auds.length; i++) p.audiences.push(normalizeAudience(auds[i]));
  const sm = o.msg("subjects");
  if (sm !== null) p.subjects = parseStringMatcher(sm);
  p.requireExpiration = o.boolValue("require_expiration", false);
  if (o.has("max_lifetime")) {
    const ms = o.durationMs("max_lifetime", -1);
    if (ms >= 0) p.maxLifetimeS = (ms + 999) / 1000;
  }
  const remote = o.msg("remote_jwks");
  const local = o.msg("local_jwks");
  if (remote !== null && local !== null) { o.fail("", "only one of remote_jwks, local_jwks may be set"); return null; }
  if (remote !== null) parseRemote(remote, p);
  else if (local !== null) parseLocalJwks(local, p, res);
  else if (o.ok) { o.fail("", "one of remote_jwks, local_jwks is required"); return null; }
  p.forward = o.boolValue("forward", false);
  const fh = o.array("from_headers");
  if (fh !== null) for (let i = 0; i < fh.items.length; i++) {
    const h = o.element("from_headers", fh, i);
    if (h === null) return null;
    h.only(["name", "value_prefix"]);
    const n = h.string("name");
    if (n.length == 0) { h.fail("name", "is required"); return null; }
    p.fromHeaders.push(new HeaderLocation(n.toLowerCase(), h.string("value_prefix")));
  }
  p.fromParams = o.stringList("from_params");
  p.fromCookies = o.stringList("from_cookies");
  p.forwardPayloadHeader = o.string("forward_payload_header").toLowerCase();
  p.padForwardPayloadHeader = o.boolValue("pad_forward_payload_header", false);
  p.payloadInMetadata = o.string("payload_in_metadata");
  const norm = o.msg("normalize_payload_in_metadata");
  if (norm !== null) { norm.only(["space_delimited_claims"]); p.spaceDelimitedClaims = norm.stringList("space_delimited_claims"); }
  p.headerInMetadata = o.string("header_in_metadata");
  p.failedStatusInMetadata = o.string("failed_status_in_metadata");
  const skew = o.integerValue("clock_skew_seconds", 0, 0, 4294967295);
  p.clockSkewS = skew == 0 ? DEFAULT_CLOCK_SKEW_S : <u64>skew;
  const jc = o.msg("jwt_cache_config");
  if (jc !== null) {
    jc.only(["jwt_cache_size", "jwt_max_token_size"]);
    const size = <i32>jc.integerValue("jwt_cache_size", 0, 0, 1000000);
    const max = <i32>jc.integerValue("jwt_max_token_size", 0, 0, 1 << 20);
    p.jwtCacheSize = size == 0 ? DEFAULT_JWT_CACHE_SIZE : size;
    p.jwtMaxTokenSize = max == 0 ? DEFAULT_JWT_MAX_TOKEN_SIZE : max;
  }
  const ch = o.array("claim_to_headers");
  if (ch !== null) for (let i = 0; i < ch.items.length; i++) {
    const c = o.element("claim_to_headers", ch, i);
    if (c === null) return null;
    c.only(["header_name", "claim_name"]);
    const hn = c.string("header_name"), cn = c.string("claim_name");
    if (hn.length == 0) { c.fail("header_name", "is required"); return null; }
    if (cn.length == 0) { c.fail("claim_name", "is required"); return null; }
    p.claimToHeaders.push(new ClaimToHeader(hn.toLowerCase(), cn));
  }
  p.clearRouteCache = o.boolValue("clear_route_cache", false);
  return o.ok ? p : null;
}

/** Envoy's config error for an unknown provider name (verifier.cc). */
function missingProvider(o: Msg, field: string, name: string): void {
  o.fail(field, "Required provider ['" + name + "'] is not configured.");
}

export function parseRequirement(o: Msg, cfg: JwtAuthnConfig, depth: i32): Requirement | null {
  if (depth > 32) { o.fail("", "requirements nested deeper than 32 levels"); return null; }
  if (!o.only(["provider_name", "provider_and_audiences", "requires_any", "requires_all", "allow_missing_or_failed", "allow_missing", "extract_only_without_validation"])) return null;
  const r = new Requirement();
  let set = 0;
  if (o.has("provider_name")) {
    set++;
    const n = o.string("provider_name");
    r.kind = ReqKind.Provider;
    r.provider = cfg.providerIndex(n);
    if (o.ok && r.provider < 0) { missingProvider(o, "provider_name", n); return null; }
  }
  if (o.has("provider_and_audiences")) {
    set++;
    const pa = o.msg("provider_and_audiences");
    if (pa !== null) {
      pa.only(["provider_name", "audiences"]);
      const n = pa.string("provider_name");
      r.kind = ReqKind.ProviderAndAudiences;
      r.provider = cfg.providerIndex(n);
      if (pa.ok && r.provider < 0) { missingProvider(pa, "provider_name", n); return null; }
      const auds = pa.stringList("audiences");
      for (let i = 0; i < auds.length; i++) r.audiences.push(normalizeAudience(auds[i]));
    }
  }
  const lists = ["requires_any", "requires_all"];
  for (let li = 0; li < 2; li++) {
    const key = lists[li];
    if (!o.has(key)) continue;
    set++;
    const lo = o.msg(key);
    if (lo === null) return null;
    lo.only(["requirements"]);
    const arr = lo.array("requirements");
    if (arr === null || arr.items.length < 2) { if (lo.ok) lo.fail("requirements", "needs at least 2 requirements"); return null; }
    r.kind = li == 0 ? ReqKind.Any : ReqKind.All;
    for (let i = 0; i < arr.items.length; i++) {
      const cEl = lo.element("requirements", arr, i);
      if (cEl === null) return null;
      const c = parseRequirement(cEl, cfg, depth + 1);
      if (c === null) return null;
      r.children.push(c);
    }
  }
  if (o.has("allow_missing_or_failed")) { set++; const e = o.msg("allow_missing_or_failed"); if (e !== null) e.only([]); r.kind = ReqKind.AllowMissingOrFailed; }
  if (o.has("allow_missing")) { set++; const e = o.msg("allow_missing"); if (e !== null) e.only([]); r.kind = ReqKind.AllowMissing; }
  if (o.has("extract_only_without_validation")) {
    o.fail("extract_only_without_validation", "not supported: this filter never forwards claims it did not verify");
    return null;
  }
  if (set > 1) { o.fail("", "only one requirement type may be set"); return null; }
  return o.ok ? r : null;
}

function requirementNamed(cfg: JwtAuthnConfig, name: string): Requirement | null {
  for (let i = 0; i < cfg.requirementNames.length; i++) if (cfg.requirementNames[i] == name) return cfg.requirementMap[i];
  return null;
}

function sortedNames(cfg: JwtAuthnConfig): string {
  const names = cfg.requirementNames.slice(0);
  names.sort();
  return names.join(",");
}

/** Parses the Envoy JwtAuthentication form (also the output of both front ends, as JSON). */
export function parseEnvoyConfig(o: Msg, res: ParseResult): JwtAuthnConfig | null {
  if (!o.only(["providers", "rules", "filter_state_rules", "bypass_cors_preflight", "requirement_map", "strip_failure_response", "stat_prefix"])) return null;
  const cfg = new JwtAuthnConfig();
  const pm = o.msg("providers");
  if (pm !== null) {
    for (let i = 0; i < pm.obj.keys.length; i++) {
      const name = pm.obj.keys[i];
      const po = Msg.of(pm.obj.items[i], pm.field(name), o.errors);
      if (po === null) return null;
      const p = parseProvider(po, name, i, res);
      if (p === null) return null;
      cfg.providers.push(p);
    }
  }
  cfg.bypassCorsPreflight = o.boolValue("bypass_cors_preflight", false);
  cfg.stripFailureResponse = o.boolValue("strip_failure_response", false);
  cfg.statPrefix = o.string("stat_prefix");
  const rm = o.msg("requirement_map");
  if (rm !== null) {
    for (let i = 0; i < rm.obj.keys.length; i++) {
      const name = rm.obj.keys[i];
      const ro = Msg.of(rm.obj.items[i], rm.field(name), o.errors);
      if (ro === null) return null;
      const r = parseRequirement(ro, cfg, 0);
      if (r === null) return null;
      cfg.requirementNames.push(name);
      cfg.requirementMap.push(r);
    }
  }
  const rules = o.array("rules");
  if (rules !== null) for (let i = 0; i < rules.items.length; i++) {
    const ro = o.element("rules", rules, i);
    if (ro === null) return null;
    if (!ro.only(["match", "requires", "requirement_name"])) return null;
    const mo = ro.msg("match");
    if (mo === null) { if (ro.ok) ro.fail("match", "is required"); return null; }
    const m = parseRouteMatch(mo);
    if (m === null) return null;
    let req: Requirement | null = null;
    if (ro.has("requires") && ro.has("requirement_name")) { ro.fail("", "only one of requires, requirement_name may be set"); return null; }
    const rq = ro.msg("requires");
    if (rq !== null) { req = parseRequirement(rq, cfg, 0); if (req === null) return null; }
    if (ro.has("requirement_name")) {
      const n = ro.string("requirement_name");
      req = requirementNamed(cfg, n);
      if (req === null) { ro.fail("requirement_name", "Wrong requirement_name: " + n + ". It should be one of [" + sortedNames(cfg) + "]"); return null; }
    }
    cfg.rules.push(new Rule(m, req));
  }
  // FilterStateRule is a single message in Envoy's proto (field 3).
  const fso = o.msg("filter_state_rules");
  if (fso !== null) {
    fso.only(["name", "requires"]);
    const f = new FilterStateRule();
    f.name = fso.string("name");
    if (f.name.length == 0) { fso.fail("name", "is required"); return null; }
    const rq = fso.msg("requires");
    if (rq !== null) for (let i = 0; i < rq.obj.keys.length; i++) {
      const k = rq.obj.keys[i];
      const ro = Msg.of(rq.obj.items[i], rq.field(k), o.errors);
      if (ro === null) return null;
      const r = parseRequirement(ro, cfg, 0);
      if (r === null) return null;
      f.keys.push(k);
      f.requirements.push(r);
    }
    cfg.filterStateRules.push(f);
  }
  return o.ok ? cfg : null;
}

/** Entry point: any of the three forms. */
export function parseConfig(text: string): ParseResult {
  const res = new ParseResult();
  let trimmed = text.trim();
  if (trimmed.length == 0) trimmed = "{}";
  const r = parseJson(trimmed);
  if (!r.ok) { res.field = "configuration"; res.why = r.error; return res; }
  const err = new ConfigError();
  const root = Msg.of(r.value!, "", err);
  let cfg: JwtAuthnConfig | null = null;
  if (root !== null) {
    if (root.has("request_authentications")) cfg = parseIstioFrontEnd(root, res);
    else if (root.has("origins")) cfg = parseLegacyFrontEnd(root, res);
    else cfg = parseEnvoyConfig(root, res);
  }
  if (!err.ok || cfg === null) {
    res.field = err.field.length > 0 ? err.field : "(root)";
    res.why = err.why.length > 0 ? err.why : "invalid configuration";
    return res;
  }
  res.config = cfg;
  return res;
}
