// The published JWS examples: RFC 7515 Appendix A.1-A.4 and RFC 8037 A.4/A.5, through the compiled
// crypto fixture. Each also runs through node:crypto, so a typo in a vector would show up there too.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { CryptoWasm, Hash, Curve, b64u } from "./wasm";

const wasm = new CryptoWasm();
const enc = (s: string) => new TextEncoder().encode(s);
const flip = (b: Uint8Array, bit: number) => { const c = b.slice(); c[bit >> 3] ^= 1 << (bit & 7); return c; };

const PAYLOAD_A1 = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

test("RFC 7515 A.1 HS256 (signing input with CR LF, verified as received)", () => {
  const key = b64u("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  const msg = enc("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + PAYLOAD_A1);
  const sig = b64u("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  assert.ok(crypto.createHmac("sha256", key).update(msg).digest().equals(Buffer.from(sig)), "vector self-check with node:crypto");
  assert.equal(wasm.hmacVerify(Hash.SHA256, key, msg, sig), true);
  assert.equal(wasm.hmacVerify(Hash.SHA256, key, flip(msg, 7), sig), false);
  assert.equal(wasm.hmacVerify(Hash.SHA256, key, msg, flip(sig, 100)), false);
  assert.equal(wasm.hmacVerify(Hash.SHA256, key, msg, sig.subarray(0, 31)), false);
});

test("RFC 7515 A.2 RS256", () => {
  const n = b64u("ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ");
  const e = b64u("AQAB");
  const msg = enc("eyJhbGciOiJSUzI1NiJ9." + PAYLOAD_A1);
  const sig = b64u("cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw");
  const key = crypto.createPublicKey({ key: { kty: "RSA", n: Buffer.from(n).toString("base64url"), e: "AQAB" }, format: "jwk" });
  assert.ok(crypto.verify("sha256", msg, key, sig), "vector self-check with node:crypto");
  assert.equal(wasm.rsa(Hash.SHA256, false, n, e, msg, sig), 1);
  assert.equal(wasm.rsa(Hash.SHA384, false, n, e, msg, sig), 0, "RS384 with an RS256 signature");
  assert.equal(wasm.rsa(Hash.SHA256, true, n, e, msg, sig), 0, "PS256 with a PKCS#1 v1.5 signature");
  assert.equal(wasm.rsa(Hash.SHA256, false, n, e, flip(msg, 3), sig), 0);
});

test("RFC 7515 A.3 ES256", () => {
  const x = b64u("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"), y = b64u("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
  const msg = enc("eyJhbGciOiJFUzI1NiJ9." + PAYLOAD_A1);
  const sig = b64u("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  const key = crypto.createPublicKey({ key: { kty: "EC", crv: "P-256", x: Buffer.from(x).toString("base64url"), y: Buffer.from(y).toString("base64url") }, format: "jwk" });
  assert.ok(crypto.verify("sha256", msg, { key, dsaEncoding: "ieee-p1363" }, sig), "vector self-check with node:crypto");
  assert.equal(wasm.ecdsa(Curve.P256, x, y, msg, sig), 1);
  assert.equal(wasm.ecdsa(Curve.P256, x, y, flip(msg, 0), sig), 0);
  assert.equal(wasm.ecdsa(Curve.P256, x, y, msg, sig.subarray(0, 63)), 0);
  assert.equal(wasm.ecdsa(Curve.P256, x, flip(y, 0), msg, sig), -1, "point moved off the curve");
});

test("RFC 7515 A.4 ES512 (payload is the non-JSON string 'Payload')", () => {
  const x = b64u("AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk");
  const y = b64u("ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2");
  const msg = enc("eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA");
  const sig = b64u("AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn");
  assert.equal(sig.length, 132);
  assert.equal(wasm.ecdsa(Curve.P521, x, y, msg, sig), 1);
  assert.equal(wasm.ecdsa(Curve.P521, x, y, enc("eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZB"), sig), 0);
  assert.equal(wasm.ecdsa(Curve.P384, x.subarray(18), y.subarray(18), msg, sig), -1, "wrong curve for the key");
});

test("RFC 8037 A.4/A.5 EdDSA", () => {
  const x = b64u("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  const msg = enc("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc");
  const sig = b64u("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(x).toString("base64url") }, format: "jwk" });
  assert.ok(crypto.verify(null, msg, key, sig), "vector self-check with node:crypto");
  assert.equal(wasm.ed25519(x, msg, sig), 1);
  assert.equal(wasm.ed25519(x, flip(msg, 9), sig), 0);
  assert.equal(wasm.ed25519(x, msg, sig.subarray(0, 63)), 0, "63-byte signature");
});

test("RFC 8032 7.1 TEST 1 (empty message)", () => {
  const pk = Buffer.from("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "hex");
  const sig = Buffer.from("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b", "hex");
  assert.equal(wasm.ed25519(pk, new Uint8Array(0), sig), 1);
  assert.equal(wasm.ed25519(pk, new Uint8Array(1), sig), 0);
});
