// Envoy RBAC front end (envoy.extensions.filters.{http,network}.rbac.v3.RBAC) through dist/rbac.wasm:
// a table of (policy, request) -> decision cases. Expected decisions follow Envoy's documented
// semantics (envoyproxy/data-plane-api envoy/config/rbac/v3/rbac.proto, envoy/type/matcher/v3/*.proto,
// envoy/config/route/v3/route_components.proto HeaderMatcher; envoy source/extensions/filters/common/rbac
// matchers.cc, engine_impl.cc, http/rbac/rbac_filter.cc), summarised in the project reference section D.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RbacHost, type Req } from "./harness";

const hosts: RbacHost[] = [];
after(async () => { for (const h of hosts) await h.stop(); });

async function load(config: unknown, kind: "http" | "network" = "http"): Promise<RbacHost> {
  const h = new RbacHost(1);
  hosts.push(h);
  const err = await h.load(config, kind);
  assert.equal(err, null, `configuration refused: ${err}`);
  return h;
}

/** One ALLOW policy `p` with the given permission and principal. */
function allow(permission: unknown, principal: unknown = { any: true }) {
  return { rules: { action: "ALLOW", policies: { p: { permissions: [permission], principals: [principal] } } } };
}

interface Case { name: string; req: Req; allowed: boolean }

async function table(title: string, config: unknown, cases: Case[]) {
  const h = await load(config);
  for (const c of cases) {
    const d = h.http(c.req);
    assert.equal(d.allowed, c.allowed, `${title}: ${c.name}: expected ${c.allowed ? "allow" : "deny"}`);
    if (!c.allowed) {
      assert.equal(d.status, 403, `${title}: ${c.name}`);
      assert.equal(d.body, "RBAC: access denied");
    }
  }
  return h;
}

const SPIFFE_A = "spiffe://cluster.local/ns/default/sa/a";

test("rules absent: no enforcement; rules with no policies: ALLOW denies everything, DENY allows everything", async () => {
  const none = await load({ shadow_rules: { action: "DENY", policies: {} } });
  assert.equal(none.http({}).allowed, true);
  const allowNone = await load({ rules: { action: "ALLOW" } });
  const d = allowNone.http({});
  assert.equal(d.allowed, false);
  assert.equal(d.details, "rbac_access_denied_matched_policy[none]");
  const denyNone = await load({ rules: { action: "DENY", policies: {} } });
  assert.equal(denyNone.http({}).allowed, true);
});

