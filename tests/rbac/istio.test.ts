// Istio AuthorizationPolicy front end through dist/rbac.wasm: (policy, request) -> decision cases.
// Expected decisions follow Istio's documented semantics and istiod's builder (istio/istio
// pilot/pkg/security/authz/{builder,model,matcher}, security/v1beta1/authorization_policy.proto,
// istio.io docs: authorization policy reference, conditions, dry-run), summarised in the project
// reference section C; the translation cases mirror the builder's golden inputs (testdata/http/*-in.yaml,
// istio/istio, Apache-2.0).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { RbacHost, type Req } from "./harness";
import { pbEncodeStruct } from "../mx/codec";

const hosts: RbacHost[] = [];
after(async () => { for (const h of hosts) await h.stop(); });

type Spec = Record<string, unknown>;
interface Policy { name?: string; namespace?: string; dryRun?: string; spec: Spec }

function config(policies: Policy[], extra: Record<string, unknown> = {}) {
  return {
    authorization_policies: policies.map((p, i) => ({
      metadata: { name: p.name ?? `p${i}`, namespace: p.namespace ?? "foo", ...(p.dryRun !== undefined ? { annotations: { "istio.io/dry-run": p.dryRun } } : {}) },
      spec: p.spec,
    })),
    ...extra,
  };
}

async function load(policies: Policy[], kind: "http" | "network" = "http", extra: Record<string, unknown> = {}): Promise<RbacHost> {
  const h = new RbacHost(1);
  hosts.push(h);
  const err = await h.load(config(policies, extra), kind);
  assert.equal(err, null, `configuration refused: ${err}`);
  return h;
}

interface Case { name: string; req: Req; allowed: boolean; policy?: string }

async function table(title: string, policies: Policy[], cases: Case[], kind: "http" | "network" = "http", extra: Record<string, unknown> = {}) {
  const h = await load(policies, kind, extra);
  for (const c of cases) {
    if (kind === "http") {
      const d = h.http(c.req);
      assert.equal(d.allowed, c.allowed, `${title}: ${c.name}: expected ${c.allowed ? "allow" : "deny"}`);
      if (c.policy !== undefined) assert.equal(d.details, `rbac_access_denied_matched_policy[${c.policy}]`, `${title}: ${c.name}`);
    } else {
      const d = h.tcp(c.req);
      assert.equal(d.allowed, c.allowed, `${title}: ${c.name}: expected ${c.allowed ? "allow" : "close"}`);
    }
  }
  return h;
}

const ALLOW = (rules?: unknown[]): Spec => (rules === undefined ? {} : { rules });
const DENY = (rules?: unknown[]): Spec => ({ action: "DENY", ...(rules === undefined ? {} : { rules }) });
const mtls = (sa: string, ns = "default", td = "cluster.local"): Req => ({ tls: true, uriSan: [`spiffe://${td}/ns/${ns}/sa/${sa}`] });
const jwt = (payload: Record<string, unknown>, more: Req = {}): Req => ({ ...more, metadata: { "envoy.filters.http.jwt_authn": { payload } } });

test("C.2 empty-policy semantics: allow-nothing, allow-all, deny-all, DENY without rules", async () => {
  await table("spec {} (ALLOW, no rules) = allow nothing", [{ spec: ALLOW() }], [
    { name: "any request", req: {}, allowed: false, policy: "none" },
    { name: "mTLS request", req: mtls("a"), allowed: false },
  ]);
  await table("ALLOW rules [{}] = allow all", [{ spec: ALLOW([{}]) }], [
    { name: "plain", req: {}, allowed: true },
    { name: "POST /x", req: { method: "POST", path: "/x" }, allowed: true },
  ]);
  await table("DENY rules [{}] = deny all", [{ name: "deny-all", spec: DENY([{}]) }], [
    { name: "plain", req: {}, allowed: false, policy: "ns[foo]-policy[deny-all]-rule[0]" },
  ]);
  await table("DENY without rules never matches", [{ spec: DENY() }], [
    { name: "plain", req: {}, allowed: true },
  ]);
  await table("AUDIT only: never denies", [{ spec: { action: "AUDIT", rules: [{}] } }], [
    { name: "plain", req: {}, allowed: true },
  ]);
});

