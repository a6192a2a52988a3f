// Istio <= 1.5 authentication.istio.io/v1alpha1 Policy (origins[].jwt) -> JwtAuthentication, as
// Istio 1.4/1.5 pilot did (pilot/pkg/security/authn/v1alpha1/policy_applier.go): providers
// `origins-<i>` with forward: true, payload_in_metadata: <issuer>, jwtHeaders -> from_headers (no
// prefix), jwtParams -> from_params, requirement requires_any[origins-0..n, allow_missing_or_failed];
// then the istio_authn filter's origin check (src/envoy/http/authn/origin_authenticator.cc), done
// here after verification: an origin whose trigger rules do not match the path is skipped; if no
// origin applies the request passes; if one applies and none verified, 401 unless originIsOptional.
// Trigger rules match the path WITHOUT query and fragment (the CVE-2020-8595 fix).
import { JsonValue } from "../../shared/codec/json";
import { Msg } from "../../shared/codec/proto_json";
import { JwtAuthnConfig, ParseResult, parseEnvoyConfig, LegacyPolicy, LegacyOrigin } from "./config";
import { StringMatcher, StringKind } from "./matcher";
import { istioJwksCluster } from "./istio";
import { Regex, regexError } from "../../shared/regex/index";

function s(v: string): JsonValue { return JsonValue.fromString(v); }

function parseStringMatch(o: Msg): StringMatcher | null {
  if (!o.only(["exact", "prefix", "suffix", "regex"])) return null;
  const m = new StringMatcher();
  let set = 0;
  if (o.has("exact")) { m.kind = StringKind.Exact; m.value = o.string("exact"); set++; }
  if (o.has("prefix")) { m.kind = StringKind.Prefix; m.value = o.string("prefix"); set++; }
  if (o.has("suffix")) { m.kind = StringKind.Suffix; m.value = o.string("suffix"); set++; }
  if (o.has("regex")) {
    m.kind = StringKind.Regex;
    const pattern = o.string("regex");
    m.regex = Regex.compile(pattern);
    if (m.regex === null) o.fail("regex", "invalid regex \"" + pattern + "\": " + regexError());
    set++;
  }
  if (set != 1) { o.fail("", "exactly one of exact, prefix, suffix, regex is required"); return null; }
  return o.ok ? m : null;
}

function matchers(o: Msg, name: string): Array<StringMatcher> | null {
  const out = new Array<StringMatcher>();
  const a = o.array(name);
  if (a === null) return o.ok ? out : null;
  for (let i = 0; i < a.items.length; i++) {
    const mEl = o.element(name, a, i);
    if (mEl === null) return null;
    const m = parseStringMatch(mEl);
    if (m === null) return null;
    out.push(m);
  }
  return out;
}

