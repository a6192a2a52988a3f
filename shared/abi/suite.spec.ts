// suite.wasm registers several filters and requires Envoy's root_id to name one exactly.
import { Context, RootContext, registerRootContext, requireExactRootIds, findRootFactory, registeredRootIds } from "./index";
import { proxy_on_context_create, proxy_on_vm_start, proxy_on_configure, proxy_on_request_headers } from "./exports";
export { malloc } from "@solo-io/proxy-runtime/assembly/malloc";

class A extends RootContext {}
class B extends RootContext {}
requireExactRootIds();
registerRootContext((id: u32): RootContext => new A(id), "filter_a");
registerRootContext((id: u32): RootContext => new B(id), "filter_b");

describe("multi-filter module (suite.wasm)", () => {
  it("finds each filter by its exact root_id and nothing else", () => {
    expect(findRootFactory("filter_a") !== null).toBe(true);
    expect(findRootFactory("filter_b") !== null).toBe(true);
    expect(findRootFactory("filter_c") === null).toBe(true);
    expect(findRootFactory("") === null).toBe(true);
    expect(registeredRootIds()).toBe("filter_a, filter_b");
  });

  it("fails the plugin (vm_start/configure false), without trapping, for a root_id it does not serve", () => {
    // The spec host reports plugin_root_id "fake_root"; the error log names it and the served ids.
    proxy_on_context_create(1, 0);
    expect(proxy_on_vm_start(1, 0)).toBe(false);
    expect(proxy_on_configure(1, 0)).toBe(false);
    proxy_on_context_create(2, 1);
    expect(proxy_on_request_headers(2, 1, true)).toBe(0);
  });
});
