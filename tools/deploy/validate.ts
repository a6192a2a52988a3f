// `validate --filter <name> <config.json|yaml>`: loads dist/<name>.wasm in the Node proxy-wasm host
// (tests/host, which runs modules as Envoy does) and configures it with the file, so the verdict and
// the messages are the module's own proxy_on_configure result and logs, field paths included. Both
// roots of a filter with a network root are configured (each parses the same configuration).
import { readFileSync } from "node:fs";
import YAML from "yaml";
import { createWasmRuntime, createStatsStore } from "../../tests/host/wasm/index";
import type { ClusterManager, PluginConfig } from "../../tests/host/api";
import { filterInfo, modulePath, UsageError } from "./filters";

export interface ValidateResult {
  ok: boolean;
  /** Per root: accepted or the load error, and what the module logged (Envoy's "wasm log …" lines). */
  roots: Array<{ rootId: string; kind: "http" | "network"; ok: boolean; error?: string; logs: string[] }>;
}

const LEVELS = ["trace", "debug", "info", "warning", "error", "critical"];

/**
 * The PLUGIN_CONFIGURATION bytes for a file: a JSON file is passed verbatim (what Envoy would hand the
 * module from a StringValue, so JSON syntax errors are the module's); YAML is converted to JSON text as
 * istiod converts WasmPlugin.pluginConfig (a Struct) to JSON.
 */
export function configBytes(file: string): Buffer {
  const text = readFileSync(file, "utf8");
  if (/\.json$/i.test(file)) return Buffer.from(text);
  let v: unknown;
  try { v = YAML.parse(text); } catch (e) { throw new UsageError(`${file}: not YAML: ${(e as Error).message}`); }
  return Buffer.from(JSON.stringify(v ?? {}));
}

export async function validate(root: string, filter: string, configuration: Buffer): Promise<ValidateResult> {
  const f = filterInfo(filter);
  const code = readFileSync(modulePath(root, filter));
  const roots: ValidateResult["roots"] = [];
  const kinds: Array<["http" | "network", string]> = [["http", f.httpRootId]];
  if (f.tcpRootId) kinds.push(["network", f.tcpRootId]);
  for (const [kind, rootId] of kinds) {
    const logs: string[] = [];
    // No clusters exist here: a config naming one is judged by the module alone; callouts never run
    // because nothing ticks and no request arrives.
    const clusters: ClusterManager = { has: () => true, httpCall: () => Promise.reject(new Error("validate: no upstream")) };
    const runtime = createWasmRuntime({
      workers: 1,
      node: {
        id: "sidecar~10.0.0.1~validate-0.default~default.svc.cluster.local", cluster: "validate.default",
        metadata: { NAME: "validate-0", NAMESPACE: "default", WORKLOAD_NAME: "validate", CLUSTER_ID: "Kubernetes", LABELS: { app: "validate" } },
      },
      clusters, stats: createStatsStore([]),
      log: { log: (level, msg) => logs.push(`[${LEVELS[level] ?? level}] ${msg}`), level: () => 2 },
    });
    const config: PluginConfig = {
      name: `validate.${filter}`, rootId, vmId: filter, code, codePath: `dist/${filter}.wasm`, runtime: "envoy.wasm.runtime.v8",
      vmConfiguration: new Uint8Array(0), configuration, failurePolicy: "FAIL_CLOSED", allowOnHeadersStopIteration: false, environment: {},
    };
    try {
      const p = await runtime.loadPlugin(config, kind);
      await p.shutdown();
      roots.push({ rootId, kind, ok: true, logs });
    } catch (e) {
      roots.push({ rootId, kind, ok: false, error: (e as Error).message, logs });
    } finally {
      await runtime.shutdown();
    }
  }
  return { ok: roots.every((r) => r.ok), roots };
}
