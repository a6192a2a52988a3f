// Front end 2: Istio AuthorizationPolicy (security.istio.io/v1) translated as istiod's builder does
// (istio/istio pilot/pkg/security/authz/{builder,model,matcher}): each policy rule becomes one Envoy
// RBAC policy `ns[<ns>]-policy[<name>]-rule[<i>]`; the policies of one action form one RBAC filter
// config (AUDIT -> LOG, root-namespace DENY, DENY, ALLOW, in that chain order); `istio.io/dry-run`
// moves a policy to shadow_rules. The output is Envoy RBAC proto3 JSON, compiled by envoy_config.ts,
// so what runs is exactly the Envoy config istiod would have pushed.
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { Msg, ConfigError, typeMismatch } from "../../shared/codec/proto_json";
import { parseIp } from "./matchers";
import { RbacStage, parseHttpRbac, parseNetworkRbac, URI_TEMPLATE_TYPE } from "./envoy_config";

export const RBAC_TCP_STAT_PREFIX = "tcp.";
export const SHADOW_ALLOW_PREFIX = "istio_dry_run_allow_";
export const SHADOW_DENY_PREFIX = "istio_dry_run_deny_";
export const JWT_FILTER = "envoy.filters.http.jwt_authn";

// ---------------------------------------------------------------------------------------------
// JSON builders for the generated Envoy config

function o1(k: string, v: JsonValue): JsonValue { return JsonValue.object().set(k, v); }
function str(s: string): JsonValue { return JsonValue.fromString(s); }
function list(items: Array<JsonValue>): JsonValue { const a = JsonValue.array(); for (let i = 0; i < items.length; i++) a.push(items[i]); return a; }

function smExact(v: string, ic: bool = false): JsonValue { const m = o1("exact", str(v)); if (ic) m.set("ignore_case", JsonValue.fromBool(true)); return m; }
function smPrefix(v: string, ic: bool = false): JsonValue { const m = o1("prefix", str(v)); if (ic) m.set("ignore_case", JsonValue.fromBool(true)); return m; }
function smSuffix(v: string, ic: bool = false): JsonValue { const m = o1("suffix", str(v)); if (ic) m.set("ignore_case", JsonValue.fromBool(true)); return m; }
function smRegex(r: string): JsonValue { return o1("safe_regex", o1("regex", str(r))); }

/** matcher.StringMatcherWithPrefix: `*` -> regex `.+`; `*x` -> suffix (or regex prefix.*x); `x*` -> prefix; else exact. */
export function stringMatcherWithPrefix(v: string, prefix: string): JsonValue {
  if (v == "*") return smRegex(".+");
  if (v.startsWith("*")) return prefix.length == 0 ? smSuffix(v.substring(1)) : smRegex(prefix + ".*" + v.substring(1));
  if (v.endsWith("*")) return smPrefix(prefix + v.substring(0, v.length - 1));
  return smExact(prefix + v);
}

function headerMatcher(name: string, v: string): JsonValue {
  const h = o1("name", str(name));
  if (v == "*") h.set("present_match", JsonValue.fromBool(true));
  else h.set("string_match", stringMatcherWithPrefix(v, ""));
  return h;
}

/** Hosts are matched case-insensitively since CVE-2021-39155 (matcher.HostMatcher). */
function hostMatcher(v: string): JsonValue {
  const h = o1("name", str(":authority"));
  if (v == "*") { h.set("present_match", JsonValue.fromBool(true)); return h; }
  const m = stringMatcherWithPrefix(v, "");
  m.set("ignore_case", JsonValue.fromBool(true));
  h.set("string_match", m);
  return h;
}

function cidr(v: string): JsonValue | null {
  let addr = v;
  let len = -1;
  const slash = v.indexOf("/");
  if (slash >= 0) {
    addr = v.substring(0, slash);
    const l = v.substring(slash + 1);
    if (l.length == 0 || l.length > 3) return null;
    len = 0;
    for (let i = 0; i < l.length; i++) { const c = l.charCodeAt(i); if (c < 0x30 || c > 0x39) return null; len = len * 10 + (c - 0x30); }
  }
  const ip = parseIp(addr);
  if (!ip.ok) return null;
  const max = ip.v6 ? 128 : 32;
  if (len < 0) len = max;
  if (len > max) return null;
  return JsonValue.object().set("address_prefix", str(addr)).set("prefix_len", JsonValue.fromNumber(<f64>len));
}

