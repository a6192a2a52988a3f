// What Envoy (proxy-wasm cpp-host) links, by ABI version, with each function's Wasm signature.
// Source of the sets: proxy-wasm spec v0.2.1 and cpp-host's FOR_ALL_HOST_FUNCTIONS /
// FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC / FOR_ALL_WASI_FUNCTIONS (see shared/reference/proxy-wasm-host-oci.md §1.1, §1.4).
// A module importing anything else fails to load in Envoy ("missing import"); a known name with another
// signature fails with "import type mismatch".

export type Sig = string; // "(i32,i32)->i32"

const i32 = (n: number, ret = "i32") => `(${Array(n).fill("i32").join(",")})->${ret}`;

/** Host functions linked for every ABI version. */
export const COMMON_HOST: Record<string, Sig> = {
  proxy_log: i32(3),
  proxy_get_current_time_nanoseconds: i32(1),
  proxy_set_tick_period_milliseconds: i32(1),
  proxy_get_property: i32(4),
  proxy_set_property: i32(4),
  proxy_get_header_map_pairs: i32(3),
  proxy_set_header_map_pairs: i32(3),
  proxy_get_header_map_value: i32(5),
  proxy_add_header_map_value: i32(5),
  proxy_replace_header_map_value: i32(5),
  proxy_remove_header_map_value: i32(3),
  proxy_get_header_map_size: i32(2),
  proxy_get_buffer_bytes: i32(5),
  proxy_get_buffer_status: i32(3),
  proxy_set_buffer_bytes: i32(5),
  proxy_send_local_response: i32(8),
  proxy_get_status: i32(3),
  proxy_set_effective_context: i32(1),
  proxy_done: i32(0),
  proxy_call_foreign_function: i32(6),
  proxy_http_call: i32(10),
  proxy_grpc_call: i32(12),
  proxy_grpc_stream: i32(9),
  proxy_grpc_send: i32(4),
  proxy_grpc_cancel: i32(1),
  proxy_grpc_close: i32(1),
  proxy_set_shared_data: i32(5),
  proxy_get_shared_data: i32(5),
  proxy_register_shared_queue: i32(3),
  proxy_resolve_shared_queue: i32(5),
  proxy_enqueue_shared_queue: i32(3),
  proxy_dequeue_shared_queue: i32(3),
  proxy_define_metric: i32(4),
  proxy_increment_metric: "(i32,i64)->i32",
  proxy_record_metric: "(i32,i64)->i32",
  proxy_get_metric: i32(2),
  pthread_equal: i32(2),
  emscripten_notify_memory_growth: "(i32)->",
};

export const ABI_SPECIFIC: Record<string, Record<string, Sig>> = {
  "0_1_0": {
    proxy_get_configuration: i32(2),
    proxy_continue_request: i32(0),
    proxy_continue_response: i32(0),
    proxy_clear_route_cache: i32(0),
  },
  "0_2_0": { proxy_continue_stream: i32(1), proxy_close_stream: i32(1) },
  "0_2_1": { proxy_continue_stream: i32(1), proxy_close_stream: i32(1), proxy_get_log_level: i32(1) },
};

/**
 * The WASI functions this suite allows its own modules to import (a strict subset of what Envoy links
 * under both `wasi_unstable` and `wasi_snapshot_preview1`): process exit, log output, clock, randomness.
 */
export const SUITE_WASI: Record<string, Sig> = {
  proc_exit: "(i32)->",
  fd_write: i32(4),
  clock_time_get: "(i32,i64,i32)->i32",
  random_get: i32(2),
};
export const WASI_MODULES = ["wasi_unstable", "wasi_snapshot_preview1"];

/** Callback exports Envoy looks up by name, with the signature cpp-host requires ("Bad function signature"). */
export const CALLBACKS_0_2: Record<string, Sig> = {
  malloc: i32(1),
  proxy_on_memory_allocate: i32(1),
  proxy_on_context_create: i32(2, ""),
  proxy_on_vm_start: i32(2),
  proxy_validate_configuration: i32(2),
  proxy_on_configure: i32(2),
  proxy_on_tick: i32(1, ""),
  proxy_on_queue_ready: i32(2, ""),
  proxy_on_foreign_function: i32(3, ""),
  proxy_on_request_headers: i32(3),
  proxy_on_request_body: i32(3),
  proxy_on_request_trailers: i32(2),
  proxy_on_request_metadata: i32(2),
  proxy_on_response_headers: i32(3),
  proxy_on_response_body: i32(3),
  proxy_on_response_trailers: i32(2),
  proxy_on_response_metadata: i32(2),
  proxy_on_http_call_response: i32(5, ""),
  proxy_on_grpc_receive_initial_metadata: i32(3, ""),
  proxy_on_grpc_receive: i32(3, ""),
  proxy_on_grpc_receive_trailing_metadata: i32(3, ""),
  proxy_on_grpc_close: i32(3, ""),
  proxy_on_new_connection: i32(1),
  proxy_on_downstream_data: i32(3),
  proxy_on_upstream_data: i32(3),
  proxy_on_downstream_connection_close: i32(2, ""),
  proxy_on_upstream_connection_close: i32(2, ""),
  proxy_on_done: i32(1),
  proxy_on_log: i32(1, ""),
  proxy_on_delete: i32(1, ""),
};