export function parseLegacyFrontEnd(root: Msg, res: ParseResult): JwtAuthnConfig | null {
  if (!root.only(["targets", "peers", "peer_is_optional", "origins", "origin_is_optional", "principal_binding", "stat_prefix"])) return null;
  const policy = new LegacyPolicy();
  policy.originIsOptional = root.boolValue("origin_is_optional", false);
  const pb = root.string("principal_binding", "USE_PEER");
  if (pb != "USE_PEER" && pb != "USE_ORIGIN") { root.fail("principal_binding", "expected USE_PEER or USE_ORIGIN"); return null; }
  const origins = root.array("origins");
  if (origins === null) return null;
  const env = JsonValue.object();
  const providers = JsonValue.object();
  const any = JsonValue.array();
  for (let i = 0; i < origins.items.length; i++) {
    const oo = root.element("origins", origins, i);
    if (oo === null) return null;
    if (!oo.only(["jwt"])) return null;
    const j = oo.msg("jwt");
    if (j === null) { if (oo.ok) oo.fail("jwt", "is required"); return null; }
    if (!j.only(["issuer", "audiences", "jwks_uri", "jwks", "jwt_headers", "jwt_params", "trigger_rules"])) return null;
    const p = JsonValue.object();
    const issuer = j.string("issuer");
    if (issuer.length == 0) { j.fail("issuer", "is required"); return null; }
    p.set("issuer", s(issuer));
    const auds = j.stringList("audiences");
    if (auds.length > 0) { const l = JsonValue.array(); for (let k = 0; k < auds.length; k++) l.push(s(auds[k])); p.set("audiences", l); }
    p.set("forward", JsonValue.fromBool(true));
    p.set("payload_in_metadata", s(issuer));
    const hs = j.stringList("jwt_headers");
    if (hs.length > 0) { const l = JsonValue.array(); for (let k = 0; k < hs.length; k++) l.push(JsonValue.object().set("name", s(hs[k]))); p.set("from_headers", l); }
    const ps = j.stringList("jwt_params");
    if (ps.length > 0) { const l = JsonValue.array(); for (let k = 0; k < ps.length; k++) l.push(s(ps[k])); p.set("from_params", l); }
    const uri = j.string("jwks_uri"), jwks = j.string("jwks");
    if (jwks.length > 0) p.set("local_jwks", JsonValue.object().set("inline_string", s(jwks)));
    else if (uri.length > 0) {
      const cluster = istioJwksCluster(uri);
      if (cluster.length == 0) { j.fail("jwks_uri", "expected an http:// or https:// URI with a host"); return null; }
      p.set("remote_jwks", JsonValue.object().set("http_uri",
        JsonValue.object().set("uri", s(uri)).set("cluster", s(cluster)).set("timeout", s("5s"))).set("cache_duration", s("300s")));
    } else { j.fail("", "one of jwksUri, jwks is required (pilot fetched jwksUri; here the proxy does)"); return null; }
    const name = "origins-" + i.toString();
    providers.set(name, p);
    any.push(JsonValue.object().set("provider_name", s(name)));
    const origin = new LegacyOrigin();
    origin.provider = i;
    origin.issuer = issuer;
    const tr = j.array("trigger_rules");
    if (tr !== null) for (let k = 0; k < tr.items.length; k++) {
      const t = j.element("trigger_rules", tr, k);
      if (t === null) return null;
      if (!t.only(["excluded_paths", "included_paths"])) return null;
      const ex = matchers(t, "excluded_paths");
      const inc = matchers(t, "included_paths");
      if (ex === null || inc === null) return null;
      origin.excluded.push(ex);
      origin.included.push(inc);
    }
    policy.origins.push(origin);
  }
  if (!root.ok) return null;
  env.set("providers", providers);
  if (any.items.length > 0) {
    any.push(JsonValue.object().set("allow_missing_or_failed", JsonValue.object()));
    env.set("rules", JsonValue.array().push(JsonValue.object().set("match", JsonValue.object().set("prefix", s("/")))
      .set("requires", JsonValue.object().set("requires_any", JsonValue.object().set("requirements", any)))));
  }
  const sp = root.string("stat_prefix");
  if (sp.length > 0) env.set("stat_prefix", s(sp));
  const cfg = parseEnvoyConfig(new Msg(env, "(translated from origins)", root.errors), res);
  if (cfg === null) return null;
  cfg.frontEnd = "legacy";
  cfg.legacy = policy;
  return cfg;
}

/** istio_authn ShouldValidateJwtPerPath for one origin: no rules => always; else any rule matching. */
export function originTriggered(o: LegacyOrigin, pathNoQuery: string): bool {
  if (o.excluded.length == 0) return true;
  for (let r = 0; r < o.excluded.length; r++) {
    let excluded = false;
    const ex = o.excluded[r];
    for (let i = 0; i < ex.length; i++) if (ex[i].match(pathNoQuery)) { excluded = true; break; }
    if (excluded) continue;
    const inc = o.included[r];
    if (inc.length == 0) return true;
    for (let i = 0; i < inc.length; i++) if (inc[i].match(pathNoQuery)) return true;
  }
  return false;
}