function metadataMatcher(filter: string, path: Array<string>, value: JsonValue): JsonValue {
  const p = JsonValue.array();
  for (let i = 0; i < path.length; i++) p.push(o1("key", str(path[i])));
  return JsonValue.object().set("filter", str(filter)).set("path", p).set("value", value);
}

function stringOrMatcher(values: Array<string>): JsonValue {
  if (values.length == 1) return o1("string_match", stringMatcherWithPrefix(values[0], ""));
  const ms = JsonValue.array();
  for (let i = 0; i < values.length; i++) ms.push(o1("string_match", stringMatcherWithPrefix(values[i], "")));
  return o1("or_match", o1("value_matchers", ms));
}

/** A JWT claim matched as a list element or as a plain string (Istio's MetadataListValueMatcherForJWTClaims). */
function jwtClaimMatcher(claims: Array<string>, vm: JsonValue): JsonValue {
  const path = ["payload"];
  for (let i = 0; i < claims.length; i++) path.push(claims[i]);
  const or = JsonValue.array();
  or.push(o1("list_match", o1("one_of", vm)));
  or.push(vm);
  return metadataMatcher(JWT_FILTER, path, o1("or_match", o1("value_matchers", or)));
}

function jwtStringClaim(claim: string, sm: JsonValue): JsonValue {
  return metadataMatcher(JWT_FILTER, ["payload", claim], o1("string_match", sm));
}

/** regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if ("\\.+*?()|[]{}^$".includes(c)) out += "\\";
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Generators: one value of one attribute -> one Envoy Permission or Principal (model/generator.go)

class Gen {
  node: JsonValue | null = null;
  err: string = "";
  static ok(n: JsonValue): Gen { const g = new Gen(); g.node = n; return g; }
  static fail(e: string): Gen { const g = new Gen(); g.err = e; return g; }
}

enum Attr {
  DestIp, DestPort, Sni, EnvoyFilter, SrcIp, RemoteIp, SrcNamespace, SrcPrincipal, SrcServiceAccount, SrcTrustDomain,
  RequestPrincipal, RequestAudiences, RequestPresenter, RequestHeader, RequestClaims, Host, Path, Method, Any,
}

function isPrincipalAttr(a: Attr): bool {
  return a == Attr.SrcIp || a == Attr.RemoteIp || a == Attr.SrcNamespace || a == Attr.SrcPrincipal || a == Attr.SrcServiceAccount ||
    a == Attr.SrcTrustDomain || a == Attr.RequestPrincipal || a == Attr.RequestAudiences || a == Attr.RequestPresenter ||
    a == Attr.RequestHeader || a == Attr.RequestClaims;
}

function httpOnly(a: Attr): bool {
  return a == Attr.RequestPrincipal || a == Attr.RequestAudiences || a == Attr.RequestPresenter || a == Attr.RequestHeader ||
    a == Attr.RequestClaims || a == Attr.Host || a == Attr.Path || a == Attr.Method;
}

function authenticated(sm: JsonValue): JsonValue { return o1("authenticated", o1("principal_name", sm)); }

/** "[name]" -> name (extractNameInBrackets). */
function nameInBrackets(s: string): string | null {
  if (!s.startsWith("[") || !s.endsWith("]") || s.length < 3) return null;
  const inner = s.substring(1, s.length - 1);
  if (inner.includes("[") || inner.includes("]")) return null;
  return inner;
}

/** "[a][b]" -> [a, b] (extractNameInNestedBrackets). */
function namesInNestedBrackets(s: string): Array<string> | null {
  const out = new Array<string>();
  if (!s.startsWith("[") || !s.endsWith("]")) return null;
  let i = 0;
  while (i < s.length) {
    if (s.charCodeAt(i) != 0x5b) return null;
    const close = s.indexOf("]", i);
    if (close < 0 || close == i + 1) return null;
    const name = s.substring(i + 1, close);
    if (name.includes("[")) return null;
    out.push(name);
    i = close + 1;
  }
  return out;
}

function port(v: string): i32 {
  if (v.length == 0 || v.length > 5) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) { const c = v.charCodeAt(i); if (c < 0x30 || c > 0x39) return -1; n = n * 10 + (c - 0x30); }
  return n > 65535 ? -1 : n;
}

class Ctx {
  forTCP: bool = false;
  policyNamespace: string = "";
}

