import { JsonValue, parseJson } from "../codec/json";
import { decodeStruct } from "../codec/protobuf";
import { AuthnResult, JwtIdentity, encodeAuthnResult, decodeAuthnResult, authnReadError, splitSpaceDelimitedClaims, AUTHN_FORMAT_VERSION } from "./index";
import { encodeAuthnResultPlain } from "./result";
import { encodeStruct } from "../codec/protobuf";

function obj(text: string): JsonValue { return parseJson(text).value!; }

describe("space_delimited_claims (Envoy setPayloadMetadata)", () => {
  it("splits listed string claims on spaces, skipping empty words", () => {
    // Envoy test_common.h ExpectedPayloadJSONWithSpaces: "scope": "read write" -> ["read", "write"].
    const out = splitSpaceDelimitedClaims(obj('{"scope":"read  write ","sub":"a b","n":"x"}'), ["scope", "n"]);
    expect(out.toString()).toBe('{"scope":["read","write"],"sub":"a b","n":["x"]}');
  });
  it("leaves non-strings and word-less strings alone", () => {
    const out = splitSpaceDelimitedClaims(obj('{"scope":"  ","permission":["a b"],"x":1}'), ["scope", "permission", "x"]);
    expect(out.toString()).toBe('{"scope":"  ","permission":["a b"],"x":1}');
  });
});

describe("wasm.jwt_authn format v1", () => {
  it("round-trips the identity, every token and the metadata namespace", () => {
    const r = new AuthnResult();
    const a = new JwtIdentity();
    a.provider = "p1"; a.issuer = "https://a"; a.subject = "alice"; a.audiences = ["x"];
    a.claims = obj('{"iss":"https://a","sub":"alice"}');
    const b = new JwtIdentity();
    b.provider = "p2"; b.issuer = "https://b"; b.subject = "bob"; b.presenter = "cli"; b.audiences = ["y", "z"];
    b.claims = obj('{"iss":"https://b","sub":"bob","scope":["r","w"],"nested":{"k":"v"}}');
    b.header = obj('{"alg":"RS256"}');
    r.tokens.push(a); r.tokens.push(b);
    r.metadata = JsonValue.object().set("payload", b.claims);
    const bytes = encodeAuthnResult(r);
    // Shared claims bytes are reused: the output is still exactly encodeStruct's.
    const plain = encodeAuthnResultPlain(r);
    expect(bytes.byteLength).toBe(plain.byteLength);
    let same = true;
    for (let i = 0; i < bytes.byteLength; i++) if (load<u8>(changetype<usize>(bytes) + i) != load<u8>(changetype<usize>(plain) + i)) same = false;
    expect(same).toBe(true);
    // The Struct a non-AssemblyScript reader sees: the identity is the last verified token.
    const s = decodeStruct(bytes)!;
    expect(s.getNumber("version")).toBe(1.0);
    expect(s.getString("principal")).toBe("https://b/bob");
    expect(s.getString("presenter")).toBe("cli");
    expect(s.getString("provider")).toBe("p2");
    expect(s.get("audiences")!.toString()).toBe('["y","z"]');
    expect(s.get("header")!.toString()).toBe('{"alg":"RS256"}');
    expect(s.get("tokens")!.length).toBe(2);

    const d = decodeAuthnResult(bytes)!;
    expect(d.version).toBe(AUTHN_FORMAT_VERSION);
    expect(d.tokens.length).toBe(2);
    expect(d.principal).toBe("https://b/bob");
    expect(d.tokens[0].principal).toBe("https://a/alice");
    expect(d.tokens[0].header).toBeNull();
    const id = d.identity!;
    expect(id.audiences.join(",")).toBe("y,z");
    expect(id.claim(["nested", "k"])!.str).toBe("v");
    expect(id.claim(["scope"])!.toString()).toBe('["r","w"]');
    expect(id.claim(["nested", "missing"])).toBeNull();
    expect(id.claim(["sub", "x"])).toBeNull();
    expect(d.metadata.get("payload")!.getString("sub")).toBe("bob");
  });
  it("principal needs both iss and sub (Istio request.auth.principal)", () => {
    const t = new JwtIdentity();
    t.issuer = "i";
    expect(t.principal).toBe("");
    t.subject = "s/with/slash";
    expect(t.principal).toBe("i/s/with/slash");
  });
  it("a failed-status-only result has no identity", () => {
    const r = new AuthnResult();
    r.metadata = obj('{"failed":{"code":3,"message":"Jwt is expired"}}');
    const d = decodeAuthnResult(encodeAuthnResult(r))!;
    expect(d.identity).toBeNull();
    expect(d.principal).toBe("");
    expect(d.metadata.get("failed")!.getString("message")).toBe("Jwt is expired");
  });
  it("refuses other versions and non-Struct bytes", () => {
    expect(decodeAuthnResult(encodeStruct(obj('{"version":2}')))).toBeNull();
    expect(authnReadError()).toBe("wasm.jwt_authn has format version 2, this reader knows 1");
    expect(decodeAuthnResult(encodeStruct(obj('{}')))).toBeNull();
    const junk = new ArrayBuffer(3);
    store<u8>(changetype<usize>(junk), 0xff);
    expect(decodeAuthnResult(junk)).toBeNull();
  });
});
