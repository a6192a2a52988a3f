// A deliberately small stand-in for the host, for as-pect specs of shared/abi. It keeps header maps,
// properties, shared data and metrics in plain JS objects and returns data through the guest's
// `malloc`, as Envoy does. Conformance with Envoy is tested elsewhere (tests/host/).
export function fakeHostImports() {
  let instance = null;
  const mem = () => new DataView(instance.exports.memory.buffer);
  const bytes = (p, n) => new Uint8Array(instance.exports.memory.buffer, p >>> 0, n >>> 0).slice();
  const text = (p, n) => new TextDecoder().decode(bytes(p, n));
  const give = (data, retPtr, retSize) => {
    if (data.length === 0) { mem().setUint32(retPtr, 0, true); mem().setUint32(retSize, 0, true); return 0; }
    const p = instance.exports.malloc(data.length) >>> 0;
    new Uint8Array(instance.exports.memory.buffer, p, data.length).set(data);
    mem().setUint32(retPtr, p, true);
    mem().setUint32(retSize, data.length, true);
    return 0;
  };
  const enc = (s) => new TextEncoder().encode(s);
  const state = {
    logLevel: 2, logs: [],
    maps: [[], [], [], [], [], [], [], []],
    properties: new Map([["plugin_root_id", enc("fake_root")]]),
    shared: new Map(), nextCas: 1,
    metrics: new Map(), nextMetric: [4, 5, 6],
  };
  const env = {
    proxy_log: (level, p, n) => { state.logs.push([level, text(p, n)]); return 0; },
    proxy_get_log_level: (ret) => { mem().setUint32(ret, state.logLevel, true); return 0; },
    proxy_get_current_time_nanoseconds: (ret) => { mem().setBigUint64(ret, 1700000000000000000n, true); return 0; },
    proxy_get_property: (p, n, rp, rs) => {
      const key = text(p, n).split("\0").join(".");
      // Envoy: an unknown top-level name falls back to filter state "wasm.<name>" (proxy_set_property).
      if (!state.properties.has(key)) return state.properties.has("wasm." + key) ? give(state.properties.get("wasm." + key), rp, rs) : 1;
      return give(state.properties.get(key), rp, rs);
    },
    proxy_set_property: (p, n, v, vn) => { state.properties.set("wasm." + text(p, n), bytes(v, vn)); return 0; },
    proxy_get_header_map_value: (m, k, kn, rp, rs) => {
      const key = text(k, kn);
      const e = state.maps[m].find(([kk]) => kk === key);
      return e ? give(enc(e[1]), rp, rs) : 1;
    },
    proxy_add_header_map_value: (m, k, kn, v, vn) => { state.maps[m].push([text(k, kn).toLowerCase(), text(v, vn)]); return 0; },
    proxy_replace_header_map_value: (m, k, kn, v, vn) => {
      const key = text(k, kn).toLowerCase();
      state.maps[m] = state.maps[m].filter(([kk]) => kk !== key);
      state.maps[m].push([key, text(v, vn)]);
      return 0;
    },
    proxy_remove_header_map_value: (m, k, kn) => { const key = text(k, kn); state.maps[m] = state.maps[m].filter(([kk]) => kk !== key); return 0; },
    proxy_get_header_map_pairs: (m, rp, rs) => {
      const pairs = state.maps[m];
      const parts = pairs.map(([k, v]) => [enc(k), enc(v)]);
      const size = 4 + 8 * parts.length + parts.reduce((a, [k, v]) => a + k.length + v.length + 2, 0);
      const out = new Uint8Array(size); const dv = new DataView(out.buffer);
      dv.setUint32(0, parts.length, true);
      let o = 4 + 8 * parts.length;
      parts.forEach(([k, v], i) => { dv.setUint32(4 + 8 * i, k.length, true); dv.setUint32(8 + 8 * i, v.length, true); out.set(k, o); o += k.length + 1; out.set(v, o); o += v.length + 1; });
      return give(parts.length ? out : new Uint8Array(0), rp, rs);
    },
    proxy_set_header_map_pairs: () => 12,
    proxy_get_header_map_size: (m, ret) => { mem().setUint32(ret, state.maps[m].reduce((a, [k, v]) => a + k.length + v.length, 0), true); return 0; },
    proxy_get_buffer_bytes: () => 1,
    proxy_get_buffer_status: () => 1,
    proxy_set_buffer_bytes: () => 1,
    proxy_set_shared_data: (k, kn, v, vn, cas) => {
      const key = text(k, kn); const cur = state.shared.get(key);
      if (cas !== 0 && cur && cur.cas !== cas >>> 0) return 8;
      state.shared.set(key, { value: bytes(v, vn), cas: state.nextCas++ });
      return 0;
    },
    proxy_get_shared_data: (k, kn, rp, rs, rc) => {
      const cur = state.shared.get(text(k, kn));
      if (!cur) return 1;
      mem().setUint32(rc, cur.cas, true);
      return give(cur.value, rp, rs);
    },
    proxy_define_metric: (t, p, n, ret) => {
      if (t > 2) return 2;
      const id = state.nextMetric[t]; state.nextMetric[t] += 4;
      state.metrics.set(id, { name: text(p, n), value: 0n });
      mem().setUint32(ret, id, true);
      return 0;
    },
    proxy_increment_metric: (id, d) => { const m = state.metrics.get(id >>> 0); if (!m) return 1; if ((id & 3) === 0 && d <= 0n) return 2; m.value += d; return 0; },
    proxy_record_metric: (id, v) => { const m = state.metrics.get(id >>> 0); if (!m) return 1; m.value = (id & 3) === 0 ? m.value + v : v; return 0; },
    proxy_get_metric: (id, ret) => { const m = state.metrics.get(id >>> 0); if (!m) return 1; if ((id & 3) === 2) return 2; mem().setBigUint64(ret, BigInt.asUintN(64, m.value), true); return 0; },
  };
  // Any other proxy_* import a spec pulls in answers UNIMPLEMENTED rather than failing to link.
  const envProxy = new Proxy(env, { get: (t, name) => (name in t ? t[name] : () => 12) });
  return {
    state,
    imports: { env: envProxy, wasi_unstable: { proc_exit: () => {} } },
    bind(inst) { instance = inst; globalThis.__fakeHostState = state; },
  };
}