/** One value -> one node, or an error (errors: HTTP-only on TCP, unparsable IP/port, bad key). */
function generate(a: Attr, key: string, v: string, c: Ctx): Gen {
  if (c.forTCP && httpOnly(a)) return Gen.fail("\"" + key + "\" is HTTP only");
  switch (a) {
    case Attr.DestIp: { const r = cidr(v); return r === null ? Gen.fail("invalid IP address or CIDR \"" + v + "\"") : Gen.ok(o1("destination_ip", r)); }
    case Attr.DestPort: { const p = port(v); return p < 0 ? Gen.fail("invalid port \"" + v + "\"") : Gen.ok(o1("destination_port", JsonValue.fromNumber(<f64>p))); }
    case Attr.Sni: return Gen.ok(o1("requested_server_name", stringMatcherWithPrefix(v, "")));
    case Attr.EnvoyFilter: {
      // "experimental.envoy.filters.a.b[c]" -> filter "envoy.filters.a.b", key "c"; value "[v]" = list element.
      const body = key.substring("experimental.".length);
      const open = body.indexOf("[");
      if (open < 0 || !body.endsWith("]")) return Gen.fail("invalid key: " + key);
      const filter = body.substring(0, open);
      const k = body.substring(open + 1, body.length - 1);
      if (v.startsWith("[") && v.endsWith("]")) {
        const inner = v.substring(1, v.length - 1);
        return Gen.ok(o1("metadata", metadataMatcher(filter, [k], o1("list_match", o1("one_of", o1("string_match", stringMatcherWithPrefix(inner, "")))))));
      }
      return Gen.ok(o1("metadata", metadataMatcher(filter, [k], o1("string_match", stringMatcherWithPrefix(v, "")))));
    }
    case Attr.SrcIp: { const r = cidr(v); return r === null ? Gen.fail("invalid IP address or CIDR \"" + v + "\"") : Gen.ok(o1("direct_remote_ip", r)); }
    case Attr.RemoteIp: { const r = cidr(v); return r === null ? Gen.fail("invalid IP address or CIDR \"" + v + "\"") : Gen.ok(o1("remote_ip", r)); }
    case Attr.SrcNamespace: return Gen.ok(authenticated(smRegex(".*/ns/" + v.replaceAll("*", ".*") + "/.*")));
    case Attr.SrcPrincipal: return Gen.ok(authenticated(stringMatcherWithPrefix(v, "spiffe://")));
    case Attr.SrcServiceAccount: {
      // Metacharacters quoted since CVE-2026-39350 ("." in a name matched any character).
      const slash = v.indexOf("/");
      const ns = slash >= 0 ? v.substring(0, slash) : c.policyNamespace;
      const sa = slash >= 0 ? v.substring(slash + 1) : v;
      return Gen.ok(authenticated(smRegex("spiffe://.+/ns/" + quoteMeta(ns) + "/(.+/|)sa/" + quoteMeta(sa) + "(/.+)?")));
    }
    case Attr.SrcTrustDomain: {
      if (v == "*") return Gen.ok(authenticated(smPrefix("spiffe://")));
      const star = v.indexOf("*");
      if (star < 0) return Gen.ok(authenticated(smPrefix("spiffe://" + v + "/")));
      return Gen.ok(authenticated(smRegex("spiffe://" + quoteMeta(v.substring(0, star)) + "[^/]*" + quoteMeta(v.substring(star + 1)) + "/.*")));
    }
    case Attr.RequestHeader: {
      const name = nameInBrackets(key.substring("request.headers".length));
      if (name === null) return Gen.fail("invalid header key \"" + key + "\" (expected request.headers[<name>])");
      return Gen.ok(o1("header", headerMatcher(name, v)));
    }
    case Attr.Host: return Gen.ok(o1("header", hostMatcher(v)));
    case Attr.Method: return Gen.ok(o1("header", headerMatcher(":method", v)));
    case Attr.Path: {
      if (v.includes("{*}") || v.includes("{**}")) {
        const t = v.replaceAll("{**}", "**").replaceAll("{*}", "*");
        const tc = JsonValue.object().set("@type", str(URI_TEMPLATE_TYPE)).set("path_template", str(t));
        return Gen.ok(o1("uri_template", JsonValue.object().set("name", str("uri-template")).set("typed_config", tc)));
      }
      return Gen.ok(o1("url_path", o1("path", stringMatcherWithPrefix(v, ""))));
    }
    case Attr.Any: return Gen.ok(o1("any", JsonValue.fromBool(true)));
    default: return Gen.fail("unimplemented");
  }
}

const MATCH_ANY = ".+";

