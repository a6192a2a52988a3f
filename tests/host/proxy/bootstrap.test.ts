// Bootstrap loader: the shipped envoy-configs load into the model the proxy runs, and anything
// this host does not implement fails with the path and name of the offending field.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { BootstrapError, loadBootstrap, parseBootstrap } from "./bootstrap";

const ROOT = process.cwd();
const CONFIGS = path.join(ROOT, "envoy-configs");
const clientYaml = readFileSync(path.join(CONFIGS, "client-sidecar.yaml"), "utf8");

/** The client sidecar YAML with one edit applied to its parsed document. */
function edited(edit: (doc: any) => void): string {
  const doc = parse(clientYaml);
  edit(doc);
  return stringify(doc);
}

function loadErr(text: string): BootstrapError {
  try {
    parseBootstrap(text, "test.yaml", { skipFiles: true, repoRoot: ROOT });
  } catch (e) {
    assert.ok(e instanceof BootstrapError, `expected a BootstrapError, got ${e}`);
    return e;
  }
  assert.fail("the bootstrap loaded but should have been refused");
}

const hcmPath = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config";
const hcm = (doc: any) => doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

describe("bootstrap loader: shipped configs", () => {
  it("client-sidecar.yaml loads with node, listeners, filters, clusters, TLS and stats tags", () => {
    const b = loadBootstrap(path.join(CONFIGS, "client-sidecar.yaml"), { repoRoot: ROOT, skipFiles: true });
    assert.equal(b.node.id, "sidecar~127.0.0.1~client-6d4f8b7c9-x2x7q.default~default.svc.cluster.local");
    assert.equal(b.node.cluster, "client.default");
    assert.equal((b.node.metadata.LABELS as Record<string, string>).app, "client");
    assert.deepEqual(b.admin, { address: "127.0.0.1", port: 15000 });
    assert.deepEqual(b.listeners.map((l) => [l.name, l.direction, l.address.port]), [["outbound_http", "OUTBOUND", 15001], ["outbound_tcp", "OUTBOUND", 15002]]);
    const h = b.listeners[0].filters[0];
    assert.equal(h.kind, "http_connection_manager");
    if (h.kind !== "http_connection_manager") return;
    assert.deepEqual(h.httpFilters.map((f) => f.kind), ["wasm", "router"]);
    const plugin = h.httpFilters[0].plugin!;
    assert.equal(plugin.rootId, "add_header");
    assert.equal(plugin.name, "default.add-header");
    assert.equal(plugin.vmId, "add_header");
    assert.equal(plugin.failurePolicy, "FAIL_CLOSED");
    assert.equal(Buffer.from(plugin.configuration).toString(), "{}");
    assert.equal(plugin.codePath, path.join(ROOT, "build/fixtures/add_header.wasm"));
    assert.equal(h.virtualHosts[0].routes[0].cluster, "outbound|8080||server.default.svc.cluster.local");
    assert.equal(h.virtualHosts[0].routes[0].timeoutMs, 15000);
    const tcp = b.listeners[1].filters;
    assert.deepEqual(tcp.map((f) => f.kind), ["wasm", "tcp_proxy"]);
    const c = b.clusters[0];
    assert.equal(c.httpProtocol, "DOWNSTREAM");
    assert.equal(c.tls?.sni, "outbound_.8080_._.server.default.svc.cluster.local");
    assert.deepEqual(c.tls?.matchSubjectAltNames, [{ sanType: "URI", exact: "spiffe://cluster.local/ns/default/sa/server", prefix: undefined, suffix: undefined }]);
    assert.deepEqual(c.endpoints[0].metadata, { istio: { workload: "server;default;server;v1;Kubernetes" } });
    assert.equal(b.statsTags[0].tagName, "reporter");
    assert.equal(b.statsTags[0].regex, "(reporter=\\.=(.*?);\\.;)");
  });

  it("server-sidecar.yaml loads: INBOUND TLS listener requiring client certs, grpc route, explicit h2 cluster", () => {
    const b = loadBootstrap(path.join(CONFIGS, "server-sidecar.yaml"), { repoRoot: ROOT, skipFiles: true });
    const l = b.listeners[0];
    assert.equal(l.direction, "INBOUND");
    assert.equal(l.tls?.requireClientCertificate, true);
    assert.deepEqual(l.tls?.alpn, ["h2", "http/1.1"]);
    assert.equal(l.tls?.certificates[0].certChainPath, path.join(ROOT, "build/certs/server-cert-chain.pem"));
    const h = l.filters[0];
    if (h.kind !== "http_connection_manager") return assert.fail("expected HCM");
    assert.equal(h.virtualHosts[0].routes[0].match.grpc, true);
    assert.equal(b.clusters.find((c) => c.name === "inbound|8081||")?.httpProtocol, "HTTP2");
    assert.equal(b.clusters.find((c) => c.name === "inbound|8080||")?.httpProtocol, "HTTP1");
  });

  it("paths under /etc/istio-wasm/ follow the mounts given (longest prefix wins)", () => {
    const b = loadBootstrap(path.join(CONFIGS, "server-sidecar.yaml"), {
      skipFiles: true, mounts: { "/etc/istio-wasm/": "/repo/", "/etc/istio-wasm/build/certs/": "/tmp/pki/" },
    });
    assert.equal(b.listeners[0].tls?.certificates[0].privateKeyPath, "/tmp/pki/server-key.pem");
    const h = b.listeners[0].filters[0];
    if (h.kind !== "http_connection_manager") return assert.fail("expected HCM");
    assert.equal(h.httpFilters[0].plugin!.codePath, "/repo/build/fixtures/add_header.wasm");
  });

  it("reads the wasm module bytes when files are not skipped, and names a missing file", () => {
    // No TLS here so only the wasm files are read (certificates are generated at test time elsewhere).
    const noTls = (d: any) => { for (const c of d.static_resources.clusters) delete c.transport_socket; };
    const good = parseBootstrap(edited(noTls), "x.yaml", { repoRoot: ROOT });
    const h = good.listeners[0].filters[0];
    if (h.kind !== "http_connection_manager") return assert.fail("expected HCM");
    assert.deepEqual([...h.httpFilters[0].plugin!.code.subarray(0, 4)], [0x00, 0x61, 0x73, 0x6d], "build/fixtures/add_header.wasm starts with \\0asm");
    const text = edited((d) => { noTls(d); hcm(d).http_filters[0].typed_config.config.vm_config.code.local.filename = "/etc/istio-wasm/build/fixtures/nope.wasm"; });
    assert.throws(() => parseBootstrap(text, "x.yaml", { repoRoot: ROOT }), (e: Error) => {
      assert.match(e.message, /http_filters\[0\]\.typed_config\.config\.vm_config\.code\.local\.filename/);
      assert.match(e.message, /nope\.wasm/);
      return true;
    });
  });
});

