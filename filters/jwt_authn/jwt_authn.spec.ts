// Decision logic with plain values (no host): jwt_verify_lib parse/time/audience rules, Envoy's
// requirement semantics, extraction and configuration messages. Tokens are HS256, minted here with
// shared/crypto's HMAC (the Node tests mint every algorithm with jose).
import { base64UrlEncode } from "../../shared/codec/base64";
import { hmac, HashAlg } from "../../shared/crypto/index";
import { Status, statusString } from "./status";
import { Jwt, parseJwt, verifyTimeConstraint, normalizeAudience, audiencesAllowed } from "./jwt";
import { parseConfig, JwtAuthnConfig } from "./config";
import { Evaluator, KeySource, KeyState, outputEdits, claimNumberText } from "./verifier";
import { Provider } from "./config";
import { RequestView } from "./matcher";
import { extractJwtRun } from "./extract";
import { replyFor, originalUri, isCorsPreflight } from "./reply";
import { parseJwks } from "./jwks";

const KEY = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg"; // base64url("secret-secret-secret-secret-32b")

function b64(s: string): string { return base64UrlEncode(String.UTF8.encode(s)); }
function token(header: string, payload: string): string {
  const input = b64(header) + "." + b64(payload);
  const key = String.UTF8.encode("secret-secret-secret-secret-32b");
  return input + "." + base64UrlEncode(hmac(HashAlg.SHA256, key, String.UTF8.encode(input)));
}
function parse(t: string): Status { const j = new Jwt(); return parseJwt(t, j); }
function cfg(json: string): JwtAuthnConfig {
  const r = parseConfig(json);
  if (r.config === null) throw new Error(r.field + ": " + r.why);
  return r.config!;
}
function configError(json: string): string { const r = parseConfig(json); return r.config === null ? r.field + ": " + r.why : ""; }
const JWKS = '{\\"keys\\":[{\\"kty\\":\\"oct\\",\\"k\\":\\"' + KEY + '\\",\\"alg\\":\\"HS256\\"}]}';
function prov(name: string, iss: string, extra: string = ""): string {
  return '"' + name + '":{"issuer":"' + iss + '","local_jwks":{"inline_string":"' + JWKS + '"}' + extra + "}";
}
function bearer(t: string): RequestView { return new RequestView().add("authorization", "Bearer " + t); }

class Keys extends KeySource {
  constructor(nowS: u64) { super(); this.now = nowS; }
}

describe("parse (jwt_verify_lib Jwt::parseFromString)", () => {
  it("accepts a well-formed token and reads the claims", () => {
    const j = new Jwt();
    expect(parseJwt(token('{"alg":"HS256","kid":"k"}', '{"iss":"i","sub":"s","aud":["a","b"],"exp":10.9,"nbf":1,"azp":"p"}'), j)).toBe(Status.Ok);
    expect(j.kid).toBe("k");
    expect(j.exp).toBe(10); // fraction truncated
    expect(j.audiences.join(",")).toBe("a,b");
    expect(j.azp).toBe("p");
  });
  it("checks structure and types in Envoy's order", () => {
    const p = b64('{"iss":"i"}');
    expect(parse("a.b")).toBe(Status.JwtBadFormat);
    expect(parse("a..c")).toBe(Status.JwtBadFormat);
    expect(parse(".b.c")).toBe(Status.JwtBadFormat);
    expect(parse("a.b.c.d")).toBe(Status.JwtBadFormat);
    expect(parse(b64('{"alg":"none"}') + "." + p + ".c2ln")).toBe(Status.JwtHeaderNotImplementedAlg);
    expect(parse(b64('{"alg":"HS256"}') + "." + b64('{"exp":-5}') + ".c2ln")).toBe(Status.JwtPayloadParseErrorExpOutOfRange);
    expect(parse(b64('{"alg":"HS256"}') + "." + b64('{"nbf":"1"}') + ".c2ln")).toBe(Status.JwtPayloadParseErrorNbfNotInteger);
    expect(parse(b64('{"alg":"HS256"}') + "." + b64('{"iss":"a"}') + ".c2ln*")).toBe(Status.JwtSignatureParseErrorBadBase64);
    expect(parse(b64('{"alg":"HS256"}') + "." + base64UrlEncode(Uint8Array.wrap(changetype<ArrayBuffer>([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d] as StaticArray<u8>)).buffer) + ".c2ln")).toBe(Status.JwtPayloadParseErrorBadJson);
  });
  it("status strings are jwt_verify_lib's", () => {
    expect(statusString(Status.JwtMissed)).toBe("Jwt is missing");
    expect(statusString(Status.JwksFetchFail)).toBe("Jwks remote fetch is failed");
    expect(statusString(Status.JwtAudienceNotAllowed)).toBe("Audiences in Jwt are not allowed");
  });
});

