// Specs for the ABI layer against the test host's wasm layer (tests/unit/spec-host.ts): one HTTP
// stream context, Envoy's rules (a proxy_set_property(X) value reads back as property X, served
// from filter state `wasm.X`).
import {
  Context, RootContext, HeadersStatus, HeaderMap, MetricType, WasmResult, registerRootContext,
  addHeader, getHeader, replaceHeader, removeHeader, getHeaderPairs, getHeaderMapByteSize,
  propertyPath, getPropertyString, getPropertyI64, getPropertyBool, setProperty,
  getPropertyView, getHeaderView, viewPtr, viewEquals, viewStartsWith, viewCopy, viewString, defineMetric, incrementMetric, recordMetric, getMetric,
  getSharedData, setSharedData, findRootFactory, nowNanos, setHeaderPairs,
} from "./index";
import { HeaderPair } from "./pairs";
import {
  proxy_on_context_create, proxy_on_vm_start, proxy_on_configure, proxy_on_request_headers, proxy_on_response_headers,
  proxy_on_log, proxy_on_done, proxy_on_delete, proxy_on_downstream_data, proxy_on_tick,
} from "./exports";
// The ABI layer's own malloc, so fixed-size reads take the scratch path here (other specs export
// proxy-runtime's malloc and cover the copy path).
export { malloc } from "./exports";

let created: u32 = 0;
let deleted: u32 = 0;
let lastLogged: u32 = 0;

class SpecStream extends Context {
  onRequestHeaders(n: u32, eos: bool): HeadersStatus { return n == 7 ? HeadersStatus.StopIteration : HeadersStatus.Continue; }
  onLog(): void { lastLogged = this.id; }
  onDelete(): void { deleted++; }
}
class SpecRoot extends RootContext {
  createContext(id: u32): Context { created++; return new SpecStream(id, this); }
}
registerRootContext((id: u32): RootContext => new SpecRoot(id), "spec_root");

describe("export table", () => {
  it("creates the root for any root_id in a single-filter module and dispatches streams to it", () => {
    // The spec host answers plugin_root_id with "fake_root", which is not the registered name.
    proxy_on_context_create(1, 0);
    expect(proxy_on_vm_start(1, 0)).toBe(true);
    expect(proxy_on_configure(1, 0)).toBe(true);
    proxy_on_context_create(2, 1);
    expect(created).toBe(1);
    expect(proxy_on_request_headers(2, 7, false)).toBe(HeadersStatus.StopIteration);
    expect(proxy_on_request_headers(2, 3, false)).toBe(HeadersStatus.Continue);
    proxy_on_log(2);
    expect(lastLogged).toBe(2);
    proxy_on_done(2);
    proxy_on_delete(2);
    expect(deleted).toBe(1);
  });

  it("answers Continue for unknown or already-deleted context ids instead of trapping", () => {
    expect(proxy_on_request_headers(2, 7, false)).toBe(0);
    expect(proxy_on_response_headers(999, 1, true)).toBe(0);
    expect(proxy_on_downstream_data(12345, 10, false)).toBe(0);
    proxy_on_log(777);
    proxy_on_tick(555);
    proxy_on_delete(777);
    expect(proxy_on_done(888)).toBe(true);
    expect(proxy_on_configure(4242, 10)).toBe(false);
    // a stream whose parent root does not exist is not created
    proxy_on_context_create(50, 49);
    expect(proxy_on_request_headers(50, 7, false)).toBe(0);
  });

  it("keeps streams whose ids share a table slot apart (ids 4096 apart)", () => {
    proxy_on_context_create(10, 1);
    proxy_on_context_create(10 + 4096, 1);
    proxy_on_context_create(10 + 8192, 1);
    proxy_on_log(10 + 4096);
    expect(lastLogged).toBe(10 + 4096);
    proxy_on_delete(10);
    proxy_on_log(10 + 8192);
    expect(lastLogged).toBe(10 + 8192);
    proxy_on_log(10);
    expect(lastLogged).toBe(10 + 8192); // deleted: no dispatch
    proxy_on_delete(10 + 4096);
    proxy_on_delete(10 + 8192);
  });

  it("looks root_ids up exactly first", () => {
    expect(findRootFactory("spec_root") !== null).toBe(true);
    // single-filter module: unknown names fall back to the first registration
    expect(findRootFactory("whatever-istio-pluginName") !== null).toBe(true);
  });
});

