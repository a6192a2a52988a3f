// Front end 1: Envoy's own RBAC filter configuration in proto3 JSON
// (envoy.extensions.filters.http.rbac.v3.RBAC, envoy.extensions.filters.network.rbac.v3.RBAC,
// envoy.config.rbac.v3.RBAC / Policy / Permission / Principal), compiled into engines.
// Refused (with the field path): the xDS `matcher` / `shadow_matcher` trees, `custom` principals and
// `matcher` permissions (extensions), `checked_condition`, CEL outside shared/expr's subset.
import { JsonValue, JsonKind, jsonQuote } from "../../shared/codec/json";
import { EnvoyCatalog } from "../../shared/expr/envoy";
import { AttrRef, Node as ExprNode, NodeKind, Value as ExprValue } from "../../shared/expr/ast";
import { Msg, ConfigError } from "../../shared/codec/proto_json";
import {
  parseStringMatcher, parseHeaderMatcher, parseCidr, parseMetadataMatcher, PathTemplate, StringMatcher,
} from "./matchers";
import { Matcher, MatchKind, Policy, Engine, Action } from "./engine";

const NOT_SUPPORTED = "not supported by this filter";
/** envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig's type URL. */
export const URI_TEMPLATE_TYPE = "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig";

const MAX_DEPTH: i32 = 32;

const PERMISSION_RULES: Array<string> = [
  "and_rules", "or_rules", "any", "header", "url_path", "destination_ip", "destination_port", "destination_port_range",
  "metadata", "not_rule", "requested_server_name", "matcher", "uri_template", "sourced_metadata",
];
const PRINCIPAL_IDS: Array<string> = [
  "and_ids", "or_ids", "any", "authenticated", "source_ip", "direct_remote_ip", "remote_ip", "header", "url_path",
  "metadata", "filter_state", "not_id", "sourced_metadata", "custom",
];

function oneOf(m: Msg, names: Array<string>, what: string): string {
  if (!m.only(names)) return "";
  const set = m.setAmong(names);
  if (set.length != 1) {
    m.fail("", set.length == 0 ? what + " needs exactly one of: " + names.join(", ") : "only one of " + set.join(", ") + " may be set");
    return "";
  }
  return set[0];
}

function setList(m: Msg, name: string, inner: string, principal: bool, depth: i32, kind: MatchKind): Matcher | null {
  const s = m.msg(name);
  if (s === null || !s.only([inner])) return null;
  const arr = s.array(inner);
  const out = new Matcher(kind);
  if (arr === null || arr.items.length == 0) { s.fail(inner, "at least one entry is required"); return null; }
  for (let i = 0; i < arr.items.length; i++) {
    const e = s.element(inner, arr, i);
    if (e === null) return null;
    const c = principal ? parsePrincipal(e, depth + 1) : parsePermission(e, depth + 1);
    if (c === null) return null;
    out.children.push(c);
  }
  // A one-element and/or is its element: one call level less per request (istiod wraps every value list).
  return out.children.length == 1 ? out.children[0] : out;
}

function stringMatcherAt(m: Msg, name: string): StringMatcher | null {
  const s = m.msg(name);
  if (s === null) { m.fail(name, "expected a StringMatcher object"); return null; }
  return parseStringMatcher(s);
}

/** PathMatcher {path: StringMatcher}. */
function pathMatcher(m: Msg, name: string): Matcher | null {
  const p = m.msg(name);
  if (p === null || !p.only(["path"])) return null;
  const s = stringMatcherAt(p, "path");
  if (s === null) return null;
  const out = new Matcher(MatchKind.UrlPath);
  out.str = s;
  return out;
}

function cidrAt(m: Msg, name: string, kind: MatchKind): Matcher | null {
  const c = m.msg(name);
  if (c === null) return null;
  const r = parseCidr(c);
  if (r === null) return null;
  const out = new Matcher(kind);
  out.cidr = r;
  return out;
}

function metadataAt(m: Msg, name: string): Matcher | null {
  const mm = m.msg(name);
  if (mm === null) return null;
  const p = parseMetadataMatcher(mm);
  if (p === null) return null;
  const out = new Matcher(MatchKind.DynamicMetadata);
  out.metadata = p;
  return out;
}

/** SourcedMetadata {metadata_matcher, metadata_source: DYNAMIC | ROUTE}. */
function sourcedMetadataAt(m: Msg, name: string): Matcher | null {
  const s = m.msg(name);
  if (s === null || !s.only(["metadata_matcher", "metadata_source"])) return null;
  const src = s.string("metadata_source", "DYNAMIC");
  if (src != "DYNAMIC" && src != "ROUTE") { s.fail("metadata_source", "expected DYNAMIC or ROUTE"); return null; }
  const out = metadataAt(s, "metadata_matcher");
  if (out === null) { if (s.ok) s.fail("metadata_matcher", "required"); return null; }
  if (src == "ROUTE") out.kind = MatchKind.RouteMetadata;
  return out;
}