describe("time (verifyTimeConstraint, jwt_time_test.cc boundaries)", () => {
  it("exp: now == exp + skew is valid, one second later expired; exp 0 is no exp", () => {
    const j = new Jwt();
    j.exp = 1000;
    expect(verifyTimeConstraint(j, 1060, 60)).toBe(Status.Ok);
    expect(verifyTimeConstraint(j, 1061, 60)).toBe(Status.JwtExpired);
    expect(verifyTimeConstraint(j, 1005, 5)).toBe(Status.Ok);
    expect(verifyTimeConstraint(j, 1006, 5)).toBe(Status.JwtExpired);
    j.exp = 0;
    expect(verifyTimeConstraint(j, 99999999, 60)).toBe(Status.Ok);
  });
  it("nbf: now + skew == nbf is valid, one second earlier not yet valid", () => {
    const j = new Jwt();
    j.nbf = 2000;
    expect(verifyTimeConstraint(j, 1940, 60)).toBe(Status.Ok);
    expect(verifyTimeConstraint(j, 1939, 60)).toBe(Status.JwtNotYetValid);
  });
});

describe("audiences (check_audience.cc)", () => {
  it("normalises scheme and one trailing slash on both sides", () => {
    expect(normalizeAudience("https://example_service2/")).toBe("example_service2");
    expect(normalizeAudience("http://a//")).toBe("a/");
    expect(audiencesAllowed([normalizeAudience("http://example_service1")], ["https://example_service1/"])).toBe(true);
    expect(audiencesAllowed(["x"], [])).toBe(false);
    expect(audiencesAllowed([], ["anything"])).toBe(true);
  });
});

describe("extraction (extractor.cc extractJWT)", () => {
  it("skips non-JWT characters after the prefix and stops at the first one after the token", () => {
    expect(extractJwtRun("Bearer   abc.def.ghi, other", 7)).toBe("abc.def.ghi");
    expect(extractJwtRun("Bearer ", 7)).toBe("Bearer ");
  });
});

const now: u64 = 1700000000;
const good = token('{"alg":"HS256"}', '{"iss":"https://a","exp":1700000600}');
const otherIss = token('{"alg":"HS256"}', '{"iss":"https://zzz","exp":1700000600}');

describe("requirements (verifier.cc / authenticator.cc)", () => {
  it("provider_name: missing, good, bad signature, unknown issuer", () => {
    const c = cfg('{"providers":{' + prov("pa", "https://a") + '},"rules":[{"match":{"prefix":"/"},"requires":{"provider_name":"pa"}}]}');
    const e = new Evaluator(c);
    const req = c.rules[0].requirement!;
    expect(e.evaluate(req, new RequestView(), new Keys(now)).status).toBe(Status.JwtMissed);
    expect(e.evaluate(req, bearer(good), new Keys(now)).status).toBe(Status.Ok);
    expect(e.evaluate(req, bearer(good + "A"), new Keys(now)).status).toBe(Status.JwtVerificationFail);
    expect(e.evaluate(req, bearer(otherIss), new Keys(now)).status).toBe(Status.JwtUnknownIssuer);
    expect(e.evaluate(req, bearer(good), new Keys(1700001000)).status).toBe(Status.JwtExpired);
  });
  it("requires_any with allow_missing: missing passes, unknown issuer does not (envoy#15194)", () => {
    const c = cfg('{"providers":{' + prov("pa", "https://a") + '},"rules":[{"match":{"prefix":"/"},"requires":{"requires_any":{"requirements":[{"provider_name":"pa"},{"allow_missing":{}}]}}}]}');
    const e = new Evaluator(c);
    const req = c.rules[0].requirement!;
    expect(e.evaluate(req, new RequestView(), new Keys(now)).status).toBe(Status.Ok);
    expect(e.evaluate(req, bearer(otherIss), new Keys(now)).status).toBe(Status.JwtUnknownIssuer);
    expect(e.evaluate(req, bearer(good + "A"), new Keys(now)).status).toBe(Status.JwtVerificationFail);
  });
  it("allow_missing_or_failed always passes and keeps the good tokens' outputs", () => {
    const c = cfg('{"providers":{' + prov("pa", "https://a", ',"forward_payload_header":"x-p"') + '},"rules":[{"match":{"prefix":"/"},"requires":{"allow_missing_or_failed":{}}}]}');
    const e = new Evaluator(c);
    const req = c.rules[0].requirement!;
    expect(e.evaluate(req, bearer(otherIss), new Keys(now)).status).toBe(Status.Ok);
    const o = e.evaluate(req, bearer(good), new Keys(now));
    expect(o.good.length).toBe(1);
    const edits = outputEdits(o);
    expect(edits.length).toBe(2);
    expect(edits[0].name).toBe("x-p");
    expect(edits[1].remove).toBe(true);
  });
  it("requires_all: first failure decides", () => {
    const c = cfg('{"providers":{' + prov("pa", "https://a") + "," + prov("pb", "https://b", ',"from_headers":[{"name":"x-b"}]') +
      '},"rules":[{"match":{"prefix":"/"},"requires":{"requires_all":{"requirements":[{"provider_name":"pa"},{"provider_name":"pb"}]}}}]}');
    const e = new Evaluator(c);
    expect(e.evaluate(c.rules[0].requirement!, bearer(good), new Keys(now)).status).toBe(Status.JwtMissed);
  });
  it("a remote provider without keys yet makes the evaluation Pending, then fetch failure is JwksFetchFail", () => {
    const c = cfg('{"providers":{"pr":{"issuer":"https://a","remote_jwks":{"http_uri":{"uri":"https://idp/k","cluster":"idp","timeout":"1s"}}}},"rules":[{"match":{"prefix":"/"},"requires":{"provider_name":"pr"}}]}');
    const e = new Evaluator(c);
    const pending = new PendingKeys(now, KeyState.Pending);
    const o = e.evaluate(c.rules[0].requirement!, bearer(good), pending);
    expect(o.isPending).toBe(true);
    expect(e.evaluate(c.rules[0].requirement!, bearer(good), new PendingKeys(now, KeyState.Failed)).status).toBe(Status.JwksFetchFail);
  });
});