test("C.1 action order: DENY beats ALLOW; no ALLOW policy => allow; ALLOW present and unmatched => deny", async () => {
  const allowGet = { name: "allow-get", spec: ALLOW([{ to: [{ operation: { methods: ["GET"] } }] }]) };
  const denyAdmin = { name: "deny-admin", spec: DENY([{ to: [{ operation: { paths: ["/admin*"] } }] }]) };
  await table("deny + allow", [allowGet, denyAdmin], [
    { name: "GET /", req: { method: "GET", path: "/" }, allowed: true },
    { name: "GET /admin (DENY first)", req: { method: "GET", path: "/admin/x" }, allowed: false, policy: "ns[foo]-policy[deny-admin]-rule[0]" },
    { name: "POST / (no ALLOW matched)", req: { method: "POST", path: "/" }, allowed: false, policy: "none" },
  ]);
  await table("deny only", [denyAdmin], [
    { name: "POST / allowed (no ALLOW policy)", req: { method: "POST", path: "/" }, allowed: true },
    { name: "/admin denied", req: { path: "/admin" }, allowed: false },
  ]);
  const h = await load([allowGet, denyAdmin]);
  h.http({ path: "/admin" });
  assert.equal(h.counter("rbac.denied"), 1, "the DENY stage counted its deny");
});

test("C.5 source.principals / notPrincipals: spiffe:// prefix, exact, prefix, suffix, * (needs a principal)", async () => {
  await table("principals", [{ spec: ALLOW([{ from: [{ source: { principals: ["cluster.local/ns/default/sa/a", "cluster.local/ns/team-*", "*/sa/robot"] } }] }]) }], [
    { name: "exact", req: mtls("a"), allowed: true },
    { name: "exact, other sa", req: mtls("b"), allowed: false },
    { name: "prefix", req: mtls("x", "team-blue"), allowed: true },
    { name: "suffix", req: mtls("robot", "ops"), allowed: true },
    { name: "plaintext", req: {}, allowed: false },
  ]);
  await table("principals *", [{ spec: ALLOW([{ from: [{ source: { principals: ["*"] } }] }]) }], [
    { name: "any mTLS peer", req: mtls("z", "zz"), allowed: true },
    { name: "plaintext has no principal", req: {}, allowed: false },
  ]);
  await table("notPrincipals", [{ spec: ALLOW([{ from: [{ source: { notPrincipals: ["cluster.local/ns/default/sa/bad"] } }] }]) }], [
    { name: "other peer", req: mtls("good"), allowed: true },
    { name: "excluded peer", req: mtls("bad"), allowed: false },
    { name: "plaintext (notPrincipals matches: no principal equals bad)", req: {}, allowed: true },
  ]);
});

test("C.5 namespaces, serviceAccounts (metacharacters quoted, CVE-2026-39350), trustDomains", async () => {
  await table("namespaces", [{ spec: ALLOW([{ from: [{ source: { namespaces: ["prod", "dev-*"] } }] }]) }], [
    { name: "prod", req: mtls("a", "prod"), allowed: true },
    { name: "dev-1", req: mtls("a", "dev-1"), allowed: true },
    { name: "staging", req: mtls("a", "staging"), allowed: false },
    { name: "prod-x is not prod", req: mtls("a", "prod-x"), allowed: false },
  ]);
  await table("serviceAccounts", [{ namespace: "foo", spec: ALLOW([{ from: [{ source: { serviceAccounts: ["my-ns/my.sa", "local-sa"] } }] }]) }], [
    { name: "ns/sa", req: mtls("my.sa", "my-ns"), allowed: true },
    { name: "dot is literal", req: mtls("myxsa", "my-ns"), allowed: false },
    { name: "bare name uses the policy namespace", req: mtls("local-sa", "foo"), allowed: true },
    { name: "bare name, other namespace", req: mtls("local-sa", "bar"), allowed: false },
    { name: "sa suffix junk", req: mtls("local-sa-junk", "foo"), allowed: false },
  ]);
  await table("trustDomains", [{ spec: ALLOW([{ from: [{ source: { trustDomains: ["td1.com", "*.corp"] } }] }]) }], [
    { name: "td1.com", req: mtls("a", "default", "td1.com"), allowed: true },
    { name: "x.corp", req: mtls("a", "default", "x.corp"), allowed: true },
    { name: "cluster.local", req: mtls("a"), allowed: false },
  ]);
});