/** requestPrincipals / request.auth.principal: all values at once (extendedPrincipal). */
function requestPrincipals(values: Array<string>): JsonValue | null {
  const or = new Array<JsonValue>();
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // The issuer may be a URL: split at the LAST '/'.
    const idx = value.lastIndexOf("/");
    const found = idx >= 0;
    const iss = found ? value.substring(0, idx) : value;
    const sub = found ? value.substring(idx + 1) : "";
    let mi: JsonValue;
    let ms: JsonValue;
    if (value == "*") { mi = smRegex(MATCH_ANY); ms = smRegex(MATCH_ANY); }
    else if (value.startsWith("*")) {
      if (found) { mi = iss == "*" ? smRegex(MATCH_ANY) : smSuffix(iss.substring(1)); ms = smExact(sub); }
      else { mi = smRegex(MATCH_ANY); ms = smSuffix(value.substring(1)); }
    } else if (value.endsWith("*")) {
      if (found) { mi = smExact(iss); ms = sub == "*" ? smRegex(MATCH_ANY) : smPrefix(sub.substring(0, sub.length - 1)); }
      else { mi = smPrefix(value.substring(0, value.length - 1)); ms = smRegex(MATCH_ANY); }
    } else { ms = smExact(sub); mi = smExact(iss); }
    const ids = list([o1("metadata", jwtStringClaim("iss", mi)), o1("metadata", jwtStringClaim("sub", ms))]);
    or.push(o1("and_ids", o1("ids", ids)));
  }
  if (or.length == 0) return null;
  if (or.length == 1) return or[0];
  return o1("or_ids", o1("ids", list(or)));
}

/** Attributes whose values are translated all together (extendedPrincipal). */
function extended(a: Attr, key: string, values: Array<string>, c: Ctx): Gen {
  if (c.forTCP) return Gen.fail("\"" + key + "\" is HTTP only");
  if (a == Attr.RequestPrincipal) { const n = requestPrincipals(values); return n === null ? new Gen() : Gen.ok(n); }
  if (a == Attr.RequestAudiences) return Gen.ok(o1("metadata", jwtClaimMatcher(["aud"], stringOrMatcher(values))));
  if (a == Attr.RequestPresenter) return Gen.ok(o1("metadata", jwtClaimMatcher(["azp"], stringOrMatcher(values))));
  const claims = namesInNestedBrackets(key.substring("request.auth.claims".length));
  if (claims === null) return Gen.fail("invalid claim key \"" + key + "\" (expected request.auth.claims[<name>]...)");
  return Gen.ok(o1("metadata", jwtClaimMatcher(claims!, stringOrMatcher(values))));
}

function isExtended(a: Attr): bool {
  return a == Attr.RequestPrincipal || a == Attr.RequestAudiences || a == Attr.RequestPresenter || a == Attr.RequestClaims;
}

class RuleEntry {
  constructor(public attr: Attr, public key: string, public values: Array<string>, public notValues: Array<string>) {}
}

const ALLOW: i32 = 0;
const DENY: i32 = 1;
const LOG: i32 = 2;

/** Istio's checkError: ALLOW drops the whole rule on an error; DENY and AUDIT drop only that value. */
class Fail { err: string = ""; }

function orNode(items: Array<JsonValue>, principal: bool): JsonValue {
  return principal ? o1("or_ids", o1("ids", list(items))) : o1("or_rules", o1("rules", list(items)));
}
function notNode(n: JsonValue, principal: bool): JsonValue { return o1(principal ? "not_id" : "not_rule", n); }
function andNode(items: Array<JsonValue>, principal: bool): JsonValue {
  return principal ? o1("and_ids", o1("ids", list(items))) : o1("and_rules", o1("rules", list(items)));
}

function valuesNode(e: RuleEntry, values: Array<string>, c: Ctx, action: i32, principal: bool, f: Fail): JsonValue | null {
  if (values.length == 0) return null;
  if (isExtended(e.attr)) {
    const g = extended(e.attr, e.key, values, c);
    if (g.err.length > 0) { if (action == ALLOW) f.err = g.err; return null; }
    return g.node;
  }
  const or = new Array<JsonValue>();
  for (let i = 0; i < values.length; i++) {
    const g = generate(e.attr, e.key, values[i], c);
    if (g.err.length > 0) { if (action == ALLOW) { f.err = g.err; return null; } continue; }
    if (g.node !== null) or.push(g.node!);
  }
  return or.length == 0 ? null : orNode(or, principal);
}

function generateList(entries: Array<RuleEntry>, c: Ctx, action: i32, principal: bool, f: Fail): JsonValue | null {
  const and = new Array<JsonValue>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const pos = valuesNode(e, e.values, c, action, principal, f);
    if (f.err.length > 0) return null;
    if (pos !== null) and.push(pos);
    const neg = valuesNode(e, e.notValues, c, action, principal, f);
    if (f.err.length > 0) return null;
    if (neg !== null) and.push(notNode(neg, principal));
  }
  if (and.length == 0) and.push(o1("any", JsonValue.fromBool(true)));
  return andNode(and, principal);
}

