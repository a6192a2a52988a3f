// The host the as-pect specs (shared/**/*.spec.ts, filters/**/*.spec.ts) run against: the test
// host's own wasm layer (tests/host/wasm/vm.ts), not a second implementation. Every header-map,
// property, filter-state, metric, shared-data and pairs call of a spec goes through the same
// code that serves dist/*.wasm in the conformance and e2e tests, so the two cannot disagree.
//
// A spec calls host functions directly (no proxy_on_* dispatch from the host), so they act on one
// HTTP stream context, fixed for the whole spec file: request/response headers and trailers are
// writable maps, filter state is the stream's, plugin_root_id is "fake_root" (a name no spec
// registers), and the clock stands at 1700000000 s.
import { WasmVm, StreamCtx, type Exports } from "../host/wasm/vm";
import { createStatsStore } from "../host/wasm/index";
import { SharedState } from "../host/wasm/shared";
import type { EnvoyStatsStore } from "../host/wasm/stats";
import type { WasmRuntimeOptions } from "../host/api";
import { FakeClusters, FakeHttpCallbacks, Logs, makeStreamInfo, pluginConfig } from "../host/conformance/harness";

export const SPEC_CLOCK_NS = 1_700_000_000_000_000_000n;

export function specHostImports(): { imports: WebAssembly.Imports; bind(instance: WebAssembly.Instance): void; vm: WasmVm } {
  const logs = new Logs();
  logs.logLevel = 2;
  const stats = createStatsStore([]) as EnvoyStatsStore;
  const opts: WasmRuntimeOptions = {
    workers: 1, node: { id: "spec~0~spec.ns~ns.svc.cluster.local", cluster: "spec", metadata: {} },
    clusters: new FakeClusters(), stats, log: logs.sink, clock: () => SPEC_CLOCK_NS,
  };
  // The module is instantiated by as-pect, not by the VM: no compiled module is needed here.
  const vm = new WasmVm(opts, undefined as unknown as WebAssembly.Module, "0.2.1", new SharedState(), stats, "spec", {}, undefined, "spec");
  const root = vm.createRoot(pluginConfig(new Uint8Array(0), { name: "spec", rootId: "fake_root", vmId: "spec" }));
  const cb = new FakeHttpCallbacks(makeStreamInfo({ filterState: new Map() }));
  const stream = new StreamCtx(vm, vm.allocId(), root, cb);
  vm.contexts.set(stream.id, stream);
  stream.reqHeaders = [];
  stream.respHeaders = [];
  stream.reqTrailers = [];
  stream.respTrailers = [];
  return {
    vm,
    imports: vm.embedImports(),
    bind(instance: WebAssembly.Instance) {
      vm.embed(instance, stream);
      void (instance.exports as Exports);
    },
  };
}