test("C.5 ipBlocks (direct_remote_ip) and remoteIpBlocks (remote_ip), with not*", async () => {
  await table("ipBlocks", [{ spec: ALLOW([{ from: [{ source: { ipBlocks: ["10.1.0.0/16", "192.168.1.1"], notIpBlocks: ["10.1.9.0/24"] } }] }]) }], [
    { name: "in /16", req: { source: "10.1.2.3:1" }, allowed: true },
    { name: "single address", req: { source: "192.168.1.1:1" }, allowed: true },
    { name: "excluded /24", req: { source: "10.1.9.3:1" }, allowed: false },
    { name: "outside", req: { source: "172.16.0.1:1" }, allowed: false },
  ]);
  await table("remoteIpBlocks", [{ spec: DENY([{ from: [{ source: { remoteIpBlocks: ["203.0.113.0/24"] } }] }]) }], [
    { name: "denied", req: { source: "203.0.113.7:1" }, allowed: false },
    { name: "other", req: { source: "198.51.100.7:1" }, allowed: true },
  ]);
});

test("C.6 hosts (case-insensitive, port not stripped), methods (case-sensitive), paths, ports", async () => {
  await table("hosts", [{ spec: ALLOW([{ to: [{ operation: { hosts: ["example.com", "*.example.org", "api.*"] } }] }]) }], [
    { name: "exact", req: { host: "example.com" }, allowed: true },
    { name: "case differs (CVE-2021-39155)", req: { host: "EXAMPLE.Com" }, allowed: true },
    { name: "with port is not the host", req: { host: "example.com:80" }, allowed: false },
    { name: "trailing dot", req: { host: "example.com." }, allowed: false },
    { name: "suffix", req: { host: "a.EXAMPLE.org" }, allowed: true },
    { name: "prefix", req: { host: "api.internal:8080" }, allowed: true },
    { name: "other", req: { host: "evil.com" }, allowed: false },
  ]);
  await table("methods", [{ spec: ALLOW([{ to: [{ operation: { methods: ["GET", "HEAD"] } }] }]) }], [
    { name: "GET", req: { method: "GET" }, allowed: true },
    { name: "HEAD", req: { method: "HEAD" }, allowed: true },
    { name: "get (case-sensitive)", req: { method: "get" }, allowed: false },
    { name: "PROPFIND", req: { method: "PROPFIND" }, allowed: false },
  ]);
  await table("paths", [{ spec: ALLOW([{ to: [{ operation: { paths: ["/exact", "/prefix/*", "*/suffix"] } }] }]) }], [
    { name: "/exact", req: { path: "/exact" }, allowed: true },
    { name: "/exact?q=1 (query ignored)", req: { path: "/exact?q=1" }, allowed: true },
    { name: "/exact/", req: { path: "/exact/" }, allowed: false },
    { name: "/prefix/a/b", req: { path: "/prefix/a/b" }, allowed: true },
    { name: "/prefix (no slash)", req: { path: "/prefix" }, allowed: false },
    { name: "/a/suffix", req: { path: "/a/suffix" }, allowed: true },
    { name: "/Exact (case-sensitive)", req: { path: "/Exact" }, allowed: false },
  ]);
  await table("notPaths with ALLOW", [{ spec: ALLOW([{ to: [{ operation: { notPaths: ["/private*"] } }] }]) }], [
    { name: "/public", req: { path: "/public" }, allowed: true },
    { name: "/private/x", req: { path: "/private/x" }, allowed: false },
  ]);
  await table("ports", [{ spec: ALLOW([{ to: [{ operation: { ports: ["8080"], notPorts: ["9090"] } }] }]) }], [
    { name: "8080", req: { destination: "10.0.0.1:8080" }, allowed: true },
    { name: "9090", req: { destination: "10.0.0.1:9090" }, allowed: false },
    { name: "80", req: { destination: "10.0.0.1:80" }, allowed: false },
  ]);
});