describe("host wrappers", () => {
  it("adds, reads, replaces and removes headers", () => {
    expect(addHeader(HeaderMap.RequestHeaders, "X-A", "1")).toBe(WasmResult.Ok);
    expect(getHeader(HeaderMap.RequestHeaders, "x-a")).toBe("1");
    expect(replaceHeader(HeaderMap.RequestHeaders, "x-a", "2")).toBe(WasmResult.Ok);
    expect(getHeader(HeaderMap.RequestHeaders, "x-a")).toBe("2");
    addHeader(HeaderMap.RequestHeaders, "x-empty", "");
    expect(getHeader(HeaderMap.RequestHeaders, "x-empty")).toBe("");
    const pairs = getHeaderPairs(HeaderMap.RequestHeaders);
    expect(pairs.length).toBe(2);
    expect(pairs[0].key).toBe("x-a");
    expect(getHeaderMapByteSize(HeaderMap.RequestHeaders)).toBe(11); // "x-a"+"2"+"x-empty"+""
    expect(removeHeader(HeaderMap.RequestHeaders, "x-a")).toBe(WasmResult.Ok);
    expect(getHeader(HeaderMap.RequestHeaders, "x-a")).toBeNull();
  });

  // Envoy's header maps lower-case keys on every write path, set_header_map_pairs included
  // (the old fake host left set_header_map_pairs unimplemented).
  it("replaces a whole map with set_header_map_pairs, lower-casing the names", () => {
    expect(setHeaderPairs(HeaderMap.ResponseHeaders, [new HeaderPair("X-One", "1"), new HeaderPair("x-two", "2")])).toBe(WasmResult.Ok);
    const pairs = getHeaderPairs(HeaderMap.ResponseHeaders);
    expect(pairs.length).toBe(2);
    expect(pairs[0].key).toBe("x-one");
    expect(getHeader(HeaderMap.ResponseHeaders, "X-TWO")).toBe("2");
  });

  it("reads and writes properties through NUL-separated paths", () => {
    expect(getPropertyString(propertyPath(["plugin_root_id"]))).toBe("fake_root");
    expect(getPropertyString(propertyPath(["request", "path"]))).toBeNull();
    expect(setProperty(propertyPath(["peer"]), String.UTF8.encode("v"))).toBe(WasmResult.Ok);
    expect(getPropertyString(propertyPath(["peer"]))).toBe("v");
    expect(nowNanos()).toBe(1700000000000000000);
  });

  it("defines, increments, records and reads metrics with Envoy's semantics", () => {
    const c = defineMetric(MetricType.Counter, "spec_counter");
    const g = defineMetric(MetricType.Gauge, "spec_gauge");
    const h = defineMetric(MetricType.Histogram, "spec_histogram");
    expect(c & 3).toBe(0);
    expect(g & 3).toBe(1);
    expect(h & 3).toBe(2);
    expect(incrementMetric(c, 3)).toBe(WasmResult.Ok);
    expect(incrementMetric(c, 0)).toBe(WasmResult.BadArgument);
    expect(recordMetric(c, 2)).toBe(WasmResult.Ok); // record on a counter adds
    expect(getMetric(c)).toBe(5);
    recordMetric(g, 9);
    expect(getMetric(g)).toBe(9);
    expect(getMetric(h)).toBe(0); // histograms cannot be read
    expect(defineMetric(<MetricType>7, "bad")).toBe(0);
  });

  it("uses compare-and-swap on shared data", () => {
    expect(getSharedData("k").result).toBe(WasmResult.NotFound);
    expect(setSharedData("k", String.UTF8.encode("one"), 0)).toBe(WasmResult.Ok);
    const first = getSharedData("k");
    expect(String.UTF8.decode(first.value!)).toBe("one");
    expect(setSharedData("k", String.UTF8.encode("two"), first.cas)).toBe(WasmResult.Ok);
    expect(setSharedData("k", String.UTF8.encode("three"), first.cas)).toBe(WasmResult.CasMismatch);
    expect(String.UTF8.decode(getSharedData("k").value!)).toBe("two");
  });
});