test("header matchers: every HeaderMatcher form (exact/prefix/suffix/contains/present/range/safe_regex/string_match, invert, missing-as-empty)", async () => {
  const h = (m: Record<string, unknown>) => allow({ header: { name: "x-a", ...m } });
  await table("exact_match", h({ exact_match: "v1" }), [
    { name: "equal", req: { headers: [["x-a", "v1"]] }, allowed: true },
    { name: "different", req: { headers: [["x-a", "v2"]] }, allowed: false },
    { name: "case differs", req: { headers: [["x-a", "V1"]] }, allowed: false },
    { name: "absent", req: {}, allowed: false },
  ]);
  await table("exact_match empty = any present value (Envoy: empty value matches presence)", h({ exact_match: "" }), [
    { name: "present", req: { headers: [["x-a", "zz"]] }, allowed: true },
    { name: "absent", req: {}, allowed: false },
  ]);
  await table("prefix_match", h({ prefix_match: "ab" }), [
    { name: "prefix", req: { headers: [["x-a", "abc"]] }, allowed: true },
    { name: "not prefix", req: { headers: [["x-a", "cab"]] }, allowed: false },
  ]);
  await table("suffix_match", h({ suffix_match: "yz" }), [
    { name: "suffix", req: { headers: [["x-a", "xyz"]] }, allowed: true },
    { name: "not suffix", req: { headers: [["x-a", "yzx"]] }, allowed: false },
  ]);
  await table("contains_match", h({ contains_match: "mid" }), [
    { name: "contains", req: { headers: [["x-a", "amidb"]] }, allowed: true },
    { name: "does not", req: { headers: [["x-a", "mi-d"]] }, allowed: false },
  ]);
  await table("present_match true", h({ present_match: true }), [
    { name: "present empty", req: { headers: [["x-a", ""]] }, allowed: true },
    { name: "absent", req: {}, allowed: false },
  ]);
  await table("present_match false", h({ present_match: false }), [
    { name: "absent matches", req: {}, allowed: true },
    { name: "present does not", req: { headers: [["x-a", "1"]] }, allowed: false },
  ]);
  await table("range_match [10, 20)", h({ range_match: { start: 10, end: 20 } }), [
    { name: "10", req: { headers: [["x-a", "10"]] }, allowed: true },
    { name: "19", req: { headers: [["x-a", "19"]] }, allowed: true },
    { name: "20 (end exclusive)", req: { headers: [["x-a", "20"]] }, allowed: false },
    { name: "not a number", req: { headers: [["x-a", "1x"]] }, allowed: false },
    { name: "-5", req: { headers: [["x-a", "-5"]] }, allowed: false },
  ]);
  await table("safe_regex_match", h({ safe_regex_match: { regex: "v[0-9]+" } }), [
    { name: "full match", req: { headers: [["x-a", "v12"]] }, allowed: true },
    { name: "partial only (regex is a full match)", req: { headers: [["x-a", "xv12"]] }, allowed: false },
  ]);
  await table("string_match ignore_case", h({ string_match: { exact: "Hello", ignore_case: true } }), [
    { name: "HELLO", req: { headers: [["x-a", "HELLO"]] }, allowed: true },
    { name: "hello", req: { headers: [["x-a", "hello"]] }, allowed: true },
    { name: "hell", req: { headers: [["x-a", "hell"]] }, allowed: false },
  ]);
  await table("invert_match", h({ exact_match: "bad", invert_match: true }), [
    { name: "other value", req: { headers: [["x-a", "good"]] }, allowed: true },
    { name: "the inverted value", req: { headers: [["x-a", "bad"]] }, allowed: false },
    { name: "absent (invert of a value match on a missing header is false)", req: {}, allowed: false },
  ]);
  await table("invert present_match: absent header matches", h({ present_match: true, invert_match: true }), [
    { name: "absent", req: {}, allowed: true },
    { name: "present", req: { headers: [["x-a", "1"]] }, allowed: false },
  ]);
  await table("treat_missing_header_as_empty", h({ string_match: { exact: "" }, treat_missing_header_as_empty: true }), [
    { name: "absent = empty", req: {}, allowed: true },
    { name: "non-empty", req: { headers: [["x-a", "1"]] }, allowed: false },
  ]);
  await table("header name is case-insensitive", allow({ header: { name: "X-A", exact_match: "1" } }), [
    { name: "lower-case request header", req: { headers: [["x-a", "1"]] }, allowed: true },
  ]);
});

test("repeated headers are matched per value (CVE-2026-26308), and as the joined value", async () => {
  await table("DENY on one of two values", { rules: { action: "DENY", policies: { d: { permissions: [{ header: { name: "x-role", string_match: { exact: "admin" } } }], principals: [{ any: true }] } } } }, [
    { name: "admin second", req: { headers: [["x-role", "user"], ["x-role", "admin"]] }, allowed: false },
    { name: "admin first", req: { headers: [["x-role", "admin"], ["x-role", "user"]] }, allowed: false },
    { name: "neither", req: { headers: [["x-role", "user"], ["x-role", "guest"]] }, allowed: true },
  ]);
  await table("ALLOW exact on the joined form", allow({ header: { name: "x-l", string_match: { exact: "a,b" } } }), [
    { name: "two headers a, b", req: { headers: [["x-l", "a"], ["x-l", "b"]] }, allowed: true },
  ]);
});

