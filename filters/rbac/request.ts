// What a policy can ask about one request or connection. The engine sees only this interface:
// the filter implements it over host calls, read lazily and once (a request reads only what the
// policies it reaches need), and specs implement it over plain values (`StaticRequest`).
import { JsonValue } from "../../shared/codec/json";
import { AttrRef, Attributes, Value } from "../../shared/expr/index";
import { Ip, parseIp, asciiLower, stripQueryAndFragment } from "./matchers";

export abstract class RequestView extends Attributes {
  /** False on the network (TCP) filter: header, url_path and uri_template never match there. */
  abstract isHttp(): bool;
  /** Every value of a request header, in order; null when absent. `name` is lower case. */
  abstract headerValues(name: string): Array<string> | null;
  /** `:path` as the HCM hands it to filters (after its normalization), query included; null when absent. */
  abstract path(): string | null;
  /** `:path` without query and fragment (Envoy's PathUtil::removeQueryAndFragment); null when absent. */
  abstract urlPath(): string | null;
  abstract requestedServerName(): string;
  abstract destinationIp(): Ip;
  /** -1 when unknown. */
  abstract destinationPort(): i64;
  /** Envoy's remote address (XFF / PROXY protocol aware). */
  abstract remoteIp(): Ip;
  /** Envoy's direct remote address (the physical peer). */
  abstract directRemoteIp(): Ip;
  /** Whether the downstream connection is TLS. */
  abstract tls(): bool;
  abstract uriSan(): string | null;
  abstract dnsSan(): string | null;
  abstract subject(): string | null;
  /** The Struct of dynamic metadata namespace `filter` (e.g. envoy.filters.http.jwt_authn); null when absent. */
  abstract dynamicMetadata(filter: string): JsonValue | null;
  /** The Struct of route metadata namespace `filter` (sourced_metadata ROUTE); null when absent. */
  abstract routeMetadata(filter: string): JsonValue | null;
  /** A filter-state object's string form; null when absent. */
  abstract filterState(key: string): string | null;
}

/** A request given as plain values (specs, and the decision table's fixtures). */
export class StaticRequest extends RequestView {
  http: bool = true;
  headers: Map<string, Array<string>> = new Map<string, Array<string>>();
  sni: string = "";
  destIp: string = "";
  destPort: i64 = -1;
  remote: string = "";
  direct: string = "";
  isTls: bool = false;
  uri: string | null = null;
  dns: string | null = null;
  subj: string | null = null;
  metadata: Map<string, JsonValue> = new Map<string, JsonValue>();
  route: Map<string, JsonValue> = new Map<string, JsonValue>();
  state: Map<string, string> = new Map<string, string>();
  attrs: Map<string, Value> = new Map<string, Value>();
  /** How many attribute reads the engine made (the filter's host calls follow the same pattern). */
  reads: i32 = 0;

  header(name: string, value: string): StaticRequest {
    const k = asciiLower(name);
    if (!this.headers.has(k)) this.headers.set(k, new Array<string>());
    this.headers.get(k).push(value);
    return this;
  }

  isHttp(): bool { return this.http; }
  headerValues(name: string): Array<string> | null { this.reads++; return this.headers.has(name) ? this.headers.get(name) : null; }
  path(): string | null { this.reads++; return this.headers.has(":path") ? this.headers.get(":path")[0] : null; }
  urlPath(): string | null { const p = this.path(); return p === null ? null : stripQueryAndFragment(p); }
  requestedServerName(): string { this.reads++; return this.sni; }
  destinationIp(): Ip { this.reads++; return parseIp(this.destIp); }
  destinationPort(): i64 { this.reads++; return this.destPort; }
  remoteIp(): Ip { this.reads++; return parseIp(this.remote); }
  directRemoteIp(): Ip { this.reads++; return parseIp(this.direct.length > 0 ? this.direct : this.remote); }
  tls(): bool { this.reads++; return this.isTls; }
  uriSan(): string | null { this.reads++; return this.isTls ? this.uri : null; }
  dnsSan(): string | null { this.reads++; return this.isTls ? this.dns : null; }
  subject(): string | null { this.reads++; return this.isTls ? this.subj : null; }
  dynamicMetadata(filter: string): JsonValue | null { this.reads++; return this.metadata.has(filter) ? this.metadata.get(filter) : null; }
  routeMetadata(filter: string): JsonValue | null { this.reads++; return this.route.has(filter) ? this.route.get(filter) : null; }
  filterState(key: string): string | null { this.reads++; return this.state.has(key) ? this.state.get(key) : null; }
  lookup(ref: AttrRef): Value | null { this.reads++; return this.attrs.has(ref.text) ? this.attrs.get(ref.text) : null; }
}