test("C.6 path templates {*} and {**}", async () => {
  await table("templates", [{ spec: ALLOW([{ to: [{ operation: { paths: ["/foo/{*}", "/bar/{**}", "/{**}/baz"] } }] }]) }], [
    { name: "/foo/bar", req: { path: "/foo/bar" }, allowed: true },
    { name: "/foo/bar/bat ({*} is one segment)", req: { path: "/foo/bar/bat" }, allowed: false },
    { name: "/foo/bar/baz (matched by /{**}/baz)", req: { path: "/foo/bar/baz" }, allowed: true },
    { name: "/bar/a/b/c", req: { path: "/bar/a/b/c" }, allowed: true },
    { name: "/a/b/baz", req: { path: "/a/b/baz" }, allowed: true },
    { name: "/a/b/bat", req: { path: "/a/b/bat" }, allowed: false },
  ]);
});

test("C.4 rule algebra: from OR, to OR, fields AND, values OR, x and notX together", async () => {
  await table("two from, two to", [{ spec: ALLOW([{
    from: [{ source: { namespaces: ["a"] } }, { source: { namespaces: ["b"] } }],
    to: [{ operation: { methods: ["GET"], paths: ["/r*"] } }, { operation: { methods: ["POST"], paths: ["/w*"] } }],
  }]) }], [
    { name: "ns a GET /r", req: { ...mtls("x", "a"), method: "GET", path: "/r1" }, allowed: true },
    { name: "ns b POST /w", req: { ...mtls("x", "b"), method: "POST", path: "/w1" }, allowed: true },
    { name: "ns b POST /r (no single to matches)", req: { ...mtls("x", "b"), method: "POST", path: "/r1" }, allowed: false },
    { name: "ns c GET /r", req: { ...mtls("x", "c"), method: "GET", path: "/r1" }, allowed: false },
  ]);
  await table("methods and notMethods", [{ spec: ALLOW([{ to: [{ operation: { methods: ["*"], notMethods: ["DELETE"] } }] }]) }], [
    { name: "PUT", req: { method: "PUT" }, allowed: true },
    { name: "DELETE", req: { method: "DELETE" }, allowed: false },
  ]);
  await table("when ANDs every condition", [{ spec: ALLOW([{ when: [
    { key: "request.headers[x-a]", values: ["1"] }, { key: "destination.port", values: ["8080"] }] }]) }], [
    { name: "both", req: { headers: [["x-a", "1"]], destination: "1.1.1.1:8080" }, allowed: true },
    { name: "header only", req: { headers: [["x-a", "1"]], destination: "1.1.1.1:80" }, allowed: false },
  ]);
});

