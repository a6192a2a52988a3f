// Envoy's link rules (proxy-wasm cpp-host src/wasm.cc `registerCallbacks`, include/proxy-wasm/exports.h,
// src/v8/v8.cc `link` / `getModuleFunctionImpl`): exactly the host functions of the module's ABI
// version, every WASI function under both module names, and nothing else. Error texts are cpp-host's.
import { FuncType, ModuleInfo, ValKind, printTypes, sameType } from "./binary";

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

const I = "i32" as const;
const L = "i64" as const;
const sig = (params: ValKind[], results: ValKind[] = [I]): FuncType => ({ params, results });
const n32 = (n: number): ValKind[] => Array.from({ length: n }, () => I);

/** Host functions every ABI version links (module `env`). */
const COMMON: Record<string, FuncType> = {
  proxy_log: sig(n32(3)),
  proxy_get_status: sig(n32(3)),
  proxy_set_property: sig(n32(4)),
  proxy_get_property: sig(n32(4)),
  proxy_send_local_response: sig(n32(8)),
  proxy_get_shared_data: sig(n32(5)),
  proxy_set_shared_data: sig(n32(5)),
  proxy_register_shared_queue: sig(n32(3)),
  proxy_resolve_shared_queue: sig(n32(5)),
  proxy_dequeue_shared_queue: sig(n32(3)),
  proxy_enqueue_shared_queue: sig(n32(3)),
  proxy_get_header_map_value: sig(n32(5)),
  proxy_add_header_map_value: sig(n32(5)),
  proxy_replace_header_map_value: sig(n32(5)),
  proxy_remove_header_map_value: sig(n32(3)),
  proxy_get_header_map_pairs: sig(n32(3)),
  proxy_set_header_map_pairs: sig(n32(3)),
  proxy_get_header_map_size: sig(n32(2)),
  proxy_get_buffer_status: sig(n32(3)),
  proxy_get_buffer_bytes: sig(n32(5)),
  proxy_set_buffer_bytes: sig(n32(5)),
  proxy_http_call: sig(n32(10)),
  proxy_grpc_call: sig(n32(12)),
  proxy_grpc_stream: sig(n32(9)),
  proxy_grpc_close: sig(n32(1)),
  proxy_grpc_cancel: sig(n32(1)),
  proxy_grpc_send: sig(n32(4)),
  proxy_set_tick_period_milliseconds: sig(n32(1)),
  proxy_get_current_time_nanoseconds: sig(n32(1)),
  proxy_define_metric: sig(n32(4)),
  proxy_increment_metric: sig([I, L]),
  proxy_record_metric: sig([I, L]),
  proxy_get_metric: sig(n32(2)),
  proxy_set_effective_context: sig(n32(1)),
  proxy_done: sig([]),
  proxy_call_foreign_function: sig(n32(6)),
  pthread_equal: sig(n32(2)),
  emscripten_notify_memory_growth: sig(n32(1), []),
};

const ABI_SPECIFIC: Record<AbiVersion, Record<string, FuncType>> = {
  "0.1.0": {
    proxy_get_configuration: sig(n32(2)),
    proxy_continue_request: sig([]),
    proxy_continue_response: sig([]),
    proxy_clear_route_cache: sig([]),
  },
  "0.2.0": { proxy_continue_stream: sig(n32(1)), proxy_close_stream: sig(n32(1)) },
  "0.2.1": { proxy_continue_stream: sig(n32(1)), proxy_close_stream: sig(n32(1)), proxy_get_log_level: sig(n32(1)) },
};

/** WASI functions, linked under both `wasi_unstable` and `wasi_snapshot_preview1`. */
export const WASI: Record<string, FuncType> = {
  fd_write: sig(n32(4)),
  fd_pwrite: sig([I, I, I, L, I]),
  fd_read: sig(n32(4)),
  fd_seek: sig([I, L, I, I]),
  fd_close: sig(n32(1)),
  fd_fdstat_get: sig(n32(2)),
  fd_fdstat_set_flags: sig(n32(2)),
  fd_prestat_get: sig(n32(2)),
  fd_prestat_dir_name: sig(n32(3)),
  environ_get: sig(n32(2)),
  environ_sizes_get: sig(n32(2)),
  args_get: sig(n32(2)),
  args_sizes_get: sig(n32(2)),
  clock_time_get: sig([I, L, I]),
  clock_res_get: sig(n32(2)),
  random_get: sig(n32(2)),
  proc_exit: sig(n32(1), []),
  sched_yield: sig([]),
  poll_oneoff: sig(n32(4)),
  path_open: sig([I, I, I, I, I, L, L, I, I]),
};
export const WASI_MODULES = ["wasi_unstable", "wasi_snapshot_preview1"];