// ---------------------------------------------------------------------------------------------
// A small reader for the parts of a Wasm binary WebAssembly.Module.imports() does not show: the
// function types of imports and exports.

export interface FuncRef { module?: string; name: string; sig: Sig; }
export interface ModuleShape { imports: FuncRef[]; nonFunctionImports: string[]; exports: FuncRef[]; }

const VALTYPE: Record<number, string> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };

export function readModuleShape(bytes: Uint8Array): ModuleShape {
  let p = 8;
  const u32 = () => { let r = 0, shift = 0, b; do { b = bytes[p++]; r |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return r >>> 0; };
  const str = () => { const n = u32(); const s = new TextDecoder().decode(bytes.subarray(p, p + n)); p += n; return s; };
  const types: Sig[] = [];
  const funcTypes: number[] = []; // function index space -> type index
  const shape: ModuleShape = { imports: [], nonFunctionImports: [], exports: [] };
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error("not a wasm module");
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = u32();
    const end = p + size;
    if (id === 1) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        if (bytes[p++] !== 0x60) throw new Error("unexpected type form");
        const params = Array.from({ length: u32() }, () => VALTYPE[bytes[p++]]);
        const results = Array.from({ length: u32() }, () => VALTYPE[bytes[p++]]);
        types.push(`(${params.join(",")})->${results.join(",")}`);
      }
    } else if (id === 2) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const module = str(); const name = str(); const kind = bytes[p++];
        if (kind === 0) { const t = u32(); funcTypes.push(t); shape.imports.push({ module, name, sig: types[t] }); }
        else {
          shape.nonFunctionImports.push(`${module}.${name}`);
          if (kind === 1) { p++; const f = bytes[p++]; u32(); if (f & 1) u32(); }
          else if (kind === 2) { const f = bytes[p++]; u32(); if (f & 1) u32(); }
          else if (kind === 3) { p += 2; }
        }
      }
    } else if (id === 3) {
      const n = u32();
      for (let i = 0; i < n; i++) funcTypes.push(u32());
    } else if (id === 7) {
      const n = u32();
      for (let i = 0; i < n; i++) {
        const name = str(); const kind = bytes[p++]; const idx = u32();
        shape.exports.push({ name, sig: kind === 0 ? types[funcTypes[idx]] : `kind${kind}` });
      }
    }
    p = end;
  }
  return shape;
}

/** Problems Envoy would report for this module, in cpp-host's words; empty when Envoy would load it. */
export function envoyLinkProblems(bytes: Uint8Array, wasi: Record<string, Sig> = SUITE_WASI): string[] {
  const shape = readModuleShape(bytes);
  const marker = shape.exports.map((e) => e.name).find((n) => n.startsWith("proxy_abi_version_"));
  const version = marker?.slice("proxy_abi_version_".length);
  if (!version || !ABI_SPECIFIC[version]) return ["Missing or unknown Proxy-Wasm ABI version"];
  const problems: string[] = [];
  const host = { ...COMMON_HOST, ...ABI_SPECIFIC[version] };
  for (const imp of shape.imports) {
    const allowed = imp.module === "env" ? host[imp.name] : WASI_MODULES.includes(imp.module!) ? wasi[imp.name] : undefined;
    if (allowed === undefined) problems.push(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`);
    else if (allowed !== imp.sig) problems.push(`Failed to load Wasm module due to an import type mismatch: ${imp.module}.${imp.name}, want: ${imp.sig}, but host exports: ${allowed}`);
  }
  for (const other of shape.nonFunctionImports) problems.push(`Failed to load Wasm module due to a missing import: ${other}`);
  for (const exp of shape.exports) {
    const want = CALLBACKS_0_2[exp.name];
    if (want !== undefined && want !== exp.sig) problems.push(`Bad function signature for: ${exp.name}`);
  }
  if (!shape.exports.some((e) => e.name === "malloc" || e.name === "proxy_on_memory_allocate")) problems.push("Wasm module is missing malloc function.");
  if (!shape.exports.some((e) => e.name === "memory")) problems.push("Wasm module is missing memory export.");
  return problems;
}
