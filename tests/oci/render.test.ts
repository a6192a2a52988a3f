// `istio-wasm render`: the committed deploy/istio/*.yaml files are exactly what the command in their
// first line prints, and everything render writes for Istio parses as YAML and uses only the field
// names (and enum values) of Istio's APIs: extensions.istio.io/v1alpha1 WasmPlugin and
// networking.istio.io/v1alpha3 EnvoyFilter. The allowed names come from istio/api's protos
// (extensions/v1alpha1/wasm.proto, networking/v1alpha3/envoy_filter.proto, type/v1beta1/selector.proto,
// networking/v1alpha3/sidecar.proto WorkloadSelector), extracted into istio-api-fields.json; its
// `source` names the istio/api commit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, existsSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { render } from "../../tools/deploy/render";
import { FILTERS } from "../../tools/deploy/filters";

const ROOT = process.cwd();
const CLI = path.join(ROOT, "tools", "istio-wasm.mjs");
const API = JSON.parse(readFileSync(path.join(ROOT, "tests", "oci", "istio-api-fields.json"), "utf8")) as {
  source: string; messages: Record<string, Record<string, string>>; enums: Record<string, string[]>;
};
const DEPLOY = path.join(ROOT, "deploy", "istio");
const built = Object.values(FILTERS).filter((f) => existsSync(path.join(ROOT, "dist", `${f.name}.wasm`)));

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Proto name resolution: the innermost enclosing scope that defines `name` wins. */
function resolve(name: string, scope: string): { kind: "message" | "enum"; full: string } | null {
  if (name.startsWith("istio.")) {
    if (API.messages[name]) return { kind: "message", full: name };
    if (API.enums[name]) return { kind: "enum", full: name };
    return null;
  }
  const parts = scope.split(".");
  for (let i = parts.length; i >= 0; i--) {
    const full = [...parts.slice(0, i), name].join(".");
    if (API.messages[full]) return { kind: "message", full };
    if (API.enums[full]) return { kind: "enum", full };
  }
  return null;
}

function checkValue(type: string, v: unknown, where: string, scope: string, errs: string[]): void {
  if (type.startsWith("repeated ")) {
    if (!Array.isArray(v)) { errs.push(`${where}: expected a list`); return; }
    v.forEach((x, i) => checkValue(type.slice(9), x, `${where}[${i}]`, scope, errs));
    return;
  }
  if (type.startsWith("map<")) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) errs.push(`${where}: expected a map`);
    else for (const [k, x] of Object.entries(v)) if (typeof x !== "string") errs.push(`${where}.${k}: expected a string`);
    return;
  }
  switch (type) {
    case "string": if (typeof v !== "string") errs.push(`${where}: expected a string`); return;
    case "bool": if (typeof v !== "boolean") errs.push(`${where}: expected a bool`); return;
    case "int32": case "uint32": case "google.protobuf.Int32Value": case "google.protobuf.UInt32Value":
      if (!Number.isInteger(v)) errs.push(`${where}: expected an integer`); return;
    case "google.protobuf.Struct": if (typeof v !== "object" || v === null || Array.isArray(v)) errs.push(`${where}: expected an object`); return;
  }
  const r = resolve(type, scope);
  if (!r) { errs.push(`${where}: type ${type} (from ${scope}) is not in ${API.source}`); return; }
  if (r.kind === "enum") {
    if (!API.enums[r.full].includes(v as string)) errs.push(`${where}: ${JSON.stringify(v)} is not a value of ${r.full} (${API.enums[r.full].join(", ")})`);
    return;
  }
  checkMessage(r.full, v, where, errs);
}

function checkMessage(full: string, v: unknown, where: string, errs: string[]): void {
  if (typeof v !== "object" || v === null || Array.isArray(v)) { errs.push(`${where}: expected an object (${full})`); return; }
  const fields = API.messages[full];
  for (const [k, x] of Object.entries(v)) {
    const name = Object.keys(fields).find((f) => f === k || camel(f) === k);
    if (!name) { errs.push(`${where}.${k}: not a field of ${full} (fields: ${Object.keys(fields).map(camel).join(", ")})`); continue; }
    checkValue(fields[name], x, `${where}.${k}`, full, errs);
  }
}

/** Every error in one Kubernetes object of our two kinds. */
function checkObject(o: any): string[] {
  const errs: string[] = [];
  const kinds: Record<string, [string, string]> = {
    WasmPlugin: ["extensions.istio.io/v1alpha1", "istio.extensions.v1alpha1.WasmPlugin"],
    EnvoyFilter: ["networking.istio.io/v1alpha3", "istio.networking.v1alpha3.EnvoyFilter"],
  };
  const k = kinds[o?.kind];
  if (!k) return [`kind ${o?.kind} is not WasmPlugin or EnvoyFilter`];
  if (o.apiVersion !== k[0]) errs.push(`apiVersion ${o.apiVersion}, expected ${k[0]}`);
  for (const key of Object.keys(o)) if (!["apiVersion", "kind", "metadata", "spec"].includes(key)) errs.push(`${key}: not a top-level field`);
  for (const key of Object.keys(o.metadata ?? {})) if (!["name", "namespace", "labels", "annotations"].includes(key)) errs.push(`metadata.${key}: unexpected`);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(o.metadata?.name ?? "")) errs.push(`metadata.name ${o.metadata?.name}: not a DNS-1123 label`);
  checkMessage(k[1], o.spec, "spec", errs);
  return errs;
}