test("url_path ignores query and fragment; header :path does not", async () => {
  await table("url_path exact /admin", allow({ url_path: { path: { exact: "/admin" } } }), [
    { name: "/admin", req: { path: "/admin" }, allowed: true },
    { name: "/admin?x=1", req: { path: "/admin?x=1" }, allowed: true },
    { name: "/admin#frag", req: { path: "/admin#frag" }, allowed: true },
    { name: "/admin/", req: { path: "/admin/" }, allowed: false },
    { name: "/ADMIN", req: { path: "/ADMIN" }, allowed: false },
  ]);
  await table(":path header exact /admin", allow({ header: { name: ":path", exact_match: "/admin" } }), [
    { name: "/admin", req: { path: "/admin" }, allowed: true },
    { name: "/admin?x=1 (query is part of :path)", req: { path: "/admin?x=1" }, allowed: false },
  ]);
  await table("url_path prefix ignore_case", allow({ url_path: { path: { prefix: "/API/", ignore_case: true } } }), [
    { name: "/api/x", req: { path: "/api/x" }, allowed: true },
    { name: "/apix", req: { path: "/apix" }, allowed: false },
  ]);
});

test("uri_template: * is one segment, ** any number of segments (Envoy uri_template)", async () => {
  const t = (tpl: string) => allow({ uri_template: { name: "envoy.path.match.uri_template.uri_template_matcher",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig", path_template: tpl } } });
  await table("/foo/*", t("/foo/*"), [
    { name: "/foo/bar", req: { path: "/foo/bar" }, allowed: true },
    { name: "/foo/bar?q", req: { path: "/foo/bar?q=1" }, allowed: true },
    { name: "/foo/bar/baz", req: { path: "/foo/bar/baz" }, allowed: false },
    { name: "/foo/", req: { path: "/foo/" }, allowed: false },
  ]);
  await table("/foo/**", t("/foo/**"), [
    { name: "/foo/a/b/c", req: { path: "/foo/a/b/c" }, allowed: true },
    { name: "/foo/", req: { path: "/foo/" }, allowed: true },
    { name: "/bar/a", req: { path: "/bar/a" }, allowed: false },
  ]);
  await table("/**/x.txt", t("/**/x.txt"), [
    { name: "/a/b/x.txt", req: { path: "/a/b/x.txt" }, allowed: true },
    { name: "//x.txt", req: { path: "//x.txt" }, allowed: true },
    { name: "/a/b/y.txt", req: { path: "/a/b/y.txt" }, allowed: false },
  ]);
});

test("connection attributes: destination ip/port/range, SNI, direct_remote_ip, remote_ip, source_ip (deprecated)", async () => {
  await table("destination_port 8080", allow({ destination_port: 8080 }), [
    { name: "8080", req: { destination: "10.0.0.9:8080" }, allowed: true },
    { name: "9090", req: { destination: "10.0.0.9:9090" }, allowed: false },
  ]);
  await table("destination_port_range [8000, 8100)", allow({ destination_port_range: { start: 8000, end: 8100 } }), [
    { name: "8000", req: { destination: "10.0.0.9:8000" }, allowed: true },
    { name: "8100", req: { destination: "10.0.0.9:8100" }, allowed: false },
  ]);
  await table("destination_ip 10.0.0.0/24", allow({ destination_ip: { address_prefix: "10.0.0.0", prefix_len: 24 } }), [
    { name: "10.0.0.9", req: { destination: "10.0.0.9:80" }, allowed: true },
    { name: "10.0.1.9", req: { destination: "10.0.1.9:80" }, allowed: false },
  ]);
  await table("requested_server_name suffix", allow({ requested_server_name: { suffix: ".example.com" } }), [
    { name: "api.example.com", req: { sni: "api.example.com", tls: true }, allowed: true },
    { name: "example.org", req: { sni: "example.org", tls: true }, allowed: false },
    { name: "no SNI", req: {}, allowed: false },
  ]);
  await table("direct_remote_ip 192.168.0.0/16", allow({ any: true }, { direct_remote_ip: { address_prefix: "192.168.0.0", prefix_len: 16 } }), [
    { name: "192.168.3.4", req: { source: "192.168.3.4:5000" }, allowed: true },
    { name: "10.1.2.3", req: { source: "10.1.2.3:5000" }, allowed: false },
  ]);
  await table("remote_ip single address (/32)", allow({ any: true }, { remote_ip: { address_prefix: "10.1.2.3", prefix_len: 32 } }), [
    { name: "10.1.2.3", req: { source: "10.1.2.3:1" }, allowed: true },
    { name: "10.1.2.4", req: { source: "10.1.2.4:1" }, allowed: false },
  ]);
  await table("source_ip (deprecated spelling) IPv6 /64", allow({ any: true }, { source_ip: { address_prefix: "2001:db8::", prefix_len: 64 } }), [
    { name: "[2001:db8::7]", req: { source: "[2001:db8::7]:443" }, allowed: true },
    { name: "[2001:db9::7]", req: { source: "[2001:db9::7]:443" }, allowed: false },
    { name: "IPv4 never in an IPv6 range", req: { source: "10.0.0.1:1" }, allowed: false },
  ]);
});

test("authenticated: URI SAN, then DNS SAN, then subject; no TLS never matches; no principal_name = any TLS peer", async () => {
  await table("principal_name exact SPIFFE", allow({ any: true }, { authenticated: { principal_name: { exact: SPIFFE_A } } }), [
    { name: "URI SAN", req: { tls: true, uriSan: [SPIFFE_A] }, allowed: true },
    { name: "other URI SAN", req: { tls: true, uriSan: ["spiffe://cluster.local/ns/default/sa/b"] }, allowed: false },
    { name: "plaintext", req: { tls: false }, allowed: false },
  ]);
  await table("principal_name matches the DNS SAN when no URI SAN", allow({ any: true }, { authenticated: { principal_name: { exact: "client.example.com" } } }), [
    { name: "DNS SAN", req: { tls: true, dnsSan: ["client.example.com"] }, allowed: true },
  ]);
  await table("principal_name matches the subject when no SAN", allow({ any: true }, { authenticated: { principal_name: { exact: "CN=legacy,O=corp" } } }), [
    { name: "subject", req: { tls: true, subject: "CN=legacy,O=corp" }, allowed: true },
    { name: "other subject", req: { tls: true, subject: "CN=other" }, allowed: false },
  ]);
  await table("authenticated {} = any TLS connection", allow({ any: true }, { authenticated: {} }), [
    { name: "TLS", req: { tls: true, uriSan: [SPIFFE_A] }, allowed: true },
    { name: "plaintext", req: {}, allowed: false },
  ]);
});

test("metadata / sourced_metadata / filter_state principals", async () => {
  const md = (value: unknown, invert = false) => allow({ any: true }, { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "groups" }], value, invert } });
  const payload = (groups: unknown) => ({ metadata: { "envoy.filters.http.jwt_authn": { payload: { groups } } } });
  await table("list_match one_of", md({ list_match: { one_of: { string_match: { exact: "admins" } } } }), [
    { name: "in list", req: payload(["dev", "admins"]), allowed: true },
    { name: "not in list", req: payload(["dev"]), allowed: false },
    { name: "string is not a list", req: payload("admins"), allowed: false },
    { name: "absent namespace", req: {}, allowed: false },
  ]);
  await table("string_match only matches strings", md({ string_match: { exact: "true" } }), [
    { name: "string true", req: payload("true"), allowed: true },
    { name: "bool true never matches a string matcher", req: payload(true), allowed: false },
  ]);
  await table("bool_match", md({ bool_match: true }), [
    { name: "true", req: payload(true), allowed: true },
    { name: "false", req: payload(false), allowed: false },
  ]);
  await table("present_match", md({ present_match: true }), [
    { name: "present", req: payload(1), allowed: true },
    { name: "absent", req: { metadata: { "envoy.filters.http.jwt_authn": { payload: {} } } }, allowed: false },
  ]);
  await table("double_match range", md({ double_match: { range: { start: 1, end: 5 } } }), [
    { name: "3", req: payload(3), allowed: true },
    { name: "5", req: payload(5), allowed: false },
  ]);
  await table("invert", md({ string_match: { exact: "x" } }, true), [
    { name: "different value", req: payload("y"), allowed: true },
    { name: "same value", req: payload("x"), allowed: false },
  ]);
  await table("sourced_metadata DYNAMIC", allow({ any: true }, { sourced_metadata: { metadata_matcher: { filter: "ns", path: [{ key: "k" }], value: { string_match: { prefix: "v" } } } } }), [
    { name: "v1", req: { metadata: { ns: { k: "v1" } } }, allowed: true },
    { name: "w1", req: { metadata: { ns: { k: "w1" } } }, allowed: false },
  ]);
  await table("filter_state string_match", allow({ any: true }, { filter_state: { key: "io.istio.peer_principal", string_match: { exact: SPIFFE_A } } }), [
    { name: "equal", req: { filterState: { "io.istio.peer_principal": SPIFFE_A } }, allowed: true },
    { name: "absent", req: {}, allowed: false },
  ]);
});