/** `any: true` (Permission.any / Principal.any); Envoy's validation refuses false. */
function anyAt(m: Msg): Matcher | null {
  if (!m.bool("any", false)) { m.fail("any", "must be true"); return null; }
  return Matcher.any();
}

/** A HeaderMatcher rule (Permission.header / Principal.header). */
function headerAt(m: Msg, name: string): Matcher | null {
  const h = m.msg(name);
  if (h === null) return null;
  const hm = parseHeaderMatcher(h);
  if (hm === null) return null;
  const out = new Matcher(MatchKind.Header);
  out.header = hm;
  return out;
}

export function parsePermission(m: Msg, depth: i32): Matcher | null {
  if (depth > MAX_DEPTH) { m.fail("", "rules nested deeper than " + MAX_DEPTH.toString() + " levels"); return null; }
  const k = oneOf(m, PERMISSION_RULES, "a Permission");
  if (k.length == 0) return null;
  if (k == "and_rules") return setList(m, k, "rules", false, depth, MatchKind.And);
  if (k == "or_rules") return setList(m, k, "rules", false, depth, MatchKind.Or);
  if (k == "any") return anyAt(m);
  if (k == "not_rule") {
    const n = m.msg(k);
    if (n === null) return null;
    const c = parsePermission(n, depth + 1);
    return c === null ? null : Matcher.not(c);
  }
  if (k == "header") return headerAt(m, k);
  if (k == "url_path") return pathMatcher(m, k);
  if (k == "destination_ip") return cidrAt(m, k, MatchKind.DestinationIp);
  if (k == "destination_port") {
    const out = new Matcher(MatchKind.DestinationPort);
    out.portLo = m.integer(k, 0, 0, 65535);
    return m.ok ? out : null;
  }
  if (k == "destination_port_range") {
    const r = m.msg(k);
    if (r === null || !r.only(["start", "end"])) return null;
    const out = new Matcher(MatchKind.DestinationPortRange);
    out.portLo = r.integer("start", 0, 0, 65536);
    out.portHi = r.integer("end", 0, 0, 65536);
    // Envoy: "start port is greater than end port" is a configuration error.
    if (r.ok && out.portLo > out.portHi) { r.fail("", "start must not be greater than end"); return null; }
    return r.ok ? out : null;
  }
  if (k == "requested_server_name") {
    const s = stringMatcherAt(m, k);
    if (s === null) return null;
    const out = new Matcher(MatchKind.ServerName);
    out.str = s;
    return out;
  }
  if (k == "metadata") return metadataAt(m, k);
  if (k == "sourced_metadata") return sourcedMetadataAt(m, k);
  if (k == "uri_template") return uriTemplateAt(m, k);
  m.fail(k, NOT_SUPPORTED);
  return null;
}

/** TypedExtensionConfig holding envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig. */
function uriTemplateAt(m: Msg, name: string): Matcher | null {
  const t = m.msg(name);
  if (t === null || !t.only(["name", "typed_config"])) return null;
  const tc = t.msg("typed_config");
  if (tc === null) { t.fail("typed_config", "required"); return null; }
  const type = tc.string("@type", "");
  if (type != URI_TEMPLATE_TYPE) {
    tc.fail("@type", "expected " + URI_TEMPLATE_TYPE);
    return null;
  }
  if (!tc.only(["@type", "path_template"])) return null;
  const text = tc.string("path_template", "");
  const pt = new PathTemplate();
  const why = PathTemplate.parse(text, pt);
  if (why.length > 0) { tc.fail("path_template", why); return null; }
  const out = new Matcher(MatchKind.UriTemplate);
  out.template = pt;
  return out;
}

