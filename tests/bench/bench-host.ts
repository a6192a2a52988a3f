// The one in-process proxy-wasm host the benchmarks share (tests/bench/abi.bench.ts and the filters'
// *.bench.ts). It does the per-call work Envoy does, and only that:
//   - reads key/path bytes from guest memory and resolves them to a value (Envoy: context.cc
//     getProperty / the header map lookups), compares bytes, not JS strings;
//   - returns every value the way cpp-host's copyToPointerSize does: the guest's `malloc` with exactly
//     the value's length, a copy of the bytes, then the ptr and size words (length 0: no malloc, 0/0);
//   - keeps per-stream request/response header maps holding its own copies of added and replaced
//     values (Envoy's addCopy/setCopy), removes headers, keeps filter state written with
//     proxy_set_property and serves it back for unknown top-level names (Envoy: filter state `wasm.<name>`);
//   - a metrics store (define, increment, record, get) the benchmarks inspect afterwards.
// What a C++ host does not pay, this one avoids too: the Uint8Array/DataView over linear memory are
// cached and rebuilt only after memory.grow detached them (their length becomes 0; `length` is
// checked, an inlined field load, where `byteLength` measured ~10 ns per read here); keys are
// looked up by a hash of their bytes confirmed by a byte compare, never decoded into JS strings; values
// are pre-encoded Uint8Arrays; no DataView or Buffer is created per call.
//
// Recording mode (`record: true`) logs every host call a module makes during a stream's callbacks, by
// callback, so the benches can replay the same calls through tests/fixtures/call_floor (callFloorConfig).
import { readFileSync } from "node:fs";
import path from "node:path";

export const enc = new TextEncoder();
export const dec = new TextDecoder();
export const FIXTURES = path.join(process.cwd(), "build", "fixtures");
export const DIST = path.join(process.cwd(), "dist");

/** Hash of the n bytes at p: the length and up to three 4-byte words (first, middle, last). A hit is
 * always confirmed by a full compare, so the hash only has to spread the keys a bench uses. */
function hashAt(d: DataView, p: number, n: number): number {
  let h = Math.imul(n, 0x9e3779b1);
  if (n >= 4) {
    h = Math.imul(h ^ d.getInt32(p, true), 0x01000193);
    h = Math.imul(h ^ d.getInt32(p + n - 4, true), 0x01000193);
    if (n >= 12) h = Math.imul(h ^ d.getInt32(p + (n >> 1) - 2, true), 0x01000193);
  } else {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ d.getUint8(p + i), 0x01000193);
  }
  return h ^ (h >>> 15);
}

/** Whether the n bytes at a[ao] equal those at b[bo], compared four bytes at a time (a byte loop in JS
 * measured ~2 ns per byte here, a word compare a quarter of that). */
function sameBytes(a: DataView, ao: number, b: DataView, bo: number, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(ao + i, true) !== b.getInt32(bo + i, true)) return false;
  for (; i < n; i++) if (a.getUint8(ao + i) !== b.getUint8(bo + i)) return false;
  return true;
}

/**
 * Byte-string keys, each given a small id (its entry index) and a value. The key bytes live in one
 * arena and are compared with sameBytes. Open addressing over entry ids.
 */
export class KeyTable<V> {
  private slots = new Int32Array(16);
  private arena = new Uint8Array(256);
  private adv = new DataView(this.arena.buffer);
  private used = 0;
  private readonly offs: number[] = [];
  private readonly lens: number[] = [];
  readonly values: V[] = [];
  get size() { return this.offs.length; }

  /** Id of the n bytes at p of d, or -1. */
  find(d: DataView, p: number, n: number): number {
    const mask = this.slots.length - 1;
    for (let i = hashAt(d, p, n) & mask; ; i = (i + 1) & mask) {
      const e = this.slots[i] - 1;
      if (e < 0) return -1;
      if (this.lens[e] === n && sameBytes(this.adv, this.offs[e], d, p, n)) return e;
    }
  }


