// Filter-manager semantics with test-double filters (no wasm): Envoy's iteration states, buffering,
// trailers, local replies, deferred continues and the log -> destroy order.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { DataStatus, HeaderList, HeadersStatus, HttpFilter, HttpFilterCallbacks, StreamInfo, TrailersStatus } from "../api";
import { FilterManager, type DecoderTerminal, type EncoderTerminal } from "./filter_manager";

type Script = Partial<{
  decodeHeaders: (h: HeaderList, end: boolean, cb: HttpFilterCallbacks) => HeadersStatus;
  decodeData: (d: Buffer, end: boolean, cb: HttpFilterCallbacks) => DataStatus;
  decodeTrailers: (t: HeaderList, cb: HttpFilterCallbacks) => TrailersStatus;
  encodeHeaders: (h: HeaderList, end: boolean, cb: HttpFilterCallbacks) => HeadersStatus;
  encodeData: (d: Buffer, end: boolean, cb: HttpFilterCallbacks) => DataStatus;
  encodeTrailers: (t: HeaderList, cb: HttpFilterCallbacks) => TrailersStatus;
}>;

/** Records every call as "<name>.<callback>(<detail>)" into a shared journal. */
class Recorder implements HttpFilter {
  cb!: HttpFilterCallbacks;
  constructor(readonly name: string, private journal: string[], private s: Script = {}) {}
  decodeHeaders(h: HeaderList, end: boolean): HeadersStatus {
    this.journal.push(`${this.name}.decodeHeaders(end=${end})`);
    return this.s.decodeHeaders?.(h, end, this.cb) ?? "Continue";
  }
  decodeData(d: Buffer, end: boolean): DataStatus {
    this.journal.push(`${this.name}.decodeData(${d.toString()},end=${end})`);
    return this.s.decodeData?.(d, end, this.cb) ?? "Continue";
  }
  decodeTrailers(t: HeaderList): TrailersStatus {
    this.journal.push(`${this.name}.decodeTrailers`);
    return this.s.decodeTrailers?.(t, this.cb) ?? "Continue";
  }
  encodeHeaders(h: HeaderList, end: boolean): HeadersStatus {
    this.journal.push(`${this.name}.encodeHeaders(${h.find(([k]) => k === ":status")?.[1]},end=${end})`);
    return this.s.encodeHeaders?.(h, end, this.cb) ?? "Continue";
  }
  encodeData(d: Buffer, end: boolean): DataStatus {
    this.journal.push(`${this.name}.encodeData(${d.toString()},end=${end})`);
    return this.s.encodeData?.(d, end, this.cb) ?? "Continue";
  }
  encodeTrailers(t: HeaderList): TrailersStatus {
    this.journal.push(`${this.name}.encodeTrailers`);
    return this.s.encodeTrailers?.(t, this.cb) ?? "Continue";
  }
  log(): void { this.journal.push(`${this.name}.log`); }
  onDestroy(): void { this.journal.push(`${this.name}.onDestroy`); }
}

function streamInfo(): StreamInfo {
  return {
    connection: { id: 1, sourceAddress: "127.0.0.1:1", destinationAddress: "127.0.0.1:2", mtls: false, requestedServerName: "", tlsVersion: "",
      uriSanPeerCertificate: [], uriSanLocalCertificate: [], dnsSanPeerCertificate: [], subjectPeerCertificate: "", sha256PeerCertificateDigest: "" },
    listenerDirection: "OUTBOUND", listenerMetadata: {}, routeName: "", routeMetadata: {}, virtualHostName: "", filterChainName: "",
    protocol: "HTTP/1.1", startTimeNs: 0n, requestBytes: 0, requestTotalBytes: 0, responseCodeDetails: "", responseFlags: [],
    responseBytes: 0, responseTotalBytes: 0, bytesReceived: 0, bytesSent: 0, filterState: new Map(), dynamicMetadata: {},
  };
}

