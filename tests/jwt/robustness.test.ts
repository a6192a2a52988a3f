// No input traps the VM (a trap takes down every request on the worker): random mutations of valid
// tokens and headers, plus the alg/key-type confusion cases of the attack checklist and
// filter_state_rules.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { JwtSidecar, keyPair, mint, jwks, now, b64u } from "./harness";

const sidecars: JwtSidecar[] = [];
after(async () => { for (const s of sidecars) await s.stop(); });
async function sidecar(config: unknown): Promise<JwtSidecar> {
  const s = new JwtSidecar();
  sidecars.push(s);
  return s.load(config);
}
const ISS = "https://example.com";

test("random mutations of tokens never trap; every answer is 200 or 401/403 with a jwt_verify_lib body", async () => {
  const ks = [await keyPair("RS256"), await keyPair("ES256"), await keyPair("EdDSA"), await keyPair("HS256")];
  const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: jwks(...ks) }, from_headers: [{ name: "x-jwt" }, { name: "authorization", value_prefix: "Bearer " }], from_cookies: ["c"], jwt_cache_config: {} } },
    rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \"{}[]:,\\\u00e9\u0000";
  const tokens = await Promise.all(ks.map((k) => mint(k, { iss: ISS, sub: "x", exp: now() + 600 })));
  for (let i = 0; i < 600; i++) {
    let t = tokens[i % tokens.length].split("");
    const edits = 1 + rnd(4);
    for (let e = 0; e < edits; e++) {
      const op = rnd(3), at = rnd(t.length + 1);
      if (op === 0) t.splice(at, 1);
      else if (op === 1) t.splice(at, 0, alphabet[rnd(alphabet.length)]);
      else t[Math.min(at, t.length - 1)] = alphabet[rnd(alphabet.length)];
    }
    const tok = t.join("").replace(/\u0000/g, "");
    const where = rnd(3);
    const h: Array<[string, string]> = where === 0 ? [["x-jwt", tok]] : where === 1 ? [["authorization", `Bearer ${tok}`]] : [["cookie", `c=${tok}`]];
    const r = await s.request(h);
    assert.ok(r.continued || r.reply?.status === 401 || r.reply?.status === 403, `${tok}: ${r.reply?.status} ${r.reply?.body}`);
    assert.notEqual(r.reply?.status, 503, `trap on ${JSON.stringify(tok)}`);
  }
  // Structured garbage in the JSON segments.
  const bodies = ["null", "1", "\"s\"", "[]", "{\"alg\":{}}", "{\"alg\":\"HS256\",\"kid\":[1]}", "{\"a\":1e999}", "{\"a\":\"\\ud800\"}", "{" + "\"a\":{".repeat(70) + "}".repeat(71)];
  for (const hb of bodies) for (const pb of bodies) {
    const r = await s.request([["x-jwt", `${b64u(hb)}.${b64u(pb)}.${b64u("sig")}`]]);
    assert.equal(r.reply?.status, 401, `${hb} / ${pb}`);
  }
  assert.equal(s.plugin.failed(0), false);
});

test("alg / key-type confusion: RS256 against EC and oct keys without alg, ES256 against P-384, ES512 against P-256 (all 401)", async () => {
  const ec256 = await keyPair("ES256"), ec384 = await keyPair("ES384"), hs = await keyPair("HS256");
  const strip = (j: Record<string, unknown>) => { const { alg: _a, kid: _k, ...rest } = j; return rest; };
  const set = JSON.stringify({ keys: [strip(ec256.jwk), strip(ec384.jwk), strip(hs.jwk)] });
  const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: set }, from_headers: [{ name: "x-jwt" }] } }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }] });
  const payload = b64u(JSON.stringify({ iss: ISS, exp: now() + 600 }));
  // RS256 header, HMAC-SHA256 tag with the oct key: jwt_verify_lib would try the oct key (no alg) with
  // HMAC for any alg; the key type binding refuses it.
  const input = `${b64u(JSON.stringify({ alg: "RS256" }))}.${payload}`;
  const tag = createHmac("sha256", hs.priv as Uint8Array).update(input).digest("base64url");
  assert.equal((await s.request([["x-jwt", `${input}.${tag}`]])).reply?.body, "Jwt verification fails");
  // ES256 token signed by the P-256 key but labelled ES384 / ES512 does not verify against either curve.
  const es = await mint(ec256, { iss: ISS, exp: now() + 600 });
  const [, p2, sig] = es.split(".");
  for (const alg of ["ES384", "ES512"]) {
    const relabel = `${b64u(JSON.stringify({ alg }))}.${p2}.${sig}`;
    assert.equal((await s.request([["x-jwt", relabel]])).reply?.status, 401, alg);
  }
  // The honest ES256 and ES384 tokens verify (keys without kid/alg are tried for every token).
  assert.equal((await s.request([["x-jwt", es]])).continued, true);
  assert.equal((await s.request([["x-jwt", await mint(ec384, { iss: ISS, exp: now() + 600 })]])).continued, true);
});

test("filter_state_rules: the string in filter state `name` selects the requirement when no rule matched", async () => {
  const k = await keyPair("HS256");
  const s = await sidecar({ providers: { p1: { issuer: ISS, local_jwks: { inline_string: jwks(k) } } },
    filter_state_rules: { name: "jwt_selector", requires: { strict: { provider_name: "p1" } } } });
  const state = (v: string) => ({ info: { filterState: new Map([["jwt_selector", new TextEncoder().encode(v)]]) } as any });
  assert.equal((await s.request([])).continued, true, "no filter state: nothing required");
  const strict = await s.request([], state("strict"));
  assert.equal(strict.reply?.status ?? 200, 401);
  assert.equal((await s.request([], state("other"))).continued, true);
});