  /** Id of the n bytes at p of d, adding them (with `v`) when new. */
  intern(d: DataView, p: number, n: number, v: V): number {
    const e = this.find(d, p, n);
    if (e >= 0) return e;
    if (this.used + n > this.arena.length) {
      const bigger = new Uint8Array(Math.max(2 * this.arena.length, this.used + n));
      bigger.set(this.arena);
      this.arena = bigger;
      this.adv = new DataView(bigger.buffer);
    }
    for (let i = 0; i < n; i++) this.arena[this.used + i] = d.getUint8(p + i);
    this.offs.push(this.used);
    this.lens.push(n);
    this.values.push(v);
    this.used += n;
    if (this.offs.length * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2);
      for (let id = 0; id < this.offs.length; id++) this.place(id);
    } else this.place(this.offs.length - 1);
    return this.offs.length - 1;
  }

  /** Sets the value of `key` (adding it when new); returns its id. */
  set(key: Uint8Array, v: V): number {
    const d = new DataView(key.buffer, key.byteOffset, key.byteLength);
    const id = this.intern(d, 0, key.length, v);
    this.values[id] = v;
    return id;
  }

  /** Id of `key`, or -1 (setup and checks, not the hot path). */
  idOf(key: Uint8Array): number { return this.find(new DataView(key.buffer, key.byteOffset, key.byteLength), 0, key.length); }

  bytes(id: number): Uint8Array { return this.arena.subarray(this.offs[id], this.offs[id] + this.lens[id]); }

  private place(id: number) {
    const mask = this.slots.length - 1;
    let i = hashAt(this.adv, this.offs[id], this.lens[id]) & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = id + 1;
  }
}

// Header names and filter-state names are interned process-wide (a bench uses a handful), so header
// map entries and per-stream filter state hold small ids and a lookup hashes the guest's bytes once.
const HEADER_NAMES = new KeyTable<null>();
const STATE_NAMES = new KeyTable<null>();
/** The interned id of a header name (setup only: it encodes the name). */
export const headerId = (name: string) => HEADER_NAMES.set(enc.encode(name), null);

/** A header map as Envoy keeps it: (interned lower-case name, value bytes) in insertion order. */
export type HeaderMap = Array<[number, Uint8Array]>;
export const header = (k: string, v: string): [number, Uint8Array] => [headerId(k), enc.encode(v)];
/** Values of `name` in `h`, decoded (for checks after a run, not the hot path). */
export const headerValues = (h: HeaderMap, name: string) => { const id = headerId(name); return h.filter(([k]) => k === id).map(([, v]) => dec.decode(v)); };
export const hasHeader = (h: HeaderMap, name: string) => { const id = headerId(name); return h.some(([k]) => k === id); };
export const headerName = (id: number) => dec.decode(HEADER_NAMES.bytes(id));

/** A property value: fixed bytes, or computed from the current stream (undefined: NOT_FOUND). */
export type PropertyValue = Uint8Array | ((s: Stream | undefined) => Uint8Array | undefined);

/** One HTTP stream: its header maps, its filter state (Envoy's `wasm.<name>` objects, indexed here by
 * the interned property name) and the per-request values dynamic properties read. */
export class Stream {
  /** Created by the first proxy_set_property: most streams never have any. */
  state: Array<Uint8Array | undefined> | undefined = undefined;
  constructor(public request: HeaderMap, public response: HeaderMap, public n = 0, public source?: Uint8Array) {}
  /** Filter state written under `name` (proxy_set_property(name)), for checks. */
  stateValue(name: string): Uint8Array | undefined {
    const id = STATE_NAMES.idOf(enc.encode(name));
    return id < 0 ? undefined : this.state?.[id];
  }
}

export interface Metric { id: number; name: string; type: number; value: number; samples: number; }