// ---------------------------------------------------------------------------------------------
// Policies

class TrustDomains {
  domains: Array<string> = new Array<string>();
}

/** trustdomain.Bundle.ReplaceTrustDomainAliases for source principals. */
function replaceAliases(values: Array<string>, td: TrustDomains): Array<string> {
  if (td.domains.length <= 1 && (td.domains.length == 0 || td.domains[0] == "cluster.local")) return values;
  const out = new Array<string>();
  for (let i = 0; i < values.length; i++) {
    const p = values[i];
    if (p.startsWith("*")) { out.push(p); continue; }
    const ns = p.indexOf("/ns/");
    if (ns < 0) { out.push(p); continue; }
    const from = p.substring(0, ns);
    if (from == "cluster.local" || td.domains.includes(from)) {
      for (let j = 0; j < td.domains.length; j++) out.push(td.domains[j] + p.substring(ns));
    } else out.push(p);
  }
  return out;
}

/** Istio's strconv.ParseBool for the dry-run annotation. */
const GO_TRUE = ["1", "t", "T", "TRUE", "true", "True"];
const GO_FALSE = ["0", "f", "F", "FALSE", "false", "False"];
function parseGoBool(s: string): i32 {
  return GO_TRUE.includes(s) ? 1 : GO_FALSE.includes(s) ? 0 : -1;
}

/** Istio's value validation (security.go): no empty values, `*` only alone or at one end. */
function checkValues(m: Msg, name: string, values: Array<string>): bool {
  for (let i = 0; i < values.length; i++) if (!checkValue(m, name + "[" + i.toString() + "]", values[i])) return false;
  return true;
}

function checkValue(m: Msg, at: string, v: string): bool {
  if (v.length == 0) { m.fail(at, "empty value is not allowed"); return false; }
  const star = v.indexOf("*");
  if (star >= 0 && v != "*" && (v.lastIndexOf("*") != star || (star != 0 && star != v.length - 1))) {
    m.fail(at, "wildcard * only alone or at either end: \"" + v + "\"");
    return false;
  }
  return true;
}

/** CheckValidPathTemplate: `{*}` one whole segment, `{**}` last operator, no other braces or `*`. */
function checkPath(m: Msg, at: string, v: string): bool {
  if (!v.includes("{*}") && !v.includes("{**}")) return true;
  const segs = v.split("/");
  let seenDouble = false;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const op = s == "{*}" || s == "{**}";
    if (!op && (s.includes("{") || s.includes("}") || s.includes("*"))) { m.fail(at, "invalid path template \"" + v + "\": operators must be a whole segment"); return false; }
    if (op) {
      if (seenDouble) { m.fail(at, "invalid path template \"" + v + "\": {**} must be the last operator"); return false; }
      if (s == "{**}") seenDouble = true;
    }
  }
  return true;
}


class Built {
  rules: Array<JsonValue> = new Array<JsonValue>();
  names: Array<string> = new Array<string>();
  warnings: Array<string> = new Array<string>();
}

// Source and operation fields: [field, notField] in model.New's insertFront order (the generated
// AND lists read principals, requestPrincipals, serviceAccounts, namespaces, trustDomains,
// remoteIpBlocks, ipBlocks / hosts, methods, paths, ports), with the attribute each becomes.
const SOURCE_FIELDS: Array<string> = ["principals", "requestPrincipals", "serviceAccounts", "namespaces", "trustDomains", "remoteIpBlocks", "ipBlocks"];
const SOURCE_ATTRS: Array<Attr> = [Attr.SrcPrincipal, Attr.RequestPrincipal, Attr.SrcServiceAccount, Attr.SrcNamespace, Attr.SrcTrustDomain, Attr.RemoteIp, Attr.SrcIp];
const OPERATION_FIELDS: Array<string> = ["hosts", "methods", "paths", "ports"];
const OPERATION_ATTRS: Array<Attr> = [Attr.Host, Attr.Method, Attr.Path, Attr.DestPort];
// `when` keys (model.go constants); keys ending in "[" take a bracketed suffix.
const WHEN_KEYS: Array<string> = [
  "destination.ip", "destination.port", "connection.sni", "experimental.envoy.filters.", "source.ip", "remote.ip",
  "source.namespace", "source.principal", "source.serviceAccount", "source.trustDomain", "request.auth.principal",
  "request.auth.audiences", "request.auth.presenter", "request.headers", "request.auth.claims",
];
const WHEN_ATTRS: Array<Attr> = [
  Attr.DestIp, Attr.DestPort, Attr.Sni, Attr.EnvoyFilter, Attr.SrcIp, Attr.RemoteIp, Attr.SrcNamespace, Attr.SrcPrincipal,
  Attr.SrcServiceAccount, Attr.SrcTrustDomain, Attr.RequestPrincipal, Attr.RequestAudiences, Attr.RequestPresenter,
  Attr.RequestHeader, Attr.RequestClaims,
];