test("C.7 when keys: headers (per value), source.ip, remote.ip, destination.ip/port, connection.sni, source.* identity, experimental metadata", async () => {
  await table("request.headers", [{ spec: DENY([{ when: [{ key: "request.headers[X-Role]", values: ["admin"] }] }]) }], [
    { name: "admin", req: { headers: [["x-role", "admin"]] }, allowed: false },
    { name: "admin as second value", req: { headers: [["x-role", "user"], ["x-role", "admin"]] }, allowed: false },
    { name: "user", req: { headers: [["x-role", "user"]] }, allowed: true },
  ]);
  await table("request.headers notValues with * (presence)", [{ spec: ALLOW([{ when: [{ key: "request.headers[x-debug]", notValues: ["*"] }] }]) }], [
    { name: "absent", req: {}, allowed: true },
    { name: "present (even empty)", req: { headers: [["x-debug", ""]] }, allowed: false },
  ]);
  await table("source.ip / remote.ip", [{ spec: ALLOW([{ when: [{ key: "source.ip", values: ["10.0.0.0/8"] }, { key: "remote.ip", notValues: ["10.9.9.9"] }] }]) }], [
    { name: "10.1.1.1", req: { source: "10.1.1.1:1" }, allowed: true },
    { name: "10.9.9.9 excluded", req: { source: "10.9.9.9:1" }, allowed: false },
    { name: "11.0.0.1", req: { source: "11.0.0.1:1" }, allowed: false },
  ]);
  await table("destination.ip, connection.sni", [{ spec: ALLOW([{ when: [{ key: "destination.ip", values: ["10.0.0.0/24"] }, { key: "connection.sni", values: ["*.svc"] }] }]) }], [
    { name: "both", req: { destination: "10.0.0.5:1", sni: "a.svc" }, allowed: true },
    { name: "wrong sni", req: { destination: "10.0.0.5:1", sni: "a.com" }, allowed: false },
  ]);
  await table("source.namespace / source.principal / source.serviceAccount / source.trustDomain", [{ spec: ALLOW([{ when: [
    { key: "source.namespace", values: ["prod"] }, { key: "source.principal", values: ["cluster.local/ns/prod/sa/*"] },
    { key: "source.serviceAccount", values: ["prod/api"] }, { key: "source.trustDomain", values: ["cluster.local"] }] }]) }], [
    { name: "prod/api", req: mtls("api", "prod"), allowed: true },
    { name: "prod/web", req: mtls("web", "prod"), allowed: false },
  ]);
  await table("experimental.envoy.filters.*", [{ spec: ALLOW([{ when: [{ key: "experimental.envoy.filters.network.mysql_proxy[db.table]", values: ["[update]"] }] }]) }], [
    { name: "list contains update", req: { metadata: { "envoy.filters.network.mysql_proxy": { "db.table": ["insert", "update"] } } }, allowed: true },
    { name: "list without", req: { metadata: { "envoy.filters.network.mysql_proxy": { "db.table": ["insert"] } } }, allowed: false },
  ]);
});

test("B.4 request principals, audiences, presenter, claims from Envoy jwt_authn metadata (payload)", async () => {
  await table("requestPrincipals", [{ spec: ALLOW([{ from: [{ source: { requestPrincipals: ["https://issuer.example/alice", "https://other.example/*"] } }] }]) }], [
    { name: "iss/sub exact", req: jwt({ iss: "https://issuer.example", sub: "alice" }), allowed: true },
    { name: "other sub", req: jwt({ iss: "https://issuer.example", sub: "bob" }), allowed: false },
    { name: "iss/* any sub", req: jwt({ iss: "https://other.example", sub: "x" }), allowed: true },
    { name: "iss/* without sub (sub must be non-empty)", req: jwt({ iss: "https://other.example" }), allowed: false },
    { name: "no token", req: {}, allowed: false },
  ]);
  await table("requestPrincipals *", [{ spec: ALLOW([{ from: [{ source: { requestPrincipals: ["*"] } }] }]) }], [
    { name: "iss+sub", req: jwt({ iss: "i", sub: "s" }), allowed: true },
    { name: "no sub", req: jwt({ iss: "i" }), allowed: false },
    { name: "no token", req: {}, allowed: false },
  ]);
  await table("notRequestPrincipals * (deny anonymous, Istio's require-JWT pattern)", [{ spec: DENY([{ from: [{ source: { notRequestPrincipals: ["*"] } }] }]) }], [
    { name: "token", req: jwt({ iss: "i", sub: "s" }), allowed: true },
    { name: "no token", req: {}, allowed: false },
  ]);
  await table("audiences list or string", [{ spec: ALLOW([{ when: [{ key: "request.auth.audiences", values: ["api"] }] }]) }], [
    { name: "aud string", req: jwt({ aud: "api" }), allowed: true },
    { name: "aud list", req: jwt({ aud: ["web", "api"] }), allowed: true },
    { name: "other aud", req: jwt({ aud: ["web"] }), allowed: false },
  ]);
  await table("presenter", [{ spec: ALLOW([{ when: [{ key: "request.auth.presenter", values: ["cli-*"] }] }]) }], [
    { name: "azp", req: jwt({ azp: "cli-1" }), allowed: true },
    { name: "other", req: jwt({ azp: "web" }), allowed: false },
  ]);
  await table("claims: list element, nested, string only", [{ spec: ALLOW([{ when: [
    { key: "request.auth.claims[groups]", values: ["admins"] }, { key: "request.auth.claims[org][unit]", values: ["eng"] }] }]) }], [
    { name: "both", req: jwt({ groups: ["dev", "admins"], org: { unit: "eng" } }), allowed: true },
    { name: "groups as a string", req: jwt({ groups: "admins", org: { unit: "eng" } }), allowed: true },
    { name: "nested differs", req: jwt({ groups: ["admins"], org: { unit: "ops" } }), allowed: false },
  ]);
  await table("boolean claim never matches values", [{ spec: ALLOW([{ when: [{ key: "request.auth.claims[admin]", values: ["true"] }] }]) }], [
    { name: "bool true", req: jwt({ admin: true }), allowed: false },
    { name: "string true", req: jwt({ admin: "true" }), allowed: true },
  ]);
});

