// The suite's one base64 codec (RFC 4648).
//  - std alphabet, lenient: Istio's x-envoy-peer-metadata / x-istio-peer-metadata values (padded or not).
//  - url alphabet, strict: JWS segments (RFC 7515 §2: no padding; non-canonical trailing bits rejected,
//    so one token has exactly one encoding).
// Decoders return null on any invalid input; they never abort.

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Reverse tables: 0..63 for a digit of that alphabet, 0xff otherwise.
const DEC_STD = new StaticArray<u8>(256);
const DEC_URL = new StaticArray<u8>(256);
const ENC_STD = new StaticArray<u8>(64);
const ENC_URL = new StaticArray<u8>(64);
for (let i = 0; i < 256; i++) { DEC_STD[i] = 0xff; DEC_URL[i] = 0xff; }
for (let i = 0; i < 64; i++) {
  const s = <u8>STD.charCodeAt(i);
  const u = <u8>URL.charCodeAt(i);
  DEC_STD[s] = <u8>i; DEC_URL[u] = <u8>i;
  ENC_STD[i] = s; ENC_URL[i] = u;
}

function encodeWith(data: ArrayBuffer, table: StaticArray<u8>, pad: bool): string {
  const n = data.byteLength;
  const full = n / 3;
  const rest = n - full * 3;
  const outLen = full * 4 + (rest == 0 ? 0 : (pad ? 4 : rest + 1));
  const out = new ArrayBuffer(outLen);
  const src = changetype<usize>(data);
  const dst = changetype<usize>(out);
  let o: usize = 0;
  for (let i = 0; i < full; i++) {
    const b = (<u32>load<u8>(src + i * 3) << 16) | (<u32>load<u8>(src + i * 3 + 1) << 8) | <u32>load<u8>(src + i * 3 + 2);
    store<u8>(dst + o, unchecked(table[(b >> 18) & 63]));
    store<u8>(dst + o + 1, unchecked(table[(b >> 12) & 63]));
    store<u8>(dst + o + 2, unchecked(table[(b >> 6) & 63]));
    store<u8>(dst + o + 3, unchecked(table[b & 63]));
    o += 4;
  }
  if (rest > 0) {
    const i = full * 3;
    const b = (<u32>load<u8>(src + i) << 16) | (rest == 2 ? <u32>load<u8>(src + i + 1) << 8 : 0);
    store<u8>(dst + o, unchecked(table[(b >> 18) & 63]));
    store<u8>(dst + o + 1, unchecked(table[(b >> 12) & 63]));
    if (rest == 2) store<u8>(dst + o + 2, unchecked(table[(b >> 6) & 63]));
    else if (pad) store<u8>(dst + o + 2, 0x3d);
    if (pad) store<u8>(dst + o + 3, 0x3d);
  }
  return String.UTF8.decode(out);
}

/** Decodes `len` bytes at `src`. strictCanonical: unused trailing bits must be zero. allowPad: accept '=' padding. */
function decodeRaw(src: usize, len: usize, table: StaticArray<u8>, allowPad: bool, strictCanonical: bool): ArrayBuffer | null {
  let n = len;
  if (allowPad && n > 0 && n % 4 == 0) {
    if (load<u8>(src + n - 1) == 0x3d) n--;
    if (n > 0 && load<u8>(src + n - 1) == 0x3d) n--;
  }
  const rest = n & 3;
  if (rest == 1) return null;
  const outLen = (n >> 2) * 3 + (rest == 0 ? 0 : rest - 1);
  const out = new ArrayBuffer(<i32>outLen);
  const dst = changetype<usize>(out);
  let o: usize = 0;
  let i: usize = 0;
  for (; i + 4 <= n; i += 4) {
    const a = unchecked(table[load<u8>(src + i)]);
    const b = unchecked(table[load<u8>(src + i + 1)]);
    const c = unchecked(table[load<u8>(src + i + 2)]);
    const d = unchecked(table[load<u8>(src + i + 3)]);
    if ((a | b | c | d) & 0x80) return null;
    const v = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6) | <u32>d;
    store<u8>(dst + o, <u8>(v >> 16));
    store<u8>(dst + o + 1, <u8>(v >> 8));
    store<u8>(dst + o + 2, <u8>v);
    o += 3;
  }
  if (rest > 0) {
    const a = unchecked(table[load<u8>(src + i)]);
    const b = unchecked(table[load<u8>(src + i + 1)]);
    const c = rest == 3 ? unchecked(table[load<u8>(src + i + 2)]) : <u8>0;
    if ((a | b | c) & 0x80) return null;
    const v = (<u32>a << 18) | (<u32>b << 12) | (<u32>c << 6);
    if (strictCanonical && (rest == 2 ? (v & 0xffff) != 0 : (v & 0xff) != 0)) return null;
    store<u8>(dst + o, <u8>(v >> 16));
    if (rest == 3) store<u8>(dst + o + 1, <u8>(v >> 8));
  }
  return out;
}

