// Envoy v3 bootstrap loader: reads the YAML files in envoy-configs/ into a plain model the proxy
// side runs. Only the subset of Envoy's API this host implements is accepted; any other field,
// filter or type is an error naming its path, because a host that silently ignored a field would
// pass tests that the real Envoy (which runs the same files under docker-compose) would fail.
//
// Paths inside the YAML are container paths under MOUNT_ROOT ("/etc/istio-wasm/"); docker-compose
// mounts the repository's dist/ and build/ there, and this loader maps the same prefix back to the
// repository (or to whatever `mounts` the caller passes, e.g. a per-test certificate directory).
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import type { FailurePolicy, NodeInfo, PluginConfig, StatsTagRule } from "../api";

export const MOUNT_ROOT = "/etc/istio-wasm/";

export class BootstrapError extends Error {
  constructor(readonly at: string, message: string) {
    super(`bootstrap: ${at}: ${message}`);
    this.name = "BootstrapError";
  }
}

// ------------------------------------------------------------------------------------------------
// The model.

export interface SocketAddress { address: string; port: number; }

export interface TlsCertificate { certChainPath: string; privateKeyPath: string; certChain: Buffer; privateKey: Buffer; }

export interface SanMatcher { sanType: "URI" | "DNS"; exact?: string; prefix?: string; suffix?: string; }

export interface TlsContext {
  certificates: TlsCertificate[];
  trustedCaPath?: string;
  trustedCa?: Buffer;
  matchSubjectAltNames: SanMatcher[];
  alpn: string[];
  /** Downstream only. */
  requireClientCertificate: boolean;
  /** Upstream only. */
  sni?: string;
}

export interface HeaderMatcher { name: string; exact?: string; prefix?: string; present?: boolean; invert: boolean; }

export interface RouteModel {
  name: string;
  match: { prefix?: string; path?: string; grpc: boolean; headers: HeaderMatcher[] };
  cluster?: string;
  timeoutMs: number;                   // 0 = none; Envoy's default route timeout is 15 s
  directResponse?: { status: number; body: string };
  metadata: Record<string, unknown>;
}

export interface VirtualHostModel { name: string; domains: string[]; routes: RouteModel[]; metadata: Record<string, unknown>; }

export interface HttpFilterModel {
  name: string;
  kind: "wasm" | "router";
  plugin?: PluginConfig;
}

export interface HcmModel {
  kind: "http_connection_manager";
  statPrefix: string;
  codecType: "AUTO" | "HTTP1" | "HTTP2";
  generateRequestId: boolean;
  routeConfigName: string;
  virtualHosts: VirtualHostModel[];
  httpFilters: HttpFilterModel[];
}

export interface NetworkWasmModel { kind: "wasm"; name: string; plugin: PluginConfig; }
export interface TcpProxyModel { kind: "tcp_proxy"; statPrefix: string; cluster: string; }
export type NetworkFilterModel = HcmModel | NetworkWasmModel | TcpProxyModel;

export interface ListenerModel {
  name: string;
  address: SocketAddress;
  direction: "INBOUND" | "OUTBOUND" | "UNSPECIFIED";
  metadata: Record<string, unknown>;
  filterChainName: string;
  filters: NetworkFilterModel[];       // network filters in order; the last is HCM or tcp_proxy
  tls?: TlsContext;
}

export interface EndpointModel { address: SocketAddress; metadata: Record<string, unknown>; }

export interface ClusterModel {
  name: string;
  connectTimeoutMs: number;
  endpoints: EndpointModel[];
  metadata: Record<string, unknown>;
  tls?: TlsContext;
  /** Upstream HTTP protocol: fixed, or the downstream's (use_downstream_protocol_config). */
  httpProtocol: "HTTP1" | "HTTP2" | "DOWNSTREAM";
}

export interface Bootstrap {
  file: string;
  node: NodeInfo;
  admin?: SocketAddress;
  statsTags: StatsTagRule[];
  useAllDefaultTags: boolean;
  listeners: ListenerModel[];
  clusters: ClusterModel[];
}

export interface LoadOptions {
  /** container path prefix -> local directory; longest prefix wins. Default: MOUNT_ROOT -> repository root. */
  mounts?: Record<string, string>;
  /** repository root used for the default mount (defaults to the current working directory). */
  repoRoot?: string;
  /** skip reading wasm/cert files (validation only). */
  skipFiles?: boolean;
}

// ------------------------------------------------------------------------------------------------
// Type URLs this host implements.