test("the JWT filter's filter-state handoff (wasm.jwt_authn, shared/authn v1) serves the same matchers", async () => {
  const h = await load([{ spec: ALLOW([{ from: [{ source: { requestPrincipals: ["https://issuer.example/alice"] } }] }]) }]);
  const good = pbEncodeStruct({ version: 1, metadata: { payload: { iss: "https://issuer.example", sub: "alice" } } });
  const other = pbEncodeStruct({ version: 1, metadata: { payload: { iss: "https://issuer.example", sub: "bob" } } });
  const future = pbEncodeStruct({ version: 2, metadata: { payload: { iss: "https://issuer.example", sub: "alice" } } });
  const send = (b: Uint8Array) => h.http({ filterStateBytes: { "wasm.jwt_authn": b } });
  assert.equal(send(good).allowed, true);
  assert.equal(send(other).allowed, false);
  assert.equal(send(future).allowed, false, "an unknown format version is not read");
  assert.equal(h.http({}).allowed, false);
});

test("C.9 TCP: HTTP-only fields drop an ALLOW rule (narrower) and are ignored in a DENY rule (wider)", async () => {
  await table("ALLOW methods on TCP: rule dropped => allow nothing", [{ spec: ALLOW([{ to: [{ operation: { methods: ["GET"] } }] }]) }], [
    { name: "any connection", req: {}, allowed: false },
  ], "network");
  await table("ALLOW with one good and one HTTP-only rule keeps the good one", [{ spec: ALLOW([
    { to: [{ operation: { paths: ["/x"] } }] }, { to: [{ operation: { ports: ["5432"] } }] }]) }], [
    { name: "5432", req: { destination: "10.0.0.1:5432" }, allowed: true },
    { name: "5433", req: { destination: "10.0.0.1:5433" }, allowed: false },
  ], "network");
  await table("DENY methods + ports on TCP denies every connection to the port", [{ spec: DENY([{ to: [{ operation: { methods: ["POST"], ports: ["8080"] } }] }]) }], [
    { name: "8080", req: { destination: "10.0.0.1:8080" }, allowed: false },
    { name: "8081", req: { destination: "10.0.0.1:8081" }, allowed: true },
  ], "network");
  await table("DENY with only HTTP fields on TCP denies everything", [{ spec: DENY([{ when: [{ key: "request.headers[x]", values: ["y"] }] }]) }], [
    { name: "any", req: {}, allowed: false },
  ], "network");
  await table("TCP principals still work", [{ spec: ALLOW([{ from: [{ source: { principals: ["cluster.local/ns/db/sa/app"] } }] }]) }], [
    { name: "app", req: mtls("app", "db"), allowed: true },
    { name: "other", req: mtls("web", "db"), allowed: false },
  ], "network");
  const h = await load([{ spec: DENY([{}]) }], "network");
  h.tcp({});
  assert.equal(h.counter("tcp.rbac.denied"), 1, "Istio's TCP stat prefix is tcp.");
});