test("boolean algebra: and_rules, or_rules, not_rule, and_ids, or_ids, not_id", async () => {
  const cfg = allow(
    { and_rules: { rules: [{ header: { name: ":method", exact_match: "GET" } }, { not_rule: { url_path: { path: { prefix: "/private" } } } }] } },
    { or_ids: { ids: [{ header: { name: "x-user", exact_match: "alice" } }, { not_id: { header: { name: "x-user", present_match: true } } }] } },
  );
  await table("GET and not /private; alice or anonymous", cfg, [
    { name: "GET / alice", req: { headers: [["x-user", "alice"]] }, allowed: true },
    { name: "GET / anonymous", req: {}, allowed: true },
    { name: "GET / bob", req: { headers: [["x-user", "bob"]] }, allowed: false },
    { name: "GET /private alice", req: { path: "/private/x", headers: [["x-user", "alice"]] }, allowed: false },
    { name: "POST / alice", req: { method: "POST", headers: [["x-user", "alice"]] }, allowed: false },
  ]);
});

test("policies are tried in lexicographic order; the first match is the effective policy id", async () => {
  const h = await load({ rules: { action: "DENY", policies: {
    "b-path": { permissions: [{ url_path: { path: { prefix: "/admin" } } }], principals: [{ any: true }] },
    "a-method": { permissions: [{ header: { name: ":method", exact_match: "DELETE" } }], principals: [{ any: true }] },
  } } });
  const both = h.http({ method: "DELETE", path: "/admin" });
  assert.equal(both.details, "rbac_access_denied_matched_policy[a-method]");
  assert.equal(h.http({ path: "/admin" }).details, "rbac_access_denied_matched_policy[b-path]");
  assert.equal(h.http({}).allowed, true);
  assert.equal(Buffer.from(h.http({ method: "DELETE" }).state.get("wasm.envoy.filters.http.rbac.enforced_effective_policy_id")!).toString(), "a-method");
  assert.equal(h.counter("rbac.denied"), 3);
  assert.equal(h.counter("rbac.allowed"), 1);
});

