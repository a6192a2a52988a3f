// The two Istio front ends. RequestAuthentication: expected codes of Istio's e2e suite
// (istio/istio tests/integration/security/jwt_test.go; reference B.3) for the parts a JWT filter
// decides (no AuthorizationPolicy here: "no token" passes authentication). Legacy v1alpha1 Policy:
// istio_authn origin semantics with trigger rules matched on the path without query (CVE-2020-8595).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { JwtSidecar, keyPair, mint, jwks, now, authnState, header, type KeyPair } from "./harness";

const sidecars: JwtSidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
async function sidecar(config: unknown): Promise<JwtSidecar> {
  const s = new JwtSidecar();
  sidecars.push(s);
  return s.load(config);
}
const ISS = "testing@secure.istio.io";
const bearer = (t: string): [string, string] => ["authorization", `Bearer ${t}`];
let k1: KeyPair, k2: KeyPair;
before(async () => { k1 = await keyPair("RS256", "k1"); k2 = await keyPair("RS256", "k2"); });

function ra(rules: unknown[]) {
  return { request_authentications: [{ apiVersion: "security.istio.io/v1", kind: "RequestAuthentication", metadata: { name: "jwt", namespace: "default" }, spec: { selector: { matchLabels: { app: "b" } }, jwtRules: rules } }] };
}

test("RequestAuthentication: valid 200, expired 401, no token 200, invalid aud 403, token in an unconfigured param = missing (200), CORS preflight bypass", async () => {
  const s = await sidecar(ra([{ issuer: ISS, jwks: jwks(k1), audiences: ["foo"] }]));
  const valid = await mint(k1, { iss: ISS, sub: "sub-1", aud: "foo", exp: now() + 600 });
  const v = await s.request([bearer(valid)]);
  assert.equal(v.continued, true);
  // Istio's translation: payload_in_metadata "payload", space_delimited_claims scope + permission.
  assert.equal(authnState(v.state)!.principal, `${ISS}/sub-1`);
  assert.deepEqual(authnState(v.state)!.metadata.payload.aud, "foo");
  assert.equal((await s.request([bearer(await mint(k1, { iss: ISS, aud: "foo", exp: now() - 3600 }))])).reply?.status, 401);
  assert.equal((await s.request([])).continued, true);
  assert.equal((await s.request([bearer(await mint(k1, { iss: ISS, aud: "bar", exp: now() + 600 }))])).reply?.status, 403);
  assert.equal((await s.request([], { path: `/?token=${valid}` })).continued, true, "invalid-params: an unconfigured parameter is no token");
  const expired = await mint(k1, { iss: ISS, aud: "foo", exp: now() - 3600 });
  const pre = await s.request([bearer(expired), ["origin", "http://x"], ["access-control-request-method", "GET"]], { method: "OPTIONS" });
  assert.equal(pre.continued, true, "expired-token-cors-preflight-request-allowed");
  const badPre = await s.request([bearer(expired), ["origin", "http://x"]], { method: "OPTIONS" });
  assert.equal(badPre.reply?.status, 401, "expired-token-bad-cors-preflight-request-rejected");
  // invalid-token-set: a token of an unknown issuer is not "missing" (requires_any[P, allow_missing]).
  assert.equal((await s.request([bearer(await mint(k2, { iss: "other", aud: "foo" }))])).reply?.status, 401);
  // scope split as Istio always asks.
  const sc = await s.request([bearer(await mint(k1, { iss: ISS, aud: "foo", scope: "a b", permission: "p q" }))]);
  assert.deepEqual(authnState(sc.state)!.claims.scope, ["a", "b"]);
  assert.deepEqual(authnState(sc.state)!.claims.permission, ["p", "q"]);
});

test("RequestAuthentication: invalid JWKS (a key that does not sign the token) answers 401 for a token (invalid-jwks-valid-token-noauthz)", async () => {
  const s = await sidecar(ra([{ issuer: ISS, jwks: jwks(k2) }]));
  assert.equal((await s.request([bearer(await mint(k1, { iss: ISS }, { kid: "k2" }))])).reply?.status, 401);
});

