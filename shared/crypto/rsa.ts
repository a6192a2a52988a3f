// RSA signature verification for JWS: RSASSA-PKCS1-v1_5 (RS256/384/512) and RSASSA-PSS
// (PS256/384/512, RFC 7518 §3.5: MGF1 with the same hash, salt length = hash length), per RFC 8017.
//
// Key policy (what this accepts):
//  - public exponent 3 or 65537 only: Envoy's jwt_verify_lib rejects every other e at JWKS load;
//  - modulus odd, at least `minBits` (default 2048, RFC 7518 §3.3 "2048 bits or larger") and at most
//    4096 bits (the verify cost of a larger key is a per-request DoS lever in Wasm);
//  - moduli with the ROCA fingerprint (CVE-2017-15361, Infineon RSALib keys whose factors are
//    recoverable) are refused, as Wycheproof's JWK tests expect;
//  - a signature must be exactly k = byte length of n, and < n (RFC 8017 §8.2.2 step 1, §5.2.2).
// PKCS#1 v1.5 is checked by rebuilding the whole expected encoded message (00 01 FF.. 00 DigestInfo H)
// and comparing every byte, so no parser can be fooled by BER lengths, missing NULLs or trailing data.
import { HashAlg, hashLen, hashRaw } from "./sha2";
import { Mont, newMont, limbsFromBytes, limbsToBytes, bitLength, cmp } from "./bigint";

export const RSA_MIN_BITS_DEFAULT = 2048;
export const RSA_MAX_BITS = 4096;

export class RsaPublicKey {
  constructor(public mont: Mont, public e: StaticArray<u32>, public bits: i32, public k: i32) {}
}

/**
 * Parses a JWK RSA key from its decoded `n` and `e` (big-endian bytes, leading zeros allowed).
 * Null when the key falls outside the policy above.
 */
export function parseRsaPublicKey(n: ArrayBuffer, e: ArrayBuffer, minBits: i32 = RSA_MIN_BITS_DEFAULT): RsaPublicKey | null {
  const eL = limbsFromBytes(changetype<usize>(e), e.byteLength, 1);
  if (eL === null) return null;
  const ev = unchecked(eL[0]);
  if (ev != 3 && ev != 65537) return null;
  const limbs = (RSA_MAX_BITS >> 5);
  const nL = limbsFromBytes(changetype<usize>(n), n.byteLength, limbs);
  if (nL === null) return null;
  const bits = bitLength(nL);
  if (bits < minBits || bits > RSA_MAX_BITS || bits < 512) return null;
  // Trim to the limbs actually used so the Montgomery loops run over the key's own width.
  const used = (bits + 31) >> 5;
  const m = new StaticArray<u32>(used);
  memory.copy(changetype<usize>(m), changetype<usize>(nL), <usize>used << 2);
  const mont = newMont(m);
  if (mont === null) return null; // even modulus
  if (rsaModulusHasRocaFingerprint(n)) return null;
  return new RsaPublicKey(mont, eL, bits, (bits + 7) >> 3);
}

/** s^e mod n as k big-endian bytes, or null if sig is not exactly k bytes or not < n. */
function rsaep(key: RsaPublicKey, sig: ArrayBuffer): ArrayBuffer | null {
  if (sig.byteLength != key.k) return null;
  const mont = key.mont;
  const s = limbsFromBytes(changetype<usize>(sig), sig.byteLength, mont.n);
  if (s === null || cmp(s, mont.m) >= 0) return null;
  const x = new StaticArray<u32>(mont.n);
  mont.toMont(x, s);
  mont.pow(x, x, key.e);
  mont.fromMont(x, x);
  const em = new ArrayBuffer(key.k);
  limbsToBytes(x, changetype<usize>(em), key.k);
  return em;
}

// DigestInfo DER prefixes (RFC 8017 §9.2 note 1): SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }.
const DI_SHA256: StaticArray<u8> = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
const DI_SHA384: StaticArray<u8> = [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];
const DI_SHA512: StaticArray<u8> = [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];

/** RSASSA-PKCS1-v1_5 verify (RFC 8017 §8.2.2) with the encoding rebuilt and compared whole. */
export function rsaVerifyPkcs1(key: RsaPublicKey, h: HashAlg, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  const em = rsaep(key, sig);
  if (em === null) return false;
  const di = h == HashAlg.SHA256 ? DI_SHA256 : (h == HashAlg.SHA384 ? DI_SHA384 : DI_SHA512);
  const hl = hashLen(h);
  const tLen = di.length + hl;
  const k = key.k;
  if (k < tLen + 11) return false;
  const exp = new ArrayBuffer(k);
  const p = changetype<usize>(exp);
  store<u8>(p, 0); store<u8>(p + 1, 1);
  memory.fill(p + 2, 0xff, <usize>(k - tLen - 3));
  store<u8>(p + k - tLen - 1, 0);
  memory.copy(p + k - tLen, changetype<usize>(di), <usize>di.length);
  hashRaw(h, changetype<usize>(msg), <usize>msg.byteLength, p + k - hl);
  const q = changetype<usize>(em);
  let diff: u32 = 0;
  for (let i = 0; i < k; i++) diff |= <u32>(load<u8>(p + i) ^ load<u8>(q + i));
  return diff == 0;
}

