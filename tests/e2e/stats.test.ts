// istio_stats end to end, checked by a real Prometheus: both sidecars run
// envoy-configs/stats-{client,server}-sidecar.yaml (metadata exchange + dist/istio_stats.wasm, the
// Istio stats_tags block). A scripted mix goes through them (HTTP 200/404/503, a gRPC call that
// ends UNIMPLEMENTED, a TCP echo), then /usr/bin/prometheus (Debian package `prometheus`) scrapes
// both admin endpoints and the assertions are PromQL queries over its HTTP API. `promtool check
// metrics` must find no problem in either scrape.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import path from "node:path";
import os from "node:os";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Proxy } from "../host/proxy/proxy";
import { startSidecarDemo, type SidecarDemo } from "../host/proxy/sidecars";
import { spiffeId } from "../certs/generate";
import { grpcFrame } from "../demo/app";
import { httpGet as get, h2Request, tcpRoundTrip } from "../demo/client";

async function grpcCall(url: string, method: string): Promise<{ status: number; grpcStatus: string | undefined }> {
  const r = await h2Request(url, { ":method": "POST", ":path": method, "content-type": "application/grpc", te: "trailers" }, grpcFrame(Buffer.from("hello")));
  const g = r.trailers["grpc-status"] ?? r.headers["grpc-status"];
  return { status: r.status, grpcStatus: g === undefined ? undefined : String(g) };
}

const tcpEcho = async (port: number, size: number) => (await tcpRoundTrip(port, Buffer.alloc(size, 0x61))).length;
import { createWasmRuntime, createStatsStore } from "../host/wasm/index";
import { ISTIO_HTTP_LABELS } from "../stats/istio-labels";

const ROOT = process.cwd();
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";
const PROMTOOL = process.env.PROMTOOL_BIN ?? "/usr/bin/promtool";
const CERTS = path.join(ROOT, "build", `certs-stats-e2e-${process.pid}`);

const HTTP_LABELS = ISTIO_HTTP_LABELS;
const TCP_LABELS = HTTP_LABELS.filter((l) => l !== "response_code" && l !== "grpc_response_status");

// The mix (see the test descriptions for what each must produce).
const MIX = { ok: 3, notFound: 2, unavailable: 1 };
const TCP_PAYLOAD = 1500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on("error", reject);
  });
}

interface Sample { metric: Record<string, string>; value: [number, string]; }

class PrometheusServer {
  proc?: ChildProcess;
  port = 0;
  dir = "";
  log = "";

