// AssemblyScript-side checks of shared/crypto's public API (index.ts) on published examples. The
// exhaustive runs (every Wycheproof vector, node:crypto-minted keys, bit flips) are in tests/crypto/.
import {
  sha256, sha384, sha512, hmac, constantTimeEqual, verifyHs256, jwsVerify, JwsKey,
  ed25519KeyFromJwk, ecKeyFromJwk, rsaKeyFromJwk, verifyEdDSA, verifyEs256, verifyRs256,
} from "./index";
import { base64UrlDecodeStrict } from "../codec/base64";

function hexOf(b: ArrayBuffer): string {
  let s = "";
  const u = Uint8Array.wrap(b);
  for (let i = 0; i < u.length; i++) s += (u[i] < 16 ? "0" : "") + u[i].toString(16);
  return s;
}
function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }
function b64u(s: string): ArrayBuffer { return base64UrlDecodeStrict(s)!; }

describe("SHA-2 (FIPS 180-4 examples)", () => {
  it("hashes 'abc'", () => {
    expect(hexOf(sha256(utf8("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hexOf(sha384(utf8("abc")))).toBe("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    expect(hexOf(sha512(utf8("abc")))).toBe("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  });
  it("hashes the empty string and the two-block 448-bit message", () => {
    expect(hexOf(sha256(new ArrayBuffer(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hexOf(sha256(utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });
});

describe("HMAC (RFC 4231 test case 2)", () => {
  it("computes and verifies", () => {
    const key = utf8("Jefe"), msg = utf8("what do ya want for nothing?");
    const tag = hmac(0, key, msg);
    expect(hexOf(tag)).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(verifyHs256(key, msg, tag)).toBe(true);
    expect(verifyHs256(key, msg, tag.slice(0, 16))).toBe(false, "truncated tag");
    expect(constantTimeEqual(tag, tag.slice(0))).toBe(true);
    expect(constantTimeEqual(tag, hmac(0, key, utf8("what do ya want for nothing!")))).toBe(false);
  });
});

describe("RFC 7515 A.1 (HS256) through jwsVerify", () => {
  it("verifies over the received bytes", () => {
    const k = new JwsKey();
    k.oct = b64u("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
    const input = utf8("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ");
    const sig = b64u("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    expect(jwsVerify("HS256", k, input, sig)).toBe(true);
    expect(jwsVerify("HS384", k, input, sig)).toBe(false, "alg/tag length mismatch");
    expect(jwsVerify("none", k, input, sig)).toBe(false);
    expect(jwsVerify("RS256", k, input, sig)).toBe(false, "oct key for an RSA alg");
  });
});

describe("RFC 8037 A.4/A.5 (EdDSA)", () => {
  it("verifies the example and rejects a changed payload", () => {
    const key = ed25519KeyFromJwk("Ed25519", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    expect(key).not.toBeNull();
    const k = new JwsKey();
    k.ed = key;
    const sig = b64u("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
    expect(jwsVerify("EdDSA", k, utf8("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"), sig)).toBe(true);
    expect(jwsVerify("EdDSA", k, utf8("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmd"), sig)).toBe(false);
    expect(ed25519KeyFromJwk("X25519", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")).toBeNull();
  });
});

describe("RFC 7515 A.2/A.3 through the JWK helpers and jwsVerify", () => {
  const A1_PAYLOAD = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  it("RS256", () => {
    const k = new JwsKey();
    k.rsa = rsaKeyFromJwk("ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ", "AQAB");
    expect(k.rsa).not.toBeNull();
    const sig = b64u("cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
    const input = utf8("eyJhbGciOiJSUzI1NiJ9." + A1_PAYLOAD);
    expect(jwsVerify("RS256", k, input, sig)).toBe(true);
    expect(jwsVerify("PS256", k, input, sig)).toBe(false, "PKCS#1 v1.5 signature presented as PSS");
    expect(jwsVerify("HS256", k, input, sig)).toBe(false, "RSA key for an HMAC alg");
  });
  it("ES256, bound to P-256", () => {
    const k = new JwsKey();
    k.ec = ecKeyFromJwk("P-256", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
    expect(k.ec).not.toBeNull();
    const sig = b64u("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
    const input = utf8("eyJhbGciOiJFUzI1NiJ9." + A1_PAYLOAD);
    expect(jwsVerify("ES256", k, input, sig)).toBe(true);
    expect(jwsVerify("ES384", k, input, sig)).toBe(false, "P-256 key for ES384");
    expect(ecKeyFromJwk("P-384", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0")).toBeNull("P-256 coordinates named P-384");
    expect(ecKeyFromJwk("P-256", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4")).toBeNull("y off the curve");
  });
});

describe("malformed input is a clean false, never a trap", () => {
  it("handles empty and wrong-length inputs", () => {
    const e = new ArrayBuffer(0);
    expect(verifyEdDSA(e, e, e)).toBe(false);
    expect(verifyEs256(e, e, e, e)).toBe(false);
    expect(verifyRs256(e, e, e, e)).toBe(false);
    expect(verifyRs256(new ArrayBuffer(10000), utf8("\x01\x00\x01"), e, new ArrayBuffer(10000))).toBe(false, "huge zero modulus");
    expect(ecKeyFromJwk("P-256", "", "")).toBeNull();
    expect(ecKeyFromJwk("P-999", "AA", "AA")).toBeNull();
    expect(rsaKeyFromJwk("AQAB", "AQAB")).toBeNull();
    expect(rsaKeyFromJwk("!!", "AQAB")).toBeNull();
  });
});