function whenAttr(key: string): i32 {
  for (let i = 0; i < WHEN_KEYS.length; i++) {
    const k = WHEN_KEYS[i];
    const prefixed = i == 3 || i >= 13;
    if (prefixed ? key.startsWith(k) : key == k) return <i32>WHEN_ATTRS[i];
  }
  return -1;
}

function notName(f: string): string { return "not" + String.fromCharCode(f.charCodeAt(0) - 0x20) + f.substring(1); }

/** Validates one source/operation field pair; null on a user error (recorded in `m`). */
function fieldEntry(m: Msg, f: string, a: Attr, td: TrustDomains): RuleEntry | null {
  const nf = notName(f);
  let v = m.stringList(f);
  let nv = m.stringList(nf);
  if (!m.ok) return null;
  if (a == Attr.Path) {
    for (let k = 0; k < v.length + nv.length; k++) {
      const p = k < v.length ? v[k] : nv[k - v.length];
      const at = (k < v.length ? f : nf) + "[" + (k < v.length ? k : k - v.length).toString() + "]";
      if (p.includes("{")) { if (!checkPath(m, at, p)) return null; }
      else if (!checkValue(m, at, p)) return null;
    }
  } else if (!checkValues(m, f, v) || !checkValues(m, nf, nv)) return null;
  if (a == Attr.SrcServiceAccount) {
    for (let k = 0; k < v.length + nv.length; k++) {
      const s = k < v.length ? v[k] : nv[k - v.length];
      if (s.includes("*")) { m.fail(f, "wildcards are not allowed in service accounts: \"" + s + "\""); return null; }
      if (s.length > 320) { m.fail(f, "a service account is at most 320 characters"); return null; }
    }
    if (v.length > 16 || nv.length > 16) { m.fail(f, "at most 16 service accounts"); return null; }
  }
  if (a == Attr.SrcPrincipal) { v = replaceAliases(v, td); nv = replaceAliases(nv, td); }
  return new RuleEntry(a, f, v, nv);
}

/**
 * One rule -> Envoy Policy JSON; null when skipped (ALLOW rule with an untranslatable value, unknown
 * `when` key). Errors the user must fix (bad types, invalid values) go to `m`.
 */
