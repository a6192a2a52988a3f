// The wasm side of the test host: Envoy's wasm extension + proxy-wasm cpp-host in TypeScript.
//   createWasmRuntime(opts).loadPlugin(config, "http" | "network")
// checks the module with Envoy's link rules, runs the canary (create/start/configure on a throwaway
// VM, discarded without done/delete), then gives each worker its own long-lived VM (shared by
// plugins with the same vm_id + VM configuration + code, as Envoy's vm_key) and root context.
import { createHash } from "node:crypto";
import type {
  HttpFilter, HttpFilterCallbacks, LoadedPlugin, NetworkFilter, NetworkFilterCallbacks, PluginConfig,
  WasmRuntime, WasmRuntimeOptions,
} from "../api";
import { readModuleInfo } from "./binary";
import { AbiVersion, LoadError, checkModule } from "./link";
import { SharedState } from "./shared";
import { EnvoyStatsStore } from "./stats";
import { WasmVm, RootCtx } from "./vm";
import { FailedHttpFilter, WasmHttpFilter, WorkerSlot } from "./http";
import { WasmNetworkFilter } from "./network";

export { createStatsStore, EnvoyStatsStore } from "./stats";
export { LoadError } from "./link";

/** LoadedPlugin plus test/bench hooks. */
export interface WasmPlugin extends LoadedPlugin {
  /** Runs proxy_on_tick now on every worker's root (or one worker's), as the tick timer would. */
  tick(worker?: number): void;
  /** Linear memory size of a worker's VM, in bytes. */
  memoryBytes(worker: number): number;
  /** True once the worker's VM has failed (trap). */
  failed(worker: number): boolean;
  /** The worker's root context id inside its VM. */
  rootContextId(worker: number): number;
}

export interface WasmRuntimeHandle extends WasmRuntime {
  readonly shared: SharedState;
  loadPlugin(config: PluginConfig, kind: "http" | "network"): Promise<WasmPlugin>;
}

/** A load error whose text the failing VM already logged. */
function logged(message: string): LoadError {
  return Object.assign(new LoadError(message), { logged: true });
}

interface Compiled { module: WebAssembly.Module; abi: AbiVersion; }