test("C.10 dry-run: shadow only, never enforced, shadow prefix and results", async () => {
  const h = await table("dry-run DENY all", [{ name: "dr", dryRun: "true", spec: DENY([{}]) }], [
    { name: "allowed although the DENY matches", req: {}, allowed: true },
  ]);
  const d = h.http({});
  assert.equal(Buffer.from(d.state.get("wasm.envoy.filters.http.rbac.istio_dry_run_deny_shadow_engine_result")!).toString(), "denied");
  assert.equal(Buffer.from(d.state.get("wasm.envoy.filters.http.rbac.istio_dry_run_deny_shadow_effective_policy_id")!).toString(), "ns[foo]-policy[dr]-rule[0]");
  assert.equal(h.counter("rbac.istio_dry_run_deny_shadow_denied"), 2);
  await table("dry-run-only ALLOW produces no default deny", [{ dryRun: "True", spec: ALLOW([{ to: [{ operation: { paths: ["/x"] } }] }]) }], [
    { name: "/y", req: { path: "/y" }, allowed: true },
  ]);
  await table("dry-run annotation that is not a bool keeps the policy enforced", [{ dryRun: "yes", spec: DENY([{}]) }], [
    { name: "denied", req: {}, allowed: false },
  ]);
  await table("dry-run false", [{ dryRun: "0", spec: DENY([{}]) }], [{ name: "denied", req: {}, allowed: false }]);
});

test("root namespace DENY, unknown when key (rule skipped), CUSTOM without provider (deny rules), trust domain aliases", async () => {
  await table("root-namespace deny", [{ namespace: "istio-system", name: "global", spec: DENY([{ to: [{ operation: { paths: ["/metrics"] } }] }]) }], [
    { name: "/metrics", req: { path: "/metrics" }, allowed: false, policy: "ns[istio-system]-policy[global]-rule[0]" },
  ]);
  await table("unknown attribute skips the ALLOW rule", [{ spec: ALLOW([{ when: [{ key: "request.bogus", values: ["x"] }] }, { to: [{ operation: { paths: ["/ok"] } }] }]) }], [
    { name: "/ok (rule 1 kept)", req: { path: "/ok" }, allowed: true },
    { name: "/other", req: { path: "/other" }, allowed: false },
  ]);
  await table("CUSTOM with no ext_authz provider: its rules deny", [{ name: "ext", spec: { action: "CUSTOM", provider: { name: "opa" }, rules: [{ to: [{ operation: { paths: ["/ext*"] } }] }] } }], [
    { name: "/ext/a", req: { path: "/ext/a" }, allowed: false, policy: "istio-ext-authz-ns[foo]-policy[ext]-rule[0]" },
    { name: "/b", req: { path: "/b" }, allowed: true },
  ]);
  await table("trust domain aliases", [{ spec: ALLOW([{ from: [{ source: { principals: ["cluster.local/ns/default/sa/a"] } }] }]) }], [
    { name: "local td", req: mtls("a", "default", "td.new"), allowed: true },
    { name: "alias td", req: mtls("a", "default", "td.old"), allowed: true },
    { name: "unrelated td", req: mtls("a", "default", "td.other"), allowed: false },
  ], "http", { trust_domain: "td.new", trust_domain_aliases: ["td.old"] });
});