/** One recorded host call. `key` is the path or header name bytes; `len` a written value's length. */
export interface HostCall {
  callback: string; fn: string; map?: number; key?: Uint8Array; len?: number;
  metric?: number; num?: bigint; level?: number; start?: number; max?: number; cas?: number;
  /** What the host answered (WasmResult). */
  status?: number;
}

/** The HTTP callbacks one request goes through, in Envoy's order; the index is what recordings store. */
export const CALLBACKS = ["context_create", "request_headers", "response_headers", "response_body", "log", "done", "delete"] as const;

export interface HostOptions {
  rootId: string;
  /** PLUGIN_CONFIGURATION (proxy_get_buffer_bytes type 7). */
  config: string;
  /** Properties by NUL-separated path, e.g. "xds\0node\0id". Header attributes
   * (`request\0headers\0<name>`, `response\0headers\0<name>`) and filter state are served by the host. */
  properties?: Iterable<[string, PropertyValue]>;
  logLevel?: number;
  /** Allow recordRequest: every host function is wrapped to log its calls while a recorded request runs. */
  record?: boolean;
  /** Replace host functions (diagnostics); each still has to answer like a host. */
  override?: Record<string, Function>;
  /** proc_exit throws (a trap) instead of returning. */
  trapOnExit?: boolean;
}

export interface BenchVm {
  /** Runs one request through Envoy's callback order on `s`; returns s. */
  request(s: Stream): Stream;
  memoryBytes(): number;
  memory(): WebAssembly.Memory;
  metrics: Map<number, Metric>;
  defines(): number;
  /** proxy_get_property + proxy_get_header_map_value calls so far. */
  reads(): number;
  /** proxy_add_header_map_value + proxy_replace_header_map_value calls so far. */
  headerWrites(): number;
  configureMs: number;
  /** Runs one request like `request` and returns every host call made during it (record mode only). */
  recordRequest(s: Stream): HostCall[];
}

const OK = 0, NOT_FOUND = 1, BAD_ARGUMENT = 2, UNIMPLEMENTED = 12;
const ROOT_CONTEXT = 1;
const PREFIX_REQUEST_HEADERS = enc.encode("request\0headers\0");
const PREFIX_RESPONSE_HEADERS = enc.encode("response\0headers\0");