describe("fixed-size property reads", () => {
  it("reads int64 and bool properties, and falls back for absent, short or long values", () => {
    const st = propertyPath(["spec_i64"]);
    // Values are planted through proxy_set_property (filter state wasm.<path>, read back as <path>).
    const eight = new ArrayBuffer(8);
    store<i64>(changetype<usize>(eight), -1234567890123);
    setProperty(st, eight);
    expect(getPropertyI64(propertyPath(["spec_i64"]), 7)).toBe(-1234567890123);
    const one = new ArrayBuffer(1);
    store<u8>(changetype<usize>(one), 1);
    setProperty(propertyPath(["spec_bool"]), one);
    expect(getPropertyBool(propertyPath(["spec_bool"]), false)).toBe(true);
    expect(getPropertyI64(propertyPath(["spec_bool"]), 7)).toBe(7); // 1 byte is not an int64
    setProperty(propertyPath(["spec_long"]), new ArrayBuffer(40));
    expect(getPropertyI64(propertyPath(["spec_long"]), 9)).toBe(9);   // larger than the scratch
    expect(getPropertyI64(propertyPath(["absent"]), 5)).toBe(5);
    expect(getPropertyBool(propertyPath(["absent"]), true)).toBe(true);
  });
});

describe("view reads", () => {
  it("looks at property and header bytes in place, and copies only on request", () => {
    setProperty(propertyPath(["spec_view"]), String.UTF8.encode("outbound|9080||ratings"));
    const n = getPropertyView(propertyPath(["spec_view"]));
    expect(n).toBe(22);
    expect(viewEquals(n, String.UTF8.encode("outbound|9080||ratings"))).toBe(true);
    expect(viewEquals(n, String.UTF8.encode("outbound|9080||reviews"))).toBe(false);
    expect(viewStartsWith(n, String.UTF8.encode("outbound|"))).toBe(true);
    expect(viewStartsWith(n, String.UTF8.encode("inbound|"))).toBe(false);
    const copy = viewCopy(n);
    expect(viewString(n)).toBe("outbound|9080||ratings");
    // The next view read reuses the scratch; the copy is unaffected.
    setProperty(propertyPath(["spec_view2"]), String.UTF8.encode("xx"));
    expect(getPropertyView(propertyPath(["spec_view2"]))).toBe(2);
    expect(String.UTF8.decode(copy)).toBe("outbound|9080||ratings");
    expect(getPropertyView(propertyPath(["absent"]))).toBe(-1);
    expect(viewEquals(-1, new ArrayBuffer(0))).toBe(false);
    setProperty(propertyPath(["spec_empty"]), new ArrayBuffer(0));
    expect(getPropertyView(propertyPath(["spec_empty"]))).toBe(0);
    expect(viewString(0)).toBe("");
  });

  it("reads values larger than the scratch through an ordinary buffer", () => {
    const big = new ArrayBuffer(5000);
    for (let i = 0; i < 5000; i++) store<u8>(changetype<usize>(big) + i, <u8>(i & 0x7f));
    setProperty(propertyPath(["spec_big"]), big);
    const n = getPropertyView(propertyPath(["spec_big"]));
    expect(n).toBe(5000);
    expect(viewEquals(n, big)).toBe(true);
    expect(load<u8>(viewPtr() + 4999)).toBe(<u8>(4999 & 0x7f));
    expect(getPropertyI64(propertyPath(["spec_big"]), 3)).toBe(3);
  });

  it("reads header values as views", () => {
    addHeader(HeaderMap.RequestHeaders, "content-type", "application/grpc+proto");
    const n = getHeaderView(HeaderMap.RequestHeaders, String.UTF8.encode("content-type"));
    expect(viewStartsWith(n, String.UTF8.encode("application/grpc"))).toBe(true);
    expect(getHeaderView(HeaderMap.RequestHeaders, String.UTF8.encode("x-absent"))).toBe(-1);
  });
});