test("LOG action never denies and sets the access-log hint; shadow rules are never enforced", async () => {
  const log = await load({ rules: { action: "LOG", policies: { l: { permissions: [{ url_path: { path: { exact: "/audit" } } }], principals: [{ any: true }] } } } });
  const hit = log.http({ path: "/audit" });
  assert.equal(hit.allowed, true);
  assert.equal(Buffer.from(hit.state.get("wasm.envoy.common.access_log_hint")!).toString(), "true");
  const miss = log.http({ path: "/x" });
  assert.equal(miss.allowed, true);
  assert.equal(Buffer.from(miss.state.get("wasm.envoy.common.access_log_hint")!).toString(), "false");
  assert.equal(log.counter("rbac.logged"), 1);
  assert.equal(log.counter("rbac.not_logged"), 1);

  const shadow = await load({ shadow_rules_stat_prefix: "dry_", shadow_rules: { action: "ALLOW", policies: {} } });
  const s = shadow.http({});
  assert.equal(s.allowed, true, "a shadow ALLOW with no policies would deny everything, but is never enforced");
  assert.equal(Buffer.from(s.state.get("wasm.envoy.filters.http.rbac.dry_shadow_engine_result")!).toString(), "denied");
  assert.equal(shadow.counter("rbac.dry_shadow_denied"), 1);
});

