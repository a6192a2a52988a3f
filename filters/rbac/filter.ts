// RBAC (Envoy envoy.filters.http.rbac / envoy.filters.network.rbac, Istio AuthorizationPolicy) for
// stock Envoy.
//
//   RbacRoot        HTTP root (root_id "rbac"): configuration -> RBAC stages, counters.
//   RbacStream      one HTTP request: on request headers run every stage in order (shadow, then
//                   enforced); the first enforced deny answers 403 `RBAC: access denied`.
//   RbacTcpRoot     network root (root_id "rbac_tcp").
//   RbacTcpStream   one connection: decide on the first downstream bytes (ONE_TIME_ON_FIRST_BYTE)
//                   or on every read (CONTINUOUS); a deny closes the connection.
// The decision itself is engine.ts over a RequestView; HostRequest below reads each attribute from
// the host the first time a policy asks for it, and never otherwise.
import { Context, RootContext, HeadersStatus, NetworkStatus, registerRootContext } from "../../shared/abi/context";
import {
  HeaderMap, LogLevel, logEnabled, log, propertyPath, getPropertyView, getPropertyBytes, viewString, getHeaderView,
  getHeaderPairs, sendLocalResponse, setProperty, closeStream, StreamType, viewPtr,
} from "../../shared/abi/host";
import { HeaderPair } from "../../shared/abi/pairs";
import { JsonValue, JsonKind } from "../../shared/codec/json";
import { ProtoReader, WireType, decodeStructRange, decodeStruct } from "../../shared/codec/protobuf";
import { AttrRef, Value, readProperty } from "../../shared/expr/index";
import { parseRbacConfig, RbacConfig } from "./config";
import { RequestView } from "./request";
import { Ip, parseSocketAddress, stripQueryAndFragment } from "./matchers";
import { Verdict } from "./engine";
import { StageOutputs, StageResult, runStage, ON_DENY_BODY, denyDetails } from "./outputs";
import { EnforcementType } from "./envoy_config";
import { JWT_FILTER } from "./istio";
import { AUTHN_STATE_KEY, AUTHN_FORMAT_VERSION } from "../../shared/authn/index";

const P_SNI = propertyPath(["connection", "requested_server_name"]);
const P_TLS = propertyPath(["connection", "tls_version"]);
const P_URI_SAN = propertyPath(["connection", "uri_san_peer_certificate"]);
const P_DNS_SAN = propertyPath(["connection", "dns_san_peer_certificate"]);
const P_SUBJECT = propertyPath(["connection", "subject_peer_certificate"]);
const P_SOURCE = propertyPath(["source", "address"]);
const P_DEST = propertyPath(["destination", "address"]);
const P_DEST_PORT = propertyPath(["destination", "port"]);
const P_METADATA = propertyPath(["metadata"]);
const P_ROUTE_METADATA = propertyPath(["xds", "route_metadata"]);
const P_AUTHN = propertyPath([AUTHN_STATE_KEY]);
const H_PATH = String.UTF8.encode(":path");
const H_METHOD = String.UTF8.encode(":method");
const H_AUTHORITY = String.UTF8.encode(":authority");
const PSEUDO: Array<string> = [":path", ":method", ":authority"];
const PSEUDO_BYTES: StaticArray<ArrayBuffer> = [H_PATH, H_METHOD, H_AUTHORITY];

/** Envoy's Metadata message: filter_metadata = 1 (map<string, Struct>); returns the Struct of `ns`. */
export function metadataNamespace(buf: ArrayBuffer, ns: string): JsonValue | null {
  const r = new ProtoReader(buf);
  while (r.tag()) {
    if (r.field != 1 || r.wireType != WireType.LengthDelimited) { if (!r.skip()) break; continue; }
    const e = r.sub();
    let key = "";
    let vs = -1;
    let ve = -1;
    while (e.tag()) {
      if (e.field == 1 && e.wireType == WireType.LengthDelimited) key = e.string();
      else if (e.field == 2 && e.wireType == WireType.LengthDelimited) {
        const v = e.sub();
        vs = <i32>(v.pos - changetype<usize>(buf));
        ve = <i32>(v.end - changetype<usize>(buf));
      } else if (!e.skip()) break;
    }
    if (e.ok && key == ns && vs >= 0) return decodeStructRange(buf, vs, ve);
  }
  return null;
}

/**
 * The `metadata` member of the JWT filter's handoff (shared/authn, format version 1), decoded from
 * the Struct directly: RBAC needs only that member, and the full reader costs ~7 KB of module size.
 */
export function jwtMetadata(b: ArrayBuffer | null): JsonValue | null {
  if (b === null || b.byteLength == 0) return null;
  const s = decodeStruct(b);
  if (s === null || s.getNumber("version", 0) != <f64>AUTHN_FORMAT_VERSION) return null;
  const md = s.get("metadata");
  return md !== null && md.kind == JsonKind.Object ? md : null;
}