const T = {
  hcm: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  tcpProxy: "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  netWasm: "type.googleapis.com/envoy.extensions.filters.network.wasm.v3.Wasm",
  httpWasm: "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
  router: "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
  stringValue: "type.googleapis.com/google.protobuf.StringValue",
  downTls: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  upTls: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
  httpOpts: "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
};

// Filter names Envoy accepts for each typed_config (the canonical name; Envoy keys on the type URL,
// but a mismatching name is a config smell we refuse).
const NETWORK_FILTERS: Record<string, string> = {
  "envoy.filters.network.http_connection_manager": T.hcm,
  "envoy.filters.network.tcp_proxy": T.tcpProxy,
  "envoy.filters.network.wasm": T.netWasm,
};
const HTTP_FILTERS: Record<string, string> = {
  "envoy.filters.http.wasm": T.httpWasm,
  "envoy.filters.http.router": T.router,
};

// ------------------------------------------------------------------------------------------------
// Strict readers: every object is checked against the fields this host understands.

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj { return typeof v === "object" && v !== null && !Array.isArray(v); }

function obj(at: string, v: unknown, allowed: string[], required: string[] = []): Obj {
  if (!isObj(v)) throw new BootstrapError(at, `expected an object, got ${describe(v)}`);
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new BootstrapError(`${at}.${k}`, `unknown or unsupported field "${k}" (this host understands: ${allowed.join(", ")})`);
  }
  for (const k of required) {
    if (v[k] === undefined || v[k] === null) throw new BootstrapError(`${at}.${k}`, `required field "${k}" is missing`);
  }
  return v;
}

function describe(v: unknown): string { return Array.isArray(v) ? "a list" : v === null ? "null" : typeof v; }

function str(at: string, v: unknown, dflt?: string): string {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== "string") throw new BootstrapError(at, `expected a string, got ${describe(v)}`);
  return v;
}

function bool(at: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") throw new BootstrapError(at, `expected true or false, got ${describe(v)}`);
  return v;
}

function uint(at: string, v: unknown, max = 0xffffffff): number {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > max) throw new BootstrapError(at, `expected an integer 0..${max}, got ${JSON.stringify(v)}`);
  return n;
}

function list(at: string, v: unknown, optional = true): unknown[] {
  if (v === undefined && optional) return [];
  if (!Array.isArray(v)) throw new BootstrapError(at, `expected a list, got ${describe(v)}`);
  return v;
}

