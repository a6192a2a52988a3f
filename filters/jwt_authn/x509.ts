// The RSA public key of an X.509 certificate in PEM, for the `{"<kid>": "-----BEGIN CERTIFICATE-----..."}`
// JWKS form that jwt_verify_lib accepts (Google service-account certificates). Only what that needs:
// DER walk to subjectPublicKeyInfo, rsaEncryption OID, RSAPublicKey {n, e}. Never traps on input.
import { base64Decode } from "../../shared/codec/base64";
import { RsaPublicKey, parseRsaPublicKey, RSA_MIN_BITS_DEFAULT } from "../../shared/crypto/index";

class Der {
  constructor(public b: ArrayBuffer, public pos: i32, public end: i32) {}
  tag: i32 = 0;
  len: i32 = 0;
  /** Reads one TLV header; false on malformed input. Content is [pos, pos+len). */
  next(): bool {
    if (this.pos + 2 > this.end) return false;
    const p = changetype<usize>(this.b);
    this.tag = load<u8>(p + <usize>this.pos);
    let l = <i32>load<u8>(p + <usize>this.pos + 1);
    this.pos += 2;
    if (l & 0x80) {
      const n = l & 0x7f;
      if (n == 0 || n > 3 || this.pos + n > this.end) return false;
      l = 0;
      for (let i = 0; i < n; i++) l = (l << 8) | <i32>load<u8>(p + <usize>(this.pos + i));
      this.pos += n;
    }
    if (l < 0 || this.pos + l > this.end) return false;
    this.len = l;
    return true;
  }
  inner(): Der { return new Der(this.b, this.pos, this.pos + this.len); }
  skip(): void { this.pos += this.len; }
  bytes(): ArrayBuffer { return this.b.slice(this.pos, this.pos + this.len); }
}

// 1.2.840.113549.1.1.1
const RSA_OID: StaticArray<u8> = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

function stripLeadingZero(b: ArrayBuffer): ArrayBuffer {
  let i = 0;
  while (i < b.byteLength - 1 && load<u8>(changetype<usize>(b) + <usize>i) == 0) i++;
  return i == 0 ? b : b.slice(i);
}

export function parseX509PemRsaKey(pem: string): RsaPublicKey | null {
  const begin = "-----BEGIN CERTIFICATE-----";
  const endMark = "-----END CERTIFICATE-----";
  const a = pem.indexOf(begin);
  const z = pem.indexOf(endMark);
  if (a < 0 || z < a) return null;
  let body = "";
  const raw = pem.substring(a + begin.length, z);
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c != 0x0a && c != 0x0d && c != 0x20 && c != 0x09) body += String.fromCharCode(c);
  }
  const der = base64Decode(body);
  if (der === null) return null;
  const cert = new Der(der, 0, der.byteLength);
  if (!cert.next() || cert.tag != 0x30) return null;
  const c = cert.inner();
  if (!c.next() || c.tag != 0x30) return null; // tbsCertificate
  const tbs = c.inner();
  if (!tbs.next()) return null;
  if (tbs.tag == 0xa0) { tbs.skip(); if (!tbs.next()) return null; } // [0] version
  // serialNumber, signature, issuer, validity, subject
  for (let i = 0; i < 4; i++) { tbs.skip(); if (!tbs.next()) return null; }
  tbs.skip();
  if (!tbs.next() || tbs.tag != 0x30) return null; // subjectPublicKeyInfo
  const spki = tbs.inner();
  if (!spki.next() || spki.tag != 0x30) return null;
  const algId = spki.inner();
  if (!algId.next() || algId.tag != 0x06 || algId.len != RSA_OID.length) return null;
  for (let i = 0; i < RSA_OID.length; i++) {
    if (load<u8>(changetype<usize>(der) + <usize>(algId.pos + i)) != RSA_OID[i]) return null;
  }
  spki.skip();
  if (!spki.next() || spki.tag != 0x03 || spki.len < 1) return null;
  const bits = new Der(der, spki.pos + 1, spki.pos + spki.len);
  if (!bits.next() || bits.tag != 0x30) return null;
  const rsa = bits.inner();
  if (!rsa.next() || rsa.tag != 0x02) return null;
  const n = stripLeadingZero(rsa.bytes());
  rsa.skip();
  if (!rsa.next() || rsa.tag != 0x02) return null;
  const e = stripLeadingZero(rsa.bytes());
  return parseRsaPublicKey(n, e, RSA_MIN_BITS_DEFAULT);
}