test("track_per_rule_stats and rules_stat_prefix name the counters as Envoy does", async () => {
  const h = await load({ rules_stat_prefix: "pfx_", track_per_rule_stats: true, rules: { action: "ALLOW", policies: {
    ok: { permissions: [{ url_path: { path: { exact: "/ok" } } }], principals: [{ any: true }] } } } });
  h.http({ path: "/ok" });
  h.http({ path: "/ok" });
  h.http({ path: "/no" });
  assert.equal(h.counter("rbac.pfx_allowed"), 2);
  assert.equal(h.counter("rbac.pfx_denied"), 1);
  assert.equal(h.counter("rbac.pfx_policy.ok.allowed"), 2);
});

test("condition: the CEL subset over Envoy attributes; an evaluation error is no match", async () => {
  const cond = { call_expr: { function: "_==_", args: [
    { call_expr: { function: "_[_]", args: [{ select_expr: { operand: { ident_expr: { name: "request" } }, field: "headers" } }, { const_expr: { string_value: "x-env" } }] } },
    { const_expr: { string_value: "prod" } }] } };
  const h = await load({ rules: { action: "DENY", policies: { c: { permissions: [{ any: true }], principals: [{ any: true }], condition: cond } } } });
  assert.equal(h.http({ headers: [["x-env", "prod"]] }).allowed, false);
  assert.equal(h.http({ headers: [["x-env", "dev"]] }).allowed, true);
  assert.equal(h.http({}).allowed, true, "absent header: CEL error => policy does not match");
});

test("network filter: HTTP-only permissions never match; ONE_TIME_ON_FIRST_BYTE vs CONTINUOUS; a deny closes the connection", async () => {
  const port = await load({ stat_prefix: "tcp.", rules: { action: "DENY", policies: { d: { permissions: [{ destination_port: 9000 }], principals: [{ any: true }] } } } }, "network");
  assert.equal(port.tcp({ destination: "10.0.0.9:9000" }).allowed, false);
  assert.equal(port.tcp({ destination: "10.0.0.9:9001" }).allowed, true);
  assert.equal(port.counter("tcp.rbac.denied"), 1);
  assert.equal(port.counter("tcp.rbac.allowed"), 1);
  const hdr = await load({ stat_prefix: "tcp.", rules: { action: "ALLOW", policies: { a: { permissions: [{ header: { name: ":method", present_match: true } }], principals: [{ any: true }] } } } }, "network");
  assert.equal(hdr.tcp({}).allowed, false, "a header permission has no headers to match on a TCP connection");
  const cont = await load({ stat_prefix: "tcp.", enforcement_type: "CONTINUOUS", rules: { action: "ALLOW", policies: { a: { permissions: [{ any: true }], principals: [{ remote_ip: { address_prefix: "10.1.0.0", prefix_len: 16 } }] } } } }, "network");
  const c = cont.tcp({ source: "10.1.2.3:4" }, 3);
  assert.equal(c.allowed, true);
  assert.equal(cont.counter("tcp.rbac.allowed"), 3, "CONTINUOUS evaluates every read");
  const once = await load({ stat_prefix: "tcp.", rules: { action: "ALLOW", policies: { a: { permissions: [{ any: true }], principals: [{ any: true }] } } } }, "network");
  once.tcp({}, 3);
  assert.equal(once.counter("tcp.rbac.allowed"), 1, "ONE_TIME_ON_FIRST_BYTE evaluates once");
});