function setup(scripts: Script[], opts: { terminalAnswers?: boolean } = {}) {
  const journal: string[] = [];
  const filters = scripts.map((s, i) => new Recorder(`f${i}`, journal, s));
  let fm!: FilterManager;
  let completed = false;
  const router: DecoderTerminal = {
    decodeHeaders: (_h, end) => {
      journal.push(`router.headers(end=${end})`);
      if (opts.terminalAnswers && end) queueMicrotask(() => fm.encodeHeaders([[":status", "200"]], true));
    },
    decodeData: (d, end) => {
      journal.push(`router.data(${d.toString()},end=${end})`);
      if (opts.terminalAnswers && end) queueMicrotask(() => fm.encodeHeaders([[":status", "200"]], true));
    },
    decodeTrailers: () => {
      journal.push("router.trailers");
      if (opts.terminalAnswers) queueMicrotask(() => fm.encodeHeaders([[":status", "200"]], true));
    },
    abort: () => journal.push("router.abort"),
  };
  const downstream: EncoderTerminal & { body: string } = {
    body: "",
    encodeHeaders: (h, end) => journal.push(`downstream.headers(${h.find(([k]) => k === ":status")?.[1]},end=${end})`),
    encodeData: (d, end) => { downstream.body += d.toString(); journal.push(`downstream.data(${d.toString()},end=${end})`); },
    encodeTrailers: () => journal.push("downstream.trailers"),
    reset: (details) => journal.push(`downstream.reset(${details})`),
  };
  fm = new FilterManager({
    streamInfo: streamInfo(),
    filters: filters.map((f) => (cb: HttpFilterCallbacks) => { f.cb = cb; return f; }),
    decoderTerminal: router, encoderTerminal: downstream, onComplete: () => { completed = true; },
  });
  const settled = () => new Promise<void>((r) => setImmediate(r));
  return { journal, filters, fm, downstream, settled, isCompleted: () => completed };
}

const GET: HeaderList = [[":method", "GET"], [":path", "/"], [":authority", "x"]];
const POST: HeaderList = [[":method", "POST"], [":path", "/"], [":authority", "x"]];

