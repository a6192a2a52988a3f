// Verified-token cache per provider per worker VM (Envoy jwt_cache.cc, enabled by jwt_cache_config):
// at most `capacity` entries (LRU), tokens longer than `maxTokenSize` bytes never cached. A hit skips
// parsing and signature verification only: the caller re-checks time, issuer, audiences on every
// hit, as Envoy does. Keyed by the token text itself (a string map lookup, no SHA-256 of the token).
import { Jwt } from "./jwt";

class Entry {
  prev: Entry | null = null;
  next: Entry | null = null;
  constructor(public key: string, public jwt: Jwt) {}
}

export class JwtCache {
  private map: Map<string, Entry> = new Map<string, Entry>();
  private head: Entry | null = null; // most recent
  private tail: Entry | null = null; // least recent
  constructor(public capacity: i32, public maxTokenSize: i32) {}

  get size(): i32 { return this.map.size; }

  private unlink(e: Entry): void {
    if (e.prev !== null) e.prev!.next = e.next; else this.head = e.next;
    if (e.next !== null) e.next!.prev = e.prev; else this.tail = e.prev;
    e.prev = null; e.next = null;
  }

  private pushFront(e: Entry): void {
    e.next = this.head;
    e.prev = null;
    if (this.head !== null) this.head!.prev = e;
    this.head = e;
    if (this.tail === null) this.tail = e;
  }

  lookup(token: string): Jwt | null {
    if (this.capacity <= 0 || token.length > this.maxTokenSize || !this.map.has(token)) return null;
    const e = this.map.get(token);
    if (this.head !== e) { this.unlink(e); this.pushFront(e); }
    return e.jwt;
  }

  insert(token: string, jwt: Jwt): void {
    // String length counts UTF-16 units; tokens are ASCII in practice (base64url and dots).
    if (this.capacity <= 0 || token.length > this.maxTokenSize || this.map.has(token)) return;
    while (this.map.size >= this.capacity && this.tail !== null) {
      const old = this.tail!;
      this.unlink(old);
      this.map.delete(old.key);
    }
    const e = new Entry(token, jwt);
    this.map.set(token, e);
    this.pushFront(e);
  }

  /** Drops entries whose exp has passed (Envoy removes an expired entry when it is looked up). */
  remove(token: string): void {
    if (!this.map.has(token)) return;
    const e = this.map.get(token);
    this.unlink(e);
    this.map.delete(token);
  }
}