test("configuration errors fail proxy_on_configure naming the field path", async () => {
  const cases: Array<[unknown, RegExp, "http" | "network"]> = [
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ header: { name: "x", exact_match: "a", prefix_match: "b" } }], principals: [{ any: true }] } } } },
      /rules\.policies\["p"\]\.permissions\[0\]\.header: only one of exact_match, prefix_match may be set/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ url_path: { path: { safe_regex: { regex: "(a)\\1" } } } }], principals: [{ any: true }] } } } },
      /rules\.policies\["p"\]\.permissions\[0\]\.url_path\.path\.safe_regex\.regex: invalid RE2 pattern/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ url_path: { path: { safe_regex: { regex: "(?=a)" } } } }], principals: [{ any: true }] } } } },
      /safe_regex\.regex: invalid RE2 pattern/, "http"],
    [{ matcher: {} }, /matcher: not supported by this filter/, "http"],
    [{ rules: { action: "MAYBE" } }, /rules\.action: expected ALLOW, DENY or LOG/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [], principals: [{ any: true }] } } } }, /permissions: at least one permission is required/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ any: true }], principals: [{ custom: {} }] } } } }, /principals\[0\]\.custom/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ destination_ip: { address_prefix: "10.0.0.300", prefix_len: 8 } }], principals: [{ any: true }] } } } },
      /destination_ip\.address_prefix: not an IP address/, "http"],
    [{ rules: { action: "ALLOW", policies: { p: { permissions: [{ any: true }], principals: [{ any: true }], condition: { call_expr: { function: "size", args: [] } } } } } },
      /condition\.call_expr\.function: function "size"/, "http"],
    [{ rulez: {} }, /rulez: unknown field/, "http"],
    [{ rules: { action: "ALLOW" } }, /stat_prefix: required/, "network"],
    [{ stat_prefix: "t.", enforcement_type: "SOMETIMES" }, /enforcement_type: expected ONE_TIME_ON_FIRST_BYTE or CONTINUOUS/, "network"],
  ];
  for (const [cfg, re, kind] of cases) {
    const h = new RbacHost(1);
    hosts.push(h);
    const err = await h.load(cfg, kind);
    assert.ok(err !== null, `accepted: ${JSON.stringify(cfg)}`);
    assert.match(err!, re);
  }
});

test("proto3 JSON: lowerCamelCase field names are accepted like the proto names", async () => {
  await table("camelCase", { rules: { action: "ALLOW", policies: { p: {
    permissions: [{ urlPath: { path: { prefix: "/a" } } }], principals: [{ directRemoteIp: { addressPrefix: "10.1.0.0", prefixLen: 16 } }] } } } }, [
    { name: "/a from 10.1.2.3", req: { path: "/a/b", source: "10.1.2.3:1" }, allowed: true },
    { name: "/b", req: { path: "/b" }, allowed: false },
  ]);
});

test("hostile requests never trap the VM: odd headers, huge values, many repeats, bad addresses", async () => {
  const h = await load({ rules: { action: "ALLOW", policies: {
    p: { permissions: [{ or_rules: { rules: [
      { header: { name: "x-a", safe_regex_match: { regex: "(a+)+$" } } },
      { header: { name: "x-n", range_match: { start: 0, end: 10 } } },
      { url_path: { path: { safe_regex: { regex: "/(x|y)*z" } } } },
      { uri_template: { name: "t", typed_config: { "@type": "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig", path_template: "/a/**" } } },
    ] } }], principals: [{ or_ids: { ids: [{ remote_ip: { address_prefix: "::", prefix_len: 0 } }, { authenticated: { principal_name: { suffix: "x" } } },
      { metadata: { filter: "envoy.filters.http.jwt_authn", path: [{ key: "payload" }, { key: "a" }], value: { list_match: { one_of: { string_match: { exact: "b" } } } } } }] } }] },
  } } });
  const big = "a".repeat(60000) + "!";
  const cases: Req[] = [
    { headers: [["x-a", big]] },
    { headers: Array.from({ length: 200 }, (_, i) => ["x-a", "a".repeat(i)] as [string, string]) },
    { headers: [["x-n", "99999999999999999999999"]], path: "/" + "x".repeat(20000) + "y" },
    { path: "" },
    { path: "?" },
    { path: "/a/" + "%".repeat(1000) },
    { source: "not-an-address", destination: "[::1", tls: true, uriSan: [""], subject: "\u0000" },
    { source: "[fe80::1%eth0]:1" },
    { metadata: { "envoy.filters.http.jwt_authn": { payload: { a: [[["b"]], { b: 1 }, null] } } } },
    { filterStateBytes: { "wasm.jwt_authn": Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) } },
  ];
  for (const r of cases) h.http(r);
  assert.equal(h.plugin.failed(0), false, h.logs.lines.map((l) => l.msg).join("\n"));
});
