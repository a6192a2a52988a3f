// jwt_authn through the test host: Envoy's statuses, bodies, WWW-Authenticate, headers upstream,
// filter state and stats for tokens minted at test time by `jose`. Expected values cite Envoy:
//   filter.cc / filter_integration_test.cc (codes, body = jwt_verify_lib status string, realm rule),
//   jwt_verify_lib status.cc (texts), authenticator.cc (outputs), extractor.cc (locations).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, createHmac, createSign } from "node:crypto";
import { JwtSidecar, keyPair, mint, jwks, now, header, authnState, oneProvider, provider, ALGS, b64u, type KeyPair } from "./harness";

const sidecars: JwtSidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
async function sidecar(config: unknown, workers = 1): Promise<JwtSidecar> {
  const s = new JwtSidecar(workers);
  sidecars.push(s);
  return s.load(config);
}

const ISS = "https://example.com";
const bearer = (t: string): [string, string] => ["authorization", `Bearer ${t}`];
const REALM = 'Bearer realm="http://example.com/"';
const INVALID = `${REALM}, error="invalid_token"`;

const keys = new Map<string, KeyPair>();
before(async () => { for (const a of ALGS) keys.set(a, await keyPair(a)); });
const key = (a: string) => keys.get(a)!;

test("every algorithm: a token minted by jose verifies; single-bit flips in header, payload, signature fail", async () => {
  const all = [...keys.values()];
  const s = await sidecar(oneProvider(all));
  for (const k of all) {
    const t = await mint(k, { iss: ISS, sub: "alice", exp: now() + 600 });
    const ok = await s.request([bearer(t)]);
    assert.equal(ok.continued, true, `${k.alg} valid token`);
    assert.deepEqual(header(ok.request, "authorization"), [], `${k.alg}: token removed (forward: false)`);
    const [h, p, sig] = t.split(".");
    const flipIn = (seg: string, i: number) => {
      const b = Buffer.from(seg, "base64url");
      b[i % b.length] ^= 1;
      return b.toString("base64url");
    };
    for (const [name, tok] of [
      ["header", `${flipIn(h, 5)}.${p}.${sig}`], ["payload", `${h}.${flipIn(p, 3)}.${sig}`],
      ["signature", `${h}.${p}.${flipIn(sig, 7)}`], ["signature end", `${h}.${p}.${flipIn(sig, Buffer.from(sig, "base64url").length - 1)}`],
    ] as const) {
      const r = await s.request([bearer(tok)]);
      assert.equal(r.reply?.status, 401, `${k.alg} ${name} flip`);
    }
  }
});

test("a bit flip in the JWKS key fails verification (RS256, ES256, EdDSA, HS256)", async () => {
  for (const a of ["RS256", "ES256", "EdDSA", "HS256"]) {
    const k = key(a);
    const t = await mint(k, { iss: ISS, exp: now() + 600 });
    const jwk = { ...k.jwk } as any;
    const field = a.startsWith("RS") ? "n" : a === "HS256" ? "k" : "x";
    const b = Buffer.from(jwk[field], "base64url");
    b[b.length - 1] ^= 1;
    jwk[field] = b.toString("base64url");
    const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: JSON.stringify({ keys: [jwk] }) } } }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
    const r = await s.request([bearer(t)]);
    // A flipped EC/Ed25519 x is usually no longer a valid point: the key is skipped and no key is left.
    assert.equal(r.reply?.status, 401, a);
    assert.ok(["Jwt verification fails", "Jwks doesn't have any valid public key"].includes(r.reply!.body), `${a}: ${r.reply!.body}`);
  }
});