/** MGF1 (RFC 8017 B.2.1): XORs `len` bytes of mask derived from seed into dst. */
function mgf1Xor(h: HashAlg, seed: usize, seedLen: i32, dst: usize, len: i32): void {
  const hl = hashLen(h);
  const inp = new ArrayBuffer(seedLen + 4);
  const ip = changetype<usize>(inp);
  memory.copy(ip, seed, <usize>seedLen);
  const block = new ArrayBuffer(hl);
  const bp = changetype<usize>(block);
  for (let counter = 0, done = 0; done < len; counter++) {
    store<u8>(ip + seedLen, <u8>(counter >>> 24));
    store<u8>(ip + seedLen + 1, <u8>(counter >>> 16));
    store<u8>(ip + seedLen + 2, <u8>(counter >>> 8));
    store<u8>(ip + seedLen + 3, <u8>counter);
    hashRaw(h, ip, <usize>(seedLen + 4), bp);
    const take = min(hl, len - done);
    for (let i = 0; i < take; i++) store<u8>(dst + done + i, load<u8>(dst + done + i) ^ load<u8>(bp + i));
    done += take;
  }
}

/** RSASSA-PSS verify (RFC 8017 §8.1.2 / EMSA-PSS-VERIFY §9.1.2) with MGF1(h) and sLen = hLen. */
export function rsaVerifyPss(key: RsaPublicKey, h: HashAlg, msg: ArrayBuffer, sig: ArrayBuffer): bool {
  const full = rsaep(key, sig);
  if (full === null) return false;
  const hl = hashLen(h);
  const sLen = hl;
  const emBits = key.bits - 1;
  const emLen = (emBits + 7) >> 3;
  // The k-byte integer must fit in emLen bytes (when emBits is a multiple of 8, k = emLen + 1).
  let em = changetype<usize>(full);
  if (key.k > emLen) {
    if (load<u8>(em) != 0) return false;
    em += 1;
  }
  if (emLen < hl + sLen + 2) return false;
  if (load<u8>(em + emLen - 1) != 0xbc) return false;
  const dbLen = emLen - hl - 1;
  const hp = em + dbLen;
  const topMask = <u8>(<u32>0xff >> <u32>(8 * emLen - emBits));
  if ((load<u8>(em) & ~topMask) != 0) return false;
  // Unmask DB in place (em belongs to the buffer rsaep just made for us).
  mgf1Xor(h, hp, hl, em, dbLen);
  store<u8>(em, load<u8>(em) & topMask);
  const psLen = emLen - hl - sLen - 2;
  for (let i = 0; i < psLen; i++) if (load<u8>(em + i) != 0) return false;
  if (load<u8>(em + psLen) != 0x01) return false;
  // M' = 0x00 * 8 || mHash || salt ; H' = Hash(M') must equal H.
  const mp = new ArrayBuffer(8 + hl + sLen);
  const mpp = changetype<usize>(mp);
  hashRaw(h, changetype<usize>(msg), <usize>msg.byteLength, mpp + 8);
  memory.copy(mpp + 8 + hl, em + dbLen - sLen, <usize>sLen);
  const h2 = new ArrayBuffer(hl);
  hashRaw(h, mpp, <usize>(8 + hl + sLen), changetype<usize>(h2));
  const h2p = changetype<usize>(h2);
  let diff: u32 = 0;
  for (let i = 0; i < hl; i++) diff |= <u32>(load<u8>(h2p + i) ^ load<u8>(hp + i));
  return diff == 0;
}

// ROCA (Nemec et al., CCS 2017): RSALib primes are k·M + (65537^a mod M) with M a primorial, so
// n mod r lies in the subgroup generated by 65537 in (Z/r)* for every small prime r | M. A random
// modulus passes this for all the primes below with negligible probability.
const ROCA_PRIMES: StaticArray<u32> = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167];

/** True iff the big-endian modulus has the ROCA structure (its factors are recoverable). */
export function rsaModulusHasRocaFingerprint(n: ArrayBuffer): bool {
  const p = changetype<usize>(n);
  const len = n.byteLength;
  for (let i = 0; i < ROCA_PRIMES.length; i++) {
    const r = unchecked(ROCA_PRIMES[i]);
    let rem: u32 = 0;
    for (let j = 0; j < len; j++) rem = (rem * 256 + <u32>load<u8>(p + j)) % r;
    const g = 65537 % r;
    // Walk the cyclic subgroup <g> (at most r - 1 steps) looking for rem.
    let x: u32 = 1, found = false;
    for (let k: u32 = 0; k < r; k++) {
      if (x == rem) { found = true; break; }
      x = (x * g) % r;
      if (x == 1) { found = x == rem; break; }
    }
    if (!found) return false;
  }
  return true;
}