test("the field checker refuses what Istio's API does not have (a check that can fail)", () => {
  assert.match(API.source, /^istio\/api@[0-9a-f]{40}$/);
  const good = { apiVersion: "extensions.istio.io/v1alpha1", kind: "WasmPlugin", metadata: { name: "x" }, spec: { url: "oci://r/x:1", phase: "AUTHN", match: [{ mode: "SERVER", ports: [{ number: 80 }] }] } };
  assert.deepEqual(checkObject(good), []);
  assert.deepEqual(checkObject({ ...good, spec: { ...good.spec, rootId: "x" } }).length, 1);
  assert.match(checkObject({ ...good, spec: { ...good.spec, phase: "AUTHENTICATION" } })[0], /not a value of istio.extensions.v1alpha1.PluginPhase/);
  assert.match(checkObject({ ...good, spec: { ...good.spec, failStrategy: "FAIL_CLOSED" } })[0], /FailStrategy/, "Envoy's FAIL_CLOSED is not Istio's FAIL_CLOSE");
  assert.match(checkObject({ ...good, spec: { ...good.spec, match: [{ mode: "SERVER", port: 80 }] } })[0], /match\[0\]\.port: not a field/);
  const ef = { apiVersion: "networking.istio.io/v1alpha3", kind: "EnvoyFilter", metadata: { name: "e" }, spec: { configPatches: [{ applyTo: "HTTP_FILTER", match: { listener: { filterChain: { filter: { subFilter: { name: "r" } } } } } }] } };
  assert.deepEqual(checkObject(ef), []);
  assert.match(checkObject({ ...ef, spec: { configPatches: [{ applyTo: "HTTP_FILTER", match: { listener: { filterChain: { filter: { sub_filter_x: {} } } } } }] } })[0], /sub_filter_x: not a field/);
});

test("deploy/istio/*.yaml equal the output of the render command in their first line", () => {
  const files = readdirSync(DEPLOY).filter((f) => f.endsWith(".yaml")).sort();
  const generated = files.filter((f) => readFileSync(path.join(DEPLOY, f), "utf8").startsWith("# Generated by: istio-wasm render "));
  assert.ok(generated.length >= 4, `generated files in deploy/istio: ${generated.join(", ")}`);
  for (const f of generated) {
    const text = readFileSync(path.join(DEPLOY, f), "utf8");
    const args = text.split("\n")[0].slice("# Generated by: istio-wasm ".length).split(" ");
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    assert.equal(r.stdout, text, `deploy/istio/${f} differs from \`istio-wasm ${args.join(" ")}\`: regenerate it`);
    for (const [i, d] of YAML.parseAllDocuments(text).entries()) {
      assert.deepEqual(d.errors, [], `${f} document ${i}`);
      assert.deepEqual(checkObject(d.toJS()), [], `${f} document ${i}`);
    }
  }
});

test("every filter renders WasmPlugins and EnvoyFilters with only Istio API fields; phase, failStrategy, pluginName from the table", () => {
  for (const f of Object.values(FILTERS)) {
    for (const mode of [undefined, "SERVER", "CLIENT"] as const) {
      const common = { target: "istio" as const, filter: f.name, config: { a: { b: [1, "x"] } }, image: "oci://registry.example:5000/wasm/x:1.0", sha256: "ab".repeat(32), pullSecret: "regcred", selector: { app: "ratings" }, mode };
      const wp = YAML.parseAllDocuments(render({ ...common, kind: "wasmplugin" })).map((d) => d.toJS());
      assert.equal(wp.length, f.tcpRootId ? 2 : 1);
      for (const o of wp) assert.deepEqual(checkObject(o), [], `${f.name} ${mode}`);
      assert.deepEqual(wp.map((o) => o.spec.pluginName), [f.httpRootId, f.tcpRootId].filter(Boolean));
      assert.deepEqual(wp.map((o) => o.spec.type), f.tcpRootId ? ["HTTP", "NETWORK"] : ["HTTP"]);
      for (const o of wp) {
        assert.equal(o.spec.phase, f.phase);
        assert.equal(o.spec.failStrategy, f.failStrategy);
        assert.equal(o.spec.sha256, "ab".repeat(32));
        assert.deepEqual(o.spec.pluginConfig, { a: { b: [1, "x"] } });
      }
      const ef = YAML.parseAllDocuments(render({ ...common, kind: "envoyfilter" })).map((d) => d.toJS());
      assert.equal(ef.length, 1);
      assert.deepEqual(checkObject(ef[0]), [], `${f.name} envoyfilter ${mode}`);
      assert.equal(JSON.parse(ef[0].spec.configPatches[0].patch.value.typed_config.config.configuration.value).a.b[1], "x");
    }
  }
  // Istio's phase order: metadata exchange, then authn, authz, stats; security filters fail closed.
  assert.deepEqual([FILTERS.peer_metadata.phase, FILTERS.jwt_authn.phase, FILTERS.rbac.phase, FILTERS.istio_stats.phase], ["AUTHN", "AUTHN", "AUTHZ", "STATS"]);
  assert.ok(FILTERS.peer_metadata.priority > FILTERS.jwt_authn.priority, "higher priority runs first within AUTHN");
  assert.equal(FILTERS.jwt_authn.failStrategy, "FAIL_CLOSE");
  assert.equal(FILTERS.rbac.failStrategy, "FAIL_CLOSE");
  // :latest pulls Always unless told otherwise (wasm.proto PullPolicy); a digest in the url is the sha256.
  const latest = YAML.parse(render({ target: "istio", filter: "rbac", image: "registry.example/wasm/rbac:latest" }).split("---")[0]);
  assert.equal(latest.spec.imagePullPolicy, "Always");
  assert.equal(latest.spec.url, "oci://registry.example/wasm/rbac:latest");
  const pinned = YAML.parse(render({ target: "istio", filter: "rbac", image: `oci://r.example/w@sha256:${"cd".repeat(32)}` }));
  assert.equal(pinned.spec.sha256, "cd".repeat(32));
  assert.throws(() => render({ target: "istio", filter: "rbac", image: `oci://r.example/w@sha256:${"cd".repeat(32)}`, sha256: "ab".repeat(32) }), /does not match/);
});