test("Envoy replies: missing 401 with realm only; expired 401 invalid_token; audience 403; strip_failure_response", async () => {
  const k = key("RS256");
  const s = await sidecar(oneProvider([k], { audiences: ["example_service"] }));
  const missing = await s.request([]);
  // filter_integration_test.cc: "Jwt is missing", WWW-Authenticate Bearer realm="http://host/".
  assert.equal(missing.reply?.status, 401);
  assert.equal(missing.reply?.body, "Jwt is missing");
  assert.deepEqual(header(missing.reply!.headers, "www-authenticate"), [REALM]);
  assert.equal(missing.reply?.details, "jwt_authn_access_denied{Jwt_is_missing}");
  const expired = await s.request([bearer(await mint(k, { iss: ISS, aud: "example_service", exp: now() - 3600 }))]);
  assert.equal(expired.reply?.status, 401);
  assert.equal(expired.reply?.body, "Jwt is expired");
  assert.deepEqual(header(expired.reply!.headers, "www-authenticate"), [INVALID]);
  const aud = await s.request([bearer(await mint(k, { iss: ISS, aud: "other", exp: now() + 600 }))]);
  assert.equal(aud.reply?.status, 403);
  assert.equal(aud.reply?.body, "Audiences in Jwt are not allowed");
  assert.deepEqual(header(aud.reply!.headers, "www-authenticate"), [INVALID]);
  // check_audience.cc: scheme and one trailing slash are ignored on both sides.
  const norm = await s.request([bearer(await mint(k, { iss: ISS, aud: ["x", "https://example_service/"], exp: now() + 600 }))]);
  assert.equal(norm.continued, true);
  const noAud = await s.request([bearer(await mint(k, { iss: ISS, exp: now() + 600 }))]);
  assert.equal(noAud.reply?.status, 403);

  const strip = await sidecar(oneProvider([k]), 1);
  await strip.stop();
  const st = await sidecar({ ...oneProvider([k]), strip_failure_response: true });
  const r = await st.request([]);
  assert.equal(r.reply?.status, 401);
  assert.equal(r.reply?.body, "");
  assert.deepEqual(header(r.reply!.headers, "www-authenticate"), []);
  // realm: x-envoy-original-path wins over :path, cut to 256 characters (Utility::buildOriginalUri).
  const long = "/" + "a".repeat(300);
  const lr = await s.request([["x-envoy-original-path", long]], { path: "/rewritten" });
  assert.deepEqual(header(lr.reply!.headers, "www-authenticate"), [`Bearer realm="http://example.com${long.slice(0, 256)}"`]);
});

test("gRPC requests get grpc-status from the 401/403 (Envoy local reply mapping)", async () => {
  const k = key("ES256");
  const s = await sidecar(oneProvider([k]));
  const r = await s.request([["content-type", "application/grpc"]], { method: "POST", path: "/pkg.Svc/Call" });
  assert.equal(r.reply?.status, 401);
  // The filter passes no explicit grpc-status (Envoy's filter.cc neither), so Envoy's sendLocalReply maps
  // 401 -> UNAUTHENTICATED (16); the mapping itself is checked through the whole proxy in tests/e2e/jwt.test.ts.
  assert.equal(r.reply?.grpcStatus, undefined);
});

test("time: exp and nbf with the default 60 s skew and a custom clock_skew_seconds (jwt_verify_lib verifyTimeConstraint)", async () => {
  const k = key("HS256");
  const s = await sidecar(oneProvider([k]));
  const code = async (claims: Record<string, unknown>) => (await s.request([bearer(await mint(k, { iss: ISS, ...claims }))])).reply?.status ?? 200;
  assert.equal(await code({ exp: now() - 50 }), 200);
  assert.equal(await code({ exp: now() - 70 }), 401);
  assert.equal(await code({ nbf: now() + 50 }), 200);
  const nyv = await s.request([bearer(await mint(k, { iss: ISS, nbf: now() + 70 }))]);
  assert.equal(nyv.reply?.body, "Jwt not yet valid");
  assert.equal(await code({ exp: 0 }), 200, "exp 0 is treated as no exp");
  assert.equal(await code({}), 200, "no exp is fine without require_expiration");
  assert.equal(await code({ iat: now() + 100000 }), 200, "iat is never checked");
  const skew = await sidecar(oneProvider([k], { clock_skew_seconds: 5 }));
  assert.equal((await skew.request([bearer(await mint(k, { iss: ISS, exp: now() - 20 }))])).reply?.status, 401);
  assert.equal((await skew.request([bearer(await mint(k, { iss: ISS, exp: now() + 20 }))])).continued, true);
  const req = await sidecar(oneProvider([k], { require_expiration: true }));
  assert.equal((await req.request([bearer(await mint(k, { iss: ISS }))])).reply?.status, 401);
  const life = await sidecar(oneProvider([k], { max_lifetime: "3600s" }));
  assert.equal((await life.request([bearer(await mint(k, { iss: ISS, exp: now() + 600 }))])).continued, true);
  assert.equal((await life.request([bearer(await mint(k, { iss: ISS, exp: now() + 7200 }))])).reply?.status, 401);
});