test("RequestAuthentication with two issuers: each token must be valid for its issuer; either alone passes; outputs and custom locations", async () => {
  const s = await sidecar(ra([
    { issuer: "https://b.example", jwks: jwks(k2), fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }], outputPayloadToHeader: "x-payload", forwardOriginalToken: true },
    { issuer: "https://a.example", jwks: jwks(k1), outputClaimToHeaders: [{ header: "x-sub", claim: "sub" }], spaceDelimitedClaims: ["roles"] },
  ]));
  const ta = await mint(k1, { iss: "https://a.example", sub: "alice", roles: "r1 r2" });
  const tb = await mint(k2, { iss: "https://b.example", sub: "bob" });
  const a = await s.request([bearer(ta)]);
  assert.equal(a.continued, true);
  assert.deepEqual(header(a.request, "x-sub"), ["alice"]);
  assert.deepEqual(authnState(a.state)!.claims.roles, ["r1", "r2"]);
  assert.equal(authnState(a.state)!.provider, "origins-0", "rules sorted by issuer: a.example is origins-0");
  const b = await s.request([["x-jwt", `Bearer ${tb}`]]);
  assert.equal(b.continued, true);
  assert.deepEqual(header(b.request, "x-jwt"), [`Bearer ${tb}`], "forwardOriginalToken keeps the token");
  assert.equal(header(b.request, "x-payload").length, 1);
  assert.equal((await s.request([bearer(ta), ["x-jwt", `Bearer ${tb}`]])).continued, true);
  // Istio's outer requires_any[origins-0, origins-1, requires_all[...]]: origins-0 only looks at its own
  // locations, verifies the Authorization token and the OR is satisfied, so a bad token in origins-1's
  // header is never examined (Envoy AnyVerifierImpl stops at the first success).
  assert.equal((await s.request([bearer(ta), ["x-jwt", "Bearer bad.token.here"]])).continued, true);
  // Both tokens in one provider's locations (header and access_token) must both verify (authenticator.cc).
  assert.equal((await s.request([bearer(ta)], { path: "/?access_token=bad.token.here" })).reply?.status, 401);
  assert.equal((await s.request([])).continued, true);
});

test("RequestAuthentication jwksUri: remote JWKS on Istio's outbound cluster name, 300 s cache, 5 s default timeout", async () => {
  const s = new JwtSidecar();
  sidecars.push(s);
  s.clusters.names.add("outbound|8443||idp.example.com");
  s.clusters.responder = async () => ({ headers: [[":status", "200"]], body: Buffer.from(jwks(k1)), trailers: [] });
  await s.load(ra([{ issuer: ISS, jwksUri: "https://idp.example.com:8443/jwks" }]));
  assert.equal((await s.request([bearer(await mint(k1, { iss: ISS }))])).continued, true);
  assert.equal(s.clusters.calls[0].cluster, "outbound|8443||idp.example.com");
  assert.equal(s.clusters.calls[0].timeoutMs, 5000);
});

test("RequestAuthentication errors name the field", async () => {
  const s = new JwtSidecar();
  sidecars.push(s);
  await assert.rejects(s.load(ra([{ issuer: ISS }])));
  assert.ok(s.logs.lines.some((l) => l.msg.includes("request_authentications[0].spec.jwt_rules[0]: one of jwksUri, jwks is required")), s.logs.lines.map((l) => l.msg).join("\n"));
  const t = new JwtSidecar();
  sidecars.push(t);
  await assert.rejects(t.load(ra([{ issuer: ISS, jwks: jwks(k1), fromHeader: [] }])));
  assert.ok(t.logs.lines.some((l) => l.msg.includes("request_authentications[0].spec.jwt_rules[0].fromHeader: unknown field")));
});

test("legacy origins[].jwt: missing token 401 on a triggered path, excluded paths skip, query and fragment never change the match (CVE-2020-8595)", async () => {
  const s = await sidecar({
    origins: [{ jwt: { issuer: ISS, jwks: jwks(k1), jwtHeaders: ["x-token"], triggerRules: [{ excludedPaths: [{ exact: "/health" }], includedPaths: [{ prefix: "/api" }] }] } }],
    principalBinding: "USE_ORIGIN",
  });
  const t = await mint(k1, { iss: ISS, sub: "u" });
  const code = async (path: string, h: Array<[string, string]> = []) => { const r = await s.request(h, { path }); return r.reply?.status ?? 200; };
  assert.equal(await code("/api/x"), 401);
  assert.equal(await code("/api/x", [["x-token", t]]), 200);
  assert.equal(await code("/health"), 200);
  assert.equal(await code("/other"), 200, "not included: not triggered");
  assert.equal(await code("/health?x=1"), 200, "excluded exact path still excluded with a query");
  assert.equal(await code("/api?x=/health"), 401);
  assert.equal(await code("/api/x#frag"), 401);
  const r = await s.request([["x-token", t]], { path: "/api/x" });
  assert.deepEqual(header(r.request, "x-token"), [t], "legacy providers forward the token");
  assert.equal(authnState(r.state)!.metadata[ISS].sub, "u", "payload_in_metadata is the issuer");
  const bad = await s.request([["x-token", t + "x"]], { path: "/api/x" });
  assert.equal(bad.reply?.status, 401);
  assert.equal(bad.reply?.body, "Origin authentication failed.");
  const opt = await sidecar({ origins: [{ jwt: { issuer: ISS, jwks: jwks(k1) } }], originIsOptional: true });
  assert.equal((await opt.request([])).continued, true);
});