describe("filter manager", () => {
  it("decodes in order, encodes in reverse, then log and onDestroy on every filter", async () => {
    const t = setup([{}, {}], { terminalAnswers: true });
    t.fm.decodeHeaders(GET, true);
    await t.settled();
    assert.deepEqual(t.journal, [
      "f0.decodeHeaders(end=true)", "f1.decodeHeaders(end=true)", "router.headers(end=true)",
      "f1.encodeHeaders(200,end=true)", "f0.encodeHeaders(200,end=true)", "downstream.headers(200,end=true)",
      "router.abort", "f0.log", "f1.log", "f0.onDestroy", "f1.onDestroy",
    ]);
    assert.equal(t.isCompleted(), true);
    assert.equal(t.fm.streamInfo.responseCode, 200);
  });

  it("StopIteration from headers: later filters wait, this filter still gets data; Continue from data resumes headers then body", async () => {
    const t = setup([{ decodeHeaders: () => "StopIteration", decodeData: () => "Continue" }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("abc"), true);
    assert.deepEqual(t.journal, [
      "f0.decodeHeaders(end=false)", "f0.decodeData(abc,end=true)",
      // Envoy's commonContinue: the held headers go all the way first, then the body.
      "f1.decodeHeaders(end=false)", "router.headers(end=false)", "f1.decodeData(abc,end=true)", "router.data(abc,end=true)",
    ]);
  });

  it("StopAllIterationAndBuffer: no data callback while stopped; after continueDecoding the filter itself gets the buffered body", async () => {
    const t = setup([{ decodeHeaders: () => "StopAllIterationAndBuffer" }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("ab"), false);
    t.fm.decodeData(Buffer.from("cd"), true);
    assert.deepEqual(t.journal, ["f0.decodeHeaders(end=false)"]);
    t.filters[0].cb.continueDecoding();
    assert.deepEqual(t.journal.slice(1), [
      "f1.decodeHeaders(end=false)", "router.headers(end=false)",
      "f0.decodeData(abcd,end=true)", "f1.decodeData(abcd,end=true)", "router.data(abcd,end=true)",
    ]);
  });

  it("StopIterationAndBuffer from data: the filter sees the body cumulatively and the next filter gets it once", () => {
    const sizes: number[] = [];
    const t = setup([{
      decodeData: (_d, end, cb) => { sizes.push(cb.requestBody()!.length); return end ? "Continue" : "StopIterationAndBuffer"; },
    }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("12"), false);
    t.fm.decodeData(Buffer.from("345"), false);
    t.fm.decodeData(Buffer.from("6"), true);
    assert.deepEqual(sizes, [2, 5, 6]);
    assert.deepEqual(t.journal.filter((j) => j.startsWith("f1.decodeData") || j.startsWith("router.data")), ["f1.decodeData(123456,end=true)", "router.data(123456,end=true)"]);
  });

  it("a filter can replace the body it sees (setRequestBody) and the replacement flows on", () => {
    const t = setup([{ decodeData: (_d, _e, cb) => { cb.setRequestBody(Buffer.from("REPLACED")); return "Continue"; } }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("orig"), true);
    assert.ok(t.journal.includes("router.data(REPLACED,end=true)"), t.journal.join("\n"));
  });

  it("trailers wait behind a StopAll filter and follow the body after continue", () => {
    const t = setup([{ decodeHeaders: () => "StopAllIterationAndWatermark" }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("b"), false);
    t.fm.decodeTrailers([["x-t", "1"]]);
    assert.deepEqual(t.journal, ["f0.decodeHeaders(end=false)"]);
    t.filters[0].cb.continueDecoding();
    assert.deepEqual(t.journal.slice(1), [
      "f1.decodeHeaders(end=false)", "router.headers(end=false)",
      "f0.decodeData(b,end=false)", "f1.decodeData(b,end=false)", "router.data(b,end=false)",
      "f0.decodeTrailers", "f1.decodeTrailers", "router.trailers",
    ]);
  });

  it("continueDecoding called inside the callback counts as Continue once the callback returns", () => {
    const t = setup([{ decodeHeaders: (_h, _e, cb) => { cb.continueDecoding(); return "StopIteration"; } }, {}]);
    t.fm.decodeHeaders(GET, true);
    assert.deepEqual(t.journal, ["f0.decodeHeaders(end=true)", "f1.decodeHeaders(end=true)", "router.headers(end=true)"]);
  });

  it("a local reply from decodeHeaders stops decoding whatever the filter returns and runs every encoder filter", async () => {
    const t = setup([{}, {
      decodeHeaders: (_h, _e, cb) => { cb.sendLocalReply(403, Buffer.from("denied"), [["x-why", "test"]], undefined, "rbac access denied"); return "Continue"; },
    }, {}]);
    t.fm.decodeHeaders(GET, true);
    await t.settled();
    assert.deepEqual(t.journal, [
      "f0.decodeHeaders(end=true)", "f1.decodeHeaders(end=true)", "router.abort",
      "f2.encodeHeaders(403,end=false)", "f1.encodeHeaders(403,end=false)", "f0.encodeHeaders(403,end=false)", "downstream.headers(403,end=false)",
      "f2.encodeData(denied,end=true)", "f1.encodeData(denied,end=true)", "f0.encodeData(denied,end=true)", "downstream.data(denied,end=true)",
      "router.abort", "f0.log", "f1.log", "f2.log", "f0.onDestroy", "f1.onDestroy", "f2.onDestroy",
    ]);
    assert.equal(t.fm.streamInfo.responseCodeDetails, "rbac access denied");
    assert.equal(t.fm.streamInfo.responseCode, 403);
    assert.equal(t.downstream.body, "denied");
  });

  it("a local reply after response headers went downstream resets the stream", async () => {
    const t = setup([{ encodeData: (_d, _e, cb) => { cb.sendLocalReply(500, new Uint8Array(0), [], undefined, "late"); return "Continue"; } }]);
    t.fm.decodeHeaders(GET, true);
    t.fm.encodeHeaders([[":status", "200"]], false);
    t.fm.encodeData(Buffer.from("x"), true);
    await t.settled();
    assert.ok(t.journal.includes("downstream.reset(late)"), t.journal.join("\n"));
    assert.ok(!t.journal.includes("downstream.data(x,end=true)"), "the data after the failed local reply is not sent");
  });

  it("response StopAll at headers holds data until continueEncoding; encoder trailers pass in reverse order", () => {
    const t = setup([{ encodeHeaders: () => "StopAllIterationAndBuffer" }, {}]);
    t.fm.decodeHeaders(GET, true);
    t.fm.encodeHeaders([[":status", "200"]], false);
    t.fm.encodeData(Buffer.from("r"), false);
    t.fm.encodeTrailers([["grpc-status", "0"]]);
    // Encoder order is f1 then f0: f1 sees data and trailers, f0 (stopped) holds them.
    assert.deepEqual(t.journal.slice(3), ["f1.encodeHeaders(200,end=false)", "f0.encodeHeaders(200,end=false)", "f1.encodeData(r,end=false)", "f1.encodeTrailers"]);
    t.filters[0].cb.continueEncoding();
    assert.deepEqual(t.journal.slice(7), [
      "downstream.headers(200,end=false)", "f0.encodeData(r,end=false)", "downstream.data(r,end=false)", "f0.encodeTrailers", "downstream.trailers", "router.abort",
    ]);
  });

  it("trailers a filter adds at end of stream go to the filters after it, then the router", () => {
    const t = setup([{}, { decodeData: (_d, end, cb) => { if (end) cb.addRequestTrailers().push(["x-added", "1"]); return "Continue"; } }, {}]);
    t.fm.decodeHeaders(POST, false);
    t.fm.decodeData(Buffer.from("b"), true);
    assert.deepEqual(t.journal, [
      "f0.decodeHeaders(end=false)", "f1.decodeHeaders(end=false)", "f2.decodeHeaders(end=false)", "router.headers(end=false)",
      "f0.decodeData(b,end=true)", "f1.decodeData(b,end=true)", "f2.decodeData(b,end=false)", "router.data(b,end=false)",
      "f2.decodeTrailers", "router.trailers",
    ]);
  });

  it("a local reply from an encoder filter while response headers are unsent replaces the response directly", async () => {
    const t = setup([{ encodeHeaders: (_h, _e, cb) => { cb.sendLocalReply(502, Buffer.from("bad upstream"), [], undefined, "encoder_reply"); return "Continue"; } }, {}]);
    t.fm.decodeHeaders(GET, true);
    t.fm.encodeHeaders([[":status", "200"]], false);
    t.fm.encodeData(Buffer.from("original"), true);
    await t.settled();
    assert.deepEqual(t.journal.slice(3), [
      "f1.encodeHeaders(200,end=false)", "f0.encodeHeaders(200,end=false)",
      "router.abort", "downstream.headers(502,end=false)", "downstream.data(bad upstream,end=true)", "router.abort",
      "f0.log", "f1.log", "f0.onDestroy", "f1.onDestroy",
    ]);
    assert.equal(t.fm.streamInfo.responseCode, 502);
  });

  it("a gRPC request's local reply is a trailers-only 200 with grpc-status", async () => {
    const t = setup([{ decodeHeaders: (_h, _e, cb) => { cb.sendLocalReply(503, Buffer.from("down"), [], undefined, "x"); return "StopIteration"; } }]);
    const seen: HeaderList[] = [];
    t.filters[0].encodeHeaders = (h) => { seen.push(h); return "Continue"; };
    t.fm.decodeHeaders([...POST, ["content-type", "application/grpc"]], false);
    await t.settled();
    assert.deepEqual(seen[0].filter(([k]) => k === ":status" || k === "grpc-status"), [[":status", "200"], ["grpc-status", "14"]]);
  });

  it("a downstream reset ends the stream: router aborted, log and destroy still run", async () => {
    const t = setup([{ decodeHeaders: () => "StopAllIterationAndBuffer" }]);
    t.fm.decodeHeaders(POST, false);
    t.fm.reset("downstream_remote_disconnect", "DC");
    await t.settled();
    assert.deepEqual(t.journal.slice(1), ["router.abort", "downstream.reset(downstream_remote_disconnect)", "f0.log", "f0.onDestroy"]);
    assert.deepEqual(t.fm.streamInfo.responseFlags, ["DC"]);
  });

  it("StreamInfo.grpcStatus before log(): grpc-status trailer, else trailers-only header, else httpToGrpcStatus(code)", async () => {
    const grpcOf = async (headers: HeaderList, trailers?: HeaderList) => {
      const t = setup([{}]);
      let seen: number | undefined | null = null;
      t.filters[0].log = () => { seen = t.fm.streamInfo.grpcStatus; };
      t.fm.decodeHeaders(GET, true);
      t.fm.encodeHeaders(headers, trailers === undefined);
      if (trailers) t.fm.encodeTrailers(trailers);
      await t.settled();
      return seen;
    };
    assert.equal(await grpcOf([[":status", "200"], ["content-type", "application/grpc"]], [["grpc-status", "5"]]), 5);
    assert.equal(await grpcOf([[":status", "200"], ["grpc-status", "7"]]), 7);
    assert.equal(await grpcOf([[":status", "200"], ["grpc-status", "3"]], [["grpc-status", "0"]]), 0);
    assert.equal(await grpcOf([[":status", "503"]]), 14);
    assert.equal(await grpcOf([[":status", "200"], ["grpc-status", "x1"]]), -1);
  });
});