/** One request's attributes, each read from the host at most once and only when asked. */
class HostRequest extends RequestView {
  http: bool = true;
  private have: u32 = 0;
  private headerKeys: Array<string> = new Array<string>();
  private headerValuesList: Array<string> = new Array<string>();
  private sni: string = "";
  private dest: Ip = new Ip();
  private destPortValue: i64 = -1;
  private source: Ip = new Ip();
  private tlsValue: bool = false;
  private uri: string | null = null;
  private dns: string | null = null;
  private subj: string | null = null;
  private metadata: ArrayBuffer | null = null;
  private route: ArrayBuffer | null = null;
  private jwt: JsonValue | null = null;
  private url: string | null = null;

  // One-element arrays reused across requests (the request view is a singleton): no per-request array.
  private pseudo: StaticArray<Array<string>> = [[""], [""], [""], [""]];
  private pseudoSet: StaticArray<bool> = [false, false, false, false];

  reset(http: bool): void { this.http = http; this.have = 0; }

  isHttp(): bool { return this.http; }

  private first(bit: u32): bool {
    if ((this.have & bit) != 0) return false;
    this.have |= bit;
    return true;
  }

  headerValues(name: string): Array<string> | null {
    // Pseudo-headers are single-valued: one lookup each per request (cached), no copy of the whole map.
    if (name.startsWith(":")) {
      let slot = PSEUDO.indexOf(name);
      if (slot < 0) slot = 3;
      const bit = <u32>(65536 << slot);
      if (slot == 3 || this.first(bit)) {
        const n = getHeaderView(HeaderMap.RequestHeaders, slot < 3 ? PSEUDO_BYTES[slot] : String.UTF8.encode(name));
        this.pseudoSet[slot] = n >= 0;
        if (n >= 0) this.pseudo[slot][0] = viewString(n);
      }
      return this.pseudoSet[slot] ? this.pseudo[slot] : null;
    }
    // Every value of a repeated header is needed (Envoy matches each), which one
    // proxy_get_header_map_value cannot give: read the whole map once per request.
    if (this.first(1)) {
      const pairs = getHeaderPairs(HeaderMap.RequestHeaders);
      const keys = new Array<string>(pairs.length);
      const values = new Array<string>(pairs.length);
      for (let i = 0; i < pairs.length; i++) { keys[i] = pairs[i].key; values[i] = pairs[i].value; }
      this.headerKeys = keys;
      this.headerValuesList = values;
    }
    let out: Array<string> | null = null;
    const keys = this.headerKeys;
    for (let i = 0; i < keys.length; i++) {
      if (unchecked(keys[i]) != name) continue;
      if (out === null) out = new Array<string>();
      out.push(unchecked(this.headerValuesList[i]));
    }
    return out;
  }

  path(): string | null {
    const v = this.headerValues(":path");
    return v === null ? null : v[0];
  }

  urlPath(): string | null {
    if (this.first(32768)) { const p = this.path(); this.url = p === null ? null : stripQueryAndFragment(p); }
    return this.url;
  }

  requestedServerName(): string {
    if (this.first(4)) { const n = getPropertyView(P_SNI); this.sni = n < 0 ? "" : viewString(n); }
    return this.sni;
  }

  destinationIp(): Ip {
    if (this.first(8)) { const n = getPropertyView(P_DEST); this.dest = n < 0 ? new Ip() : parseSocketAddress(viewString(n)); }
    return this.dest;
  }

  destinationPort(): i64 {
    if (this.first(16)) { const n = getPropertyView(P_DEST_PORT); this.destPortValue = n == 8 ? load<i64>(viewPtr()) : -1; }
    return this.destPortValue;
  }

  /** Both of Envoy's remote addresses come from `source.address`; see README (remote_ip vs direct_remote_ip). */
  remoteIp(): Ip {
    if (this.first(32)) { const n = getPropertyView(P_SOURCE); this.source = n < 0 ? new Ip() : parseSocketAddress(viewString(n)); }
    return this.source;
  }

  directRemoteIp(): Ip { return this.remoteIp(); }

  tls(): bool {
    if (this.first(64)) this.tlsValue = getPropertyView(P_TLS) > 0;
    return this.tlsValue;
  }

  uriSan(): string | null {
    if (this.first(128)) { const n = getPropertyView(P_URI_SAN); this.uri = n < 0 ? null : viewString(n); }
    return this.uri;
  }

  dnsSan(): string | null {
    if (this.first(256)) { const n = getPropertyView(P_DNS_SAN); this.dns = n < 0 ? null : viewString(n); }
    return this.dns;
  }

  subject(): string | null {
    if (this.first(512)) { const n = getPropertyView(P_SUBJECT); this.subj = n < 0 ? null : viewString(n); }
    return this.subj;
  }