export function parsePrincipal(m: Msg, depth: i32): Matcher | null {
  if (depth > MAX_DEPTH) { m.fail("", "ids nested deeper than " + MAX_DEPTH.toString() + " levels"); return null; }
  const k = oneOf(m, PRINCIPAL_IDS, "a Principal");
  if (k.length == 0) return null;
  if (k == "and_ids") return setList(m, k, "ids", true, depth, MatchKind.And);
  if (k == "or_ids") return setList(m, k, "ids", true, depth, MatchKind.Or);
  if (k == "any") return anyAt(m);
  if (k == "not_id") {
    const n = m.msg(k);
    if (n === null) return null;
    const c = parsePrincipal(n, depth + 1);
    return c === null ? null : Matcher.not(c);
  }
  if (k == "authenticated") {
    const a = m.msg(k);
    if (a === null || !a.only(["principal_name"])) return null;
    const out = new Matcher(MatchKind.Authenticated);
    if (a.has("principal_name")) {
      out.str = stringMatcherAt(a, "principal_name");
      if (out.str === null) return null;
    }
    return out;
  }
  // source_ip is the deprecated spelling of direct_remote_ip (Envoy treats them alike).
  if (k == "source_ip" || k == "direct_remote_ip") return cidrAt(m, k, MatchKind.DirectRemoteIp);
  if (k == "remote_ip") return cidrAt(m, k, MatchKind.RemoteIp);
  if (k == "header") return headerAt(m, k);
  if (k == "url_path") return pathMatcher(m, k);
  if (k == "metadata") return metadataAt(m, k);
  if (k == "sourced_metadata") return sourcedMetadataAt(m, k);
  if (k == "filter_state") {
    const f = m.msg(k);
    if (f === null || !f.only(["key", "string_match", "address_match"])) return null;
    const key = f.string("key", "");
    if (f.ok && key.length == 0) { f.fail("key", "must not be empty"); return null; }
    if (f.has("string_match") == f.has("address_match")) { f.fail("", "exactly one of string_match, address_match is required"); return null; }
    if (f.has("string_match")) {
      const s = stringMatcherAt(f, "string_match");
      if (s === null) return null;
      const out = new Matcher(MatchKind.FilterState);
      out.key = key;
      out.str = s;
      return out;
    }
    const am = f.msg("address_match");
    if (am === null || !am.only(["ranges"])) return null;
    const arr = am.array("ranges");
    const out = new Matcher(MatchKind.FilterStateAddress);
    out.key = key;
    if (arr !== null) {
      for (let i = 0; i < arr.items.length; i++) {
        const e = am.element("ranges", arr, i);
        if (e === null) return null;
        const c = parseCidr(e);
        if (c === null) return null;
        out.ranges.push(c);
      }
    }
    return out;
  }
  m.fail(k, NOT_SUPPORTED);
  return null;
}

// ---------------------------------------------------------------------------------------------
// condition: a google.api.expr.v1alpha1.Expr in proto3 JSON, built directly into shared/expr's tree
// (==, !=, &&, ||, !, ?:, has(), attribute selects/indexes bound to Envoy's attribute catalog,
// string/int/bool/null constants). Anything else is refused naming the expression's field path.

const CATALOG = new EnvoyCatalog();

/** Flattens a select/index chain (`request.headers['x']`) into an attribute reference; null + error otherwise. */
function attrOf(m: Msg, segs: Array<string>, depth: i32): string | null {
  if (depth > 32) { m.fail("", "expression nested too deeply"); return null; }
  if (m.has("ident_expr")) {
    const id = m.msg("ident_expr");
    return id === null ? null : id.string("name", "");
  }
  if (m.has("select_expr")) {
    const s = m.msg("select_expr");
    if (s === null || !s.only(["operand", "field", "test_only"])) return null;
    const o = s.msg("operand");
    if (o === null) { s.fail("operand", "required"); return null; }
    const root = attrOf(o, segs, depth + 1);
    if (root !== null) segs.push(s.string("field", ""));
    return root;
  }
  if (m.has("call_expr")) {
    const c = m.msg("call_expr");
    let arr: JsonValue | null = null;
    if (c !== null) arr = c.array("args");
    if (c !== null && arr !== null && c.string("function", "") == "_[_]" && arr.items.length == 2) {
      const base = c.element("args", arr!, 0);
      const key = c.element("args", arr!, 1);
      if (base === null || key === null) return null;
      const root = attrOf(base, segs, depth + 1);
      if (root === null) return null;
      const k = key.msg("const_expr");
      if (k === null || !k.has("string_value")) { key.fail("", "only constant string indexes are supported"); return null; }
      segs.push(k.string("string_value", ""));
      return root;
    }
  }
  m.fail("", "expected an attribute");
  return null;
}

function attrNode(m: Msg, kind: NodeKind, depth: i32): ExprNode | null {
  const segs = new Array<string>();
  const root = attrOf(m, segs, depth);
  if (root === null) return null;
  let text = root;
  for (let i = 0; i < segs.length; i++) text += "['" + segs[i] + "']";
  const ref = new AttrRef(root, text, 0);
  ref.segments = segs;
  const why = CATALOG.bind(ref);
  if (why.length > 0) { m.fail("", why); return null; }
  const n = new ExprNode(kind);
  n.attr = ref;
  return n;
}