describe("bootstrap loader: refusals name the path and field", () => {
  it("an unknown HTTP filter name", () => {
    const e = loadErr(edited((d) => { hcm(d).http_filters[0].name = "envoy.filters.http.lua"; }));
    assert.match(e.message, /unsupported HTTP filter "envoy\.filters\.http\.lua"/);
    assert.ok(e.at.endsWith(`${hcmPath}.http_filters[0].name`), e.at);
  });

  it("an unknown network filter name", () => {
    const e = loadErr(edited((d) => { d.static_resources.listeners[1].filter_chains[0].filters[0].name = "envoy.filters.network.rbac"; }));
    assert.match(e.message, /unsupported network filter "envoy\.filters\.network\.rbac"/);
    assert.equal(e.at, "static_resources.listeners[1].filter_chains[0].filters[0].name");
  });

  it("an unknown field anywhere, e.g. in the wasm PluginConfig or at the top level", () => {
    let e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config.config.vm_confg = {}; }));
    assert.equal(e.at, `${hcmPath}.http_filters[0].typed_config.config.vm_confg`);
    assert.match(e.message, /unknown or unsupported field "vm_confg"/);
    e = loadErr(edited((d) => { d.dynamic_resources = {}; }));
    assert.equal(e.at, "(root).dynamic_resources");
    e = loadErr(edited((d) => { hcm(d).use_remote_address = true; }));
    assert.equal(e.at, `${hcmPath}.use_remote_address`);
    e = loadErr(edited((d) => { d.static_resources.clusters[0].health_checks = []; }));
    assert.equal(e.at, "static_resources.clusters[0].health_checks");
  });

  it("a wrong @type for a known filter name", () => {
    const e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config["@type"] = "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm"; }));
    assert.equal(e.at, `${hcmPath}.http_filters[0].typed_config.@type`);
  });

  it("a route to a cluster that tcp_proxy cannot find, bad enums, bad durations, misplaced router", () => {
    let e = loadErr(edited((d) => { d.static_resources.listeners[1].filter_chains[0].filters[1].typed_config.cluster = "nowhere"; }));
    assert.match(e.message, /unknown cluster "nowhere"/);
    e = loadErr(edited((d) => { d.static_resources.listeners[0].traffic_direction = "SIDEWAYS"; }));
    assert.equal(e.at, "static_resources.listeners[0].traffic_direction");
    e = loadErr(edited((d) => { d.static_resources.clusters[0].connect_timeout = "2 seconds"; }));
    assert.equal(e.at, "static_resources.clusters[0].connect_timeout");
    e = loadErr(edited((d) => { hcm(d).http_filters.reverse(); }));
    assert.match(e.message, /router must be the last HTTP filter/);
    e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config.config.failure_policy = "FAIL_SOMETIMES"; }));
    assert.equal(e.at, `${hcmPath}.http_filters[0].typed_config.config.failure_policy`);
    e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config.config.vm_config.runtime = "envoy.wasm.runtime.wamr"; }));
    assert.match(e.message, /only envoy\.wasm\.runtime\.v8/);
  });

  it("container paths outside the mount prefix are refused (they would not exist under docker-compose)", () => {
    const e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config.config.vm_config.code.local.filename = "/home/me/filter.wasm"; }));
    assert.match(e.message, /outside the mounted prefixes/);
  });

  it("fail_open maps to FAIL_OPEN; fail_open together with failure_policy is refused", () => {
    const ok = parseBootstrap(edited((d) => {
      const c = hcm(d).http_filters[0].typed_config.config;
      delete c.failure_policy;
      c.fail_open = true;
    }), "x.yaml", { skipFiles: true, repoRoot: ROOT });
    const h = ok.listeners[0].filters[0];
    assert.equal(h.kind === "http_connection_manager" && h.httpFilters[0].plugin!.failurePolicy, "FAIL_OPEN");
    const e = loadErr(edited((d) => { hcm(d).http_filters[0].typed_config.config.fail_open = true; }));
    assert.match(e.message, /either fail_open .* or failure_policy/);
  });

  // issue 14 item 6: the network Wasm filters use failure_policy (the same PluginConfig field as the
  // HTTP ones, envoy/extensions/wasm/v3/wasm.proto); the deprecated fail_open makes Envoy log a
  // deprecation warning and count it in its deprecated-feature stat.
  it("every shipped network Wasm filter states failure_policy, none uses the deprecated fail_open", () => {
    let networkWasm = 0;
    for (const file of ["client-sidecar.yaml", "server-sidecar.yaml", "stats-client-sidecar.yaml", "stats-server-sidecar.yaml", "mx-client-sidecar.yaml", "mx-server-sidecar.yaml"]) {
      const text = readFileSync(path.join(CONFIGS, file), "utf8");
      assert.doesNotMatch(text, /fail_open/, file);
      const doc = parse(text);
      const b = parseBootstrap(text, file, { skipFiles: true, repoRoot: ROOT });
      for (const [li, l] of b.listeners.entries()) {
        for (const [fi, f] of l.filters.entries()) {
          if (f.kind !== "wasm") continue;
          networkWasm++;
          const raw = doc.static_resources.listeners[li].filter_chains[0].filters[fi].typed_config.config;
          assert.ok(raw.failure_policy, `${file} listener ${li} filter ${fi}`);
          assert.equal(f.plugin.failurePolicy, raw.failure_policy);
        }
      }
    }
    assert.ok(networkWasm >= 4, `network Wasm filters found: ${networkWasm}`);
    // and the loader takes failure_policy on a network filter the way Envoy does
    const text = readFileSync(path.join(CONFIGS, "stats-server-sidecar.yaml"), "utf8");
    const doc = parse(text);
    const l = doc.static_resources.listeners.findIndex((x: any) => x.filter_chains[0].filters[0].name === "envoy.filters.network.wasm");
    for (const policy of ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"]) {
      doc.static_resources.listeners[l].filter_chains[0].filters[0].typed_config.config.failure_policy = policy;
      const f = parseBootstrap(stringify(doc), "x.yaml", { skipFiles: true, repoRoot: ROOT }).listeners[l].filters[0];
      assert.equal(f.kind === "wasm" && f.plugin.failurePolicy, policy);
    }
  });

  it("invalid YAML is reported as such", () => {
    assert.throws(() => parseBootstrap("node: [unclosed", "bad.yaml", { skipFiles: true }), /bootstrap: \(yaml\): bad\.yaml/);
  });
});

describe("bootstrap loader: route validation", () => {
  it("a route to an unknown cluster is refused, as Envoy validates static route tables", () => {
    const e = loadErr(edited((d) => { hcm(d).route_config.virtual_hosts[0].routes[0].route.cluster = "ghost"; }));
    assert.equal(e.at, `static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster`);
    assert.match(e.message, /unknown cluster "ghost"/);
  });
});