  dynamicMetadata(filter: string): JsonValue | null {
    if (this.first(1024)) this.metadata = getPropertyBytes(P_METADATA);
    const b = this.metadata;
    let native: JsonValue | null = null;
    if (b !== null) native = metadataNamespace(b, filter);
    if (native !== null || filter != JWT_FILTER) return native;
    // Behind this suite's JWT filter: its filter-state handoff carries exactly what Envoy's
    // jwt_authn would have put in this namespace (shared/authn README).
    if (this.first(4096)) this.jwt = jwtMetadata(getPropertyBytes(P_AUTHN));
    return this.jwt;
  }

  routeMetadata(filter: string): JsonValue | null {
    if (this.first(2048)) this.route = getPropertyBytes(P_ROUTE_METADATA);
    const b = this.route;
    return b === null ? null : metadataNamespace(b, filter);
  }

  filterState(key: string): string | null {
    const n = getPropertyView(propertyPath(["filter_state", key]));
    return n < 0 ? null : viewString(n);
  }

  lookup(ref: AttrRef): Value | null { return readProperty(ref); }
}

// ---------------------------------------------------------------------------------------------
// HTTP

class RbacRoot extends RootContext {
  config: RbacConfig | null = null;
  outputs: Array<StageOutputs> = new Array<StageOutputs>();
  forTCP: bool = false;

  /** Envoy's config check (proxy_validate_configuration): the same pure parser, no metrics or state. */
  onValidateConfiguration(size: u32): bool {
    const r = parseRbacConfig(this.pluginConfiguration(size), this.forTCP);
    return r.config !== null ? true : this.configError(r.field, r.why);
  }

  onConfigure(size: u32): bool {
    const r = parseRbacConfig(this.pluginConfiguration(size), this.forTCP);
    if (r.config === null) return this.configError(r.field, r.why);
    const cfg = r.config!;
    if (logEnabled(LogLevel.Warn)) for (let i = 0; i < cfg.warnings.length; i++) log(LogLevel.Warn, this.rootId + ": " + cfg.warnings[i]);
    const outs = new Array<StageOutputs>();
    for (let i = 0; i < cfg.stages.length; i++) outs.push(new StageOutputs(cfg.stages[i], this.forTCP));
    this.config = cfg;
    this.outputs = outs;
    // Translating 1,000 policies leaves megabytes of JSON garbage; collect it now instead of letting
    // the incremental collector walk it during the first requests.
    __collect();
    return true;
  }

  createContext(id: u32): Context { return new RbacStream(id, this); }
}

const request = new HostRequest();
const verdict = new Verdict();
const result = new StageResult();

class RbacStream extends Context {
  onRequestHeaders(headerCount: u32, endOfStream: bool): HeadersStatus {
    const root = changetype<RbacRoot>(this.root);
    const outs = root.outputs;
    request.reset(true);
    const debug = logEnabled(LogLevel.Debug);
    for (let i = 0; i < outs.length; i++) {
      runStage(outs[i], request, verdict, result, debug);
      if (!result.allowed) {
        sendLocalResponse(403, denyDetails(result.policyId), ON_DENY_BODY, new Array<HeaderPair>());
        return HeadersStatus.StopIteration;
      }
    }
    return HeadersStatus.Continue;
  }
}

// ---------------------------------------------------------------------------------------------
// TCP

class RbacTcpRoot extends RbacRoot {
  constructor(id: u32) { super(id); this.forTCP = true; }
  createContext(id: u32): Context { return new RbacTcpStream(id, this); }
}

class RbacTcpStream extends Context {
  decided: bool = false;
  denied: bool = false;

  onDownstreamData(dataSize: u32, endOfStream: bool): NetworkStatus {
    if (this.denied) return NetworkStatus.StopIteration;
    const root = changetype<RbacTcpRoot>(this.root);
    const outs = root.outputs;
    // Envoy's network RBAC: decide on the first read; CONTINUOUS re-checks every read (only the
    // enforced engine; shadow rules are evaluated once).
    let again = false;
    for (let i = 0; i < outs.length; i++) if (outs[i].stage.enforcement == EnforcementType.Continuous) again = true;
    if (this.decided && !again) return NetworkStatus.Continue;
    request.reset(false);
    const debug = logEnabled(LogLevel.Debug);
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i];
      if (this.decided && o.stage.enforcement != EnforcementType.Continuous) continue;
      runStage(o, request, verdict, result, debug, this.decided);
      if (!result.allowed) {
        this.denied = true;
        closeStream(StreamType.Downstream);
        return NetworkStatus.StopIteration;
      }
    }
    this.decided = true;
    return NetworkStatus.Continue;
  }
}

registerRootContext((id: u32): RootContext => new RbacRoot(id), "rbac");
registerRootContext((id: u32): RootContext => new RbacTcpRoot(id), "rbac_tcp");