function exprNode(m: Msg, depth: i32): ExprNode | null {
  if (depth > 32) { m.fail("", "expression nested too deeply"); return null; }
  if (!m.only(["id", "const_expr", "ident_expr", "select_expr", "call_expr", "list_expr", "struct_expr", "comprehension_expr"])) return null;
  if (m.has("const_expr")) {
    const c = m.msg("const_expr");
    if (c === null) return null;
    const n = new ExprNode(NodeKind.Literal);
    if (c.has("string_value")) n.value = ExprValue.str(c.string("string_value", ""));
    else if (c.has("int64_value")) n.value = ExprValue.int(c.integer("int64_value", 0, i64.MIN_VALUE, i64.MAX_VALUE));
    else if (c.has("uint64_value")) n.value = ExprValue.int(c.integer("uint64_value", 0, 0, i64.MAX_VALUE));
    else if (c.has("bool_value")) n.value = ExprValue.bool(c.bool("bool_value", false));
    else if (c.obj.get("null_value") !== null || c.obj.get("nullValue") !== null) n.value = ExprValue.nul();
    else { c.fail("", "unsupported constant"); return null; }
    return n;
  }
  if (m.has("select_expr")) {
    const s = m.msg("select_expr");
    return attrNode(m, s !== null && s.bool("test_only", false) ? NodeKind.Has : NodeKind.Attr, depth);
  }
  if (m.has("ident_expr")) return attrNode(m, NodeKind.Attr, depth);
  if (m.has("call_expr")) {
    const c = m.msg("call_expr");
    if (c === null || !c.only(["target", "function", "args"])) return null;
    if (c.has("target")) { c.fail("target", "member calls are not supported"); return null; }
    const fn = c.string("function", "");
    if (fn == "_[_]") return attrNode(m, NodeKind.Attr, depth);
    const arr = c.array("args");
    const args = new Array<ExprNode>();
    if (arr !== null) {
      for (let i = 0; i < arr.items.length; i++) {
        const e = c.element("args", arr, i);
        if (e === null) return null;
        const t = exprNode(e, depth + 1);
        if (t === null) return null;
        args.push(t);
      }
    }
    let kind: i32 = -1;
    if (args.length == 2) kind = fn == "_==_" ? NodeKind.Eq : fn == "_!=_" ? NodeKind.Ne : fn == "_&&_" ? NodeKind.And : fn == "_||_" ? NodeKind.Or : -1;
    else if (args.length == 1 && fn == "!_") kind = NodeKind.Not;
    else if (args.length == 3 && fn == "_?_:_") kind = NodeKind.Cond;
    if (kind < 0) {
      c.fail("function", "function \"" + fn + "\" with " + args.length.toString() + " arguments: outside the supported CEL subset");
      return null;
    }
    const n = new ExprNode(<NodeKind>kind);
    n.a = args[0];
    if (args.length > 1) n.b = args[1];
    if (args.length > 2) n.c = args[2];
    return n;
  }
  m.fail("", "outside the supported CEL subset");
  return null;
}

function parseCondition(p: Msg, policy: Policy): void {
  const c = p.msg("condition");
  if (c === null) return;
  policy.condition = exprNode(c, 0);
}

export function parsePolicy(m: Msg, name: string): Policy | null {
  if (!m.only(["permissions", "principals", "condition", "checked_condition", "cel_config"])) return null;
  if (m.has("checked_condition")) { m.fail("checked_condition", NOT_SUPPORTED); return null; }
  const policy = new Policy(name);
  const perms = m.array("permissions");
  if (perms === null || perms.items.length == 0) { m.fail("permissions", "at least one permission is required"); return null; }
  for (let i = 0; i < perms.items.length; i++) {
    const e = m.element("permissions", perms, i);
    if (e === null) return null;
    const p = parsePermission(e, 0);
    if (p === null) return null;
    policy.permissions.push(p);
  }
  const ids = m.array("principals");
  if (ids === null || ids.items.length == 0) { m.fail("principals", "at least one principal is required"); return null; }
  for (let i = 0; i < ids.items.length; i++) {
    const e = m.element("principals", ids, i);
    if (e === null) return null;
    const p = parsePrincipal(e, 0);
    if (p === null) return null;
    policy.principals.push(p);
  }
  parseCondition(m, policy);
  return m.ok ? policy : null;
}