export function instantiate(file: string, opts: HostOptions): BenchVm {
  let memory!: WebAssembly.Memory;
  let malloc!: (n: number) => number;
  // Views of linear memory, rebuilt only when memory.grow detached the old buffer.
  let buf = new ArrayBuffer(0);
  let u8 = new Uint8Array(buf);
  let dv = new DataView(buf);
  const refresh = () => { buf = memory.buffer; u8 = new Uint8Array(buf); dv = new DataView(buf); };

  const configBytes = enc.encode(opts.config);
  const props = new KeyTable<PropertyValue>();
  const propList: Array<[string, PropertyValue]> = [["plugin_root_id", enc.encode(opts.rootId)], ...(opts.properties ?? [])];
  for (const [k, v] of propList) props.set(enc.encode(k), v);
  const logLevel = opts.logLevel ?? 2;

  let current: Stream | undefined;
  // Live stream contexts by id, as cpp-host keeps its contexts_ map (insert on create, erase on delete).
  const streams = new Map<number, Stream>();
  let phase = 0;
  let reads = 0;
  let headerWrites = 0;
  const metrics = new Map<number, Metric>();
  const metricById: Metric[] = [];
  const nextMetric = [1, 1, 1];
  let defines = 0;
  let lastError = "";

  // Copies of written values (header values, filter state) live in a slab owned by the VM, handed out
  // as views and reclaimed when the next request starts, as Envoy frees a stream's copies with the
  // stream. TypedArray.slice here would give each copy its own off-heap backing store: ~250 ns for
  // 320 bytes measured on this machine, a cost of this JS host that Envoy's string copy does not
  // have. Views are made with the constructor (subarray measured ~40 ns, the constructor ~30 ns).
  let slab = new Uint8Array(1 << 16);
  let slabBuf = slab.buffer;
  let slabUsed = 0;
  const stash = (p: number, n: number): Uint8Array => {
    if (slabUsed + n > slab.length) { slab = new Uint8Array(Math.max(slab.length, 2 * n)); slabBuf = slab.buffer; slabUsed = 0; }
    const o = slabUsed;
    slab.set(new Uint8Array(buf, p, n), o);
    slabUsed = (o + n + 7) & ~7;
    return new Uint8Array(slabBuf, o, n);
  };
  const give = (v: Uint8Array, rp: number, rs: number): number => {
    const n = v.length;
    let ptr = 0;
    if (n !== 0) {
      ptr = malloc(n) >>> 0;
      if (u8.length === 0) refresh();
      if (n <= 8) for (let i = 0; i < n; i++) u8[ptr + i] = v[i];
      else u8.set(v, ptr);
    }
    dv.setUint32(rp >>> 0, ptr, true);
    dv.setUint32(rs >>> 0, n, true);
    return OK;
  };
  /** Index of the first entry of h at or after `from` named `id`. */
  const findHeader = (h: HeaderMap, id: number, from = 0) => {
    for (let i = from; i < h.length; i++) if (h[i][0] === id) return i;
    return -1;
  };
  const mapOf = (m: number) => (current === undefined ? undefined : m === 0 ? current.request : m === 2 ? current.response : undefined);
  /** Envoy's header attribute: the values of every entry with that key, joined with ','. */
  const giveHeaderAttribute = (h: HeaderMap, p: number, n: number, rp: number, rs: number) => {
    const id = HEADER_NAMES.find(dv, p, n);
    const i = id < 0 ? -1 : findHeader(h, id);
    if (i < 0) return NOT_FOUND;
    const j = findHeader(h, id, i + 1);
    if (j < 0) return give(h[i][1], rp, rs);
    const parts = h.filter(([k]) => k === id).map(([, v]) => v);
    const joined = new Uint8Array(parts.reduce((a, v) => a + v.length + 1, -1));
    let o = 0;
    for (const v of parts) { if (o) joined[o++] = 44; joined.set(v, o); o += v.length; }
    return give(joined, rp, rs);
  };
  const prefixes = [PREFIX_REQUEST_HEADERS, PREFIX_RESPONSE_HEADERS].map((b) => new DataView(b.buffer, b.byteOffset, b.byteLength));
  /** Whether the n bytes at p start with prefix 0 (request headers) or 1 (response headers). */
  const startsWith = (p: number, n: number, which: number) => {
    const pre = prefixes[which];
    const m = pre.byteLength;
    return n > m && sameBytes(pre, 0, dv, p, m);
  };

  const env: Record<string, Function> = {
    proxy_log: (level: number, p: number, n: number) => {
      // Kept for the configure-failure message; errors are not expected on any measured path.
      if (level >= 4) lastError = dec.decode(new Uint8Array(memory.buffer, p >>> 0, n));
      return OK;
    },
    proxy_get_log_level: (ret: number) => { if (u8.length === 0) refresh(); dv.setUint32(ret >>> 0, logLevel, true); return OK; },
    proxy_get_current_time_nanoseconds: (ret: number) => {
      if (u8.length === 0) refresh();
      // Wall clock in ns as two words, without a BigInt per call (precision ~256 ns is plenty here).
      const ns = (performance.timeOrigin + performance.now()) * 1e6;
      const hi = Math.floor(ns / 4294967296);
      dv.setUint32(ret >>> 0, ns - hi * 4294967296, true);
      dv.setUint32((ret >>> 0) + 4, hi, true);
      return OK;
    },
    proxy_set_tick_period_milliseconds: () => OK,
    proxy_set_effective_context: (id: number) => {
      if (id >>> 0 === ROOT_CONTEXT) { current = undefined; return OK; }
      const s = streams.get(id >>> 0);
      if (s === undefined) return BAD_ARGUMENT;
      current = s;
      return OK;
    },
    proxy_get_buffer_bytes: (type: number, start: number, max: number, rp: number, rs: number) => {
      if (u8.length === 0) refresh();
      if (type !== 7) return NOT_FOUND;
      start >>>= 0; max >>>= 0;
      if (start === 0 && max >= configBytes.length) return give(configBytes, rp, rs);
      return give(configBytes.subarray(Math.min(start, configBytes.length), Math.min(configBytes.length, start + max)), rp, rs);
    },
    proxy_get_property: (p: number, n: number, rp: number, rs: number) => {
      reads++;
      if (u8.length === 0) refresh();
      p >>>= 0;
      const e = props.find(dv, p, n);
      if (e >= 0) {
        const v = props.values[e];
        if (typeof v !== "function") return give(v, rp, rs);
        const got = v(current);
        return got === undefined ? NOT_FOUND : give(got, rp, rs);
      }
      if (current === undefined) return NOT_FOUND;
      if (startsWith(p, n, 0)) return giveHeaderAttribute(current.request, p + 16, n - 16, rp, rs);
      if (startsWith(p, n, 1)) return giveHeaderAttribute(current.response, p + 17, n - 17, rp, rs);
      // Any other name: filter state `wasm.<name>` (Envoy's fallback for unknown top-level names).
      const state = current.state;
      if (state === undefined) return NOT_FOUND;
      const id = STATE_NAMES.find(dv, p, n);
      const v = id < 0 ? undefined : state[id];
      return v === undefined ? NOT_FOUND : give(v, rp, rs);
    },
    proxy_set_property: (p: number, n: number, v: number, vn: number) => {
      if (current === undefined) return NOT_FOUND;
      if (u8.length === 0) refresh();
      v >>>= 0;
      const id = STATE_NAMES.intern(dv, p >>> 0, n, null);
      (current.state ??= [])[id] = stash(v, vn); // Envoy's CelState holds a copy
      return OK;
    },
    proxy_get_header_map_value: (m: number, k: number, kn: number, rp: number, rs: number) => {
      reads++;
      const h = mapOf(m);
      if (h === undefined) return BAD_ARGUMENT;
      if (u8.length === 0) refresh();
      const id = HEADER_NAMES.find(dv, k >>> 0, kn);
      const i = id < 0 ? -1 : findHeader(h, id);
      return i < 0 ? NOT_FOUND : give(h[i][1], rp, rs);
    },
    proxy_get_header_map_pairs: (m: number, rp: number, rs: number) => {
      if (u8.length === 0) refresh();
      const h = mapOf(m);
      return give(h === undefined ? new Uint8Array(0) : pairsOf(h.map(([id, v]) => [HEADER_NAMES.bytes(id), v])), rp, rs);
    },
    proxy_add_header_map_value: (m: number, k: number, kn: number, v: number, vn: number) => {
      const h = mapOf(m);
      if (h === undefined) return BAD_ARGUMENT;
      if (u8.length === 0) refresh();
      v >>>= 0;
      h.push([HEADER_NAMES.intern(dv, k >>> 0, kn, null), stash(v, vn)]);
      headerWrites++;
      return OK;
    },
    proxy_replace_header_map_value: (m: number, k: number, kn: number, v: number, vn: number) => {
      const h = mapOf(m);
      if (h === undefined) return BAD_ARGUMENT;
      if (u8.length === 0) refresh();
      v >>>= 0;
      const val = stash(v, vn);
      headerWrites++;
      const id = HEADER_NAMES.intern(dv, k >>> 0, kn, null);
      const i = findHeader(h, id);
      if (i < 0) { h.push([id, val]); return OK; }
      h[i][1] = val;
      for (let j = findHeader(h, id, i + 1); j >= 0; j = findHeader(h, id, j)) h.splice(j, 1);
      return OK;
    },
    proxy_remove_header_map_value: (m: number, k: number, kn: number) => {
      const h = mapOf(m);
      if (h === undefined) return BAD_ARGUMENT;
      if (u8.length === 0) refresh();
      const id = HEADER_NAMES.find(dv, k >>> 0, kn);
      if (id >= 0) for (let i = findHeader(h, id); i >= 0; i = findHeader(h, id, i)) h.splice(i, 1);
      return OK;
    },
    proxy_define_metric: (type: number, p: number, n: number, ret: number) => {
      if (type < 0 || type > 2) return BAD_ARGUMENT;
      if (u8.length === 0) refresh();
      const id = nextMetric[type]++ * 4 + type;
      const m: Metric = { id, name: dec.decode(u8.subarray(p >>> 0, (p >>> 0) + n)), type, value: 0, samples: 0 };
      metrics.set(id, m);
      metricById[id] = m;
      defines++;
      dv.setUint32(ret >>> 0, id, true);
      return OK;
    },
    proxy_increment_metric: (id: number, d: bigint) => {
      const m = metricById[id >>> 0];
      if (m === undefined) return NOT_FOUND;
      m.value += Number(d);
      return OK;
    },
    proxy_record_metric: (id: number, v: bigint) => {
      const m = metricById[id >>> 0];
      if (m === undefined) return NOT_FOUND;
      if (m.type === 2) { m.samples++; m.value += Number(v); } else if (m.type === 1) m.value = Number(v); else m.value += Number(v);
      return OK;
    },
    proxy_get_metric: (id: number, ret: number) => {
      const m = metricById[id >>> 0];
      if (m === undefined) return NOT_FOUND;
      if (u8.length === 0) refresh();
      dv.setBigUint64(ret >>> 0, BigInt(m.value), true);
      return OK;
    },
    proxy_get_shared_data: () => NOT_FOUND,
    proxy_set_shared_data: () => OK,
    ...opts.override,
  };

  let recorded: HostCall[] | undefined;
  if (opts.record) {
    // Wrap every host function; the key bytes are read before the call (a malloc may grow memory).
    const bytesAt = (p: number, n: number) => new Uint8Array(memory.buffer).slice(p >>> 0, (p >>> 0) + n);
    const describe: Record<string, (...a: any[]) => Omit<HostCall, "callback" | "fn">> = {
      proxy_log: (level, _p, n) => ({ level, len: n }),
      proxy_get_property: (p, n) => ({ key: bytesAt(p, n) }),
      proxy_set_property: (p, n, _v, vn) => ({ key: bytesAt(p, n), len: vn }),
      proxy_get_header_map_value: (m, k, kn) => ({ map: m, key: bytesAt(k, kn) }),
      proxy_get_header_map_pairs: (m) => ({ map: m }),
      proxy_add_header_map_value: (m, k, kn, _v, vn) => ({ map: m, key: bytesAt(k, kn), len: vn }),
      proxy_replace_header_map_value: (m, k, kn, _v, vn) => ({ map: m, key: bytesAt(k, kn), len: vn }),
      proxy_remove_header_map_value: (m, k, kn) => ({ map: m, key: bytesAt(k, kn) }),
      proxy_increment_metric: (id, d) => ({ metric: id >>> 0, num: d }),
      proxy_record_metric: (id, v) => ({ metric: id >>> 0, num: v }),
      proxy_get_metric: (id) => ({ metric: id >>> 0 }),
      proxy_define_metric: (type, p, n) => ({ metric: type, key: bytesAt(p, n) }),
      proxy_get_buffer_bytes: (type, start, max) => ({ map: type, start: start >>> 0, max: max >>> 0 }),
      proxy_get_shared_data: (p, n) => ({ key: bytesAt(p, n) }),
      proxy_set_shared_data: (p, n, _v, vn, cas) => ({ key: bytesAt(p, n), len: vn, cas: cas >>> 0 }),
    };
    for (const [fn, f] of Object.entries(env)) {
      env[fn] = (...a: any[]) => {
        if (!recorded || !current) return f(...a);
        const call: HostCall = { callback: CALLBACKS[phase], fn, ...(describe[fn]?.(...a) ?? {}) };
        recorded.push(call);
        return (call.status = f(...a));
      };
    }
  }

  const module = new WebAssembly.Module(readFileSync(file));
  const t0 = process.hrtime.bigint();
  const inst = new WebAssembly.Instance(module, {
    // Unknown host functions answer UNIMPLEMENTED (12); they are looked up once, at link time.
    env: new Proxy(env, { get: (t, k) => (t as any)[k] ?? (() => UNIMPLEMENTED) }) as any,
    wasi_unstable: { proc_exit: opts.trapOnExit ? () => { throw new Error("proc_exit (abort)"); } : () => {} },
  });
  memory = inst.exports.memory as WebAssembly.Memory;
  malloc = inst.exports.malloc as (n: number) => number;
  const x = inst.exports as any;
  x.proxy_on_context_create(ROOT_CONTEXT, 0);
  if (!x.proxy_on_vm_start(ROOT_CONTEXT, 0) || !x.proxy_on_configure(ROOT_CONTEXT, configBytes.length)) throw new Error(`${file}: configure failed${lastError ? ": " + lastError : ""}`);
  const configureMs = Number(process.hrtime.bigint() - t0) / 1e6;

  let next = 2;
  const request = (s: Stream): Stream => {
    const id = next++;
    streams.set(id, s);
    current = s;
    slabUsed = 0;
    phase = 0; x.proxy_on_context_create(id, ROOT_CONTEXT);
    phase = 1; x.proxy_on_request_headers(id, s.request.length, 1);
    phase = 2; x.proxy_on_response_headers(id, s.response.length, 0);
    phase = 3; x.proxy_on_response_body(id, 128, 1);
    phase = 4; x.proxy_on_log(id);
    phase = 5; x.proxy_on_done(id);
    phase = 6; x.proxy_on_delete(id);
    streams.delete(id);
    current = undefined;
    return s;
  };
  const recordRequest = (s: Stream): HostCall[] => {
    if (!opts.record) throw new Error("recordRequest needs { record: true }");
    recorded = [];
    request(s);
    const calls = recorded;
    recorded = undefined;
    return calls;
  };
  return {
    request, recordRequest, metrics, configureMs,
    memoryBytes: () => memory.buffer.byteLength,
    memory: () => memory,
    defines: () => defines,
    reads: () => reads,
    headerWrites: () => headerWrites,
  };
}

