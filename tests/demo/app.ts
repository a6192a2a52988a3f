// The demo workload behind the server sidecar. It reports what reached it, so tests can assert on
// what the sidecars added or changed:
//   HTTP/1.1 (httpPort): any request -> 200 JSON {protocol, method, path, headers, body, trailers};
//                        /status/<code> answers that code, /delay/<ms> answers after ms
//   h2c      (grpcPort): gRPC-style echo: a request to /demo.Echo/Echo with content-type
//                        application/grpc gets one framed message back (the JSON report) and
//                        trailers grpc-status: 0; other h2 requests get the JSON report.
//   TCP      (tcpPort):  echoes every byte back.
// Run alone: node build/demo/app.mjs [httpPort grpcPort tcpPort] (tools/start.ts bundles it).
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

export interface DemoReport {
  protocol: string;
  method: string;
  path: string;
  /** [name, value] pairs in arrival order, names lower-cased. */
  headers: Array<[string, string]>;
  body: string;
  trailers: Array<[string, string]>;
}

export interface DemoApp {
  httpPort: number;
  grpcPort: number;
  tcpPort: number;
  /** Every HTTP/gRPC request seen, newest last. */
  seen: DemoReport[];
  close(): Promise<void>;
}

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

/** gRPC length-prefixed message framing (1 byte compressed flag, 4 bytes big-endian length). */
export function grpcFrame(msg: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(msg.length, 1);
  return Buffer.concat([h, msg]);
}

export function grpcUnframe(buf: Buffer): Buffer | undefined {
  if (buf.length < 5) return undefined;
  const n = buf.readUInt32BE(1);
  return buf.length >= 5 + n ? buf.subarray(5, 5 + n) : undefined;
}

export async function startDemoApp(ports: { httpPort?: number; grpcPort?: number; tcpPort?: number } = {}, host = "127.0.0.1"): Promise<DemoApp> {
  const seen: DemoReport[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => { sockets.add(s); s.on("close", () => sockets.delete(s)); };

  const h1 = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const report: DemoReport = {
        protocol: `HTTP/${req.httpVersion}`, method: req.method ?? "", path: req.url ?? "", headers: pairs(req.rawHeaders),
        body: Buffer.concat(chunks).toString(), trailers: pairs(req.rawTrailers),
      };
      seen.push(report);
      if (req.url?.startsWith("/delay/")) {
        // Answers after the given milliseconds (capped at 10 s): for timeout tests.
        const t = setTimeout(() => { if (!res.destroyed) res.end("late\n"); }, Math.min(Number(req.url.slice(7)) || 0, 10_000));
        res.on("close", () => clearTimeout(t));
        return;
      }
      if (req.url?.startsWith("/status/")) {
        res.writeHead(Number(req.url.slice(8)) || 500, { "content-type": "text/plain" });
        res.end("status\n");
        return;
      }
      const body = JSON.stringify(report);
      res.writeHead(200, { "content-type": "application/json", "x-demo-app": "echo", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  h1.on("connection", track);

  const h2 = http2.createServer();
  h2.on("connection", track);
  h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders?: unknown) => {
    const chunks: Buffer[] = [];
    let trailers: Array<[string, string]> = [];
    stream.on("data", (d: Buffer) => chunks.push(d));
    stream.on("trailers", (t: http2.IncomingHttpHeaders) => { trailers = Object.entries(t).map(([k, v]) => [k, String(v)]); });
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      const isGrpc = String(headers["content-type"] ?? "").startsWith("application/grpc");
      const report: DemoReport = {
        protocol: "HTTP/2", method: String(headers[":method"]), path: String(headers[":path"]),
        headers: pairs(rawHeaders as unknown as string[]), body: isGrpc ? (grpcUnframe(body)?.toString() ?? "") : body.toString(), trailers,
      };
      seen.push(report);
      if (stream.destroyed) return;
      if (isGrpc) {
        if (headers[":path"] !== "/demo.Echo/Echo") {
          stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "unknown method" }, { endStream: true });
          return;
        }
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "" }));
        stream.end(grpcFrame(Buffer.from(JSON.stringify(report))));
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/json", "x-demo-app": "echo" });
      stream.end(JSON.stringify(report));
    });
    stream.on("error", () => undefined);
  });

  const tcp = net.createServer((s) => {
    track(s);
    s.on("data", (d) => s.write(d));
    s.on("end", () => s.end());
    s.on("error", () => undefined);
  });

  const listen = (srv: net.Server, port: number) => new Promise<number>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(port, host, () => {
      srv.off("error", reject);
      resolve((srv.address() as net.AddressInfo).port);
    });
  });
  const servers: net.Server[] = [];
  try {
    const httpPort = await listen(h1, ports.httpPort ?? 0); servers.push(h1);
    const grpcPort = await listen(h2, ports.grpcPort ?? 0); servers.push(h2);
    const tcpPort = await listen(tcp, ports.tcpPort ?? 0); servers.push(tcp);
    return {
      httpPort, grpcPort, tcpPort, seen,
      close: async () => {
        const closed = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of sockets) s.destroy();
        await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 2000).unref())]);
      },
    };
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
}