function translateRule(m: Msg, rule: Msg, c: Ctx, action: i32, td: TrustDomains, warn: Array<string>, name: string): JsonValue | null {
  if (!rule.only(["from", "to", "when"])) return null;
  const basePerm = new Array<RuleEntry>();
  const basePrin = new Array<RuleEntry>();
  const when = rule.array("when");
  let unknown = "";
  if (when !== null) {
    for (let i = 0; i < when.items.length; i++) {
      const w = rule.element("when", when, i);
      if (w === null || !w.only(["key", "values", "notValues"])) return null;
      const key = w.string("key", "");
      if (key.length == 0) { w.fail("key", "required"); return null; }
      const values = w.stringList("values");
      const notValues = w.stringList("notValues");
      if (!w.ok || !checkValues(w, "values", values) || !checkValues(w, "notValues", notValues)) return null;
      if (values.length == 0 && notValues.length == 0) { w.fail("", "at least one of values or notValues must be set"); return null; }
      const a = whenAttr(key);
      if (a < 0) { if (unknown.length == 0) unknown = key; continue; }
      const sp = a == Attr.SrcPrincipal;
      const e = new RuleEntry(<Attr>a, key, sp ? replaceAliases(values, td) : values, sp ? replaceAliases(notValues, td) : notValues);
      if (isPrincipalAttr(<Attr>a)) basePrin.push(e); else basePerm.push(e);
    }
  }
  // model.New: an unknown attribute skips the rule whatever the action.
  if (unknown.length > 0) { warn.push("skipped rule " + name + ": unknown attribute " + unknown); return null; }

  const lists = [new Array<Array<RuleEntry>>(), new Array<Array<RuleEntry>>()];
  for (let side = 0; side < 2; side++) {
    const arrName = side == 0 ? "from" : "to";
    const inner = side == 0 ? "source" : "operation";
    const fields = side == 0 ? SOURCE_FIELDS : OPERATION_FIELDS;
    const attrs = side == 0 ? SOURCE_ATTRS : OPERATION_ATTRS;
    const base = side == 0 ? basePrin : basePerm;
    const arr = rule.array(arrName);
    const n = arr === null ? 0 : arr.items.length;
    for (let i = 0; i < n; i++) {
      const e = rule.element(arrName, arr!, i);
      if (e === null || !e.only([inner])) return null;
      const entries = new Array<RuleEntry>();
      const s = e.msg(inner);
      if (s !== null) {
        const allowed = new Array<string>();
        for (let k = 0; k < fields.length; k++) { allowed.push(fields[k]); allowed.push(notName(fields[k])); }
        if (!s.only(allowed)) return null;
        for (let k = 0; k < fields.length; k++) {
          const fe = fieldEntry(s, fields[k], attrs[k], td);
          if (fe === null) return null;
          if (fe.values.length + fe.notValues.length > 0) entries.push(fe);
        }
        if (side == 0 && (s.has("serviceAccounts") || s.has("notServiceAccounts")) &&
          (s.has("principals") || s.has("notPrincipals") || s.has("namespaces") || s.has("notNamespaces"))) {
          s.fail("serviceAccounts", "cannot be combined with principals or namespaces");
          return null;
        }
      }
      for (let k = 0; k < base.length; k++) entries.push(base[k]);
      lists[side].push(entries);
    }
    if (n == 0) lists[side].push(base);
  }
  if (!m.ok) return null;

  const f = new Fail();
  const out = JsonValue.object();
  for (let side = 1; side >= 0; side--) {
    const arr = JsonValue.array();
    for (let i = 0; i < lists[side].length; i++) {
      const node = generateList(lists[side][i], c, action, side == 0, f);
      if (f.err.length > 0) { warn.push("skipped rule " + name + (c.forTCP ? " on TCP filter chain" : "") + ": " + f.err); return null; }
      arr.push(node!);
    }
    out.set(side == 1 ? "permissions" : "principals", arr);
  }
  return out;
}

/** builder.go rbacPolicyMatchNever: a policy with no rules matches nothing. */
function matchNever(): JsonValue {
  return JsonValue.object()
    .set("permissions", list([o1("not_rule", o1("any", JsonValue.fromBool(true)))]))
    .set("principals", list([o1("not_id", o1("any", JsonValue.fromBool(true)))]));
}

class ActionSet {
  enforce: JsonValue = JsonValue.object();
  shadow: JsonValue = JsonValue.object();
  hasEnforce: bool = false;
  hasShadow: bool = false;
}

/** The result of translating the Istio configuration: Envoy RBAC filter configs in chain order. */
export class IstioTranslation {
  /** Envoy RBAC filter configs (HTTP or network form), in chain order. */
  configs: Array<JsonValue> = new Array<JsonValue>();
  stages: Array<RbacStage> = new Array<RbacStage>();
  warnings: Array<string> = new Array<string>();
}

const TOP_KEYS: Array<string> = ["authorization_policies", "trust_domain", "trust_domain_aliases", "root_namespace"];

export function isIstioConfig(root: JsonValue): bool {
  return root.kind == JsonKind.Object && root.get("authorization_policies") !== null;
}