/** Standard alphabet with padding (what Istio sends). */
export function base64Encode(data: ArrayBuffer): string {
  return encodeWith(data, ENC_STD, true);
}

/** URL alphabet without padding (JWS). */
export function base64UrlEncode(data: ArrayBuffer): string {
  return encodeWith(data, ENC_URL, false);
}

/** Standard alphabet, padding optional (Istio peers send either). Null on any invalid character or length. */
export function base64Decode(text: string): ArrayBuffer | null {
  const b = String.UTF8.encode(text);
  return decodeRaw(changetype<usize>(b), b.byteLength, DEC_STD, true, false);
}

/** Same, over raw bytes (e.g. a header value still in an ArrayBuffer). */
export function base64DecodeBytes(data: ArrayBuffer): ArrayBuffer | null {
  return decodeRaw(changetype<usize>(data), data.byteLength, DEC_STD, true, false);
}

/**
 * base64url as JWS requires it: URL alphabet, no padding, no whitespace, and canonical (the unused
 * low bits of the last digit must be zero), so every decoded value has exactly one accepted encoding.
 */
export function base64UrlDecodeStrict(text: string): ArrayBuffer | null {
  const b = String.UTF8.encode(text);
  return decodeRaw(changetype<usize>(b), b.byteLength, DEC_URL, false, true);
}

/** Strict base64url over a byte range (avoids copying JWS segments out of the token). */
export function base64UrlDecodeStrictRange(src: usize, len: usize): ArrayBuffer | null {
  return decodeRaw(src, len, DEC_URL, false, true);
}

function isAbslSpace(c: u32): bool { return c == 0x20 || (c >= 0x09 && c <= 0x0d); }

/**
 * base64url as jwt_verify_lib reads JWT segments (absl::WebSafeBase64Unescape): ASCII whitespace is
 * skipped, trailing '=' padding is accepted when it is absent or exactly complete, and the unused low
 * bits of the last digit are ignored (so a value has several accepted encodings; Envoy verifies the
 * signature over the received text, so only the signature segment can vary). Null on anything else.
 */
export function base64UrlDecodeLenientRange(src: usize, len: usize): ArrayBuffer | null {
  // Copy the digits out (skipping whitespace), then decode them without padding.
  const digits = new ArrayBuffer(<i32>len);
  const d = changetype<usize>(digits);
  let n: usize = 0;
  let i: usize = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(src + i);
    if (c == 0x3d) break;
    if (isAbslSpace(c)) continue;
    if (unchecked(DEC_URL[c]) & 0x80) return null;
    store<u8>(d + n, <u8>c);
    n++;
  }
  let equals = 0;
  for (; i < len; i++) {
    const c = <u32>load<u8>(src + i);
    if (c == 0x3d) equals++;
    else if (!isAbslSpace(c)) return null;
  }
  const rest = n & 3;
  if (rest == 1) return null;
  const expected = rest == 2 ? 2 : rest == 3 ? 1 : 0;
  if (equals != 0 && equals != expected) return null;
  return decodeRaw(d, n, DEC_URL, false, false);
}