test("F.2 authorization attack checklist with Istio's default normalization (BASE: RFC 3986 dot segments, backslash, unreserved %-decoding)", async () => {
  // The HCM normalizes before filters run: these are the :path values Envoy hands the filter for the
  // raw request paths named in each case (normalize_path on, merge_slashes off, escaped slashes kept).
  await table("ALLOW paths [/public*] + DENY paths [/admin*]", [
    { name: "allow-public", spec: ALLOW([{ to: [{ operation: { paths: ["/public*", "/admin*"] } }] }]) },
    { name: "deny-admin", spec: DENY([{ to: [{ operation: { paths: ["/admin*"] } }] }]) },
  ], [
    { name: "raw /./admin -> /admin", req: { path: "/admin" }, allowed: false },
    { name: "raw /public/../admin -> /admin", req: { path: "/admin" }, allowed: false },
    { name: "raw /%61dmin -> /admin (unreserved decoded once)", req: { path: "/admin" }, allowed: false },
    { name: "raw \\admin -> /admin", req: { path: "/admin" }, allowed: false },
    { name: "/admin?x (query not part of the path)", req: { path: "/admin?x=1" }, allowed: false },
    { name: "/admin#x (fragment not part of the path)", req: { path: "/admin#x" }, allowed: false },
    { name: "//admin under BASE (no merge_slashes): DENY prefix misses, ALLOW also misses => 403", req: { path: "//admin" }, allowed: false, policy: "none" },
    { name: "/ADMIN: case-sensitive path, not allowed either => 403", req: { path: "/ADMIN" }, allowed: false, policy: "none" },
    { name: "/public%2F..%2Fadmin: %2F kept under BASE, stays under /public", req: { path: "/public%2F..%2Fadmin" }, allowed: true },
    { name: "/%2561dmin: decoded once only -> /%61dmin, not /admin", req: { path: "/%61dmin" }, allowed: false, policy: "none" },
    { name: "/admin;x (matrix params are path text)", req: { path: "/admin;x" }, allowed: false, policy: "ns[foo]-policy[deny-admin]-rule[0]" },
  ]);
  await table("DENY notPaths (recommended pattern) closes the // gap", [{ spec: DENY([{ to: [{ operation: { notPaths: ["/public/*"] } }] }]) }], [
    { name: "//public/x is not /public/", req: { path: "//public/x" }, allowed: false },
    { name: "/public/x", req: { path: "/public/x" }, allowed: true },
  ]);
  await table("hosts and methods", [{ spec: DENY([{ to: [{ operation: { hosts: ["admin.example.com"] } }, { operation: { methods: ["DELETE"] } }] }]) }], [
    { name: "Admin.Example.COM", req: { host: "Admin.Example.COM" }, allowed: false },
    { name: "admin.example.com:443 (port not stripped: DENY misses, documented Istio behaviour)", req: { host: "admin.example.com:443" }, allowed: true },
    { name: "admin.example.com. (trailing dot: DENY misses)", req: { host: "admin.example.com." }, allowed: true },
    { name: "lower-case delete is a different method", req: { method: "delete" }, allowed: true },
    { name: "DELETE", req: { method: "DELETE" }, allowed: false },
  ]);
});

test("translation errors name the field path", async () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ authorization_policies: [{ metadata: { name: "a" }, spec: {} }] }, /authorization_policies\[0\]\.metadata\.namespace: required/],
    [config([{ spec: ALLOW([{ to: [{ operation: { paths: ["/a*b"] } }] }]) }]), /paths\[0\]: wildcard/],
    [config([{ spec: ALLOW([{ to: [{ operation: { paths: ["/foo/{*}.txt"] } }] }]) }]), /paths\[0\]: invalid path template/],
    [config([{ spec: ALLOW([{ from: [{ source: { serviceAccounts: ["ns/*"] } }] }]) }]), /serviceAccounts: wildcards are not allowed/],
    [config([{ spec: ALLOW([{ from: [{ source: { serviceAccounts: ["a"], principals: ["b"] } }] }]) }]), /serviceAccounts: cannot be combined/],
    [config([{ spec: { action: "PERMIT" } }]), /spec\.action: expected ALLOW, DENY, AUDIT or CUSTOM/],
    [config([{ spec: ALLOW([{ to: [{ operation: { methodz: ["GET"] } }] }]) }]), /operation\.methodz: unknown field/],
    [config([{ spec: ALLOW([{ when: [{ key: "source.ip" }] }]) }]), /when\[0\]: at least one of values or notValues/],
  ];
  for (const [cfg, re] of bad) {
    const h = new RbacHost(1);
    hosts.push(h);
    const err = await h.load(cfg);
    assert.ok(err !== null, `accepted: ${JSON.stringify(cfg)}`);
    assert.match(err!, re);
  }
});
