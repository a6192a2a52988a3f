// Istio RequestAuthentication -> JwtAuthentication, as istiod's policy_applier.go
// (convertToEnvoyJwtConfig) does it: one provider `origins-<i>` per jwtRule (rules sorted by issuer),
// payload_in_metadata "payload", space_delimited_claims always with "scope" and "permission",
// remote JWKS cached 300 s with a 5 s default timeout, one rule `prefix: "/"` with
//   1 provider:  requires_any[P, allow_missing]
//   n providers: requires_any[P1..Pn, requires_all[any(P1, allow_missing)..any(Pn, allow_missing)]]
// and bypass_cors_preflight. The JWKS cluster for jwksUri is Istio's outbound cluster name
// `outbound|<port>||<host>` (model.BuildSubsetKey), so the mesh must have that cluster.
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { Msg } from "../../shared/codec/proto_json";
import { JwtAuthnConfig, ParseResult, parseEnvoyConfig } from "./config";

function s(v: string): JsonValue { return JsonValue.fromString(v); }
function strList(a: Array<string>): JsonValue {
  const l = JsonValue.array();
  for (let i = 0; i < a.length; i++) l.push(s(a[i]));
  return l;
}
function named(key: string, v: JsonValue): JsonValue { return JsonValue.object().set(key, v); }

/** outbound|<port>||<host> for an http(s) URI, or "" when the URI has no host. */
export function istioJwksCluster(uri: string): string {
  let rest: string, port = "";
  if (uri.startsWith("https://")) { rest = uri.substring(8); port = "443"; }
  else if (uri.startsWith("http://")) { rest = uri.substring(7); port = "80"; }
  else return "";
  const slash = rest.indexOf("/");
  let hostPort = slash < 0 ? rest : rest.substring(0, slash);
  const colon = hostPort.lastIndexOf(":");
  let host = hostPort;
  if (colon > 0 && !hostPort.endsWith("]")) { host = hostPort.substring(0, colon); port = hostPort.substring(colon + 1); }
  if (host.length == 0) return "";
  return "outbound|" + port + "||" + host;
}

class RuleEntry {
  constructor(public issuer: string, public provider: JsonValue) {}
}

function durationValue(o: Msg, name: string): JsonValue | null {
  const v = o.get(name);
  if (v === null) return null;
  o.durationMs(name, 0); // validates
  return v;
}

function translateRule(r: Msg, clearRouteCache: bool): RuleEntry | null {
  if (!r.only(["issuer", "audiences", "jwks_uri", "jwks", "from_headers", "from_params", "from_cookies", "output_payload_to_header",
    "forward_original_token", "output_claim_to_headers", "timeout", "space_delimited_claims"])) return null;
  const p = JsonValue.object();
  const issuer = r.string("issuer");
  if (issuer.length == 0) { r.fail("issuer", "is required"); return null; }
  p.set("issuer", s(issuer));
  const auds = r.stringList("audiences");
  if (auds.length > 0) p.set("audiences", strList(auds));
  if (r.boolValue("forward_original_token", false)) p.set("forward", JsonValue.fromBool(true));
  const out = r.string("output_payload_to_header");
  if (out.length > 0) p.set("forward_payload_header", s(out));
  p.set("payload_in_metadata", s("payload"));
  // buildSpaceDelimitedClaims: the user's list (deduplicated) plus permission and scope, sorted.
  const claims = r.stringList("space_delimited_claims");
  if (!claims.includes("permission")) claims.push("permission");
  if (!claims.includes("scope")) claims.push("scope");
  const uniq = new Array<string>();
  for (let i = 0; i < claims.length; i++) if (!uniq.includes(claims[i])) uniq.push(claims[i]);
  uniq.sort();
  p.set("normalize_payload_in_metadata", named("space_delimited_claims", strList(uniq)));
  if (clearRouteCache) p.set("clear_route_cache", JsonValue.fromBool(true));
  const oc = r.array("output_claim_to_headers");
  if (oc !== null) {
    const l = JsonValue.array();
    for (let i = 0; i < oc.items.length; i++) {
      const c = r.element("output_claim_to_headers", oc, i);
      if (c === null) return null;
      c.only(["header", "claim"]);
      l.push(JsonValue.object().set("header_name", s(c.string("header"))).set("claim_name", s(c.string("claim"))));
    }
    p.set("claim_to_headers", l);
  }
  const fh = r.array("from_headers");
  if (fh !== null) {
    const l = JsonValue.array();
    for (let i = 0; i < fh.items.length; i++) {
      const h = r.element("from_headers", fh, i);
      if (h === null) return null;
      h.only(["name", "prefix"]);
      const e = JsonValue.object().set("name", s(h.string("name")));
      const pre = h.string("prefix");
      if (pre.length > 0) e.set("value_prefix", s(pre));
      l.push(e);
    }
    p.set("from_headers", l);
  }
  const fp = r.stringList("from_params");
  if (fp.length > 0) p.set("from_params", strList(fp));
  const fc = r.stringList("from_cookies");
  if (fc.length > 0) p.set("from_cookies", strList(fc));
  let timeout = durationValue(r, "timeout");
  if (timeout === null) timeout = s("5s");
  const uri = r.string("jwks_uri");
  const jwks = r.string("jwks");
  if (uri.length > 0 && jwks.length > 0) { r.fail("", "only one of jwksUri, jwks may be set"); return null; }
  if (uri.length > 0) {
    const cluster = istioJwksCluster(uri);
    if (cluster.length == 0) { r.fail("jwks_uri", "expected an http:// or https:// URI with a host, got \"" + uri + "\""); return null; }
    const httpUri = JsonValue.object().set("uri", s(uri)).set("cluster", s(cluster)).set("timeout", timeout!);
    p.set("remote_jwks", JsonValue.object().set("http_uri", httpUri).set("cache_duration", s("300s")));
  } else if (jwks.length > 0) {
    p.set("local_jwks", named("inline_string", s(jwks)));
  } else {
    // istiod would resolve <issuer>/.well-known/openid-configuration and inline the keys; a Wasm
    // filter has no istiod: the JWKS has to be given.
    r.fail("", "one of jwksUri, jwks is required (OpenID discovery from the issuer is istiod's job, not the proxy's)");
    return null;
  }
  return r.ok ? new RuleEntry(issuer, p) : null;
}

