// Callers for the demo topology, shared by `npm start` and the e2e tests: one HTTP/1.1 GET, one h2
// request (gRPC included), one TCP round trip. Each has a 5 s timeout and closes what it opened.
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export interface HttpReply { status: number; headers: http.IncomingHttpHeaders; body: string; }
export interface H2Reply { status: number; headers: http2.IncomingHttpHeaders; body: Buffer; trailers: http2.IncomingHttpHeaders; }

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers, agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
    req.end();
  });
}

/** One h2 (h2c for http:// URLs) request; `body` undefined sends headers only. */
export function h2Request(url: string, headers: http2.OutgoingHttpHeaders, body?: Buffer): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    const timer = setTimeout(() => { session.destroy(); reject(new Error("h2 client timeout")); }, 5000);
    session.on("error", (e) => { clearTimeout(timer); reject(e); });
    const req = session.request(headers, { endStream: body === undefined });
    let rh: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => { rh = h; });
    req.on("trailers", (t) => { trailers = t; });
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => { clearTimeout(timer); session.close(); resolve({ status: Number(rh[":status"]), headers: rh, body: Buffer.concat(chunks), trailers }); });
    req.on("error", (e) => { clearTimeout(timer); session.destroy(); reject(e); });
    if (body !== undefined) req.end(body);
  });
}

/** Writes `payload`, reads until as many bytes came back, then half-closes; resolves with what came back. */
export function tcpRoundTrip(port: number, payload: Buffer | string, host = "127.0.0.1"): Promise<Buffer> {
  const out = typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const got: Buffer[] = [];
    let n = 0;
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`tcp timeout after ${n} bytes`)); }, 5000);
    sock.on("connect", () => sock.write(out));
    sock.on("data", (d: Buffer) => { got.push(d); n += d.length; if (n >= out.length) sock.end(); });
    sock.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(got)); });
    sock.on("error", (e) => { clearTimeout(timer); reject(e); });
  });
}