/** The `env` functions linked for one ABI version. */
export function envFunctions(abi: AbiVersion): Record<string, FuncType> {
  return { ...COMMON, ...ABI_SPECIFIC[abi] };
}

/** Callbacks cpp-host looks up by name, with the signature it requires (`FOR_ALL_MODULE_FUNCTIONS`). */
export function moduleFunctions(abi: AbiVersion): Record<string, FuncType> {
  const headers = abi === "0.1.0" ? n32(2) : n32(3);
  const v = (p: number) => sig(n32(p), []);
  const r = (p: number) => sig(n32(p));
  return {
    _initialize: v(0), _start: v(0), __main_void: r(0), main: r(2),
    malloc: r(1), proxy_on_memory_allocate: r(1),
    proxy_on_context_create: v(2), proxy_on_vm_start: r(2), proxy_validate_configuration: r(2), proxy_on_configure: r(2),
    proxy_on_tick: v(1), proxy_on_queue_ready: v(2), proxy_on_foreign_function: v(3),
    proxy_on_request_headers: sig(headers), proxy_on_request_body: r(3), proxy_on_request_trailers: r(2), proxy_on_request_metadata: r(2),
    proxy_on_response_headers: sig(headers), proxy_on_response_body: r(3), proxy_on_response_trailers: r(2), proxy_on_response_metadata: r(2),
    proxy_on_http_call_response: v(5),
    proxy_on_grpc_receive_initial_metadata: v(3), proxy_on_grpc_receive: v(3), proxy_on_grpc_receive_trailing_metadata: v(3), proxy_on_grpc_close: v(3),
    proxy_on_new_connection: r(1), proxy_on_downstream_data: r(3), proxy_on_upstream_data: r(3),
    proxy_on_downstream_connection_close: v(2), proxy_on_upstream_connection_close: v(2),
    proxy_on_done: r(1), proxy_on_log: v(1), proxy_on_delete: v(1),
  };
}

export class LoadError extends Error {}

/** cpp-host's `getAbiVersion`: the marker export decides; none → refused. */
export function abiVersionOf(info: ModuleInfo): AbiVersion {
  const names = new Set(info.exports.map((e) => e.name));
  if (names.has("proxy_abi_version_0_2_1")) return "0.2.1";
  if (names.has("proxy_abi_version_0_2_0")) return "0.2.0";
  if (names.has("proxy_abi_version_0_1_0")) return "0.1.0";
  throw new LoadError("Missing or unknown Proxy-Wasm ABI version");
}

/**
 * Applies Envoy's link and export checks in cpp-host's order: ABI marker, imports (missing, then
 * type mismatch), callback signatures, then the allocator. Throws LoadError with cpp-host's text.
 */
export function checkModule(info: ModuleInfo): AbiVersion {
  const abi = abiVersionOf(info);
  const env = envFunctions(abi);
  for (const imp of info.imports) {
    const id = `${imp.module}.${imp.name}`;
    let want: FuncType | undefined;
    if (imp.kind === "func") {
      if (imp.module === "env") want = env[imp.name];
      else if (WASI_MODULES.includes(imp.module)) want = WASI[imp.name];
    }
    if (imp.kind === "memory" || imp.kind === "table") continue; // cpp-host creates these on demand
    if (!want) throw new LoadError(`Failed to load Wasm module due to a missing import: ${id}`);
    const got = imp.type!;
    if (!sameType(got, want)) {
      throw new LoadError(`Failed to load Wasm module due to an import type mismatch for function ${id}, want: ` +
        `${printTypes(got.params)} -> ${printTypes(got.results)}, but host exports: ${printTypes(want.params)} -> ${printTypes(want.results)}`);
    }
  }
  const callbacks = moduleFunctions(abi);
  for (const exp of info.exports) {
    const want = callbacks[exp.name];
    if (!want || exp.kind !== "func" || !exp.type) continue;
    if (!sameType(exp.type, want)) {
      throw new LoadError(`Bad function signature for: ${exp.name}, want: ${printTypes(want.params)} -> ${printTypes(want.results)}, ` +
        `but the module exports: ${printTypes(exp.type.params)} -> ${printTypes(exp.type.results)}`);
    }
  }
  const names = new Set(info.exports.map((e) => e.name));
  if (!names.has("malloc") && !names.has("proxy_on_memory_allocate")) throw new LoadError("Wasm module is missing malloc function.");
  return abi;
}
