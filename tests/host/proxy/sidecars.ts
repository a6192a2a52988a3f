// The two-sidecar topology used by the e2e test and `npm start`:
//
//   caller --h1/h2c/tcp--> client sidecar (OUTBOUND, 15001 http, 15002 tcp)
//          --mTLS (SPIFFE)--> server sidecar (INBOUND, 15006 http, 15007 tcp)
//          --plaintext--> demo app (8080 http/1.1, 8081 h2c gRPC-ish, 9000 tcp echo)
//
// Both sidecars load envoy-configs/{client,server}-sidecar.yaml unless `configs` names another pair with
// the same listeners and ports (e.g. the stats-* or mx-* files). With `ephemeral`, every port
// from the files is remapped to an OS-chosen one, so parallel runs never collide.
import path from "node:path";
import type { StatsStore, StatsTagRule, WasmRuntime, WasmRuntimeOptions } from "../api";
import { loadBootstrap, MOUNT_ROOT } from "./bootstrap";
import { MemoryLogSink, Proxy, startProxy } from "./proxy";
import { ensureCerts, generateCerts } from "../../certs/generate";
import { startDemoApp, type DemoApp } from "../../demo/app";

export interface SidecarDemoOptions {
  repoRoot: string;
  /** Where the PKI is written; mounted at /etc/istio-wasm/build/certs/. */
  certDir: string;
  /** Regenerate certificates even if present. */
  freshCerts?: boolean;
  ephemeral: boolean;
  runtime: (opts: WasmRuntimeOptions) => WasmRuntime;
  stats: (tags: StatsTagRule[]) => StatsStore;
  workers?: number;
  /** Echo wasm logs at this level and above to stderr (default: warnings). */
  echoLogFrom?: number;
  /** Bootstrap file names under envoy-configs/ (default client-sidecar.yaml / server-sidecar.yaml). */
  configs?: { client: string; server: string };
  /** Extra port remaps for the server sidecar's clusters (e.g. the JWKS server of jwt-server-sidecar.yaml: 15200). */
  serverPorts?: Record<number, number>;
}

export interface SidecarDemo {
  app: DemoApp;
  server: Proxy;
  client: Proxy;
  serverLog: MemoryLogSink;
  clientLog: MemoryLogSink;
  urls: { http: string; tcp: { host: string; port: number }; clientAdmin: string; serverAdmin: string };
  stop(): Promise<void>;
}

export async function startSidecarDemo(o: SidecarDemoOptions): Promise<SidecarDemo> {
  if (o.freshCerts) generateCerts(o.certDir);
  else ensureCerts(o.certDir);
  const mounts = {
    [MOUNT_ROOT]: o.repoRoot + path.sep,
    [`${MOUNT_ROOT}build/certs/`]: o.certDir + path.sep,
  };
  const configs = o.configs ?? { client: "client-sidecar.yaml", server: "server-sidecar.yaml" };
  const serverBoot = loadBootstrap(path.join(o.repoRoot, "envoy-configs", configs.server), { mounts });
  const clientBoot = loadBootstrap(path.join(o.repoRoot, "envoy-configs", configs.client), { mounts });

  const app = await startDemoApp(o.ephemeral ? {} : { httpPort: 8080, grpcPort: 8081, tcpPort: 9000 });
  let server: Proxy | undefined;
  let client: Proxy | undefined;
  const stopAll = async () => {
    await client?.stop().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await app.close();
  };
  try {
    const serverLog = new MemoryLogSink(2, o.echoLogFrom ?? 3, "[server-sidecar] ");
    const clientLog = new MemoryLogSink(2, o.echoLogFrom ?? 3, "[client-sidecar] ");
    const eph = (ports: number[]) => Object.fromEntries(ports.map((p) => [p, 0]));
    server = await startProxy({
      bootstrap: serverBoot, stats: o.stats(serverBoot.statsTags), runtime: o.runtime, workers: o.workers, log: serverLog,
      portMap: o.ephemeral ? { ...eph([15006, 15007, 15100]), 8080: app.httpPort, 8081: app.grpcPort, 9000: app.tcpPort, ...o.serverPorts } : o.serverPorts,
    });
    client = await startProxy({
      bootstrap: clientBoot, stats: o.stats(clientBoot.statsTags), runtime: o.runtime, workers: o.workers, log: clientLog,
      portMap: o.ephemeral
        ? { ...eph([15001, 15002, 15000]), 15006: server.listenerPort("inbound_http"), 15007: server.listenerPort("inbound_tcp") }
        : undefined,
    });
    const c = client;
    return {
      app, server, client, serverLog, clientLog,
      urls: {
        http: `http://127.0.0.1:${c.listenerPort("outbound_http")}`,
        tcp: { host: "127.0.0.1", port: c.listenerPort("outbound_tcp") },
        clientAdmin: `http://127.0.0.1:${c.adminPort}`,
        serverAdmin: `http://127.0.0.1:${server.adminPort}`,
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
