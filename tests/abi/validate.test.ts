// proxy_validate_configuration must answer without side effects: every shipped root validates its
// configuration with its parser only (no metric defined, no tick set, no node or other property read,
// no shared data touched), and refuses a bad configuration naming the field.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const root = process.cwd();
const shipped = existsSync(path.join(root, "dist")) ? readdirSync(path.join(root, "dist")).filter((f) => f.endsWith(".wasm") && f !== "suite.wasm") : [];

/** Instantiates `file` with host stubs that record every call; PLUGIN_CONFIGURATION is `config`. */
function load(file: string, rootId: string, config: string) {
  const mod = new WebAssembly.Module(readFileSync(file));
  const calls: string[] = [];
  const logs: string[] = [];
  let inst!: WebAssembly.Instance;
  const mem = () => new Uint8Array((inst.exports.memory as WebAssembly.Memory).buffer);
  const put = (bytes: Uint8Array, retPtr: number, retSize: number) => {
    const p = (inst.exports.malloc as (n: number) => number)(bytes.length) >>> 0;
    mem().set(bytes, p);
    const dv = new DataView((inst.exports.memory as WebAssembly.Memory).buffer);
    dv.setUint32(retPtr, p, true);
    dv.setUint32(retSize, bytes.length, true);
  };
  const imports: Record<string, Record<string, Function>> = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    if (imp.kind !== "function") continue;
    (imports[imp.module] ??= {})[imp.name] = (...args: number[]) => {
      calls.push(imp.name);
      if (imp.name === "proxy_log") { logs.push(Buffer.from(mem().subarray(args[1], args[1] + args[2])).toString()); return 0; }
      if (imp.name === "proxy_get_log_level") { new DataView((inst.exports.memory as WebAssembly.Memory).buffer).setUint32(args[0], 2, true); return 0; }
      if (imp.name === "proxy_get_buffer_bytes" && args[0] === 7) { put(Buffer.from(config), args[3], args[4]); return 0; }
      if (imp.name === "proxy_get_property") {
        const p = Buffer.from(mem().subarray(args[0], args[0] + args[1])).toString();
        if (p === "plugin_root_id") { put(Buffer.from(rootId), args[2], args[3]); return 0; }
        return 1;
      }
      return 1;
    };
  }
  inst = new WebAssembly.Instance(mod, imports as WebAssembly.Imports);
  const x = inst.exports as Record<string, Function>;
  x.proxy_on_context_create(1, 0);
  calls.length = 0;
  return { x, calls, logs };
}

const ROOTS: Record<string, string[]> = { peer_metadata: ["peer_metadata", "peer_metadata_tcp"], istio_stats: ["istio_stats", "istio_stats_tcp"], rbac: ["rbac", "rbac_tcp"] };
/**
 * A valid configuration per root whose onConfigure has side effects to tell apart: `{}` unless the
 * root needs more (Envoy's HTTP RBAC without rules enforces nothing and keeps no engine; the network
 * filter requires stat_prefix).
 */
const VALID: Record<string, string> = {
  rbac: '{"rules":{"action":"ALLOW","policies":{}}}',
  rbac_tcp: '{"stat_prefix":"tcp.","rules":{"action":"ALLOW","policies":{}}}',
};

test("the check sees what onConfigure does (metrics, node read) and proxy_validate_configuration does not", () => {
  assert.ok(shipped.length > 0, "dist/ has modules");
  for (const f of shipped) {
    const name = f.replace(/\.wasm$/, "");
    for (const rootId of ROOTS[name] ?? [name]) {
      const file = path.join(root, "dist", f);
      const valid = VALID[rootId] ?? "{}";
      const v = load(file, rootId, valid);
      assert.equal(v.x.proxy_validate_configuration(1, valid.length), 1, `${f} ${rootId}: ${valid} is valid`);
      const sideEffects = v.calls.filter((c) => !["proxy_get_buffer_bytes", "proxy_log", "proxy_get_log_level"].includes(c));
      assert.deepEqual(sideEffects, [], `${f} ${rootId}: validation made host calls`);
      const c = load(file, rootId, valid);
      c.x.proxy_on_configure(1, valid.length);
      assert.ok(c.calls.some((n) => n === "proxy_get_property" || n === "proxy_define_metric"), `${f} ${rootId}: onConfigure reads the node or defines metrics`);
      const bad = "{\"no_such_field\": 1}";
      const b = load(file, rootId, bad);
      assert.equal(b.x.proxy_validate_configuration(1, bad.length), 0, `${f} ${rootId}: unknown field refused`);
      assert.ok(b.logs.some((l) => l.includes("no_such_field")), b.logs.join("\n"));
    }
  }
});
