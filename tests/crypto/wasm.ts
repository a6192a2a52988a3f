// Wraps build/fixtures/crypto.wasm (tests/fixtures/crypto/index.ts)'s verifiers so tests and the
// bench pass Uint8Arrays; loading, input copies and trap handling are tests/fixtures/wasm.ts's.
import { FixtureWasm } from "../fixtures/wasm";

export const enum Hash { SHA256 = 0, SHA384 = 1, SHA512 = 2 }
export const enum Curve { P256 = 0, P384 = 1, P521 = 2 }

export class CryptoWasm extends FixtureWasm {
  constructor(file?: string) { super("crypto", file); }

  digest(alg: Hash, data: Uint8Array): Uint8Array {
    const len = alg === Hash.SHA256 ? 32 : alg === Hash.SHA384 ? 48 : 64;
    return this.with([data, new Uint8Array(64)], (d, o) => { this.x.digest(alg, d, o); return this.read(o, len); });
  }
  hmac(alg: Hash, key: Uint8Array, msg: Uint8Array): Uint8Array {
    const len = alg === Hash.SHA256 ? 32 : alg === Hash.SHA384 ? 48 : 64;
    return this.with([key, msg, new Uint8Array(64)], (k, m, o) => { this.x.hmacInto(alg, k, m, o); return this.read(o, len); });
  }
  hmacVerify(alg: Hash, key: Uint8Array, msg: Uint8Array, tag: Uint8Array): boolean {
    return this.with([key, msg, tag], (k, m, t) => this.x.hmacVerify(alg, k, m, t) !== 0);
  }
  /** 1 valid, 0 invalid signature, -1 key rejected by policy. */
  rsa(alg: Hash, pss: boolean, n: Uint8Array, e: Uint8Array, msg: Uint8Array, sig: Uint8Array, minBits = 2048): number {
    return this.with([n, e, msg, sig], (pn, pe, pm, ps) => this.x.rsaVerify(alg, pss ? 1 : 0, pn, pe, pm, ps, minBits));
  }
  /** 1 valid, 0 invalid signature, -1 key rejected (not on the curve, wrong length). */
  ecdsa(curve: Curve, x: Uint8Array, y: Uint8Array, msg: Uint8Array, sig: Uint8Array): number {
    return this.with([x, y, msg, sig], (px, py, pm, ps) => this.x.ecdsaVerify(curve, px, py, pm, ps));
  }
  /** 1 valid, 0 invalid, -1 key rejected. */
  ed25519(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): number {
    return this.with([pk, msg, sig], (pp, pm, ps) => this.x.ed25519Verify(pp, pm, ps));
  }
  /** shared/codec/base64's strict base64url decoder (what the JWT filter uses); null if rejected. */
  b64uDecode(text: string): Uint8Array | null {
    const t = new TextEncoder().encode(text);
    return this.with([t, new Uint8Array(t.length)], (pt, po) => {
      const n = this.x.b64uDecode(pt, po);
      return n < 0 ? null : this.read(po, n);
    });
  }
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const b64u = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "base64url"));