function oneOf<S extends string>(at: string, v: unknown, values: readonly S[], dflt: S): S {
  if (v === undefined) return dflt;
  if (typeof v !== "string" || !values.includes(v as S)) throw new BootstrapError(at, `expected one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
  return v as S;
}

/** google.protobuf.Duration in its JSON form ("1s", "0.25s"). */
function durationMs(at: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const m = typeof v === "string" ? /^(\d+(?:\.\d{1,9})?)s$/.exec(v) : null;
  if (!m) throw new BootstrapError(at, `expected a duration like "1s" or "0.25s", got ${JSON.stringify(v)}`);
  return Math.round(Number(m[1]) * 1000);
}

function typedConfig(at: string, v: unknown, expectedType: string, allowed: string[], required: string[] = []): Obj {
  const o = obj(at, v, ["@type", ...allowed], ["@type", ...required]);
  if (o["@type"] !== expectedType) throw new BootstrapError(`${at}.@type`, `expected "${expectedType}", got ${JSON.stringify(o["@type"])}`);
  return o;
}

/** config.core.v3.Metadata -> filter_metadata as plain JSON. */
function metadata(at: string, v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  const o = obj(at, v, ["filter_metadata"]);
  if (o.filter_metadata === undefined) return {};
  if (!isObj(o.filter_metadata)) throw new BootstrapError(`${at}.filter_metadata`, "expected a map of filter name -> Struct");
  return o.filter_metadata;
}

function socketAddress(at: string, v: unknown): SocketAddress {
  const a = obj(at, v, ["socket_address"], ["socket_address"]);
  const s = obj(`${at}.socket_address`, a.socket_address, ["address", "port_value", "protocol"], ["address"]);
  if (s.protocol !== undefined && s.protocol !== "TCP") throw new BootstrapError(`${at}.socket_address.protocol`, `only TCP is supported, got ${JSON.stringify(s.protocol)}`);
  return { address: str(`${at}.socket_address.address`, s.address), port: uint(`${at}.socket_address.port_value`, s.port_value ?? 0, 65535) };
}

// ------------------------------------------------------------------------------------------------

class Loader {
  constructor(private file: string, private opts: LoadOptions) {}

  private resolvePath(at: string, p: string): string {
    const mounts = this.opts.mounts ?? { [MOUNT_ROOT]: (this.opts.repoRoot ?? process.cwd()) + "/" };
    const prefix = Object.keys(mounts).filter((m) => p.startsWith(m)).sort((a, b) => b.length - a.length)[0];
    if (prefix !== undefined) return path.join(mounts[prefix], p.slice(prefix.length));
    if (path.isAbsolute(p)) throw new BootstrapError(at, `path ${JSON.stringify(p)} is outside the mounted prefixes (${Object.keys(mounts).join(", ")}); use ${MOUNT_ROOT}... so the same file works under docker-compose`);
    return path.resolve(path.dirname(this.file), p);
  }

  private readFile(at: string, p: string): Buffer {
    if (this.opts.skipFiles) return Buffer.alloc(0);
    const local = this.resolvePath(at, p);
    try {
      return readFileSync(local);
    } catch (e) {
      throw new BootstrapError(at, `cannot read ${JSON.stringify(p)} (local ${local}): ${(e as Error).message}`);
    }
  }

  private dataSourceFile(at: string, v: unknown): { path: string; data: Buffer } {
    const o = obj(at, v, ["filename"], ["filename"]);
    const p = str(`${at}.filename`, o.filename);
    return { path: this.resolvePath(`${at}.filename`, p), data: this.readFile(`${at}.filename`, p) };
  }

  load(doc: unknown): Bootstrap {
    const top = obj("(root)", doc, ["node", "admin", "static_resources", "stats_config", "layered_runtime"], ["static_resources"]);
    if (top.layered_runtime !== undefined) obj("layered_runtime", top.layered_runtime, ["layers"]);
    const node = this.node(top.node);
    const admin = top.admin === undefined ? undefined : this.admin(top.admin);
    const { tags, useAll } = this.statsConfig(top.stats_config);
    const sr = obj("static_resources", top.static_resources, ["listeners", "clusters"]);
    const clusters = list("static_resources.clusters", sr.clusters).map((c, i) => this.cluster(`static_resources.clusters[${i}]`, c));
    const names = new Set<string>();
    for (const [i, c] of clusters.entries()) {
      if (names.has(c.name)) throw new BootstrapError(`static_resources.clusters[${i}].name`, `duplicate cluster name "${c.name}"`);
      names.add(c.name);
    }
    const listeners = list("static_resources.listeners", sr.listeners).map((l, i) => this.listener(`static_resources.listeners[${i}]`, l, names));
    // Envoy validates that a static route table's clusters exist (validate_clusters defaults to true).
    listeners.forEach((l, i) => l.filters.forEach((f, j) => {
      if (f.kind !== "http_connection_manager") return;
      f.virtualHosts.forEach((vh, k) => vh.routes.forEach((r, m) => {
        if (r.cluster !== undefined && !names.has(r.cluster)) {
          throw new BootstrapError(`static_resources.listeners[${i}].filter_chains[0].filters[${j}].typed_config.route_config.virtual_hosts[${k}].routes[${m}].route.cluster`,
            `unknown cluster "${r.cluster}"`);
        }
      }));
    }));
    return { file: this.file, node, admin, statsTags: tags, useAllDefaultTags: useAll, listeners, clusters };
  }

  private node(v: unknown): NodeInfo {
    if (v === undefined) return { id: "", cluster: "", metadata: {} };
    const n = obj("node", v, ["id", "cluster", "metadata", "locality"]);
    if (n.metadata !== undefined && !isObj(n.metadata)) throw new BootstrapError("node.metadata", "expected a Struct (map)");
    if (n.locality !== undefined) obj("node.locality", n.locality, ["region", "zone", "sub_zone"]);
    return { id: str("node.id", n.id, ""), cluster: str("node.cluster", n.cluster, ""), metadata: (n.metadata as Record<string, unknown>) ?? {} };
  }

  private admin(v: unknown): SocketAddress {
    const a = obj("admin", v, ["address", "access_log"], ["address"]);
    if (a.access_log !== undefined && list("admin.access_log", a.access_log).length) throw new BootstrapError("admin.access_log", "admin access logs are not supported by this host");
    return socketAddress("admin.address", a.address);
  }

  private statsConfig(v: unknown): { tags: StatsTagRule[]; useAll: boolean } {
    if (v === undefined) return { tags: [], useAll: true };
    const s = obj("stats_config", v, ["stats_tags", "use_all_default_tags"]);
    const tags = list("stats_config.stats_tags", s.stats_tags).map((t, i) => {
      const at = `stats_config.stats_tags[${i}]`;
      const o = obj(at, t, ["tag_name", "regex", "fixed_value"], ["tag_name"]);
      if ((o.regex === undefined) === (o.fixed_value === undefined)) throw new BootstrapError(at, "exactly one of regex or fixed_value is required");
      if (o.regex !== undefined) {
        try { new RegExp(str(`${at}.regex`, o.regex)); } catch (e) { throw new BootstrapError(`${at}.regex`, `invalid regex: ${(e as Error).message}`); }
      }
      return { tagName: str(`${at}.tag_name`, o.tag_name), regex: o.regex as string | undefined, fixedValue: o.fixed_value as string | undefined };
    });
    return { tags, useAll: bool("stats_config.use_all_default_tags", s.use_all_default_tags, true) };
  }

  private tls(at: string, v: unknown, downstream: boolean): TlsContext {
    const ts = obj(at, v, ["name", "typed_config"], ["name", "typed_config"]);
    if (ts.name !== "envoy.transport_sockets.tls") throw new BootstrapError(`${at}.name`, `unsupported transport socket ${JSON.stringify(ts.name)} (only envoy.transport_sockets.tls)`);
    const tat = `${at}.typed_config`;
    const tc = downstream
      ? typedConfig(tat, ts.typed_config, T.downTls, ["common_tls_context", "require_client_certificate"], ["common_tls_context"])
      : typedConfig(tat, ts.typed_config, T.upTls, ["common_tls_context", "sni"], ["common_tls_context"]);
    const cat = `${tat}.common_tls_context`;
    const c = obj(cat, tc.common_tls_context, ["tls_certificates", "validation_context", "alpn_protocols", "tls_params"]);
    if (c.tls_params !== undefined) {
      const p = obj(`${cat}.tls_params`, c.tls_params, ["tls_minimum_protocol_version", "tls_maximum_protocol_version"]);
      for (const k of ["tls_minimum_protocol_version", "tls_maximum_protocol_version"]) oneOf(`${cat}.tls_params.${k}`, p[k], ["TLS_AUTO", "TLSv1_2", "TLSv1_3"] as const, "TLS_AUTO");
    }
    const certificates = list(`${cat}.tls_certificates`, c.tls_certificates).map((t, i) => {
      const cAt = `${cat}.tls_certificates[${i}]`;
      const o = obj(cAt, t, ["certificate_chain", "private_key"], ["certificate_chain", "private_key"]);
      const chain = this.dataSourceFile(`${cAt}.certificate_chain`, o.certificate_chain);
      const key = this.dataSourceFile(`${cAt}.private_key`, o.private_key);
      return { certChainPath: chain.path, privateKeyPath: key.path, certChain: chain.data, privateKey: key.data };
    });
    let trusted: { path: string; data: Buffer } | undefined;
    const matchSubjectAltNames: SanMatcher[] = [];
    if (c.validation_context !== undefined) {
      const vat = `${cat}.validation_context`;
      const vc = obj(vat, c.validation_context, ["trusted_ca", "match_typed_subject_alt_names"]);
      if (vc.trusted_ca !== undefined) trusted = this.dataSourceFile(`${vat}.trusted_ca`, vc.trusted_ca);
      list(`${vat}.match_typed_subject_alt_names`, vc.match_typed_subject_alt_names).forEach((m, i) => {
        const mat = `${vat}.match_typed_subject_alt_names[${i}]`;
        const o = obj(mat, m, ["san_type", "matcher"], ["san_type", "matcher"]);
        const mm = obj(`${mat}.matcher`, o.matcher, ["exact", "prefix", "suffix"]);
        if (Object.keys(mm).length !== 1) throw new BootstrapError(`${mat}.matcher`, "exactly one of exact, prefix, suffix is required");
        matchSubjectAltNames.push({
          sanType: oneOf(`${mat}.san_type`, o.san_type, ["URI", "DNS"] as const, "URI"),
          exact: mm.exact as string | undefined, prefix: mm.prefix as string | undefined, suffix: mm.suffix as string | undefined,
        });
      });
    }
    const alpn = list(`${cat}.alpn_protocols`, c.alpn_protocols).map((a, i) => str(`${cat}.alpn_protocols[${i}]`, a));
    const requireClientCertificate = downstream ? bool(`${tat}.require_client_certificate`, tc.require_client_certificate, false) : false;
    if (requireClientCertificate && !trusted) throw new BootstrapError(`${cat}.validation_context.trusted_ca`, "require_client_certificate needs a trusted_ca to verify against");
    if (downstream && certificates.length === 0) throw new BootstrapError(`${cat}.tls_certificates`, "a DownstreamTlsContext needs a certificate");
    return {
      certificates, trustedCaPath: trusted?.path, trustedCa: trusted?.data, matchSubjectAltNames, alpn, requireClientCertificate,
      sni: downstream ? undefined : (tc.sni === undefined ? undefined : str(`${tat}.sni`, tc.sni)),
    };
  }

  private cluster(at: string, v: unknown): ClusterModel {
    const c = obj(at, v, ["name", "type", "connect_timeout", "lb_policy", "load_assignment", "metadata", "transport_socket",
      "typed_extension_protocol_options"], ["name", "load_assignment"]);
    const name = str(`${at}.name`, c.name);
    oneOf(`${at}.type`, c.type, ["STATIC"] as const, "STATIC");
    oneOf(`${at}.lb_policy`, c.lb_policy, ["ROUND_ROBIN"] as const, "ROUND_ROBIN");
    const la = obj(`${at}.load_assignment`, c.load_assignment, ["cluster_name", "endpoints"]);
    if (la.cluster_name !== undefined && la.cluster_name !== name) throw new BootstrapError(`${at}.load_assignment.cluster_name`, `must equal the cluster name "${name}"`);
    const endpoints: EndpointModel[] = [];
    list(`${at}.load_assignment.endpoints`, la.endpoints).forEach((e, i) => {
      const eat = `${at}.load_assignment.endpoints[${i}]`;
      const le = obj(eat, e, ["lb_endpoints", "locality"]);
      list(`${eat}.lb_endpoints`, le.lb_endpoints).forEach((lb, j) => {
        const lat = `${eat}.lb_endpoints[${j}]`;
        const l = obj(lat, lb, ["endpoint", "metadata"], ["endpoint"]);
        const ep = obj(`${lat}.endpoint`, l.endpoint, ["address"], ["address"]);
        endpoints.push({ address: socketAddress(`${lat}.endpoint.address`, ep.address), metadata: metadata(`${lat}.metadata`, l.metadata) });
      });
    });
    let httpProtocol: ClusterModel["httpProtocol"] = "HTTP1";
    if (c.typed_extension_protocol_options !== undefined) {
      const pat = `${at}.typed_extension_protocol_options`;
      const p = obj(pat, c.typed_extension_protocol_options, ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]);
      const key = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
      if (p[key] !== undefined) {
        const hat = `${pat}["${key}"]`;
        const h = typedConfig(hat, p[key], T.httpOpts, ["explicit_http_config", "use_downstream_protocol_config"]);
        if ((h.explicit_http_config === undefined) === (h.use_downstream_protocol_config === undefined)) {
          throw new BootstrapError(hat, "exactly one of explicit_http_config or use_downstream_protocol_config is required");
        }
        if (h.explicit_http_config !== undefined) {
          const e = obj(`${hat}.explicit_http_config`, h.explicit_http_config, ["http_protocol_options", "http2_protocol_options"]);
          if (Object.keys(e).length !== 1) throw new BootstrapError(`${hat}.explicit_http_config`, "exactly one of http_protocol_options or http2_protocol_options is required");
          if (e.http_protocol_options !== undefined) obj(`${hat}.explicit_http_config.http_protocol_options`, e.http_protocol_options, []);
          if (e.http2_protocol_options !== undefined) obj(`${hat}.explicit_http_config.http2_protocol_options`, e.http2_protocol_options, []);
          httpProtocol = e.http2_protocol_options !== undefined ? "HTTP2" : "HTTP1";
        } else {
          const d = obj(`${hat}.use_downstream_protocol_config`, h.use_downstream_protocol_config, ["http_protocol_options", "http2_protocol_options"]);
          for (const k of Object.keys(d)) obj(`${hat}.use_downstream_protocol_config.${k}`, d[k], []);
          httpProtocol = "DOWNSTREAM";
        }
      }
    }
    return {
      name, connectTimeoutMs: durationMs(`${at}.connect_timeout`, c.connect_timeout, 5000), endpoints,
      metadata: metadata(`${at}.metadata`, c.metadata),
      tls: c.transport_socket === undefined ? undefined : this.tls(`${at}.transport_socket`, c.transport_socket, false),
      httpProtocol,
    };
  }

  private listener(at: string, v: unknown, clusters: Set<string>): ListenerModel {
    const l = obj(at, v, ["name", "address", "traffic_direction", "metadata", "filter_chains"], ["name", "address", "filter_chains"]);
    const chains = list(`${at}.filter_chains`, l.filter_chains, false);
    if (chains.length !== 1) throw new BootstrapError(`${at}.filter_chains`, `exactly one filter chain is supported (no filter_chain_match), got ${chains.length}`);
    const cat = `${at}.filter_chains[0]`;
    const fc = obj(cat, chains[0], ["name", "filters", "transport_socket"], ["filters"]);
    const raw = list(`${cat}.filters`, fc.filters, false);
    const filters: NetworkFilterModel[] = raw.map((f, i) => this.networkFilter(`${cat}.filters[${i}]`, f, clusters));
    const terminal = filters.findIndex((f) => f.kind !== "wasm");
    if (terminal !== filters.length - 1) {
      throw new BootstrapError(`${cat}.filters`, "the last network filter must be the terminal one (http_connection_manager or tcp_proxy), and only the last");
    }
    return {
      name: str(`${at}.name`, l.name),
      address: socketAddress(`${at}.address`, l.address),
      direction: oneOf(`${at}.traffic_direction`, l.traffic_direction, ["UNSPECIFIED", "INBOUND", "OUTBOUND"] as const, "UNSPECIFIED"),
      metadata: metadata(`${at}.metadata`, l.metadata),
      filterChainName: fc.name === undefined ? "" : str(`${cat}.name`, fc.name),
      filters,
      tls: fc.transport_socket === undefined ? undefined : this.tls(`${cat}.transport_socket`, fc.transport_socket, true),
    };
  }

  private networkFilter(at: string, v: unknown, clusters: Set<string>): NetworkFilterModel {
    const f = obj(at, v, ["name", "typed_config"], ["name", "typed_config"]);
    const name = str(`${at}.name`, f.name);
    const type = NETWORK_FILTERS[name];
    if (type === undefined) throw new BootstrapError(`${at}.name`, `unsupported network filter "${name}" (this host implements: ${Object.keys(NETWORK_FILTERS).join(", ")})`);
    const tat = `${at}.typed_config`;
    if (type === T.tcpProxy) {
      const t = typedConfig(tat, f.typed_config, T.tcpProxy, ["stat_prefix", "cluster"], ["stat_prefix", "cluster"]);
      const cluster = str(`${tat}.cluster`, t.cluster);
      if (!clusters.has(cluster)) throw new BootstrapError(`${tat}.cluster`, `unknown cluster "${cluster}"`);
      return { kind: "tcp_proxy", statPrefix: str(`${tat}.stat_prefix`, t.stat_prefix), cluster };
    }
    if (type === T.netWasm) {
      const t = typedConfig(tat, f.typed_config, T.netWasm, ["config"], ["config"]);
      return { kind: "wasm", name, plugin: this.plugin(`${tat}.config`, t.config) };
    }
    return this.hcm(tat, f.typed_config);
  }

  private hcm(at: string, v: unknown): HcmModel {
    const h = typedConfig(at, v, T.hcm, ["stat_prefix", "codec_type", "route_config", "http_filters", "generate_request_id"],
      ["stat_prefix", "route_config", "http_filters"]);
    const rc = obj(`${at}.route_config`, h.route_config, ["name", "virtual_hosts"]);
    const virtualHosts = list(`${at}.route_config.virtual_hosts`, rc.virtual_hosts).map((vh, i) => this.virtualHost(`${at}.route_config.virtual_hosts[${i}]`, vh));
    const filters = list(`${at}.http_filters`, h.http_filters, false).map((f, i) => this.httpFilter(`${at}.http_filters[${i}]`, f));
    const routerAt = filters.findIndex((f) => f.kind === "router");
    if (routerAt !== filters.length - 1) throw new BootstrapError(`${at}.http_filters`, "envoy.filters.http.router must be the last HTTP filter (and appear once)");
    return {
      kind: "http_connection_manager",
      statPrefix: str(`${at}.stat_prefix`, h.stat_prefix),
      codecType: oneOf(`${at}.codec_type`, h.codec_type, ["AUTO", "HTTP1", "HTTP2"] as const, "AUTO"),
      generateRequestId: bool(`${at}.generate_request_id`, h.generate_request_id, true),
      routeConfigName: rc.name === undefined ? "" : str(`${at}.route_config.name`, rc.name),
      virtualHosts,
      httpFilters: filters,
    };
  }

  private virtualHost(at: string, v: unknown): VirtualHostModel {
    const vh = obj(at, v, ["name", "domains", "routes", "metadata"], ["name", "domains"]);
    const domains = list(`${at}.domains`, vh.domains, false).map((d, i) => str(`${at}.domains[${i}]`, d));
    if (!domains.length) throw new BootstrapError(`${at}.domains`, "at least one domain is required");
    return {
      name: str(`${at}.name`, vh.name), domains, metadata: metadata(`${at}.metadata`, vh.metadata),
      routes: list(`${at}.routes`, vh.routes).map((r, i) => this.route(`${at}.routes[${i}]`, r)),
    };
  }

  private route(at: string, v: unknown): RouteModel {
    const r = obj(at, v, ["name", "match", "route", "direct_response", "metadata"], ["match"]);
    if ((r.route === undefined) === (r.direct_response === undefined)) throw new BootstrapError(at, "exactly one of route or direct_response is required");
    const m = obj(`${at}.match`, r.match, ["prefix", "path", "grpc", "headers"]);
    if ((m.prefix === undefined) === (m.path === undefined)) throw new BootstrapError(`${at}.match`, "exactly one of prefix or path is required (others are unsupported here)");
    if (m.grpc !== undefined) obj(`${at}.match.grpc`, m.grpc, []);
    const headers = list(`${at}.match.headers`, m.headers).map((hv, i) => {
      const hat = `${at}.match.headers[${i}]`;
      const h = obj(hat, hv, ["name", "string_match", "present_match", "invert_match"], ["name"]);
      if ((h.string_match === undefined) === (h.present_match === undefined)) throw new BootstrapError(hat, "exactly one of string_match or present_match is required");
      const sm = h.string_match === undefined ? undefined : obj(`${hat}.string_match`, h.string_match, ["exact", "prefix"]);
      if (sm && Object.keys(sm).length !== 1) throw new BootstrapError(`${hat}.string_match`, "exactly one of exact or prefix is required");
      return {
        name: str(`${hat}.name`, h.name).toLowerCase(), exact: sm?.exact as string | undefined, prefix: sm?.prefix as string | undefined,
        present: h.present_match === undefined ? undefined : bool(`${hat}.present_match`, h.present_match, true),
        invert: bool(`${hat}.invert_match`, h.invert_match, false),
      };
    });
    const model: RouteModel = {
      name: r.name === undefined ? "" : str(`${at}.name`, r.name),
      match: { prefix: m.prefix as string | undefined, path: m.path as string | undefined, grpc: m.grpc !== undefined, headers },
      timeoutMs: 15000,
      metadata: metadata(`${at}.metadata`, r.metadata),
    };
    if (model.match.prefix !== undefined) str(`${at}.match.prefix`, model.match.prefix);
    if (model.match.path !== undefined) str(`${at}.match.path`, model.match.path);
    if (r.route !== undefined) {
      const ra = obj(`${at}.route`, r.route, ["cluster", "timeout"], ["cluster"]);
      model.cluster = str(`${at}.route.cluster`, ra.cluster);
      model.timeoutMs = durationMs(`${at}.route.timeout`, ra.timeout, 15000);
    } else {
      const d = obj(`${at}.direct_response`, r.direct_response, ["status", "body"], ["status"]);
      let body = "";
      if (d.body !== undefined) body = str(`${at}.direct_response.body.inline_string`, obj(`${at}.direct_response.body`, d.body, ["inline_string"], ["inline_string"]).inline_string);
      model.directResponse = { status: uint(`${at}.direct_response.status`, d.status, 599), body };
    }
    return model;
  }

  private httpFilter(at: string, v: unknown): HttpFilterModel {
    const f = obj(at, v, ["name", "typed_config"], ["name", "typed_config"]);
    const name = str(`${at}.name`, f.name);
    const type = HTTP_FILTERS[name];
    if (type === undefined) throw new BootstrapError(`${at}.name`, `unsupported HTTP filter "${name}" (this host implements: ${Object.keys(HTTP_FILTERS).join(", ")})`);
    const tat = `${at}.typed_config`;
    if (type === T.router) {
      typedConfig(tat, f.typed_config, T.router, []);
      return { name, kind: "router" };
    }
    const t = typedConfig(tat, f.typed_config, T.httpWasm, ["config"], ["config"]);
    return { name, kind: "wasm", plugin: this.plugin(`${tat}.config`, t.config) };
  }

  private stringValue(at: string, v: unknown): Uint8Array {
    if (v === undefined) return new Uint8Array(0);
    const o = typedConfig(at, v, T.stringValue, ["value"]);
    return Buffer.from(o.value === undefined ? "" : str(`${at}.value`, o.value), "utf8");
  }

  private plugin(at: string, v: unknown): PluginConfig {
    const p = obj(at, v, ["name", "root_id", "vm_config", "configuration", "fail_open", "failure_policy",
      "capability_restriction_config", "allow_on_headers_stop_iteration"], ["vm_config"]);
    const vat = `${at}.vm_config`;
    const vm = obj(vat, p.vm_config, ["vm_id", "runtime", "code", "configuration", "environment_variables", "allow_precompiled"], ["code"]);
    const runtime = str(`${vat}.runtime`, vm.runtime, "envoy.wasm.runtime.v8");
    if (runtime !== "envoy.wasm.runtime.v8") throw new BootstrapError(`${vat}.runtime`, `only envoy.wasm.runtime.v8 is available in this host (V8, as Envoy's default), got ${JSON.stringify(runtime)}`);
    const code = obj(`${vat}.code`, vm.code, ["local"], ["local"]);
    const local = this.dataSourceFile(`${vat}.code.local`, code.local);
    const environment: Record<string, string> = {};
    if (vm.environment_variables !== undefined) {
      const eat = `${vat}.environment_variables`;
      const e = obj(eat, vm.environment_variables, ["host_env_keys", "key_values"]);
      for (const [i, k] of list(`${eat}.host_env_keys`, e.host_env_keys).entries()) {
        const key = str(`${eat}.host_env_keys[${i}]`, k);
        if (process.env[key] !== undefined) environment[key] = process.env[key]!;
      }
      if (e.key_values !== undefined) {
        if (!isObj(e.key_values)) throw new BootstrapError(`${eat}.key_values`, "expected a map of string -> string");
        for (const [k, val] of Object.entries(e.key_values)) environment[k] = str(`${eat}.key_values.${k}`, val);
      }
    }
    const failOpen = bool(`${at}.fail_open`, p.fail_open, false);
    if (p.fail_open !== undefined && p.failure_policy !== undefined) throw new BootstrapError(`${at}.fail_open`, "set either fail_open (deprecated) or failure_policy, not both");
    // Envoy: UNSPECIFIED behaves as FAIL_CLOSED (unless the deprecated fail_open is true).
    const policy = oneOf(`${at}.failure_policy`, p.failure_policy, ["UNSPECIFIED", "FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"] as const, "UNSPECIFIED");
    const failurePolicy: FailurePolicy = policy === "UNSPECIFIED" ? (failOpen ? "FAIL_OPEN" : "FAIL_CLOSED") : policy;
    let allowedCapabilities: string[] | undefined;
    if (p.capability_restriction_config !== undefined) {
      const c = obj(`${at}.capability_restriction_config`, p.capability_restriction_config, ["allowed_capabilities"]);
      const caps = c.allowed_capabilities ?? {};
      if (!isObj(caps)) throw new BootstrapError(`${at}.capability_restriction_config.allowed_capabilities`, "expected a map of capability name -> {}");
      allowedCapabilities = Object.keys(caps);
    }
    return {
      name: str(`${at}.name`, p.name, ""),
      rootId: str(`${at}.root_id`, p.root_id, ""),
      vmId: str(`${vat}.vm_id`, vm.vm_id, ""),
      code: local.data,
      codePath: local.path,
      runtime,
      vmConfiguration: this.stringValue(`${vat}.configuration`, vm.configuration),
      configuration: this.stringValue(`${at}.configuration`, p.configuration),
      failurePolicy,
      allowOnHeadersStopIteration: bool(`${at}.allow_on_headers_stop_iteration`, p.allow_on_headers_stop_iteration, false),
      environment,
      allowedCapabilities,
    };
  }
}

/** Parses and validates a bootstrap given as YAML text. `file` names it in errors and anchors relative paths. */
export function parseBootstrap(yamlText: string, file: string, opts: LoadOptions = {}): Bootstrap {
  let doc: unknown;
  try {
    doc = parseYaml(yamlText);
  } catch (e) {
    throw new BootstrapError("(yaml)", `${file}: ${(e as Error).message}`);
  }
  try {
    return new Loader(file, opts).load(doc);
  } catch (e) {
    if (e instanceof BootstrapError) e.message = `${e.message} [${file}]`;
    throw e;
  }
}

export function loadBootstrap(file: string, opts: LoadOptions = {}): Bootstrap {
  return parseBootstrap(readFileSync(file, "utf8"), file, opts);
}