/** envoy.config.rbac.v3.RBAC {action, policies, audit_logging_options}. */
export function parseRbac(m: Msg): Engine | null {
  if (!m.only(["action", "policies", "audit_logging_options"])) return null;
  const e = new Engine();
  const a = m.string("action", "ALLOW");
  if (a == "ALLOW") e.action = Action.Allow;
  else if (a == "DENY") e.action = Action.Deny;
  else if (a == "LOG") e.action = Action.Log;
  else { m.fail("action", "expected ALLOW, DENY or LOG"); return null; }
  if (m.has("audit_logging_options")) { m.fail("audit_logging_options", NOT_SUPPORTED); return null; }
  const ps = m.get("policies");
  if (ps !== null) {
    if (ps.kind != JsonKind.Object) { m.fail("policies", "expected an object"); return null; }
    for (let i = 0; i < ps.keys.length; i++) {
      const pm = m.entry("policies", ps, i);
      if (pm === null) return null;
      const p = parsePolicy(pm, ps.keys[i]);
      if (p === null) return null;
      e.policies.push(p);
    }
  }
  e.seal();
  return m.ok ? e : null;
}

export enum EnforcementType { OneTimeOnConnection = 0, Continuous = 1 }

/**
 * One RBAC filter's worth of configuration: what Envoy's HTTP or network RBAC filter holds.
 * Istio's translation yields several (CUSTOM, DENY, ALLOW, AUDIT filters in that chain order).
 */
export class RbacStage {
  /** null: `rules` absent, no enforcement (Envoy). */
  rules: Engine | null = null;
  shadow: Engine | null = null;
  rulesStatPrefix: string = "";
  shadowStatPrefix: string = "";
  trackPerRule: bool = false;
  /** Network filter only. */
  statPrefix: string = "";
  enforcement: EnforcementType = EnforcementType.OneTimeOnConnection;
}

/** HTTP filter config: RBAC {rules, matcher, shadow_rules, shadow_matcher, shadow_rules_stat_prefix, rules_stat_prefix, track_per_rule_stats}. */
export function parseHttpRbac(m: Msg): RbacStage | null {
  if (!m.only(["rules", "matcher", "shadow_rules", "shadow_matcher", "shadow_rules_stat_prefix", "rules_stat_prefix", "track_per_rule_stats"])) return null;
  if (m.has("matcher")) { m.fail("matcher", NOT_SUPPORTED); return null; }
  if (m.has("shadow_matcher")) { m.fail("shadow_matcher", NOT_SUPPORTED); return null; }
  const s = new RbacStage();
  const r = m.msg("rules");
  if (r !== null) { s.rules = parseRbac(r); if (s.rules === null) return null; }
  const sh = m.msg("shadow_rules");
  if (sh !== null) { s.shadow = parseRbac(sh); if (s.shadow === null) return null; }
  s.rulesStatPrefix = m.string("rules_stat_prefix", "");
  s.shadowStatPrefix = m.string("shadow_rules_stat_prefix", "");
  s.trackPerRule = m.bool("track_per_rule_stats", false);
  return m.ok ? s : null;
}

/** Network filter config: RBAC {rules, matcher, shadow_rules, shadow_matcher, shadow_rules_stat_prefix, stat_prefix, enforcement_type, delay_deny}. */
export function parseNetworkRbac(m: Msg): RbacStage | null {
  if (!m.only(["rules", "matcher", "shadow_rules", "shadow_matcher", "shadow_rules_stat_prefix", "stat_prefix", "enforcement_type", "delay_deny"])) return null;
  if (m.has("matcher")) { m.fail("matcher", NOT_SUPPORTED); return null; }
  if (m.has("shadow_matcher")) { m.fail("shadow_matcher", NOT_SUPPORTED); return null; }
  if (m.has("delay_deny")) { m.fail("delay_deny", NOT_SUPPORTED); return null; }
  const s = new RbacStage();
  const r = m.msg("rules");
  if (r !== null) { s.rules = parseRbac(r); if (s.rules === null) return null; }
  const sh = m.msg("shadow_rules");
  if (sh !== null) { s.shadow = parseRbac(sh); if (s.shadow === null) return null; }
  s.statPrefix = m.string("stat_prefix", "");
  s.shadowStatPrefix = m.string("shadow_rules_stat_prefix", "");
  const et = m.string("enforcement_type", "ONE_TIME_ON_FIRST_BYTE");
  if (et == "ONE_TIME_ON_FIRST_BYTE") s.enforcement = EnforcementType.OneTimeOnConnection;
  else if (et == "CONTINUOUS") s.enforcement = EnforcementType.Continuous;
  else { m.fail("enforcement_type", "expected ONE_TIME_ON_FIRST_BYTE or CONTINUOUS"); return null; }
  return m.ok ? s : null;
}

export { ConfigError, Msg, JsonValue };
