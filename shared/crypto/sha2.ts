// SHA-256, SHA-384 and SHA-512 (FIPS 180-4), one-shot over an ArrayBuffer or a raw byte range.
// JWS signs and MACs whole, already-buffered segments, so no streaming state is needed; HMAC and
// MGF1 build their inputs by concatenation.

/** Hash selector shared by HMAC, RSA and ECDSA: JWS pairs each alg with exactly one of these. */
export const enum HashAlg { SHA256 = 0, SHA384 = 1, SHA512 = 2 }

/** Digest length in bytes. */
export function hashLen(h: HashAlg): i32 { return h == HashAlg.SHA256 ? 32 : (h == HashAlg.SHA384 ? 48 : 64); }
/** Compression block length in bytes (HMAC key padding). */
export function hashBlockLen(h: HashAlg): i32 { return h == HashAlg.SHA256 ? 64 : 128; }

const H32 = new StaticArray<u32>(8);
const H64 = new StaticArray<u64>(8);
const TAIL = new StaticArray<u8>(256);

@inline function bswap32(x: u32): u32 {
  return (x << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24);
}
@inline function bswap64(x: u64): u64 {
  return (<u64>bswap32(<u32>x) << 32) | <u64>bswap32(<u32>(x >> 32));
}

// Generated (fully unrolled, working variables and the 16-word schedule window in locals, round
// constants inlined): the loop form spent most of its time on linear-memory traffic.
function block256(p: usize): void {
  const h = changetype<usize>(H32);
  let v0 = load<u32>(h, 0);
  let v1 = load<u32>(h, 4);
  let v2 = load<u32>(h, 8);
  let v3 = load<u32>(h, 12);
  let v4 = load<u32>(h, 16);
  let v5 = load<u32>(h, 20);
  let v6 = load<u32>(h, 24);
  let v7 = load<u32>(h, 28);
  let w0 = bswap32(load<u32>(p, 0));
  let w1 = bswap32(load<u32>(p, 4));
  let w2 = bswap32(load<u32>(p, 8));
  let w3 = bswap32(load<u32>(p, 12));
  let w4 = bswap32(load<u32>(p, 16));
  let w5 = bswap32(load<u32>(p, 20));
  let w6 = bswap32(load<u32>(p, 24));
  let w7 = bswap32(load<u32>(p, 28));
  let w8 = bswap32(load<u32>(p, 32));
  let w9 = bswap32(load<u32>(p, 36));
  let w10 = bswap32(load<u32>(p, 40));
  let w11 = bswap32(load<u32>(p, 44));
  let w12 = bswap32(load<u32>(p, 48));
  let w13 = bswap32(load<u32>(p, 52));
  let w14 = bswap32(load<u32>(p, 56));
  let w15 = bswap32(load<u32>(p, 60));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0x428a2f98 + w0;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0x71374491 + w1;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0xb5c0fbcf + w2;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0xe9b5dba5 + w3;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x3956c25b + w4;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0x59f111f1 + w5;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x923f82a4 + w6;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0xab1c5ed5 + w7;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0xd807aa98 + w8;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0x12835b01 + w9;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0x243185be + w10;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0x550c7dc3 + w11;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x72be5d74 + w12;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0x80deb1fe + w13;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x9bdc06a7 + w14;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0xc19bf174 + w15;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u32>(w14, 17) ^ rotr<u32>(w14, 19) ^ (w14 >> 10)) + w9 + (rotr<u32>(w1, 7) ^ rotr<u32>(w1, 18) ^ (w1 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0xe49b69c1 + w0;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u32>(w15, 17) ^ rotr<u32>(w15, 19) ^ (w15 >> 10)) + w10 + (rotr<u32>(w2, 7) ^ rotr<u32>(w2, 18) ^ (w2 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0xefbe4786 + w1;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u32>(w0, 17) ^ rotr<u32>(w0, 19) ^ (w0 >> 10)) + w11 + (rotr<u32>(w3, 7) ^ rotr<u32>(w3, 18) ^ (w3 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0x0fc19dc6 + w2;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u32>(w1, 17) ^ rotr<u32>(w1, 19) ^ (w1 >> 10)) + w12 + (rotr<u32>(w4, 7) ^ rotr<u32>(w4, 18) ^ (w4 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0x240ca1cc + w3;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >> 10)) + w13 + (rotr<u32>(w5, 7) ^ rotr<u32>(w5, 18) ^ (w5 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x2de92c6f + w4;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u32>(w3, 17) ^ rotr<u32>(w3, 19) ^ (w3 >> 10)) + w14 + (rotr<u32>(w6, 7) ^ rotr<u32>(w6, 18) ^ (w6 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0x4a7484aa + w5;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u32>(w4, 17) ^ rotr<u32>(w4, 19) ^ (w4 >> 10)) + w15 + (rotr<u32>(w7, 7) ^ rotr<u32>(w7, 18) ^ (w7 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x5cb0a9dc + w6;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u32>(w5, 17) ^ rotr<u32>(w5, 19) ^ (w5 >> 10)) + w0 + (rotr<u32>(w8, 7) ^ rotr<u32>(w8, 18) ^ (w8 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0x76f988da + w7;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u32>(w6, 17) ^ rotr<u32>(w6, 19) ^ (w6 >> 10)) + w1 + (rotr<u32>(w9, 7) ^ rotr<u32>(w9, 18) ^ (w9 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0x983e5152 + w8;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u32>(w7, 17) ^ rotr<u32>(w7, 19) ^ (w7 >> 10)) + w2 + (rotr<u32>(w10, 7) ^ rotr<u32>(w10, 18) ^ (w10 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0xa831c66d + w9;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u32>(w8, 17) ^ rotr<u32>(w8, 19) ^ (w8 >> 10)) + w3 + (rotr<u32>(w11, 7) ^ rotr<u32>(w11, 18) ^ (w11 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0xb00327c8 + w10;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u32>(w9, 17) ^ rotr<u32>(w9, 19) ^ (w9 >> 10)) + w4 + (rotr<u32>(w12, 7) ^ rotr<u32>(w12, 18) ^ (w12 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0xbf597fc7 + w11;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u32>(w10, 17) ^ rotr<u32>(w10, 19) ^ (w10 >> 10)) + w5 + (rotr<u32>(w13, 7) ^ rotr<u32>(w13, 18) ^ (w13 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0xc6e00bf3 + w12;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u32>(w11, 17) ^ rotr<u32>(w11, 19) ^ (w11 >> 10)) + w6 + (rotr<u32>(w14, 7) ^ rotr<u32>(w14, 18) ^ (w14 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0xd5a79147 + w13;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u32>(w12, 17) ^ rotr<u32>(w12, 19) ^ (w12 >> 10)) + w7 + (rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x06ca6351 + w14;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u32>(w13, 17) ^ rotr<u32>(w13, 19) ^ (w13 >> 10)) + w8 + (rotr<u32>(w0, 7) ^ rotr<u32>(w0, 18) ^ (w0 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0x14292967 + w15;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u32>(w14, 17) ^ rotr<u32>(w14, 19) ^ (w14 >> 10)) + w9 + (rotr<u32>(w1, 7) ^ rotr<u32>(w1, 18) ^ (w1 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0x27b70a85 + w0;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u32>(w15, 17) ^ rotr<u32>(w15, 19) ^ (w15 >> 10)) + w10 + (rotr<u32>(w2, 7) ^ rotr<u32>(w2, 18) ^ (w2 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0x2e1b2138 + w1;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u32>(w0, 17) ^ rotr<u32>(w0, 19) ^ (w0 >> 10)) + w11 + (rotr<u32>(w3, 7) ^ rotr<u32>(w3, 18) ^ (w3 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0x4d2c6dfc + w2;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u32>(w1, 17) ^ rotr<u32>(w1, 19) ^ (w1 >> 10)) + w12 + (rotr<u32>(w4, 7) ^ rotr<u32>(w4, 18) ^ (w4 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0x53380d13 + w3;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >> 10)) + w13 + (rotr<u32>(w5, 7) ^ rotr<u32>(w5, 18) ^ (w5 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x650a7354 + w4;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u32>(w3, 17) ^ rotr<u32>(w3, 19) ^ (w3 >> 10)) + w14 + (rotr<u32>(w6, 7) ^ rotr<u32>(w6, 18) ^ (w6 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0x766a0abb + w5;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u32>(w4, 17) ^ rotr<u32>(w4, 19) ^ (w4 >> 10)) + w15 + (rotr<u32>(w7, 7) ^ rotr<u32>(w7, 18) ^ (w7 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x81c2c92e + w6;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u32>(w5, 17) ^ rotr<u32>(w5, 19) ^ (w5 >> 10)) + w0 + (rotr<u32>(w8, 7) ^ rotr<u32>(w8, 18) ^ (w8 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0x92722c85 + w7;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u32>(w6, 17) ^ rotr<u32>(w6, 19) ^ (w6 >> 10)) + w1 + (rotr<u32>(w9, 7) ^ rotr<u32>(w9, 18) ^ (w9 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0xa2bfe8a1 + w8;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u32>(w7, 17) ^ rotr<u32>(w7, 19) ^ (w7 >> 10)) + w2 + (rotr<u32>(w10, 7) ^ rotr<u32>(w10, 18) ^ (w10 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0xa81a664b + w9;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u32>(w8, 17) ^ rotr<u32>(w8, 19) ^ (w8 >> 10)) + w3 + (rotr<u32>(w11, 7) ^ rotr<u32>(w11, 18) ^ (w11 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0xc24b8b70 + w10;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u32>(w9, 17) ^ rotr<u32>(w9, 19) ^ (w9 >> 10)) + w4 + (rotr<u32>(w12, 7) ^ rotr<u32>(w12, 18) ^ (w12 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0xc76c51a3 + w11;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u32>(w10, 17) ^ rotr<u32>(w10, 19) ^ (w10 >> 10)) + w5 + (rotr<u32>(w13, 7) ^ rotr<u32>(w13, 18) ^ (w13 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0xd192e819 + w12;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u32>(w11, 17) ^ rotr<u32>(w11, 19) ^ (w11 >> 10)) + w6 + (rotr<u32>(w14, 7) ^ rotr<u32>(w14, 18) ^ (w14 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0xd6990624 + w13;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u32>(w12, 17) ^ rotr<u32>(w12, 19) ^ (w12 >> 10)) + w7 + (rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0xf40e3585 + w14;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u32>(w13, 17) ^ rotr<u32>(w13, 19) ^ (w13 >> 10)) + w8 + (rotr<u32>(w0, 7) ^ rotr<u32>(w0, 18) ^ (w0 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0x106aa070 + w15;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u32>(w14, 17) ^ rotr<u32>(w14, 19) ^ (w14 >> 10)) + w9 + (rotr<u32>(w1, 7) ^ rotr<u32>(w1, 18) ^ (w1 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0x19a4c116 + w0;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u32>(w15, 17) ^ rotr<u32>(w15, 19) ^ (w15 >> 10)) + w10 + (rotr<u32>(w2, 7) ^ rotr<u32>(w2, 18) ^ (w2 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0x1e376c08 + w1;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u32>(w0, 17) ^ rotr<u32>(w0, 19) ^ (w0 >> 10)) + w11 + (rotr<u32>(w3, 7) ^ rotr<u32>(w3, 18) ^ (w3 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0x2748774c + w2;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u32>(w1, 17) ^ rotr<u32>(w1, 19) ^ (w1 >> 10)) + w12 + (rotr<u32>(w4, 7) ^ rotr<u32>(w4, 18) ^ (w4 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0x34b0bcb5 + w3;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >> 10)) + w13 + (rotr<u32>(w5, 7) ^ rotr<u32>(w5, 18) ^ (w5 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x391c0cb3 + w4;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u32>(w3, 17) ^ rotr<u32>(w3, 19) ^ (w3 >> 10)) + w14 + (rotr<u32>(w6, 7) ^ rotr<u32>(w6, 18) ^ (w6 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0x4ed8aa4a + w5;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u32>(w4, 17) ^ rotr<u32>(w4, 19) ^ (w4 >> 10)) + w15 + (rotr<u32>(w7, 7) ^ rotr<u32>(w7, 18) ^ (w7 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0x5b9cca4f + w6;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u32>(w5, 17) ^ rotr<u32>(w5, 19) ^ (w5 >> 10)) + w0 + (rotr<u32>(w8, 7) ^ rotr<u32>(w8, 18) ^ (w8 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0x682e6ff3 + w7;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u32>(w6, 17) ^ rotr<u32>(w6, 19) ^ (w6 >> 10)) + w1 + (rotr<u32>(w9, 7) ^ rotr<u32>(w9, 18) ^ (w9 >> 3));
  { const t1 = v7 + (rotr<u32>(v4, 6) ^ rotr<u32>(v4, 11) ^ rotr<u32>(v4, 25)) + ((v4 & v5) ^ (~v4 & v6)) + <u32>0x748f82ee + w8;
    v3 += t1; v7 = t1 + (rotr<u32>(v0, 2) ^ rotr<u32>(v0, 13) ^ rotr<u32>(v0, 22)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u32>(w7, 17) ^ rotr<u32>(w7, 19) ^ (w7 >> 10)) + w2 + (rotr<u32>(w10, 7) ^ rotr<u32>(w10, 18) ^ (w10 >> 3));
  { const t1 = v6 + (rotr<u32>(v3, 6) ^ rotr<u32>(v3, 11) ^ rotr<u32>(v3, 25)) + ((v3 & v4) ^ (~v3 & v5)) + <u32>0x78a5636f + w9;
    v2 += t1; v6 = t1 + (rotr<u32>(v7, 2) ^ rotr<u32>(v7, 13) ^ rotr<u32>(v7, 22)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u32>(w8, 17) ^ rotr<u32>(w8, 19) ^ (w8 >> 10)) + w3 + (rotr<u32>(w11, 7) ^ rotr<u32>(w11, 18) ^ (w11 >> 3));
  { const t1 = v5 + (rotr<u32>(v2, 6) ^ rotr<u32>(v2, 11) ^ rotr<u32>(v2, 25)) + ((v2 & v3) ^ (~v2 & v4)) + <u32>0x84c87814 + w10;
    v1 += t1; v5 = t1 + (rotr<u32>(v6, 2) ^ rotr<u32>(v6, 13) ^ rotr<u32>(v6, 22)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u32>(w9, 17) ^ rotr<u32>(w9, 19) ^ (w9 >> 10)) + w4 + (rotr<u32>(w12, 7) ^ rotr<u32>(w12, 18) ^ (w12 >> 3));
  { const t1 = v4 + (rotr<u32>(v1, 6) ^ rotr<u32>(v1, 11) ^ rotr<u32>(v1, 25)) + ((v1 & v2) ^ (~v1 & v3)) + <u32>0x8cc70208 + w11;
    v0 += t1; v4 = t1 + (rotr<u32>(v5, 2) ^ rotr<u32>(v5, 13) ^ rotr<u32>(v5, 22)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u32>(w10, 17) ^ rotr<u32>(w10, 19) ^ (w10 >> 10)) + w5 + (rotr<u32>(w13, 7) ^ rotr<u32>(w13, 18) ^ (w13 >> 3));
  { const t1 = v3 + (rotr<u32>(v0, 6) ^ rotr<u32>(v0, 11) ^ rotr<u32>(v0, 25)) + ((v0 & v1) ^ (~v0 & v2)) + <u32>0x90befffa + w12;
    v7 += t1; v3 = t1 + (rotr<u32>(v4, 2) ^ rotr<u32>(v4, 13) ^ rotr<u32>(v4, 22)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u32>(w11, 17) ^ rotr<u32>(w11, 19) ^ (w11 >> 10)) + w6 + (rotr<u32>(w14, 7) ^ rotr<u32>(w14, 18) ^ (w14 >> 3));
  { const t1 = v2 + (rotr<u32>(v7, 6) ^ rotr<u32>(v7, 11) ^ rotr<u32>(v7, 25)) + ((v7 & v0) ^ (~v7 & v1)) + <u32>0xa4506ceb + w13;
    v6 += t1; v2 = t1 + (rotr<u32>(v3, 2) ^ rotr<u32>(v3, 13) ^ rotr<u32>(v3, 22)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u32>(w12, 17) ^ rotr<u32>(w12, 19) ^ (w12 >> 10)) + w7 + (rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >> 3));
  { const t1 = v1 + (rotr<u32>(v6, 6) ^ rotr<u32>(v6, 11) ^ rotr<u32>(v6, 25)) + ((v6 & v7) ^ (~v6 & v0)) + <u32>0xbef9a3f7 + w14;
    v5 += t1; v1 = t1 + (rotr<u32>(v2, 2) ^ rotr<u32>(v2, 13) ^ rotr<u32>(v2, 22)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u32>(w13, 17) ^ rotr<u32>(w13, 19) ^ (w13 >> 10)) + w8 + (rotr<u32>(w0, 7) ^ rotr<u32>(w0, 18) ^ (w0 >> 3));
  { const t1 = v0 + (rotr<u32>(v5, 6) ^ rotr<u32>(v5, 11) ^ rotr<u32>(v5, 25)) + ((v5 & v6) ^ (~v5 & v7)) + <u32>0xc67178f2 + w15;
    v4 += t1; v0 = t1 + (rotr<u32>(v1, 2) ^ rotr<u32>(v1, 13) ^ rotr<u32>(v1, 22)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  store<u32>(h, load<u32>(h, 0) + v0, 0);
  store<u32>(h, load<u32>(h, 4) + v1, 4);
  store<u32>(h, load<u32>(h, 8) + v2, 8);
  store<u32>(h, load<u32>(h, 12) + v3, 12);
  store<u32>(h, load<u32>(h, 16) + v4, 16);
  store<u32>(h, load<u32>(h, 20) + v5, 20);
  store<u32>(h, load<u32>(h, 24) + v6, 24);
  store<u32>(h, load<u32>(h, 28) + v7, 28);
}

function block512(p: usize): void {
  const h = changetype<usize>(H64);
  let v0 = load<u64>(h, 0);
  let v1 = load<u64>(h, 8);
  let v2 = load<u64>(h, 16);
  let v3 = load<u64>(h, 24);
  let v4 = load<u64>(h, 32);
  let v5 = load<u64>(h, 40);
  let v6 = load<u64>(h, 48);
  let v7 = load<u64>(h, 56);
  let w0 = bswap64(load<u64>(p, 0));
  let w1 = bswap64(load<u64>(p, 8));
  let w2 = bswap64(load<u64>(p, 16));
  let w3 = bswap64(load<u64>(p, 24));
  let w4 = bswap64(load<u64>(p, 32));
  let w5 = bswap64(load<u64>(p, 40));
  let w6 = bswap64(load<u64>(p, 48));
  let w7 = bswap64(load<u64>(p, 56));
  let w8 = bswap64(load<u64>(p, 64));
  let w9 = bswap64(load<u64>(p, 72));
  let w10 = bswap64(load<u64>(p, 80));
  let w11 = bswap64(load<u64>(p, 88));
  let w12 = bswap64(load<u64>(p, 96));
  let w13 = bswap64(load<u64>(p, 104));
  let w14 = bswap64(load<u64>(p, 112));
  let w15 = bswap64(load<u64>(p, 120));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x428a2f98d728ae22 + w0;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x7137449123ef65cd + w1;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0xb5c0fbcfec4d3b2f + w2;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0xe9b5dba58189dbbc + w3;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x3956c25bf348b538 + w4;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x59f111f1b605d019 + w5;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x923f82a4af194f9b + w6;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0xab1c5ed5da6d8118 + w7;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0xd807aa98a3030242 + w8;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x12835b0145706fbe + w9;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x243185be4ee4b28c + w10;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x550c7dc3d5ffb4e2 + w11;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x72be5d74f27b896f + w12;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x80deb1fe3b1696b1 + w13;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x9bdc06a725c71235 + w14;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0xc19bf174cf692694 + w15;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u64>(w14, 19) ^ rotr<u64>(w14, 61) ^ (w14 >> 6)) + w9 + (rotr<u64>(w1, 1) ^ rotr<u64>(w1, 8) ^ (w1 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0xe49b69c19ef14ad2 + w0;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u64>(w15, 19) ^ rotr<u64>(w15, 61) ^ (w15 >> 6)) + w10 + (rotr<u64>(w2, 1) ^ rotr<u64>(w2, 8) ^ (w2 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0xefbe4786384f25e3 + w1;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u64>(w0, 19) ^ rotr<u64>(w0, 61) ^ (w0 >> 6)) + w11 + (rotr<u64>(w3, 1) ^ rotr<u64>(w3, 8) ^ (w3 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x0fc19dc68b8cd5b5 + w2;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u64>(w1, 19) ^ rotr<u64>(w1, 61) ^ (w1 >> 6)) + w12 + (rotr<u64>(w4, 1) ^ rotr<u64>(w4, 8) ^ (w4 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x240ca1cc77ac9c65 + w3;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6)) + w13 + (rotr<u64>(w5, 1) ^ rotr<u64>(w5, 8) ^ (w5 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x2de92c6f592b0275 + w4;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u64>(w3, 19) ^ rotr<u64>(w3, 61) ^ (w3 >> 6)) + w14 + (rotr<u64>(w6, 1) ^ rotr<u64>(w6, 8) ^ (w6 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x4a7484aa6ea6e483 + w5;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u64>(w4, 19) ^ rotr<u64>(w4, 61) ^ (w4 >> 6)) + w15 + (rotr<u64>(w7, 1) ^ rotr<u64>(w7, 8) ^ (w7 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x5cb0a9dcbd41fbd4 + w6;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u64>(w5, 19) ^ rotr<u64>(w5, 61) ^ (w5 >> 6)) + w0 + (rotr<u64>(w8, 1) ^ rotr<u64>(w8, 8) ^ (w8 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x76f988da831153b5 + w7;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u64>(w6, 19) ^ rotr<u64>(w6, 61) ^ (w6 >> 6)) + w1 + (rotr<u64>(w9, 1) ^ rotr<u64>(w9, 8) ^ (w9 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x983e5152ee66dfab + w8;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u64>(w7, 19) ^ rotr<u64>(w7, 61) ^ (w7 >> 6)) + w2 + (rotr<u64>(w10, 1) ^ rotr<u64>(w10, 8) ^ (w10 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0xa831c66d2db43210 + w9;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u64>(w8, 19) ^ rotr<u64>(w8, 61) ^ (w8 >> 6)) + w3 + (rotr<u64>(w11, 1) ^ rotr<u64>(w11, 8) ^ (w11 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0xb00327c898fb213f + w10;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u64>(w9, 19) ^ rotr<u64>(w9, 61) ^ (w9 >> 6)) + w4 + (rotr<u64>(w12, 1) ^ rotr<u64>(w12, 8) ^ (w12 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0xbf597fc7beef0ee4 + w11;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u64>(w10, 19) ^ rotr<u64>(w10, 61) ^ (w10 >> 6)) + w5 + (rotr<u64>(w13, 1) ^ rotr<u64>(w13, 8) ^ (w13 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0xc6e00bf33da88fc2 + w12;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u64>(w11, 19) ^ rotr<u64>(w11, 61) ^ (w11 >> 6)) + w6 + (rotr<u64>(w14, 1) ^ rotr<u64>(w14, 8) ^ (w14 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0xd5a79147930aa725 + w13;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u64>(w12, 19) ^ rotr<u64>(w12, 61) ^ (w12 >> 6)) + w7 + (rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x06ca6351e003826f + w14;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u64>(w13, 19) ^ rotr<u64>(w13, 61) ^ (w13 >> 6)) + w8 + (rotr<u64>(w0, 1) ^ rotr<u64>(w0, 8) ^ (w0 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x142929670a0e6e70 + w15;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u64>(w14, 19) ^ rotr<u64>(w14, 61) ^ (w14 >> 6)) + w9 + (rotr<u64>(w1, 1) ^ rotr<u64>(w1, 8) ^ (w1 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x27b70a8546d22ffc + w0;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u64>(w15, 19) ^ rotr<u64>(w15, 61) ^ (w15 >> 6)) + w10 + (rotr<u64>(w2, 1) ^ rotr<u64>(w2, 8) ^ (w2 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x2e1b21385c26c926 + w1;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u64>(w0, 19) ^ rotr<u64>(w0, 61) ^ (w0 >> 6)) + w11 + (rotr<u64>(w3, 1) ^ rotr<u64>(w3, 8) ^ (w3 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x4d2c6dfc5ac42aed + w2;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u64>(w1, 19) ^ rotr<u64>(w1, 61) ^ (w1 >> 6)) + w12 + (rotr<u64>(w4, 1) ^ rotr<u64>(w4, 8) ^ (w4 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x53380d139d95b3df + w3;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6)) + w13 + (rotr<u64>(w5, 1) ^ rotr<u64>(w5, 8) ^ (w5 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x650a73548baf63de + w4;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u64>(w3, 19) ^ rotr<u64>(w3, 61) ^ (w3 >> 6)) + w14 + (rotr<u64>(w6, 1) ^ rotr<u64>(w6, 8) ^ (w6 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x766a0abb3c77b2a8 + w5;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u64>(w4, 19) ^ rotr<u64>(w4, 61) ^ (w4 >> 6)) + w15 + (rotr<u64>(w7, 1) ^ rotr<u64>(w7, 8) ^ (w7 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x81c2c92e47edaee6 + w6;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u64>(w5, 19) ^ rotr<u64>(w5, 61) ^ (w5 >> 6)) + w0 + (rotr<u64>(w8, 1) ^ rotr<u64>(w8, 8) ^ (w8 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x92722c851482353b + w7;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u64>(w6, 19) ^ rotr<u64>(w6, 61) ^ (w6 >> 6)) + w1 + (rotr<u64>(w9, 1) ^ rotr<u64>(w9, 8) ^ (w9 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0xa2bfe8a14cf10364 + w8;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u64>(w7, 19) ^ rotr<u64>(w7, 61) ^ (w7 >> 6)) + w2 + (rotr<u64>(w10, 1) ^ rotr<u64>(w10, 8) ^ (w10 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0xa81a664bbc423001 + w9;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u64>(w8, 19) ^ rotr<u64>(w8, 61) ^ (w8 >> 6)) + w3 + (rotr<u64>(w11, 1) ^ rotr<u64>(w11, 8) ^ (w11 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0xc24b8b70d0f89791 + w10;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u64>(w9, 19) ^ rotr<u64>(w9, 61) ^ (w9 >> 6)) + w4 + (rotr<u64>(w12, 1) ^ rotr<u64>(w12, 8) ^ (w12 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0xc76c51a30654be30 + w11;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u64>(w10, 19) ^ rotr<u64>(w10, 61) ^ (w10 >> 6)) + w5 + (rotr<u64>(w13, 1) ^ rotr<u64>(w13, 8) ^ (w13 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0xd192e819d6ef5218 + w12;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u64>(w11, 19) ^ rotr<u64>(w11, 61) ^ (w11 >> 6)) + w6 + (rotr<u64>(w14, 1) ^ rotr<u64>(w14, 8) ^ (w14 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0xd69906245565a910 + w13;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u64>(w12, 19) ^ rotr<u64>(w12, 61) ^ (w12 >> 6)) + w7 + (rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0xf40e35855771202a + w14;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u64>(w13, 19) ^ rotr<u64>(w13, 61) ^ (w13 >> 6)) + w8 + (rotr<u64>(w0, 1) ^ rotr<u64>(w0, 8) ^ (w0 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x106aa07032bbd1b8 + w15;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u64>(w14, 19) ^ rotr<u64>(w14, 61) ^ (w14 >> 6)) + w9 + (rotr<u64>(w1, 1) ^ rotr<u64>(w1, 8) ^ (w1 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x19a4c116b8d2d0c8 + w0;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u64>(w15, 19) ^ rotr<u64>(w15, 61) ^ (w15 >> 6)) + w10 + (rotr<u64>(w2, 1) ^ rotr<u64>(w2, 8) ^ (w2 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x1e376c085141ab53 + w1;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u64>(w0, 19) ^ rotr<u64>(w0, 61) ^ (w0 >> 6)) + w11 + (rotr<u64>(w3, 1) ^ rotr<u64>(w3, 8) ^ (w3 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x2748774cdf8eeb99 + w2;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u64>(w1, 19) ^ rotr<u64>(w1, 61) ^ (w1 >> 6)) + w12 + (rotr<u64>(w4, 1) ^ rotr<u64>(w4, 8) ^ (w4 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x34b0bcb5e19b48a8 + w3;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6)) + w13 + (rotr<u64>(w5, 1) ^ rotr<u64>(w5, 8) ^ (w5 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x391c0cb3c5c95a63 + w4;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u64>(w3, 19) ^ rotr<u64>(w3, 61) ^ (w3 >> 6)) + w14 + (rotr<u64>(w6, 1) ^ rotr<u64>(w6, 8) ^ (w6 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x4ed8aa4ae3418acb + w5;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u64>(w4, 19) ^ rotr<u64>(w4, 61) ^ (w4 >> 6)) + w15 + (rotr<u64>(w7, 1) ^ rotr<u64>(w7, 8) ^ (w7 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x5b9cca4f7763e373 + w6;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u64>(w5, 19) ^ rotr<u64>(w5, 61) ^ (w5 >> 6)) + w0 + (rotr<u64>(w8, 1) ^ rotr<u64>(w8, 8) ^ (w8 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x682e6ff3d6b2b8a3 + w7;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u64>(w6, 19) ^ rotr<u64>(w6, 61) ^ (w6 >> 6)) + w1 + (rotr<u64>(w9, 1) ^ rotr<u64>(w9, 8) ^ (w9 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x748f82ee5defb2fc + w8;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u64>(w7, 19) ^ rotr<u64>(w7, 61) ^ (w7 >> 6)) + w2 + (rotr<u64>(w10, 1) ^ rotr<u64>(w10, 8) ^ (w10 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x78a5636f43172f60 + w9;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u64>(w8, 19) ^ rotr<u64>(w8, 61) ^ (w8 >> 6)) + w3 + (rotr<u64>(w11, 1) ^ rotr<u64>(w11, 8) ^ (w11 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x84c87814a1f0ab72 + w10;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u64>(w9, 19) ^ rotr<u64>(w9, 61) ^ (w9 >> 6)) + w4 + (rotr<u64>(w12, 1) ^ rotr<u64>(w12, 8) ^ (w12 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x8cc702081a6439ec + w11;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u64>(w10, 19) ^ rotr<u64>(w10, 61) ^ (w10 >> 6)) + w5 + (rotr<u64>(w13, 1) ^ rotr<u64>(w13, 8) ^ (w13 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x90befffa23631e28 + w12;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u64>(w11, 19) ^ rotr<u64>(w11, 61) ^ (w11 >> 6)) + w6 + (rotr<u64>(w14, 1) ^ rotr<u64>(w14, 8) ^ (w14 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0xa4506cebde82bde9 + w13;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u64>(w12, 19) ^ rotr<u64>(w12, 61) ^ (w12 >> 6)) + w7 + (rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0xbef9a3f7b2c67915 + w14;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u64>(w13, 19) ^ rotr<u64>(w13, 61) ^ (w13 >> 6)) + w8 + (rotr<u64>(w0, 1) ^ rotr<u64>(w0, 8) ^ (w0 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0xc67178f2e372532b + w15;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w0 += (rotr<u64>(w14, 19) ^ rotr<u64>(w14, 61) ^ (w14 >> 6)) + w9 + (rotr<u64>(w1, 1) ^ rotr<u64>(w1, 8) ^ (w1 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0xca273eceea26619c + w0;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w1 += (rotr<u64>(w15, 19) ^ rotr<u64>(w15, 61) ^ (w15 >> 6)) + w10 + (rotr<u64>(w2, 1) ^ rotr<u64>(w2, 8) ^ (w2 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0xd186b8c721c0c207 + w1;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w2 += (rotr<u64>(w0, 19) ^ rotr<u64>(w0, 61) ^ (w0 >> 6)) + w11 + (rotr<u64>(w3, 1) ^ rotr<u64>(w3, 8) ^ (w3 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0xeada7dd6cde0eb1e + w2;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w3 += (rotr<u64>(w1, 19) ^ rotr<u64>(w1, 61) ^ (w1 >> 6)) + w12 + (rotr<u64>(w4, 1) ^ rotr<u64>(w4, 8) ^ (w4 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0xf57d4f7fee6ed178 + w3;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w4 += (rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6)) + w13 + (rotr<u64>(w5, 1) ^ rotr<u64>(w5, 8) ^ (w5 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x06f067aa72176fba + w4;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w5 += (rotr<u64>(w3, 19) ^ rotr<u64>(w3, 61) ^ (w3 >> 6)) + w14 + (rotr<u64>(w6, 1) ^ rotr<u64>(w6, 8) ^ (w6 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x0a637dc5a2c898a6 + w5;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w6 += (rotr<u64>(w4, 19) ^ rotr<u64>(w4, 61) ^ (w4 >> 6)) + w15 + (rotr<u64>(w7, 1) ^ rotr<u64>(w7, 8) ^ (w7 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x113f9804bef90dae + w6;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w7 += (rotr<u64>(w5, 19) ^ rotr<u64>(w5, 61) ^ (w5 >> 6)) + w0 + (rotr<u64>(w8, 1) ^ rotr<u64>(w8, 8) ^ (w8 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x1b710b35131c471b + w7;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  w8 += (rotr<u64>(w6, 19) ^ rotr<u64>(w6, 61) ^ (w6 >> 6)) + w1 + (rotr<u64>(w9, 1) ^ rotr<u64>(w9, 8) ^ (w9 >> 7));
  { const t1 = v7 + (rotr<u64>(v4, 14) ^ rotr<u64>(v4, 18) ^ rotr<u64>(v4, 41)) + ((v4 & v5) ^ (~v4 & v6)) + <u64>0x28db77f523047d84 + w8;
    v3 += t1; v7 = t1 + (rotr<u64>(v0, 28) ^ rotr<u64>(v0, 34) ^ rotr<u64>(v0, 39)) + ((v0 & v1) ^ (v0 & v2) ^ (v1 & v2)); }
  w9 += (rotr<u64>(w7, 19) ^ rotr<u64>(w7, 61) ^ (w7 >> 6)) + w2 + (rotr<u64>(w10, 1) ^ rotr<u64>(w10, 8) ^ (w10 >> 7));
  { const t1 = v6 + (rotr<u64>(v3, 14) ^ rotr<u64>(v3, 18) ^ rotr<u64>(v3, 41)) + ((v3 & v4) ^ (~v3 & v5)) + <u64>0x32caab7b40c72493 + w9;
    v2 += t1; v6 = t1 + (rotr<u64>(v7, 28) ^ rotr<u64>(v7, 34) ^ rotr<u64>(v7, 39)) + ((v7 & v0) ^ (v7 & v1) ^ (v0 & v1)); }
  w10 += (rotr<u64>(w8, 19) ^ rotr<u64>(w8, 61) ^ (w8 >> 6)) + w3 + (rotr<u64>(w11, 1) ^ rotr<u64>(w11, 8) ^ (w11 >> 7));
  { const t1 = v5 + (rotr<u64>(v2, 14) ^ rotr<u64>(v2, 18) ^ rotr<u64>(v2, 41)) + ((v2 & v3) ^ (~v2 & v4)) + <u64>0x3c9ebe0a15c9bebc + w10;
    v1 += t1; v5 = t1 + (rotr<u64>(v6, 28) ^ rotr<u64>(v6, 34) ^ rotr<u64>(v6, 39)) + ((v6 & v7) ^ (v6 & v0) ^ (v7 & v0)); }
  w11 += (rotr<u64>(w9, 19) ^ rotr<u64>(w9, 61) ^ (w9 >> 6)) + w4 + (rotr<u64>(w12, 1) ^ rotr<u64>(w12, 8) ^ (w12 >> 7));
  { const t1 = v4 + (rotr<u64>(v1, 14) ^ rotr<u64>(v1, 18) ^ rotr<u64>(v1, 41)) + ((v1 & v2) ^ (~v1 & v3)) + <u64>0x431d67c49c100d4c + w11;
    v0 += t1; v4 = t1 + (rotr<u64>(v5, 28) ^ rotr<u64>(v5, 34) ^ rotr<u64>(v5, 39)) + ((v5 & v6) ^ (v5 & v7) ^ (v6 & v7)); }
  w12 += (rotr<u64>(w10, 19) ^ rotr<u64>(w10, 61) ^ (w10 >> 6)) + w5 + (rotr<u64>(w13, 1) ^ rotr<u64>(w13, 8) ^ (w13 >> 7));
  { const t1 = v3 + (rotr<u64>(v0, 14) ^ rotr<u64>(v0, 18) ^ rotr<u64>(v0, 41)) + ((v0 & v1) ^ (~v0 & v2)) + <u64>0x4cc5d4becb3e42b6 + w12;
    v7 += t1; v3 = t1 + (rotr<u64>(v4, 28) ^ rotr<u64>(v4, 34) ^ rotr<u64>(v4, 39)) + ((v4 & v5) ^ (v4 & v6) ^ (v5 & v6)); }
  w13 += (rotr<u64>(w11, 19) ^ rotr<u64>(w11, 61) ^ (w11 >> 6)) + w6 + (rotr<u64>(w14, 1) ^ rotr<u64>(w14, 8) ^ (w14 >> 7));
  { const t1 = v2 + (rotr<u64>(v7, 14) ^ rotr<u64>(v7, 18) ^ rotr<u64>(v7, 41)) + ((v7 & v0) ^ (~v7 & v1)) + <u64>0x597f299cfc657e2a + w13;
    v6 += t1; v2 = t1 + (rotr<u64>(v3, 28) ^ rotr<u64>(v3, 34) ^ rotr<u64>(v3, 39)) + ((v3 & v4) ^ (v3 & v5) ^ (v4 & v5)); }
  w14 += (rotr<u64>(w12, 19) ^ rotr<u64>(w12, 61) ^ (w12 >> 6)) + w7 + (rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7));
  { const t1 = v1 + (rotr<u64>(v6, 14) ^ rotr<u64>(v6, 18) ^ rotr<u64>(v6, 41)) + ((v6 & v7) ^ (~v6 & v0)) + <u64>0x5fcb6fab3ad6faec + w14;
    v5 += t1; v1 = t1 + (rotr<u64>(v2, 28) ^ rotr<u64>(v2, 34) ^ rotr<u64>(v2, 39)) + ((v2 & v3) ^ (v2 & v4) ^ (v3 & v4)); }
  w15 += (rotr<u64>(w13, 19) ^ rotr<u64>(w13, 61) ^ (w13 >> 6)) + w8 + (rotr<u64>(w0, 1) ^ rotr<u64>(w0, 8) ^ (w0 >> 7));
  { const t1 = v0 + (rotr<u64>(v5, 14) ^ rotr<u64>(v5, 18) ^ rotr<u64>(v5, 41)) + ((v5 & v6) ^ (~v5 & v7)) + <u64>0x6c44198c4a475817 + w15;
    v4 += t1; v0 = t1 + (rotr<u64>(v1, 28) ^ rotr<u64>(v1, 34) ^ rotr<u64>(v1, 39)) + ((v1 & v2) ^ (v1 & v3) ^ (v2 & v3)); }
  store<u64>(h, load<u64>(h, 0) + v0, 0);
  store<u64>(h, load<u64>(h, 8) + v1, 8);
  store<u64>(h, load<u64>(h, 16) + v2, 16);
  store<u64>(h, load<u64>(h, 24) + v3, 24);
  store<u64>(h, load<u64>(h, 32) + v4, 32);
  store<u64>(h, load<u64>(h, 40) + v5, 40);
  store<u64>(h, load<u64>(h, 48) + v6, 48);
  store<u64>(h, load<u64>(h, 56) + v7, 56);
}

function init(h: HashAlg): void {
  const s = changetype<usize>(H32);
  const t = changetype<usize>(H64);
  if (h == HashAlg.SHA256) {
    store<u32>(s, 0x6a09e667); store<u32>(s, 0xbb67ae85, 4); store<u32>(s, 0x3c6ef372, 8); store<u32>(s, 0xa54ff53a, 12);
    store<u32>(s, 0x510e527f, 16); store<u32>(s, 0x9b05688c, 20); store<u32>(s, 0x1f83d9ab, 24); store<u32>(s, 0x5be0cd19, 28);
  } else if (h == HashAlg.SHA384) {
    store<u64>(t, 0xcbbb9d5dc1059ed8); store<u64>(t, 0x629a292a367cd507, 8); store<u64>(t, 0x9159015a3070dd17, 16);
    store<u64>(t, 0x152fecd8f70e5939, 24); store<u64>(t, 0x67332667ffc00b31, 32); store<u64>(t, 0x8eb44a8768581511, 40);
    store<u64>(t, 0xdb0c2e0d64f98fa7, 48); store<u64>(t, 0x47b5481dbefa4fa4, 56);
  } else {
    store<u64>(t, 0x6a09e667f3bcc908); store<u64>(t, 0xbb67ae8584caa73b, 8); store<u64>(t, 0x3c6ef372fe94f82b, 16);
    store<u64>(t, 0xa54ff53a5f1d36f1, 24); store<u64>(t, 0x510e527fade682d1, 32); store<u64>(t, 0x9b05688c2b3e6c1f, 40);
    store<u64>(t, 0x1f83d9abfb41bd6b, 48); store<u64>(t, 0x5be0cd19137e2179, 56);
  }
}

/** Hashes `len` bytes at `src` and writes hashLen(h) bytes to `dst`. `dst` may not overlap `src`. */
export function hashRaw(h: HashAlg, src: usize, len: usize, dst: usize): void {
  init(h);
  const bl: usize = h == HashAlg.SHA256 ? 64 : 128;
  const full = len / bl * bl;
  for (let off: usize = 0; off < full; off += bl) {
    if (h == HashAlg.SHA256) block256(src + off); else block512(src + off);
  }
  // Tail: remaining bytes, 0x80, zeros, big-endian bit length (64-bit for SHA-256, 128-bit for SHA-512).
  const tail = changetype<usize>(TAIL);
  const rest = len - full;
  memory.fill(tail, 0, 256);
  memory.copy(tail, src + full, rest);
  store<u8>(tail + rest, 0x80);
  const lenField: usize = h == HashAlg.SHA256 ? 8 : 16;
  const tailLen: usize = rest + 1 + lenField <= bl ? bl : 2 * bl;
  const bits = <u64>len << 3;
  store<u64>(tail + tailLen - 8, bswap64(bits));
  if (h != HashAlg.SHA256) store<u64>(tail + tailLen - 16, bswap64(<u64>len >> 61));
  for (let off: usize = 0; off < tailLen; off += bl) {
    if (h == HashAlg.SHA256) block256(tail + off); else block512(tail + off);
  }
  if (h == HashAlg.SHA256) {
    const s = changetype<usize>(H32);
    for (let i: usize = 0; i < 8; i++) store<u32>(dst + (i << 2), bswap32(load<u32>(s + (i << 2))));
  } else {
    const s = changetype<usize>(H64);
    const words: usize = h == HashAlg.SHA384 ? 6 : 8;
    for (let i: usize = 0; i < words; i++) store<u64>(dst + (i << 3), bswap64(load<u64>(s + (i << 3))));
  }
}

/** Digest of `data` with `h`, as a new ArrayBuffer of hashLen(h) bytes. */
export function hash(h: HashAlg, data: ArrayBuffer): ArrayBuffer {
  const out = new ArrayBuffer(hashLen(h));
  hashRaw(h, changetype<usize>(data), <usize>data.byteLength, changetype<usize>(out));
  return out;
}

export function sha256(data: ArrayBuffer): ArrayBuffer { return hash(HashAlg.SHA256, data); }
export function sha384(data: ArrayBuffer): ArrayBuffer { return hash(HashAlg.SHA384, data); }
export function sha512(data: ArrayBuffer): ArrayBuffer { return hash(HashAlg.SHA512, data); }