/** Translates `{authorization_policies, trust_domain, trust_domain_aliases, root_namespace}`. */
export function translateIstio(root: Msg, forTCP: bool): IstioTranslation | null {
  const out = new IstioTranslation();
  if (!root.only(TOP_KEYS)) return null;
  const td = new TrustDomains();
  td.domains.push(root.string("trust_domain", "cluster.local"));
  const aliases = root.stringList("trust_domain_aliases");
  for (let i = 0; i < aliases.length; i++) td.domains.push(aliases[i]);
  const rootNs = root.string("root_namespace", "istio-system");
  const arr = root.array("authorization_policies");
  if (arr === null) return null;
  // audit, root deny, deny, allow, custom (always-deny: no ext_authz provider configured)
  const sets = [new ActionSet(), new ActionSet(), new ActionSet(), new ActionSet(), new ActionSet()];
  for (let i = 0; i < arr.items.length; i++) {
    const p = root.element("authorization_policies", arr, i);
    if (p === null || !p.only(["apiVersion", "kind", "metadata", "spec"])) return null;
    const md = p.msg("metadata");
    if (md === null) { p.fail("metadata", "required (name and namespace)"); return null; }
    const name = md.string("name", "");
    const ns = md.string("namespace", "");
    if (name.length == 0) { md.fail("name", "required"); return null; }
    if (ns.length == 0) { md.fail("namespace", "required"); return null; }
    let dryRun = false;
    const ann = md.msg("annotations");
    if (ann !== null) {
      const dr = ann.obj.get("istio.io/dry-run");
      if (dr !== null) {
        if (dr.kind != JsonKind.String) { ann.fail("istio.io/dry-run", typeMismatch("string", dr)); return null; }
        const b = parseGoBool(dr.str);
        if (b < 0) out.warnings.push("failed to parse the value of istio.io/dry-run: \"" + dr.str + "\" (policy " + ns + "/" + name + " enforced)");
        dryRun = b == 1;
      }
    }
    let spec = p.msg("spec");
    if (spec === null) spec = Msg.of(JsonValue.object(), p.field("spec"), p.errors);
    if (!spec!.only(["selector", "targetRef", "targetRefs", "action", "provider", "rules"])) return null;
    const actionName = spec!.string("action", "ALLOW");
    let set: i32;
    let action: i32;
    let prefix = "";
    if (actionName == "ALLOW") { set = 3; action = ALLOW; }
    else if (actionName == "DENY") { set = ns == rootNs ? 1 : 2; action = DENY; }
    else if (actionName == "AUDIT") { set = 0; action = LOG; }
    else if (actionName == "CUSTOM") {
      set = 4; action = DENY;
      const prov = spec!.msg("provider");
      const pn = prov === null ? "" : prov.string("name", "");
      prefix = "istio-ext-authz-";
      out.warnings.push("CUSTOM policy " + ns + "/" + name + (pn.length > 0 ? " (provider " + pn + ")" : "") +
        ": no ext_authz provider here; rules enforced as DENY (as istiod does for a bad provider)");
      dryRun = false;
    } else { spec!.fail("action", "expected ALLOW, DENY, AUDIT or CUSTOM"); return null; }
    const target = sets[set];
    const bucket = dryRun ? target.shadow : target.enforce;
    if (dryRun) target.hasShadow = true; else target.hasEnforce = true;
    const c = new Ctx();
    c.forTCP = forTCP;
    c.policyNamespace = ns;
    const rules = spec!.array("rules");
    if (rules === null || rules.items.length == 0) {
      if (!spec!.ok) return null;
      bucket.set(prefix + "ns[" + ns + "]-policy[" + name + "]-rule[0]", matchNever());
      continue;
    }
    for (let r = 0; r < rules.items.length; r++) {
      const pname = prefix + "ns[" + ns + "]-policy[" + name + "]-rule[" + r.toString() + "]";
      if (rules.items[r].kind == JsonKind.Null) { out.warnings.push("skipped nil rule " + pname); continue; }
      const rm = spec!.element("rules", rules, r);
      if (rm === null) return null;
      const policy = translateRule(spec!, rm, c, action, td, out.warnings, pname);
      if (!root.ok) return null;
      if (policy !== null) bucket.set(pname, policy);
    }
  }
  const actions = ["LOG", "DENY", "DENY", "ALLOW", "DENY"];
  const order = [4, 0, 1, 2, 3]; // CUSTOM (its deny fallback) runs first in Istio's chain, then AUDIT, root DENY, DENY, ALLOW
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const s = sets[i];
    if (!s.hasEnforce && !s.hasShadow) continue;
    const cfg = JsonValue.object();
    if (s.hasEnforce) cfg.set("rules", JsonValue.object().set("action", str(actions[i])).set("policies", s.enforce));
    if (s.hasShadow) {
      cfg.set("shadow_rules", JsonValue.object().set("action", str(actions[i])).set("policies", s.shadow));
      const sp = actions[i] == "ALLOW" ? SHADOW_ALLOW_PREFIX : actions[i] == "DENY" ? SHADOW_DENY_PREFIX : "";
      if (sp.length > 0) cfg.set("shadow_rules_stat_prefix", str(sp));
    }
    if (forTCP) cfg.set("stat_prefix", str(RBAC_TCP_STAT_PREFIX));
    out.configs.push(cfg);
    const msg = new Msg(cfg, "(generated from authorization_policies)", root.errors);
    const stage = forTCP ? parseNetworkRbac(msg) : parseHttpRbac(msg);
    if (stage === null) return null;
    out.stages.push(stage);
  }
  return root.ok ? out : null;
}

export { ConfigError };
