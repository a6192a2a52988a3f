// Envoy's wasm network filter (context.cc onNewConnection / onData / onWrite / onEvent / onCloseTCP):
// DOWNSTREAM_DATA / UPSTREAM_DATA are readable and replaceable during their callbacks; any non-zero
// result is StopIteration; on close: connection_close, then done -> log -> delete.
import type { NetworkFilter, NetworkFilterCallbacks, NetworkStatus, PluginConfig } from "../api";
import { NetCtx } from "./vm";
import type { WorkerSlot } from "./http";

export class WasmNetworkFilter implements NetworkFilter {
  private ctx?: NetCtx;
  private bypass = false;
  private closed = false;

  constructor(private slot: WorkerSlot, private config: PluginConfig, private cb: NetworkFilterCallbacks) {}

  private onFailure(): NetworkStatus {
    if (this.config.failurePolicy === "FAIL_OPEN") {
      this.bypass = true;
      return "Continue";
    }
    if (!this.closed) {
      this.closed = true;
      this.cb.close();
    }
    return "StopIteration";
  }

  private get vm() { return this.slot.vm; }

  onNewConnection(): NetworkStatus {
    if (this.bypass) return "Continue";
    if (this.closed || this.vm.failed) return this.onFailure();
    const vm = this.vm;
    const c = new NetCtx(vm, vm.allocId(), this.slot.root, this.cb);
    vm.contexts.set(c.id, c);
    this.ctx = c;
    vm.call("proxy_on_context_create", c, c.id, this.slot.root.id);
    if (vm.failed) return this.onFailure();
    c.created = true;
    const r = vm.call("proxy_on_new_connection", c, c.id);
    if (vm.failed) return this.onFailure();
    return (r ?? 0) === 0 ? "Continue" : "StopIteration";
  }

  private data(which: "downstream" | "upstream", data: { buf: Buffer }, endStream: boolean): NetworkStatus {
    if (this.bypass) return "Continue";
    const c = this.ctx;
    if (this.closed || this.vm.failed || !c) return this.vm.failed || this.closed ? this.onFailure() : "Continue";
    c[which] = data;
    let r: number | undefined;
    try {
      r = this.vm.call(which === "downstream" ? "proxy_on_downstream_data" : "proxy_on_upstream_data", c, c.id, data.buf.length, endStream ? 1 : 0);
    } finally {
      c[which] = undefined;
    }
    if (this.vm.failed) return this.onFailure();
    // Envoy synthesizes the upstream close on end_stream from upstream (context.cc onWrite).
    if (which === "upstream" && endStream) this.upstreamClosed(0);
    return (r ?? 0) === 0 ? "Continue" : "StopIteration";
  }

  private upstreamDone = false;
  private downstreamDone = false;

  /** onUpstreamConnectionClose: tell the VM; if downstream already closed, finish the context. */
  private upstreamClosed(peer: number): void {
    const c = this.ctx;
    if (!c || this.bypass || this.vm.failed || this.upstreamDone) return;
    this.upstreamDone = true;
    this.vm.call("proxy_on_upstream_connection_close", c, c.id, peer);
    if (this.downstreamDone) this.closeTcp();
  }

  /** onCloseTCP: done -> log -> delete, once. */
  private closeTcp(): void {
    const c = this.ctx;
    if (!c) return;
    this.ctx = undefined;
    const vm = this.vm;
    if (vm.failed) { vm.contexts.delete(c.id); return; }
    vm.call("proxy_on_done", c, c.id);
    vm.call("proxy_on_log", c, c.id);
    vm.deleteCtx(c);
  }

  onData(data: { buf: Buffer }, endStream: boolean): NetworkStatus { return this.data("downstream", data, endStream); }
  onWrite(data: { buf: Buffer }, endStream: boolean): NetworkStatus { return this.data("upstream", data, endStream); }

  onUpstreamEvent(event: "RemoteClose" | "LocalClose"): void {
    this.upstreamClosed(event === "RemoteClose" ? 2 : 1);
  }

  onEvent(event: "RemoteClose" | "LocalClose"): void {
    const c = this.ctx;
    if (!c || this.bypass || this.downstreamDone) return;
    this.downstreamDone = true;
    if (!this.vm.failed) this.vm.call("proxy_on_downstream_connection_close", c, c.id, event === "RemoteClose" ? 2 : 1);
    // TCP order differs from HTTP: done -> log -> delete (context.cc onCloseTCP).
    this.closeTcp();
  }
}