class PendingKeys extends KeySource {
  constructor(nowS: u64, public st: KeyState) { super(); this.now = nowS; }
  state(p: Provider): KeyState { return this.st; }
}

describe("replies (filter.cc onComplete)", () => {
  it("401 with realm; invalid_token for all but missing; 403 for audiences; strip", () => {
    const v = new RequestView().add("x-forwarded-proto", "https");
    v.host = "api.example"; v.path = "/a?b=1";
    const uri = originalUri(v);
    expect(uri).toBe("https://api.example/a?b=1");
    const m = replyFor(Status.JwtMissed, uri, false);
    expect(m.code).toBe(401);
    expect(m.wwwAuthenticate).toBe('Bearer realm="https://api.example/a?b=1"');
    expect(m.details).toBe("jwt_authn_access_denied{Jwt_is_missing}");
    const a = replyFor(Status.JwtAudienceNotAllowed, uri, false);
    expect(a.code).toBe(403);
    expect(a.wwwAuthenticate).toBe('Bearer realm="https://api.example/a?b=1", error="invalid_token"');
    const s = replyFor(Status.JwtExpired, uri, true);
    expect(s.body).toBe("");
    expect(s.wwwAuthenticate).toBe("");
  });
  it("CORS preflight predicate", () => {
    const v = new RequestView().add("origin", "x").add("access-control-request-method", "GET");
    v.method = "OPTIONS";
    expect(isCorsPreflight(v)).toBe(true);
    v.method = "GET";
    expect(isCorsPreflight(v)).toBe(false);
  });
  it("claim numbers: integral as integers, others as std::to_string", () => {
    expect(claimNumberText(1700000000)).toBe("1700000000");
    expect(claimNumberText(1.5)).toBe("1.500000");
    expect(claimNumberText(-2)).toBe("-2.000000");
  });
});

describe("configuration messages", () => {
  it("names the field path", () => {
    expect(configError('{"providers":{"p":{"issuer":"x"}}}')).toBe("providers.p: one of remote_jwks, local_jwks is required");
    expect(configError('{"stat_prefx":"a"}')).toBe("stat_prefx: unknown field (expected one of: providers, rules, filter_state_rules, bypass_cors_preflight, requirement_map, strip_failure_response, stat_prefix)");
    expect(configError('{"providers":{},"rules":[{"match":{"prefix":"/"},"requires":{"provider_name":"p"}}]}')).toBe("rules[0].requires.provider_name: Required provider ['p'] is not configured.");
    expect(configError('{"bypass_cors_preflight":true,"bypassCorsPreflight":true}')).toBe("bypass_cors_preflight: set twice (as bypass_cors_preflight and bypassCorsPreflight)");
  });
  it("JWKS with no keys or bad keys", () => {
    expect(parseJwks("{}").status).toBe(Status.JwksNoKeys);
    expect(parseJwks('{"keys":{}}').status).toBe(Status.JwksBadKeys);
    expect(parseJwks('{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}').status).toBe(Status.JwksNoValidKeys);
    expect(parseJwks('{"keys":[{"kty":"oct","k":"' + KEY + '"}]}').status).toBe(Status.Ok);
  });
});