test("render/validate of a filter whose module is not built fail with exit 2 and say so; validate reports the module's own error with its field path", () => {
  for (const f of Object.values(FILTERS).filter((x) => !built.includes(x))) {
    for (const args of [["render", "istio", "--filter", f.name, "--image", "oci://r.example/x:1"], ["validate", "--filter", f.name, "/dev/null"]]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8" });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`dist/${f.name}\\.wasm does not exist`));
    }
  }
  for (const f of built) {
    const good = spawnSync(process.execPath, [CLI, "validate", "--filter", f.name, "/dev/null"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(good.status, 0, good.stderr);
  }
  // The field path comes from the module (filters/istio_stats/config.ts), not from the CLI.
  if (built.some((f) => f.name === "istio_stats")) {
    const bad = path.join(ROOT, "build", `bad-stats-${process.pid}.json`);
    writeFileSync(bad, '{"metrics": [{"dimensions": {"x_user": 5}}]}');
    const r = spawnSync(process.execPath, [CLI, "validate", "--filter", "istio_stats", bad], { cwd: ROOT, encoding: "utf8" });
    rmSync(bad, { force: true });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /wasm log validate\.istio_stats istio_stats istio_stats: istio_stats: invalid configuration: metrics\[0\]\.dimensions\.x_user: /);
    assert.match(r.stdout, /INVALID istio_stats root_id istio_stats \(http\)/);
  }
});

test("render envoy: the snippet, put into a sidecar bootstrap in place of its Wasm filters, is accepted by the test host's strict Envoy loader", async () => {
  const { parseBootstrap } = await import("../host/proxy/bootstrap");
  for (const f of Object.values(FILTERS)) {
    const config = { some_field: [1, 2], nested: { x: "y" } };
    const snippet = YAML.parse(render({ target: "envoy", filter: f.name, config }));
    const boot = YAML.parse(readFileSync(path.join(ROOT, "envoy-configs", "stats-client-sidecar.yaml"), "utf8"));
    for (const l of boot.static_resources.listeners) {
      const filters = l.filter_chains[0].filters as Array<{ name: string; typed_config: any }>;
      const hcm = filters.find((x) => x.name === "envoy.filters.network.http_connection_manager");
      if (hcm) {
        const http = hcm.typed_config.http_filters as Array<{ name: string }>;
        hcm.typed_config.http_filters = [...snippet.http_filters, http[http.length - 1]];
      } else {
        l.filter_chains[0].filters = [...(snippet.network_filters ?? []), filters[filters.length - 1]];
      }
    }
    const b = parseBootstrap(YAML.stringify(boot), `rendered-${f.name}.yaml`, { skipFiles: true, repoRoot: ROOT });
    const plugins = b.listeners.flatMap((l) => l.filters.flatMap((x) => x.kind === "http_connection_manager" ? x.httpFilters.flatMap((h) => h.plugin ? [h.plugin] : []) : x.kind === "wasm" ? [x.plugin] : []));
    assert.deepEqual(plugins.map((p) => p.rootId).sort(), [f.httpRootId, ...(f.tcpRootId ? [f.tcpRootId] : [])].sort());
    for (const p of plugins) {
      assert.deepEqual(JSON.parse(Buffer.from(p.configuration).toString()), config);
      assert.equal(p.failurePolicy, f.failStrategy === "FAIL_OPEN" ? "FAIL_OPEN" : "FAIL_CLOSED");
      assert.equal(p.codePath, path.join(ROOT, "dist", `${f.name}.wasm`), "/etc/istio-wasm/dist/<name>.wasm through the repository mount");
    }
  }
});