/** Envoy's pairs format: count, (key size, value size) per pair, then each key and value NUL-terminated. */
export function pairsOf(entries: Array<[Uint8Array, Uint8Array]>): Uint8Array {
  const size = 4 + 8 * entries.length + entries.reduce((a, [k, v]) => a + k.length + v.length + 2, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, entries.length, true);
  let o = 4 + 8 * entries.length;
  entries.forEach(([k, v], i) => {
    dv.setUint32(4 + 8 * i, k.length, true); dv.setUint32(8 + 8 * i, v.length, true);
    out.set(k, o); o += k.length + 1; out.set(v, o); o += v.length + 1;
  });
  return out;
}
export const pairs = (obj: Record<string, string>) => pairsOf(Object.entries(obj).map(([k, v]) => [enc.encode(k), enc.encode(v)]));
export const i64 = (n: number | bigint): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, BigInt(n), true); return b; };

// ---- call floor

const FLOOR_OPS: Record<string, (c: HostCall, slot: (id: number) => number) => string> = {
  proxy_log: (c) => `log ${c.level} ${c.len}`,
  proxy_get_log_level: () => "get_log_level",
  proxy_get_current_time_nanoseconds: () => "get_time",
  proxy_get_property: (c) => `get_property ${esc(c.key!)}`,
  proxy_set_property: (c) => `set_property ${esc(c.key!)} ${c.len}`,
  proxy_get_header_map_value: (c) => `get_header ${c.map} ${esc(c.key!)}`,
  proxy_get_header_map_pairs: (c) => `get_header_pairs ${c.map}`,
  proxy_add_header_map_value: (c) => `add_header ${c.map} ${esc(c.key!)} ${c.len}`,
  proxy_replace_header_map_value: (c) => `replace_header ${c.map} ${esc(c.key!)} ${c.len}`,
  proxy_remove_header_map_value: (c) => `remove_header ${c.map} ${esc(c.key!)}`,
  proxy_increment_metric: (c, slot) => `increment_metric ${slot(c.metric!)} ${c.num}`,
  proxy_record_metric: (c, slot) => `record_metric ${slot(c.metric!)} ${c.num}`,
  proxy_get_metric: (c, slot) => `get_metric ${slot(c.metric!)}`,
  proxy_get_buffer_bytes: (c) => `get_buffer ${c.map} ${c.start} ${c.max}`,
  proxy_get_shared_data: (c) => `get_shared_data ${esc(c.key!)}`,
  proxy_set_shared_data: (c) => `set_shared_data ${esc(c.key!)} ${c.len} ${c.cas}`,
};