function anyOf(a: JsonValue, b: JsonValue): JsonValue {
  return named("requires_any", named("requirements", JsonValue.array().push(a).push(b)));
}

export function parseIstioFrontEnd(root: Msg, res: ParseResult): JwtAuthnConfig | null {
  if (!root.only(["request_authentications", "clear_route_cache", "stat_prefix"])) return null;
  const list = root.array("request_authentications");
  if (list === null) return null;
  const clear = root.boolValue("clear_route_cache", false);
  const entries = new Array<RuleEntry>();
  for (let i = 0; i < list.items.length; i++) {
    const ra = root.element("request_authentications", list, i);
    if (ra === null) return null;
    if (!ra.only(["api_version", "kind", "metadata", "spec"])) return null;
    const kind = ra.string("kind", "RequestAuthentication");
    if (kind != "RequestAuthentication") { ra.fail("kind", "expected RequestAuthentication, got " + kind); return null; }
    const md = ra.msg("metadata");
    if (md !== null) md.only(["name", "namespace", "labels", "annotations"]);
    const spec = ra.msg("spec");
    if (spec === null) continue;
    // selector / targetRef(s) pick the workload in Istio; here the plugin is already attached to it.
    if (!spec.only(["selector", "target_ref", "target_refs", "jwt_rules"])) return null;
    const rules = spec.array("jwt_rules");
    if (rules === null) continue;
    for (let j = 0; j < rules.items.length; j++) {
      const eEl = spec.element("jwt_rules", rules, j);
      if (eEl === null) return null;
      const e = translateRule(eEl, clear);
      if (e === null) return null;
      entries.push(e);
    }
  }
  if (!root.ok) return null;
  // Stable sort by issuer (slices.SortBy).
  for (let i = 1; i < entries.length; i++) {
    const e = entries[i];
    let j = i - 1;
    while (j >= 0 && entries[j].issuer > e.issuer) { entries[j + 1] = entries[j]; j--; }
    entries[j + 1] = e;
  }
  const env = JsonValue.object();
  const providers = JsonValue.object();
  const inner = JsonValue.array();
  const outer = JsonValue.array();
  for (let i = 0; i < entries.length; i++) {
    const name = "origins-" + i.toString();
    providers.set(name, entries[i].provider);
    inner.push(anyOf(named("provider_name", s(name)), named("allow_missing", JsonValue.object())));
    outer.push(named("provider_name", s(name)));
  }
  env.set("providers", providers);
  if (entries.length > 0) {
    let req: JsonValue;
    if (entries.length == 1) req = inner.items[0];
    else {
      outer.push(named("requires_all", named("requirements", inner)));
      req = named("requires_any", named("requirements", outer));
    }
    env.set("rules", JsonValue.array().push(JsonValue.object().set("match", named("prefix", s("/"))).set("requires", req)));
    env.set("bypass_cors_preflight", JsonValue.fromBool(true));
  }
  const sp = root.string("stat_prefix");
  if (sp.length > 0) env.set("stat_prefix", s(sp));
  const cfg = parseEnvoyConfig(new Msg(env, "(translated from request_authentications)", root.errors), res);
  if (cfg !== null) cfg.frontEnd = "istio";
  return cfg;
}