function sha(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

class Runtime implements WasmRuntimeHandle {
  readonly shared = new SharedState();
  private compiled = new Map<string, Compiled>();
  /** vm_key -> one VM per worker. */
  private vms = new Map<string, WasmVm[]>();
  private plugins = new Set<Plugin>();
  /** vm_key -> the base VM (Envoy's base_wasms cache). */
  private baseVms = new Map<string, WasmVm>();
  readonly stats: EnvoyStatsStore;

  constructor(readonly opts: WasmRuntimeOptions) {
    // The wasm side needs read access and gauge add; a store from createStatsStore has both.
    this.stats = opts.stats instanceof EnvoyStatsStore ? opts.stats : adaptStats(opts);
  }

  private compile(config: PluginConfig): Compiled {
    const key = sha(config.code);
    let c = this.compiled.get(key);
    if (c) return c;
    const info = readModuleInfo(config.code);
    const abi = checkModule(info);
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(config.code as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new LoadError(`Failed to load Wasm code: ${(e as Error).message}`);
    }
    c = { module, abi };
    this.compiled.set(key, c);
    return c;
  }

  newVm(config: PluginConfig, c: Compiled, label: string): WasmVm {
    const vm = new WasmVm(this.opts, c.module, c.abi, this.shared, this.stats, config.vmId, config.environment ?? {},
      config.allowedCapabilities ? new Set(config.allowedCapabilities) : undefined, label);
    vm.instantiate();
    if (vm.failed) throw logged(vm.failMessage);
    return vm;
  }

  vmKey(config: PluginConfig): string {
    return [config.vmId, sha(config.vmConfiguration), sha(config.code)].join("/");
  }

  /** A worker's VM for this vm_key, created (instantiate + start) on first use or after a failure. */
  workerVm(config: PluginConfig, c: Compiled, worker: number, replaceFailed: boolean): WasmVm {
    const key = this.vmKey(config);
    let list = this.vms.get(key);
    if (!list) this.vms.set(key, (list = []));
    let vm = list[worker];
    if (!vm || (replaceFailed && vm.failed)) {
      vm = this.newVm(config, c, `worker ${worker}`);
      list[worker] = vm;
    }
    return vm;
  }

  async loadPlugin(config: PluginConfig, kind: "http" | "network"): Promise<WasmPlugin> {
    const what = `Unable to create Wasm ${kind === "http" ? "HTTP" : "network"} filter ${config.name}`;
    try {
      const c = this.compile(config);
      // Envoy's createWasm: one base VM per vm_key, instantiated and initialized (start function,
      // `_initialize`) once and kept while plugins use it; it gets no root context. Workers and the
      // canary are its clones, each initialized again.
      const key = this.vmKey(config);
      if (!this.baseVms.has(key)) this.baseVms.set(key, this.newVm(config, c, "base"));
      // Canary: a fresh VM runs the root start-up sequence and is then dropped without done/delete.
      const canary = this.newVm(config, c, "canary");
      const root = canary.createRoot(config);
      const ok = canary.startRoot(root);
      canary.dispose();
      if (!ok) throw canary.failed ? logged(canary.failMessage) : new LoadError("Failed to configure base VM: plugin configuration rejected (proxy_on_vm_start/proxy_on_configure returned false)");
      const slots: WorkerSlot[] = [];
      for (let w = 0; w < this.opts.workers; w++) {
        const vm = this.workerVm(config, c, w, false);
        const r = vm.createRoot(config);
        if (!vm.startRoot(r)) throw vm.failed ? logged(vm.failMessage) : new LoadError(`Failed to configure Wasm VM on worker ${w}`);
        slots.push({ vm, root: r });
      }
      const p = new Plugin(this, config, c, slots, kind);
      this.plugins.add(p);
      return p;
    } catch (e) {
      const msg = (e as Error).message;
      if (!(e as { logged?: boolean }).logged) this.opts.log.log(4, msg);
      throw new Error(`${what}: ${msg}`);
    }
  }

  forget(p: Plugin): void { this.plugins.delete(p); }

  async shutdown(): Promise<void> {
    for (const p of [...this.plugins]) await p.shutdown();
    for (const list of this.vms.values()) for (const vm of list) vm?.dispose();
    this.vms.clear();
    for (const vm of this.baseVms.values()) vm.dispose();
    this.baseVms.clear();
    this.shared.stop();
  }
}

class Plugin implements WasmPlugin {
  private stopped = false;
  constructor(private rt: Runtime, readonly config: PluginConfig, private compiled: Compiled,
    private slots: WorkerSlot[], readonly kind: "http" | "network") {}

  /** FAIL_RELOAD: a failed worker VM is replaced for new streams (no backoff here). */
  private slot(worker: number): WorkerSlot {
    const s = this.slots[worker];
    if (!s) throw new Error(`worker ${worker} out of range (workers: ${this.slots.length})`);
    if (s.vm.failed && this.config.failurePolicy === "FAIL_RELOAD" && !this.stopped) {
      try {
        const vm = this.rt.workerVm(this.config, this.compiled, worker, true);
        const root = vm.createRoot(this.config);
        if (vm.startRoot(root)) this.slots[worker] = { vm, root };
      } catch {
        // stays failed: behaves as FAIL_CLOSED
      }
    }
    return this.slots[worker];
  }

  newHttpFilter(worker: number, callbacks: HttpFilterCallbacks): HttpFilter {
    const s = this.slot(worker);
    if (s.vm.failed || this.stopped) return new FailedHttpFilter(callbacks, this.config.failurePolicy === "FAIL_OPEN");
    return new WasmHttpFilter(s, this.config, callbacks);
  }

  newNetworkFilter(worker: number, callbacks: NetworkFilterCallbacks): NetworkFilter {
    return new WasmNetworkFilter(this.slot(worker), this.config, callbacks);
  }

  tick(worker?: number): void {
    for (let w = 0; w < this.slots.length; w++) {
      if (worker !== undefined && w !== worker) continue;
      const s = this.slots[w];
      s.vm.tick(s.root);
    }
  }

  memoryBytes(worker: number): number { return this.slots[worker].vm.memoryBytes(); }
  failed(worker: number): boolean { return this.slots[worker].vm.failed; }
  rootContextId(worker: number): number { return this.slots[worker].root.id; }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.slots) s.vm.shutdownRoot(s.root);
    this.rt.forget(this);
  }
}

/** Wraps a foreign StatsStore (not from createStatsStore) so the wasm side can still read values. */
function adaptStats(opts: WasmRuntimeOptions): EnvoyStatsStore {
  const local = new EnvoyStatsStore([]);
  const s = opts.stats;
  const wrap = Object.create(local) as EnvoyStatsStore;
  wrap.counterAdd = (n, d) => { local.counterAdd(n, d); s.counterAdd(n, d); };
  wrap.gaugeSet = (n, v) => { local.gaugeSet(n, v); s.gaugeSet(n, v); };
  wrap.gaugeAdd = (n, d) => { local.gaugeAdd(n, d); s.gaugeSet(n, local.value(n) ?? 0); };
  wrap.histogramRecord = (n, v) => { local.histogramRecord(n, v); s.histogramRecord(n, v); };
  return wrap;
}

export function createWasmRuntime(opts: WasmRuntimeOptions): WasmRuntimeHandle {
  return new Runtime(opts);
}

export type { RootCtx };
