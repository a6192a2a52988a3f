// HMAC (RFC 2104) over SHA-256/384/512 and a constant-time byte comparison.
import { HashAlg, hashLen, hashBlockLen, hashRaw } from "./sha2";

/** HMAC tag of `msg` under `key`: hashLen(h) bytes. Keys longer than the block are hashed first. */
export function hmac(h: HashAlg, key: ArrayBuffer, msg: ArrayBuffer): ArrayBuffer {
  const bl = hashBlockLen(h);
  const hl = hashLen(h);
  const k = new ArrayBuffer(bl); // zero-filled
  const kp = changetype<usize>(k);
  if (key.byteLength > bl) hashRaw(h, changetype<usize>(key), <usize>key.byteLength, kp);
  else memory.copy(kp, changetype<usize>(key), <usize>key.byteLength);
  const mlen = msg.byteLength;
  const inner = new ArrayBuffer(bl + mlen);
  const ip = changetype<usize>(inner);
  for (let i = 0; i < bl; i++) store<u8>(ip + i, load<u8>(kp + i) ^ 0x36);
  memory.copy(ip + bl, changetype<usize>(msg), <usize>mlen);
  const outer = new ArrayBuffer(bl + hl);
  const op = changetype<usize>(outer);
  for (let i = 0; i < bl; i++) store<u8>(op + i, load<u8>(kp + i) ^ 0x5c);
  hashRaw(h, ip, <usize>(bl + mlen), op + bl);
  const tag = new ArrayBuffer(hl);
  hashRaw(h, op, <usize>(bl + hl), changetype<usize>(tag));
  return tag;
}

/**
 * True iff a and b are equal. Time depends only on the lengths (which are public for a MAC tag), never
 * on where the first difference is, so a forger learns nothing from timing.
 */
export function constantTimeEqual(a: ArrayBuffer, b: ArrayBuffer): bool {
  if (a.byteLength != b.byteLength) return false;
  const pa = changetype<usize>(a), pb = changetype<usize>(b);
  let diff: u32 = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= <u32>(load<u8>(pa + i) ^ load<u8>(pb + i));
  return diff == 0;
}

/**
 * JWS HS256/384/512 check: the tag must be the full hash length (RFC 7518 §3.2 forbids truncation)
 * and equal the recomputed HMAC. Envoy does a length check then a constant-time compare, likewise.
 */
export function verifyHmac(h: HashAlg, key: ArrayBuffer, msg: ArrayBuffer, tag: ArrayBuffer): bool {
  if (tag.byteLength != hashLen(h)) return false;
  return constantTimeEqual(hmac(h, key, msg), tag);
}
