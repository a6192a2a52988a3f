// remote_jwks through proxy_http_call: one fetch serves every worker (shared data + lease), waiting
// requests resume, cache_duration, outage behaviour (Envoy authenticator.cc: expired keys are
// refetched; a failed fetch answers 401 "Jwks remote fetch is failed"), retry_policy, async_fetch.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { JwtSidecar, keyPair, mint, jwks, now, type KeyPair } from "./harness";

const sidecars: JwtSidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
const ISS = "https://example.com";
const bearer = (t: string): [string, string] => ["authorization", `Bearer ${t}`];

function remoteConfig(extra: Record<string, unknown> = {}, providerExtra: Record<string, unknown> = {}) {
  return {
    providers: { p1: { issuer: ISS, remote_jwks: { http_uri: { uri: "https://idp.example.com/keys?v=1", cluster: "idp", timeout: "1s" }, ...extra }, ...providerExtra } },
    rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }],
  };
}

async function setup(k: KeyPair, workers: number, extra: Record<string, unknown> = {}, providerExtra: Record<string, unknown> = {}) {
  const s = new JwtSidecar(workers);
  sidecars.push(s);
  s.clusters.names.add("idp");
  const state = { up: true, body: jwks(k), delayMs: 30 };
  s.clusters.responder = async (_c, headers) => {
    await new Promise((r) => setTimeout(r, state.delayMs));
    if (!state.up) throw new Error("connect failure");
    assert.equal(headers.find(([n]) => n === ":path")?.[1], "/keys?v=1");
    assert.equal(headers.find(([n]) => n === ":authority")?.[1], "idp.example.com");
    return { headers: [[":status", "200"]], body: Buffer.from(state.body), trailers: [] };
  };
  await s.load(remoteConfig(extra, providerExtra));
  return { s, state };
}

test("cold fetch: concurrent requests on two workers wait for one fetch, then all verify; cached afterwards", async () => {
  const k = await keyPair("RS256");
  const { s } = await setup(k, 2);
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  const rs = await Promise.all([s.request([bearer(t)], { worker: 0 }), s.request([bearer(t)], { worker: 1 }), s.request([bearer(t)], { worker: 0 })]);
  for (const r of rs) { assert.equal(r.headersStatus !== "Continue", true, "waited for the JWKS"); assert.equal(r.continued, true); }
  assert.equal(s.clusters.calls.length, 1, "one fetch for every worker");
  assert.equal(s.counter("jwt_authn.jwks_fetch_success"), 1);
  const again = await s.request([bearer(t)], { worker: 1 });
  assert.equal(again.headersStatus, "Continue", "keys cached: no wait");
  assert.equal(s.clusters.calls.length, 1);
});

test("outage: cached keys keep serving; a cold provider answers 401 Jwks remote fetch is failed; recovery without restart", async () => {
  const k = await keyPair("ES256");
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  const warm = await setup(k, 1);
  assert.equal((await warm.s.request([bearer(t)])).continued, true);
  warm.state.up = false;
  assert.equal((await warm.s.request([bearer(t)])).continued, true, "fetched keys serve during the outage");

  const cold = await setup(k, 2);
  cold.state.up = false;
  const r = await cold.s.request([bearer(t)]);
  assert.equal(r.reply?.status, 401);
  assert.equal(r.reply?.body, "Jwks remote fetch is failed");
  assert.deepEqual(r.reply?.headers.filter(([n]) => n === "www-authenticate").map(([, v]) => v), ['Bearer realm="http://example.com/", error="invalid_token"']);
  assert.equal(cold.s.counter("jwt_authn.jwks_fetch_failed"), 1);
  // Server back: the next request fetches again and passes.
  cold.state.up = true;
  assert.equal((await cold.s.request([bearer(t)], { worker: 1 })).continued, true);
  assert.equal(cold.s.counter("jwt_authn.jwks_fetch_success"), 1);
});

test("non-200, empty body and invalid JWKS are fetch failures (JwksFetcher onJwksError)", async () => {
  const k = await keyPair("RS256");
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  for (const [status, body] of [["500", "{}"], ["200", ""], ["200", "{\"keys\":[]}"], ["200", "not json"]]) {
    const { s } = await setup(k, 1);
    s.clusters.responder = async () => ({ headers: [[":status", status]], body: Buffer.from(body), trailers: [] });
    const r = await s.request([bearer(t)]);
    assert.equal(r.reply?.body, "Jwks remote fetch is failed", `${status} ${body}`);
  }
});

test("cache_duration: keys expire and are fetched again (here 1 s)", async () => {
  const k = await keyPair("EdDSA");
  const { s } = await setup(k, 1, { cache_duration: "1s" });
  const t = await mint(k, { iss: ISS, exp: now() + 600 });
  assert.equal((await s.request([bearer(t)])).continued, true);
  assert.equal(s.clusters.calls.length, 1);
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await s.request([bearer(t)])).continued, true);
  assert.equal(s.clusters.calls.length, 2);
});

test("key rotation: a new kid is only seen after the cached JWKS expires (Envoy does not refetch on unknown kid)", async () => {
  const k1 = await keyPair("RS256", "old"), k2 = await keyPair("RS256", "new");
  const { s, state } = await setup(k1, 1, { cache_duration: "1s" });
  assert.equal((await s.request([bearer(await mint(k1, { iss: ISS }))])).continued, true);
  state.body = jwks(k2);
  const t2 = await mint(k2, { iss: ISS });
  assert.equal((await s.request([bearer(t2)])).reply?.body, "Jwks doesn't have key to match kid or alg from Jwt");
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await s.request([bearer(t2)])).continued, true);
});

test("retry_policy: a 503 is retried (num_retries), then succeeds", async () => {
  const k = await keyPair("RS256");
  const { s } = await setup(k, 1, { retry_policy: { num_retries: 2 } });
  let n = 0;
  s.clusters.responder = async () => (++n < 3 ? { headers: [[":status", "503"]], body: Buffer.from(""), trailers: [] } : { headers: [[":status", "200"]], body: Buffer.from(jwks(k)), trailers: [] });
  assert.equal((await s.request([bearer(await mint(k, { iss: ISS }))])).continued, true);
  assert.equal(n, 3);
});

test("async_fetch: keys fetched before the first request (on the first tick), no request waits", async () => {
  const k = await keyPair("ES384");
  const { s } = await setup(k, 1, { async_fetch: {} });
  const deadline = Date.now() + 2000;
  while (s.clusters.calls.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.clusters.calls.length, 1);
  const r = await s.request([bearer(await mint(k, { iss: ISS }))]);
  assert.equal(r.headersStatus, "Continue");
  assert.equal(r.continued, true);
});

test("unknown cluster: the call is refused and the request fails closed with Jwks remote fetch is failed", async () => {
  const k = await keyPair("RS256");
  const s = new JwtSidecar(1);
  sidecars.push(s);
  await s.load(remoteConfig());
  const r = await s.request([bearer(await mint(k, { iss: ISS }))]);
  assert.equal(r.reply?.status, 401);
  assert.equal(r.reply?.body, "Jwks remote fetch is failed");
});