/** Bytes as the call_floor config writes them: printable ASCII as is, anything else (and '%') as %XX. */
function esc(b: Uint8Array): string {
  let s = "";
  for (const c of b) s += c > 0x20 && c < 0x7f && c !== 0x25 ? String.fromCharCode(c) : "%" + c.toString(16).padStart(2, "0");
  return s === "" ? "%" : s; // a lone '%' is the empty string
}

/**
 * The tests/fixtures/call_floor configuration replaying `calls` (from recordRequest): one line per
 * host call, `<callback> <op> <args>`, preceded by `metric <type>` lines declaring the metrics the
 * calls use (defined once by call_floor at configure time, in slot order). Throws on a call the
 * floor cannot replay.
 */
export function callFloorConfig(calls: HostCall[]): string {
  const slots = new Map<number, number>();
  const slot = (id: number) => { if (!slots.has(id)) slots.set(id, slots.size); return slots.get(id)!; };
  const lines = calls.map((c) => {
    const op = FLOOR_OPS[c.fn];
    if (!op) throw new Error(`call_floor cannot replay ${c.fn} (in ${c.callback})`);
    return `${c.callback} ${op(c, slot)}`;
  });
  return [...[...slots.keys()].map((id) => `metric ${id & 3}`), ...lines].join("\n") + "\n";
}

/** A recorded call list for humans: one line per call. */
export function describeCalls(calls: HostCall[]): string[] {
  return calls.map((c) => `${c.callback.padEnd(16)} ${c.fn}${c.map !== undefined ? " map=" + c.map : ""}${c.key ? " " + esc(c.key) : ""}${c.len !== undefined ? " len=" + c.len : ""}`);
}

// ---- measuring

export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1_000_000);
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 50_000);

/** ns per request of `run(i)` for i in [from, from + count): CPU time of this process (not descheduled
 * time, the machine is shared) and wall time. */
export function timeRequests(from: number, count: number, run: (i: number) => void): { ns: number; wall: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = from; i < from + count; i++) run(i);
  const wall = Number(process.hrtime.bigint() - t0) / count;
  const c = process.cpuUsage(c0);
  return { ns: ((c.user + c.system) * 1000) / count, wall };
}

export const memoryNote = (warm: number, end: number) => `linear memory after warm-up ${warm} B, at end ${end} B (${end === warm ? "flat" : "GREW " + (end - warm) + " B"})`;