test("parse statuses: jwt_verify_lib texts for malformed tokens", async () => {
  const k = key("HS256");
  const s = await sidecar(oneProvider([k]));
  const good = await mint(k, { iss: ISS });
  const [h, p, sig] = good.split(".");
  const hs = (hdr: object, pl: object) => {
    const input = `${b64u(JSON.stringify(hdr))}.${b64u(JSON.stringify(pl))}`;
    return `${input}.${createHmac("sha256", k.priv as Uint8Array).update(input).digest("base64url")}`;
  };
  const cases: Array<[string, string]> = [
    [`${h}.${p}`, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"],
    [`${h}.${p}.`, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"],
    [`${h}..${sig}`, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"],
    [`${h}.${p}.${sig}.x`, "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections"],
    [`${b64u("{not json")}.${p}.${sig}`, "Jwt header is an invalid JSON"],
    [`${b64u("[1]")}.${p}.${sig}`, "Jwt header is an invalid JSON"],
    [hs({ typ: "JWT" }, { iss: ISS }), "Jwt header [alg] field is required and must be a string"],
    [hs({ alg: 256 }, { iss: ISS }), "Jwt header [alg] field is required and must be a string"],
    [hs({ alg: "HS256", kid: 1 }, { iss: ISS }), "Jwt header [kid] field is not a string"],
    [hs({ alg: "HS256" }, { iss: 7 }), "Jwt payload [iss] field is not a string"],
    [hs({ alg: "HS256" }, { iss: ISS, sub: true }), "Jwt payload [sub] field is not a string"],
    [hs({ alg: "HS256" }, { iss: ISS, exp: "soon" }), "Jwt payload [exp] field is not an integer"],
    [hs({ alg: "HS256" }, { iss: ISS, exp: -1 }), "Jwt payload [exp] field is not a positive 64 bit integer"],
    [hs({ alg: "HS256" }, { iss: ISS, nbf: 1e20 }), "Jwt payload [nbf] field is not a positive 64 bit integer"],
    [hs({ alg: "HS256" }, { iss: ISS, iat: null }), "Jwt payload [iat] field is not an integer"],
    [hs({ alg: "HS256" }, { iss: ISS, jti: 5 }), "Jwt payload [jti] field is not a string"],
    [hs({ alg: "HS256" }, { iss: ISS, aud: [1] }), "Jwt payload [aud] field is not a string or string list"],
    [hs({ alg: "HS256" }, { iss: ISS, aud: { a: 1 } }), "Jwt payload [aud] field is not a string or string list"],
    [`${h}.${b64u("not json")}.${sig}`, "Jwt payload is an invalid JSON"],
    [`${h}.${p}.${sig.slice(0, -1)}!`, "Jwt signature is an invalid Base64url encoded"],
    [`${h}!.${p}.${sig}`, "Jwt header is an invalid Base64url encoded"],
  ];
  for (const [tok, body] of cases) {
    // from_headers without prefix: the whole value is the token (no JWT-character cut).
    const r = await s.request([["authorization", `Bearer ${tok}`]]);
    assert.equal(r.reply?.status, 401, tok);
    if (!tok.includes("!")) assert.equal(r.reply?.body, body, tok);
  }
  const raw = await sidecar(oneProvider([k], { from_headers: [{ name: "x-jwt" }] }));
  for (const [tok, body] of cases) {
    const r = await raw.request([["x-jwt", tok]]);
    assert.equal(r.reply?.body, body, tok);
  }
});

test("attack checklist: alg none/None/empty, HS256 with the RSA public key as secret, unknown kid, psychic ECDSA, Ed25519 length", async () => {
  const rs = key("RS256");
  const s = await sidecar(oneProvider([rs, key("ES256"), key("EdDSA")], { from_headers: [{ name: "x-jwt" }] }));
  const payload = b64u(JSON.stringify({ iss: ISS, sub: "mallory", exp: now() + 600 }));
  for (const alg of ["none", "None", "NONE", "nOnE", ""]) {
    const t = `${b64u(JSON.stringify({ alg }))}.${payload}.${b64u("x")}`;
    assert.equal((await s.request([["x-jwt", t]])).reply?.body, "Jwt header [alg] is not supported", alg);
  }
  // HS/RS confusion: HMAC keyed with the RSA public key (PEM, DER and n) must never verify (verify.cc: RSA keys only do RS/PS).
  const pub = createPublicKey({ key: rs.jwk as any, format: "jwk" });
  const secrets = [pub.export({ type: "spki", format: "pem" }), pub.export({ type: "spki", format: "der" }), Buffer.from(rs.jwk.n!, "base64url")];
  for (const secret of secrets) {
    const input = `${b64u(JSON.stringify({ alg: "HS256", kid: rs.kid }))}.${payload}`;
    const t = `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    const r = await s.request([["x-jwt", t]]);
    assert.equal(r.reply?.status, 401);
    // The RSA JWK carries alg RS256, so no key matches kid+alg (verify.cc).
    assert.equal(r.reply?.body, "Jwks doesn't have key to match kid or alg from Jwt");
  }
  const unknownKid = await mint(rs, { iss: ISS, exp: now() + 600 }, { kid: "../../etc/passwd" });
  assert.equal((await s.request([["x-jwt", unknownKid]])).reply?.body, "Jwks doesn't have key to match kid or alg from Jwt");
  // Psychic signatures (CVE-2022-21449): r = s = 0 and other degenerate ES256 signatures.
  const es = key("ES256");
  const esInput = `${b64u(JSON.stringify({ alg: "ES256", kid: es.kid }))}.${payload}`;
  for (const sig of [Buffer.alloc(64), Buffer.concat([Buffer.alloc(31), Buffer.from([1]), Buffer.alloc(31), Buffer.from([1])]), Buffer.alloc(65), Buffer.alloc(63, 1)]) {
    const r = await s.request([["x-jwt", `${esInput}.${sig.toString("base64url")}`]]);
    assert.equal(r.reply?.body, "Jwt verification fails", `ES256 sig of ${sig.length} bytes`);
  }
  // DER-encoded ECDSA signature in a JWS (node:crypto default encoding) is refused.
  const der = createSign("sha256").update(esInput).sign({ key: await exportPrivate(es), dsaEncoding: "der" });
  assert.equal((await s.request([["x-jwt", `${esInput}.${der.toString("base64url")}`]])).reply?.body, "Jwt verification fails");
  const ed = key("EdDSA");
  const edInput = `${b64u(JSON.stringify({ alg: "EdDSA", kid: ed.kid }))}.${payload}`;
  assert.equal((await s.request([["x-jwt", `${edInput}.${Buffer.alloc(63).toString("base64url")}`]])).reply?.body, "Jwt ED25519 signature is wrong length");
  // Embedded jwk/jku/x5u headers are ignored: a token signed by the attacker's own key with its JWK embedded fails.
  const atk = await keyPair("RS256", rs.kid);
  const embedded = await mint(atk, { iss: ISS, exp: now() + 600 }, { jwk: atk.jwk, jku: "https://evil/jwks", x5u: "https://evil/cert" });
  assert.equal((await s.request([["x-jwt", embedded]])).reply?.body, "Jwt verification fails");
  // Duplicate JSON keys and deep nesting in the payload are refused as bad JSON, and never trap.
  const dupPayload = b64u(`{"iss":"${ISS}","sub":"a","sub":"admin"}`);
  assert.equal((await s.request([["x-jwt", `${b64u(JSON.stringify({ alg: "RS256" }))}.${dupPayload}.${b64u("x")}`]])).reply?.body, "Jwt payload is an invalid JSON");
  const deep = b64u(`{"iss":"${ISS}","x":${"[".repeat(5000)}${"]".repeat(5000)}}`);
  assert.equal((await s.request([["x-jwt", `${b64u(JSON.stringify({ alg: "RS256" }))}.${deep}.${b64u("x")}`]])).reply?.body, "Jwt payload is an invalid JSON");
  // A huge token (1 MB) is handled without trapping.
  const huge = `${b64u(JSON.stringify({ alg: "RS256" }))}.${b64u(JSON.stringify({ iss: ISS, pad: "a".repeat(1 << 20) }))}.${b64u("x")}`;
  assert.equal((await s.request([["x-jwt", huge]])).reply?.status, 401);
  assert.equal(s.plugin.failed(0), false);
});

async function exportPrivate(k: KeyPair) {
  const { createPrivateKey } = await import("node:crypto");
  const jose = await import("jose");
  return createPrivateKey({ key: await jose.exportJWK(k.priv as any) as any, format: "jwk" });
}

test("non-canonical base64url and padding are accepted as absl::WebSafeBase64Unescape does", async () => {
  const k = key("HS256");
  const s = await sidecar(oneProvider([k], { from_headers: [{ name: "x-jwt" }] }));
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  const [h, p, sig] = t.split(".");
  // HS256 signature = 32 bytes = 43 chars, the last one carries 2 unused bits: set one.
  const last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".indexOf(sig[42]);
  const alt = sig.slice(0, 42) + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last | 1];
  assert.equal((await s.request([["x-jwt", `${h}.${p}.${alt}`]])).continued, true);
  assert.equal((await s.request([["x-jwt", `${h}.${p}.${sig}=`]])).continued, true);
  assert.equal((await s.request([["x-jwt", `${h}.${p}.${sig}==`]])).reply?.body, "Jwt signature is an invalid Base64url encoded");
});

test("extraction: Bearer prefix rules, access_token, from_params, from_cookies, multiple tokens", async () => {
  const k = key("RS256");
  const s = await sidecar(oneProvider([k]));
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  assert.equal((await s.request([["authorization", `bearer ${t}`]])).reply?.body, "Jwt is missing", "prefix is case-sensitive");
  assert.equal((await s.request([["authorization", `Bearer  ${t}`]])).continued, true, "extra space skipped as non-JWT character");
  assert.equal((await s.request([["authorization", `Basic x, Bearer ${t}`]])).continued, true, "prefix found anywhere in the value");
  assert.equal((await s.request([], { path: `/p?access_token=${t}` })).continued, true);
  assert.equal((await s.request([], { path: `/p?other=${t}` })).reply?.body, "Jwt is missing");
  // Header and access_token both present: both must verify (authenticator.cc).
  assert.equal((await s.request([bearer(t)], { path: `/p?access_token=${t}x` })).reply?.status, 401);
  const both = await s.request([bearer(t)], { path: `/p?access_token=${t}` });
  assert.equal(both.continued, true);
  assert.equal(both.request.find(([k2]) => k2 === ":path")![1], `/p?access_token=${t}`, "Envoy does not remove the query parameter");

  const c = await sidecar(oneProvider([k], { from_cookies: ["session"], from_params: ["jwt"] }));
  assert.equal((await c.request([["cookie", `a=b; session="${t}"; session=zzz`]])).continued, true);
  assert.equal((await c.request([], { path: `/x?jwt=${t}&jwt=bad` })).continued, true, "first occurrence wins");
  assert.equal((await c.request([bearer(t)])).reply?.body, "Jwt is missing", "custom locations replace the defaults");
  const ck = await c.request([["cookie", `session=${t}`]]);
  assert.deepEqual(header(ck.request, "cookie"), [`session=${t}`], "cookies are never removed");
});

test("outputs: forward_payload_header (padded), claim_to_headers types, spoofed headers removed, forward", async () => {
  const k = key("RS256");
  const s = await sidecar(oneProvider([k], {
    forward_payload_header: "x-jwt-payload", pad_forward_payload_header: true,
    claim_to_headers: [{ header_name: "x-sub", claim_name: "sub" }, { header_name: "x-n", claim_name: "n" }, { header_name: "x-f", claim_name: "f" },
      { header_name: "x-b", claim_name: "b" }, { header_name: "x-nested", claim_name: "nested.key-1" }, { header_name: "x-obj", claim_name: "obj" },
      { header_name: "x-missing", claim_name: "missing" }],
  }));
  const claims = { iss: ISS, sub: "alice", n: 12345, f: 1.5, b: true, nested: { "key-1": "v1" }, obj: { a: 1 }, exp: now() + 600 };
  const t = await mint(k, claims);
  const r = await s.request([bearer(t), ["x-jwt-payload", "spoofed"], ["x-sub", "admin"], ["x-missing", "spoofed"]]);
  assert.equal(r.continued, true);
  const p = t.split(".")[1];
  assert.deepEqual(header(r.request, "x-jwt-payload"), [p + "=".repeat((4 - (p.length % 4)) % 4)]);
  assert.deepEqual(header(r.request, "x-sub"), ["alice"]);
  assert.deepEqual(header(r.request, "x-n"), ["12345"]);
  assert.deepEqual(header(r.request, "x-f"), ["1.500000"], "std::to_string for non-integral numbers");
  assert.deepEqual(header(r.request, "x-b"), ["true"]);
  assert.deepEqual(header(r.request, "x-nested"), ["v1"]);
  assert.deepEqual(header(r.request, "x-obj"), [Buffer.from('{"a":1}').toString("base64")]);
  assert.deepEqual(header(r.request, "x-missing"), [], "spoofed header removed even when the claim is absent");
  assert.deepEqual(header(r.request, "authorization"), []);
  // Spoofed names go even when no token is presented and the request is rejected.
  const none = await s.request([["x-sub", "admin"]]);
  assert.deepEqual(header(none.request, "x-sub"), []);
  const fwd = await sidecar(oneProvider([k], { forward: true }));
  assert.deepEqual(header((await fwd.request([bearer(t)])).request, "authorization"), [`Bearer ${t}`]);
});

test("handoff: wasm.jwt_authn filter state (shared/authn v1) with principal, audiences, presenter, split claims, header", async () => {
  const k = key("ES256");
  const s = await sidecar(oneProvider([k], { payload_in_metadata: "payload", header_in_metadata: "hdr", normalize_payload_in_metadata: { space_delimited_claims: ["scope", "permission"] } }));
  const t = await mint(k, { iss: ISS, sub: "alice", aud: "svc", azp: "cli", scope: "read write", permission: "one", groups: ["a", "b"], exp: now() + 600 });
  const r = await s.request([bearer(t)]);
  const st = authnState(r.state)!;
  assert.equal(st.version, 1);
  assert.equal(st.principal, `${ISS}/alice`);
  assert.deepEqual(st.audiences, ["svc"]);
  assert.equal(st.presenter, "cli");
  assert.equal(st.provider, "p1");
  // Envoy test_common.h ExpectedPayloadJSONWithSpaces: "read write" -> ["read", "write"].
  assert.deepEqual(st.claims.scope, ["read", "write"]);
  assert.deepEqual(st.claims.permission, ["one"]);
  assert.deepEqual(st.claims.groups, ["a", "b"]);
  assert.equal(st.header.alg, "ES256");
  assert.deepEqual(st.metadata.payload.scope, ["read", "write"]);
  assert.equal(st.metadata.hdr.kid, k.kid);
  assert.equal(st.tokens.length, 1);
  const none = await (await sidecar({ ...oneProvider([k]), rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "p1" }, { allow_missing: {} }] } } }] })).request([]);
  assert.equal(none.continued, true);
  assert.equal(authnState(none.state), undefined, "no token, no filter state");
});

test("failed_status_in_metadata with allow_missing_or_failed: request continues, status recorded", async () => {
  const k = key("RS256");
  const s = await sidecar({ providers: { p1: provider([k], { failed_status_in_metadata: "failed" }) }, rules: [{ match: { prefix: "/" }, requires: { allow_missing_or_failed: {} } }] });
  const r = await s.request([bearer(await mint(k, { iss: ISS, exp: now() - 3600 }))]);
  assert.equal(r.continued, true);
  const st = authnState(r.state)!;
  assert.deepEqual(st.metadata.failed, { code: 3, message: "Jwt is expired" });
  assert.equal(st.principal, undefined);
});

test("requirements: requires_any / requires_all / allow_missing / provider_and_audiences and the unknown-issuer rule (envoy#15194)", async () => {
  const a = await keyPair("RS256", "a"), b = await keyPair("ES256", "b");
  const pa = { issuer: "https://a", local_jwks: { inline_string: jwks(a) }, from_headers: [{ name: "x-a", value_prefix: "Bearer " }] };
  const pb = { issuer: "https://b", local_jwks: { inline_string: jwks(b) }, from_headers: [{ name: "x-b", value_prefix: "Bearer " }] };
  const ta = await mint(a, { iss: "https://a", aud: "aa", exp: now() + 600 });
  const tb = await mint(b, { iss: "https://b", exp: now() + 600 });
  const rule = (requires: unknown) => ({ providers: { pa, pb }, rules: [{ match: { prefix: "/" }, requires }] });
  const any = await sidecar(rule({ requires_any: { requirements: [{ provider_name: "pa" }, { provider_name: "pb" }] } }));
  assert.equal((await any.request([["x-a", `Bearer ${ta}`]])).continued, true);
  assert.equal((await any.request([["x-b", `Bearer ${tb}`]])).continued, true);
  assert.equal((await any.request([])).reply?.body, "Jwt is missing");
  // A token of issuer b in a's header: a says unknown issuer, b says missing -> unknown issuer wins.
  assert.equal((await any.request([["x-a", `Bearer ${tb}`]])).reply?.body, "Jwt issuer is not configured");
  const all = await sidecar(rule({ requires_all: { requirements: [{ provider_name: "pa" }, { provider_name: "pb" }] } }));
  assert.equal((await all.request([["x-a", `Bearer ${ta}`]])).reply?.body, "Jwt is missing");
  assert.equal((await all.request([["x-a", `Bearer ${ta}`], ["x-b", `Bearer ${tb}`]])).continued, true);
  // Istio's shape: requires_any[provider, allow_missing]: missing passes; unknown issuer does not.
  const opt = await sidecar(rule({ requires_any: { requirements: [{ provider_name: "pa" }, { allow_missing: {} }] } }));
  assert.equal((await opt.request([])).continued, true);
  assert.equal((await opt.request([["x-a", `Bearer ${tb}`]])).reply?.body, "Jwt issuer is not configured");
  assert.equal((await opt.request([["x-a", `Bearer ${ta}x`]])).reply?.body, "Jwt verification fails");
  const pau = await sidecar(rule({ provider_and_audiences: { provider_name: "pa", audiences: ["bb"] } }));
  assert.equal((await pau.request([["x-a", `Bearer ${ta}`]])).reply?.status, 403);
  // Nesting: any[all[pa, pb], pb].
  const nest = await sidecar(rule({ requires_any: { requirements: [{ requires_all: { requirements: [{ provider_name: "pa" }, { provider_name: "pb" }] } }, { provider_name: "pb" }] } }));
  assert.equal((await nest.request([["x-b", `Bearer ${tb}`]])).continued, true);
  assert.equal((await nest.request([["x-a", `Bearer ${ta}`]])).reply?.status, 401);
});

test("rules: first match wins, no match means no JWT required, path/prefix/regex/separated prefix, headers, query; requirement_map", async () => {
  const k = key("HS256");
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  const s = await sidecar({
    providers: { p1: provider([k]) },
    requirement_map: { need: { provider_name: "p1" } },
    rules: [
      { match: { path: "/public" } },
      { match: { safe_regex: { regex: "/api/v[0-9]+/open" } } },
      { match: { path_separated_prefix: "/admin" }, requirement_name: "need" },
      { match: { prefix: "/hdr", headers: [{ name: "x-skip", exact_match: "1" }] } },
      { match: { prefix: "/q", query_parameters: [{ name: "free", present_match: true }] } },
      { match: { prefix: "/CASE", case_sensitive: false } },
      { match: { prefix: "/" }, requires: { provider_name: "p1" } },
    ],
  });
  const code = async (path: string, h: Array<[string, string]> = []) => { const r = await s.request(h, { path }); return r.reply?.status ?? 200; };
  assert.equal(await code("/public"), 200);
  assert.equal(await code("/public?x=1"), 200, "path matches without the query");
  assert.equal(await code("/public/x"), 401);
  assert.equal(await code("/api/v12/open"), 200);
  assert.equal(await code("/api/v12/open/x"), 401);
  assert.equal(await code("/admin"), 401);
  assert.equal(await code("/adminx"), 401);
  assert.equal(await code("/hdr", [["x-skip", "1"]]), 200);
  assert.equal(await code("/hdr", [["x-skip", "2"]]), 401);
  assert.equal(await code("/q?free"), 200);
  assert.equal(await code("/case/x"), 200);
  assert.equal(await code("/other", [bearer(t)]), 200);
  assert.equal(s.counter("jwt_authn.allowed") >= 6, true);
});

test("CORS preflight bypass needs OPTIONS + Origin + Access-Control-Request-Method (filter.cc)", async () => {
  const k = key("RS256");
  const s = await sidecar({ ...oneProvider([k]), bypass_cors_preflight: true });
  const pre = await s.request([["origin", "http://a"], ["access-control-request-method", "GET"]], { method: "OPTIONS" });
  assert.equal(pre.continued, true);
  assert.equal(s.counter("jwt_authn.cors_preflight_bypassed"), 1);
  assert.equal((await s.request([["origin", "http://a"]], { method: "OPTIONS" })).reply?.status, 401);
  assert.equal((await s.request([["origin", ""], ["access-control-request-method", "GET"]], { method: "OPTIONS" })).reply?.status, 401);
});

test("stats: Envoy's counters plus per-provider and per-reason denials; stat_prefix", async () => {
  const k = key("RS256");
  const s = await sidecar({ ...oneProvider([k], { jwt_cache_config: {} }), stat_prefix: "edge" });
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  await s.request([bearer(t)]);
  await s.request([bearer(t)]);
  await s.request([]);
  await s.request([bearer(await mint(k, { iss: ISS, exp: now() - 3600 }))]);
  assert.equal(s.counter("jwt_authn.edge.allowed"), 2);
  assert.equal(s.counter("jwt_authn.edge.denied"), 2);
  assert.equal(s.counter("jwt_authn.edge.jwt_cache_hit"), 1);
  assert.equal(s.counter("jwt_authn.edge.jwt_cache_miss"), 2);
  assert.equal(s.counter("jwt_authn.edge.denied.jwt_missing"), 1);
  assert.equal(s.counter("jwt_authn.edge.denied.jwt_expired"), 1);
  assert.equal(s.counter("jwt_authn.edge.provider.p1.denied"), 1);
});

test("verified-token cache: expiry re-checked on a hit; tokens over jwt_max_token_size are not cached", async () => {
  const k = key("RS256");
  const s = await sidecar(oneProvider([k], { jwt_cache_config: { jwt_cache_size: 2, jwt_max_token_size: 4096 } }));
  const soon = await mint(k, { iss: ISS, exp: now() - 58 });
  assert.equal((await s.request([bearer(soon)])).continued, true);
  await new Promise((r) => setTimeout(r, 3100));
  assert.equal((await s.request([bearer(soon)])).reply?.body, "Jwt is expired", "a cached token still expires");
  const hits = s.counter("jwt_authn.jwt_cache_hit");
  const big = await mint(k, { iss: ISS, exp: now() + 600, pad: "x".repeat(5000) });
  await s.request([bearer(big)]);
  await s.request([bearer(big)]);
  assert.equal(s.counter("jwt_authn.jwt_cache_hit"), hits, "a 5 kB token is never cached");
  const small = await mint(k, { iss: ISS, exp: now() + 600 });
  await s.request([bearer(small)]);
  await s.request([bearer(small)]);
  assert.equal(s.counter("jwt_authn.jwt_cache_hit"), hits + 1);
});

test("configuration errors name the field path and fail proxy_on_configure", async () => {
  const k = key("RS256");
  const bad: Array<[unknown, string]> = [
    [{ providers: { p1: provider([k], { bogus: 1 }) } }, "providers.p1.bogus: unknown field"],
    [{ ...oneProvider([k]), rules: [{ match: { prefix: "/" }, requires: { provider_name: "nope" } }] }, "rules[0].requires.provider_name: Required provider ['nope'] is not configured."],
    [{ providers: { p1: provider([k]) }, requirement_map: { r: { provider_name: "p1" } }, rules: [{ match: { prefix: "/" }, requirement_name: "x" }] }, "rules[0].requirement_name: Wrong requirement_name: x. It should be one of [r]"],
    [{ ...oneProvider([k]), rules: [{ match: { safe_regex: { regex: "(" } } }] }, "rules[0].match.safe_regex.regex: invalid regex"],
    [{ providers: { p1: { issuer: ISS, local_jwks: { inline_string: "{not json" } } } }, "providers.p1.local_jwks.inline_string: invalid JWKS"],
    [{ providers: { p1: { issuer: ISS, local_jwks: { filename: "/etc/jwks.json" } } } }, "providers.p1.local_jwks.filename: not supported: a Wasm filter cannot read files"],
    [{ providers: { p1: { issuer: ISS, remote_jwks: { http_uri: { uri: "https://x/jwks", cluster: "c" } } } } }, "providers.p1.remote_jwks.http_uri.timeout: is required"],
    [{ providers: { p1: { issuer: ISS, remote_jwks: { httpUri: { uri: "https://x/jwks", cluster: "c", timeout: "5x" } } } } }, "providers.p1.remote_jwks.http_uri.timeout: expected a duration"],
    [{ ...oneProvider([k]), rules: [{ match: { prefix: "/" }, requires: { requires_any: { requirements: [{ provider_name: "p1" }] } } }] }, "rules[0].requires.requires_any.requirements: needs at least 2 requirements"],
  ];
  for (const [cfg, msg] of bad) {
    const s = new JwtSidecar();
    sidecars.push(s);
    await assert.rejects(s.load(cfg), Error, msg);
    assert.ok(s.logs.lines.some((l) => l.msg.includes(`jwt_authn: invalid configuration: ${msg}`)), `${msg}\n${s.logs.lines.map((l) => l.msg).join("\n")}`);
  }
  // lowerCamel names and Durations as objects are accepted.
  const ok = await sidecar({ providers: { p1: { issuer: ISS, remoteJwks: { httpUri: { uri: "https://x/jwks", cluster: "backend", timeout: { seconds: 5 } }, cacheDuration: { seconds: 300, nanos: 0 } }, fromHeaders: [{ name: "x", valuePrefix: "B " }] } },
    rules: [{ match: { prefix: "/" }, requires: { providerName: "p1" } }], bypassCorsPreflight: true });
  assert.ok(ok.plugin);
});

test("JWKS forms: X.509 certificate map (Google service accounts), invalid keys skipped, e must be 3 or 65537", async () => {
  // jwks.cc: an object without [keys] whose members are kid -> PEM certificate is read as RSA keys.
  // The certificate is made by the openssl CLI, the token signed by node:crypto with its key.
  const { execFileSync } = await import("node:child_process");
  const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "jwt-x509-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=sa@example.iam"], { cwd: dir, stdio: "ignore" });
    const cert = readFileSync(join(dir, "cert.pem"), "utf8");
    const keyPem = readFileSync(join(dir, "key.pem"), "utf8");
    const input = `${b64u(JSON.stringify({ alg: "RS256", kid: "sa-key-1", typ: "JWT" }))}.${b64u(JSON.stringify({ iss: ISS, sub: "sa", exp: now() + 600 }))}`;
    const sig = createSign("sha256").update(input).sign(keyPem).toString("base64url");
    const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: JSON.stringify({ "sa-key-1": cert }) } } }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
    assert.equal((await s.request([bearer(`${input}.${sig}`)])).continued, true);
    assert.equal((await s.request([bearer(`${input}.${sig.slice(0, -2)}AA`)])).reply?.body, "Jwt verification fails");
  } finally { rmSync(dir, { recursive: true, force: true }); }
  const k = key("RS256");
  const mixed = JSON.stringify({ keys: [{ kty: "RSA", kid: "bad", n: "AQAB", e: "AQAB" }, { kty: "EC", crv: "P-256", x: "AA", y: "AA" }, "junk", { kty: "OKP", crv: "X25519", x: "AA" }, k.jwk] });
  const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: mixed } } }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
  assert.equal((await s.request([bearer(await mint(k, { iss: ISS }))])).continued, true);
  // jwks.cc: e must be 3 or 65537; a JWKS left with no valid key answers "Jwks doesn't have any valid public key".
  const e5 = JSON.stringify({ keys: [{ ...k.jwk, e: "BQ" }] });
  const s2 = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: e5 } } }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
  assert.equal((await s2.request([bearer(await mint(k, { iss: ISS }))])).reply?.body, "Jwks doesn't have any valid public key");
});