  async start(targets: Record<string, string>): Promise<void> {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "istio-stats-prom-"));
    this.port = await freePort();
    const jobs = Object.entries(targets).map(([job, hostport]) =>
      `  - job_name: ${job}\n    metrics_path: /stats/prometheus\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${hostport}"]\n`).join("");
    writeFileSync(path.join(this.dir, "prometheus.yml"), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}`);
    this.proc = spawn(PROMETHEUS, [
      `--config.file=${path.join(this.dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(this.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${this.port}`, "--log.level=warn",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => (this.log += d));
    this.proc.stderr!.on("data", (d) => (this.log += d));
    const t0 = Date.now();
    while (Date.now() - t0 < 20000) {
      if (this.proc.exitCode !== null) throw new Error(`prometheus exited with ${this.proc.exitCode}:\n${this.log}`);
      try { if ((await get(`http://127.0.0.1:${this.port}/-/ready`)).status === 200) return; } catch { /* not yet */ }
      await sleep(200);
    }
    throw new Error(`prometheus did not become ready:\n${this.log}`);
  }

  async query(q: string): Promise<Sample[]> {
    const r = await get(`http://127.0.0.1:${this.port}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = JSON.parse(r.body);
    if (body.status !== "success") throw new Error(`PromQL ${q}: ${r.body}`);
    return body.data.result as Sample[];
  }

  /** Polls until `q` returns a result `ok` accepts (scrapes arrive every second). */
  async until(q: string, ok: (s: Sample[]) => boolean, ms = 15000): Promise<Sample[]> {
    const t0 = Date.now();
    let last: Sample[] = [];
    while (Date.now() - t0 < ms) {
      last = await this.query(q);
      if (ok(last)) return last;
      await sleep(500);
    }
    return last;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The istio_requests_total line of a sidecar's own /stats/prometheus text that contains `part`. */
async function scrape(adminPort: number, part: string): Promise<string> {
  const text = (await get(`http://127.0.0.1:${adminPort}/stats/prometheus`)).body;
  return text.split("\n").find((l) => l.startsWith("istio_requests_total{") && l.includes(part)) ?? "";
}

const value = (s: Sample | undefined) => (s === undefined ? NaN : Number(s.value[1]));

describe("e2e: Istio standard metrics through two sidecars, scraped by Prometheus", () => {
  let demo: SidecarDemo | undefined;
  let server: Proxy;
  let client: Proxy;
  const prom = new PrometheusServer();

  before(async () => {
    if (!existsSync(PROMETHEUS) || !existsSync(PROMTOOL)) {
      throw new Error(`${PROMETHEUS} / ${PROMTOOL} not found: install the Debian package \`prometheus\` (apt-get install -y prometheus; .ci/apt-packages.txt lists it)`);
    }
    demo = await startSidecarDemo({
      repoRoot: ROOT, certDir: CERTS, freshCerts: true, ephemeral: true, workers: 2, echoLogFrom: 4,
      runtime: createWasmRuntime, stats: createStatsStore,
      configs: { client: "stats-client-sidecar.yaml", server: "stats-server-sidecar.yaml" },
    });
    ({ server, client } = demo);

    // The scripted mix.
    const base = `http://127.0.0.1:${client.listenerPort("outbound_http")}`;
    for (let i = 0; i < MIX.ok; i++) assert.equal((await get(`${base}/ok`)).status, 200);
    for (let i = 0; i < MIX.notFound; i++) assert.equal((await get(`${base}/status/404`)).status, 404);
    for (let i = 0; i < MIX.unavailable; i++) assert.equal((await get(`${base}/status/503`)).status, 503);
    const g = await grpcCall(base, "/demo.Echo/Missing");
    assert.equal(g.status, 200);
    assert.equal(g.grpcStatus, "12");
    assert.equal(await tcpEcho(client.listenerPort("outbound_tcp"), TCP_PAYLOAD), TCP_PAYLOAD);
    // Wait (bounded) until the connection close has reached both sidecars' network filters: each
    // reports istio_tcp_connections_closed_total when its connection closes.
    for (const p of [client, server]) {
      const t0 = Date.now();
      while (!/^istio_tcp_connections_closed_total\{.*\} [1-9]/m.test((await get(`http://127.0.0.1:${p.adminPort}/stats/prometheus`)).body)) {
        if (Date.now() - t0 > 10000) throw new Error(`admin :${p.adminPort}: no istio_tcp_connections_closed_total after the TCP echo closed`);
        await new Promise((r) => setImmediate(r));
      }
    }
    // Envoy flushes histograms to the admin output every stats_flush_interval; do it now.
    server.flushStats();
    client.flushStats();

    await prom.start({ client: `127.0.0.1:${client.adminPort}`, server: `127.0.0.1:${server.adminPort}` });
  });

  after(async () => {
    await prom.stop();
    await demo?.stop();
    rmSync(CERTS, { recursive: true, force: true });
  });

  it("Prometheus scrapes both sidecars", async () => {
    const up = await prom.until("up", (s) => s.length === 2 && s.every((x) => x.value[1] === "1"));
    assert.deepEqual(up.map((s) => [s.metric.job, s.value[1]]).sort(), [["client", "1"], ["server", "1"]], prom.log);
  });

  it("istio_requests_total, reporter=source: 25 labels with the client's view of each request", async () => {
    const rows = await prom.until('istio_requests_total{reporter="source"}', (s) => s.length >= 4);
    const byCode = new Map(rows.map((s) => [s.metric.response_code + "/" + s.metric.request_protocol, s]));
    assert.deepEqual([...byCode.keys()].sort(), ["200/grpc", "200/http", "404/http", "503/http"], JSON.stringify(rows.map((r) => r.metric)));
    const ok = byCode.get("200/http")!;
    const { __name__, instance, job, ...labels } = ok.metric;
    assert.equal(__name__, "istio_requests_total");
    // Prometheus treats an empty label value as no label: grpc_response_status="" (non-gRPC) is absent.
    assert.deepEqual(Object.keys(labels).sort(), HTTP_LABELS.filter((l) => l !== "grpc_response_status").sort());
    assert.ok(/grpc_response_status=""/.test(await scrape(client.adminPort, 'response_code="200",grpc_response_status=""')), "the scrape carries grpc_response_status=\"\"");
    assert.deepEqual(labels, {
      reporter: "source",
      source_workload: "client", source_canonical_service: "client", source_canonical_revision: "v1",
      source_workload_namespace: "default", source_principal: spiffeId("client"), source_app: "client",
      source_version: "v1", source_cluster: "Kubernetes",
      destination_workload: "server", destination_workload_namespace: "default", destination_principal: spiffeId("server"),
      destination_app: "server", destination_version: "v1", destination_service: "server.default.svc.cluster.local",
      destination_canonical_service: "server", destination_canonical_revision: "v1", destination_service_name: "server",
      destination_service_namespace: "default", destination_cluster: "Kubernetes",
      request_protocol: "http", response_code: "200", response_flags: "-",
      connection_security_policy: "unknown",
    });
    assert.equal(value(ok), MIX.ok);
    assert.equal(value(byCode.get("404/http")), MIX.notFound);
    assert.equal(value(byCode.get("503/http")), MIX.unavailable);
    const grpc = byCode.get("200/grpc")!;
    assert.equal(grpc.metric.grpc_response_status, "12");
    assert.equal(value(grpc), 1);
  });

  it("istio_requests_total, reporter=destination: the server's view (mTLS, peer from metadata exchange)", async () => {
    const rows = await prom.until('istio_requests_total{reporter="destination"}', (s) => s.length >= 4);
    const ok = rows.find((s) => s.metric.response_code === "200" && s.metric.request_protocol === "http");
    assert.ok(ok, JSON.stringify(rows.map((r) => r.metric)));
    const { __name__, instance, job, ...labels } = ok.metric;
    assert.deepEqual(Object.keys(labels).sort(), HTTP_LABELS.filter((l) => l !== "grpc_response_status").sort());
    assert.equal(labels.source_workload, "client");
    assert.equal(labels.source_canonical_revision, "v1");
    assert.equal(labels.source_principal, spiffeId("client"));
    assert.equal(labels.destination_workload, "server");
    assert.equal(labels.destination_principal, spiffeId("server"));
    // Inbound: no Host-header fallback; the server's own canonical service and namespace.
    assert.equal(labels.destination_service, "server");
    assert.equal(labels.destination_service_name, "server");
    assert.equal(labels.destination_service_namespace, "default");
    assert.equal(labels.connection_security_policy, "mutual_tls");
    assert.equal(labels.response_flags, "-");
    assert.equal(value(ok), MIX.ok);
    const total = await prom.query('sum(istio_requests_total{reporter="destination"})');
    assert.equal(value(total[0]), MIX.ok + MIX.notFound + MIX.unavailable + 1);
  });

  it("duration and size histograms: Envoy's default buckets, one sample per request", async () => {
    for (const reporter of ["source", "destination"]) {
      for (const m of ["istio_request_duration_milliseconds", "istio_request_bytes", "istio_response_bytes"]) {
        const counts = await prom.until(`sum(${m}_count{reporter="${reporter}"})`, (s) => s.length === 1 && value(s[0]) > 0);
        assert.equal(value(counts[0]), MIX.ok + MIX.notFound + MIX.unavailable + 1, `${m} ${reporter}`);
        const buckets = await prom.query(`${m}_bucket{reporter="${reporter}",response_code="404"}`);
        const num = (le: string) => (le === "+Inf" ? Infinity : Number(le));
        const les = buckets.map((b) => b.metric.le).sort((a, b) => num(a) - num(b));
        assert.deepEqual(les, ["0.5", "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000",
          "30000", "60000", "300000", "600000", "1800000", "3600000", "+Inf"], `${m} buckets`);
        const inf = buckets.find((b) => b.metric.le === "+Inf")!;
        assert.equal(value(inf), MIX.notFound);
      }
    }
    // A local round trip takes well under a minute; the 404s' response bodies ("status\n") are a few bytes.
    const slow = await prom.query('sum(istio_request_duration_milliseconds_bucket{reporter="source",le="60000"})');
    assert.equal(value(slow[0]), MIX.ok + MIX.notFound + MIX.unavailable + 1);
    // istio_response_bytes is Envoy's response.total_size: body plus response headers (and trailers). The
    // 404s carry a 7-byte body and a handful of headers, so they land above the 25 bucket and within 1000,
    // and their mean is well above the body alone.
    const above = await prom.query('istio_response_bytes_bucket{reporter="source",response_code="404",le="25"}');
    const within = await prom.query('istio_response_bytes_bucket{reporter="source",response_code="404",le="1000"}');
    assert.equal(value(above[0]), 0, "headers are counted: no 404 response is 25 bytes or less");
    assert.equal(value(within[0]), MIX.notFound, "a 404 with a 7-byte body and its headers is within the 1000 bucket");
    const sum = await prom.query('istio_response_bytes_sum{reporter="source",response_code="404"}');
    const mean = value(sum[0]) / MIX.notFound;
    assert.ok(mean > 7 + 10, `mean 404 response size ${mean} should exceed the 7-byte body plus ":status"+"404"`);
  });

  it("TCP: opened/closed once per side, byte counters match the echo both ways", async () => {
    for (const reporter of ["source", "destination"]) {
      const opened = await prom.until(`istio_tcp_connections_opened_total{reporter="${reporter}"}`, (s) => s.length > 0);
      assert.equal(opened.length, 1, JSON.stringify(opened));
      const { __name__, instance, job, ...labels } = opened[0].metric;
      assert.deepEqual(Object.keys(labels).sort(), [...TCP_LABELS].sort());
      assert.equal(labels.request_protocol, "tcp");
      assert.equal(labels.source_workload, "client");
      assert.equal(labels.destination_workload, "server");
      assert.equal(labels.connection_security_policy, reporter === "destination" ? "mutual_tls" : "unknown");
      assert.equal(value(opened[0]), 1);
      const closed = await prom.query(`sum(istio_tcp_connections_closed_total{reporter="${reporter}"})`);
      assert.equal(value(closed[0]), 1);
      const received = await prom.query(`sum(istio_tcp_received_bytes_total{reporter="${reporter}"})`);
      const sent = await prom.query(`sum(istio_tcp_sent_bytes_total{reporter="${reporter}"})`);
      assert.equal(value(received[0]), TCP_PAYLOAD, `${reporter} received`);
      assert.equal(value(sent[0]), TCP_PAYLOAD, `${reporter} sent`);
    }
  });

  it("istio_build carries component and tag", async () => {
    const rows = await prom.until("istio_build", (s) => s.length === 2);
    assert.deepEqual(rows.map((r) => [r.metric.job, r.metric.component, r.metric.tag, r.value[1]]).sort(),
      [["client", "proxy", "1.24.0", "1"], ["server", "proxy", "1.24.0", "1"]]);
  });

  // promtool lints as well as parses. Two findings are inherent and identical on real Envoy with
  // Istio: Envoy's /stats/prometheus writes no HELP lines ("no help text" for every family), and
  // Istio's own metric name istio_request_duration_milliseconds is not in seconds. Anything else
  // about an istio_* family (or any parse error) fails. Envoy's and other filters' families are
  // not this filter's to fix and are left out of the check.
  it("promtool check metrics: the scrape parses and istio_* families have no problem beyond the two inherent ones", async () => {
    const inherent = (line: string) => line.endsWith(" no help text") ||
      line === 'istio_request_duration_milliseconds use base unit "seconds" instead of "milliseconds"';
    for (const admin of [client.adminPort, server.adminPort]) {
      const text = (await get(`http://127.0.0.1:${admin}/stats/prometheus`)).body;
      assert.ok(text.includes("istio_requests_total{"), "scrape has istio_requests_total");
      const r = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8", timeout: 20000 });
      const out = (r.stdout + r.stderr).trim();
      assert.ok(r.status === 0 || r.status === 3, `promtool exit ${r.status} (3 = lint findings only): ${out}`);
      assert.ok(!/error while linting|parsing error/i.test(out), `promtool could not parse the scrape: ${out}`);
      const mine = out.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("istio_"));
      assert.deepEqual(mine.filter((l) => !inherent(l)), [], `promtool findings on istio_* families:\n${mine.join("\n")}`);
      // The istio families were seen by promtool at all (it lists each without HELP).
      for (const fam of ["istio_requests_total", "istio_request_bytes", "istio_response_bytes", "istio_request_duration_milliseconds",
        "istio_tcp_sent_bytes_total", "istio_tcp_received_bytes_total", "istio_tcp_connections_opened_total",
        "istio_tcp_connections_closed_total", "istio_build"]) {
        assert.ok(mine.includes(`${fam} no help text`), `promtool did not see ${fam}`);
      }
    }
  });
});
