// The RBAC engine: Envoy's RoleBasedAccessControlEngineImpl over a RequestView. One compiled tree
// per Permission / Principal (Envoy's matchers.cc), policies in lexicographic order of their names
// (Envoy keeps them in a std::map), the first matching policy is the effective policy id.
import { Node as ExprNode, evaluate, ValueKind as ExprKind } from "../../shared/expr/index";
import {
  StringMatcher, StrKind, HeaderMatcher, CidrRange, PathTemplate, MetadataMatcher, stripQueryAndFragment, Ip,
} from "./matchers";
import { RequestView } from "./request";

export enum MatchKind {
  Any = 0, And = 1, Or = 2, Not = 3, Header = 4, UrlPath = 5, DestinationIp = 6, DestinationPort = 7,
  DestinationPortRange = 8, ServerName = 9, UriTemplate = 10, DynamicMetadata = 11, RouteMetadata = 12,
  Authenticated = 13, DirectRemoteIp = 14, RemoteIp = 15, FilterState = 16, FilterStateAddress = 17,
}

/** One node of a Permission or Principal tree. */
export class Matcher {
  kind: MatchKind;
  children: Array<Matcher> = new Array<Matcher>();
  header: HeaderMatcher | null = null;
  str: StringMatcher | null = null;
  cidr: CidrRange | null = null;
  ranges: Array<CidrRange> = new Array<CidrRange>();
  portLo: i64 = 0;
  portHi: i64 = 0;
  template: PathTemplate | null = null;
  metadata: MetadataMatcher | null = null;
  key: string = "";

  constructor(kind: MatchKind) { this.kind = kind; }

  static any(): Matcher { return new Matcher(MatchKind.Any); }
  static not(m: Matcher): Matcher { const n = new Matcher(MatchKind.Not); n.children.push(m); return n; }

  matches(r: RequestView): bool {
    switch (this.kind) {
      case MatchKind.Any: return true;
      case MatchKind.And: {
        for (let i = 0, n = this.children.length; i < n; i++) if (!unchecked(this.children[i]).matches(r)) return false;
        return true;
      }
      case MatchKind.Or: {
        for (let i = 0, n = this.children.length; i < n; i++) if (unchecked(this.children[i]).matches(r)) return true;
        return false;
      }
      case MatchKind.Not: return !this.children[0].matches(r);
      case MatchKind.Header: {
        // Envoy's HeaderMatcher on a network filter: no headers, never a match (matchers.cc).
        if (!r.isHttp()) return false;
        const h = this.header!;
        return h.matches(r.headerValues(h.name));
      }
      case MatchKind.UrlPath: {
        if (!r.isHttp()) return false;
        const p = r.urlPath();
        return p !== null && this.str!.match(p);
      }
      case MatchKind.UriTemplate: {
        if (!r.isHttp()) return false;
        const p = r.urlPath();
        return p !== null && this.template!.match(p);
      }
      case MatchKind.DestinationIp: return this.cidr!.contains(r.destinationIp());
      case MatchKind.DestinationPort: return r.destinationPort() == this.portLo;
      case MatchKind.DestinationPortRange: {
        const p = r.destinationPort();
        return p >= this.portLo && p < this.portHi;
      }
      case MatchKind.ServerName: return this.str!.match(r.requestedServerName());
      case MatchKind.DynamicMetadata: return this.metadata!.match(r.dynamicMetadata(this.metadata!.filter));
      case MatchKind.RouteMetadata: return this.metadata!.match(r.routeMetadata(this.metadata!.filter));
      case MatchKind.Authenticated: return authenticated(this.str, r);
      case MatchKind.DirectRemoteIp: return this.cidr!.contains(r.directRemoteIp());
      case MatchKind.RemoteIp: return this.cidr!.contains(r.remoteIp());
      case MatchKind.FilterState: {
        const v = r.filterState(this.key);
        return v !== null && this.str!.match(v);
      }
      case MatchKind.FilterStateAddress: {
        const v = r.filterState(this.key);
        if (v === null) return false;
        const ip = parseIp(v);
        for (let i = 0; i < this.ranges.length; i++) if (this.ranges[i].contains(ip)) return true;
        return false;
      }
    }
    return false;
  }
}

import { parseIp } from "./matchers";

/**
 * Envoy's AuthenticatedMatcher: no TLS => no match; no principal_name => any TLS peer; otherwise
 * the peer certificate's URI SAN, then its DNS SAN, then its subject, any of which may match.
 * (A Wasm filter sees the first URI SAN and the first DNS SAN only; see README.)
 */
function authenticated(name: StringMatcher | null, r: RequestView): bool {
  if (!r.tls()) return false;
  if (name === null) return true;
  const uri = r.uriSan();
  if (uri !== null && name.match(uri)) return true;
  const dns = r.dnsSan();
  if (dns !== null && name.match(dns)) return true;
  const subject = r.subject();
  return subject !== null && name.match(subject);
}

function commonPrefix(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  let i = 0;
  const n = min(a.length, b.length);
  while (i < n && a.charCodeAt(i) == b.charCodeAt(i)) i++;
  return a.substring(0, i);
}

/** A literal prefix the url_path must have for `m` to match, or null when `m` does not constrain it. */
function requiredPrefix(m: Matcher): string | null {
  if (m.kind == MatchKind.UrlPath) {
    const s = m.str!;
    return !s.ignoreCase && (s.kind == StrKind.Exact || s.kind == StrKind.Prefix) ? s.value : null;
  }
  if (m.kind == MatchKind.And) {
    let best: string | null = null;
    for (let i = 0; i < m.children.length; i++) {
      const q = requiredPrefix(m.children[i]);
      if (q !== null && (best === null || q.length > best.length)) best = q;
    }
    return best;
  }
  if (m.kind == MatchKind.Or) {
    let pre: string | null = null;
    for (let i = 0; i < m.children.length; i++) {
      const q = requiredPrefix(m.children[i]);
      if (q === null) return null;
      pre = i == 0 ? q : commonPrefix(pre, q);
    }
    return pre;
  }
  return null;
}

export enum Action { Allow = 0, Deny = 1, Log = 2 }

export class Policy {
  /** Matches iff some permission and some principal (and the condition) match. */
  permissions: Array<Matcher> = new Array<Matcher>();
  principals: Array<Matcher> = new Array<Matcher>();
  condition: ExprNode | null = null;
  /**
   * A literal prefix every matching request's url_path must start with ("" = none), derived at
   * configure time from the permissions: a necessary condition checked before the full match, so
   * policies for other paths cost one comparison.
   */
  pathPrefix: string = "";
  /** The name as UTF-8, written to filter state per request without encoding it again. */
  nameBytes: ArrayBuffer;
  constructor(public name: string) { this.nameBytes = String.UTF8.encode(name); }

  matches(r: RequestView): bool {
    const pre = this.pathPrefix;
    if (pre.length > 0) {
      const p = r.urlPath();
      if (p === null || !p.startsWith(pre)) return false;
    }
    let ok = false;
    for (let i = 0, n = this.permissions.length; i < n && !ok; i++) ok = unchecked(this.permissions[i]).matches(r);
    if (!ok) return false;
    ok = false;
    for (let i = 0, n = this.principals.length; i < n && !ok; i++) ok = unchecked(this.principals[i]).matches(r);
    if (!ok) return false;
    const c = this.condition;
    if (c === null) return true;
    // Envoy: an evaluation error or a non-bool result is "no match".
    const v = evaluate(c, r);
    return v !== null && v.kind == ExprKind.Bool && v.b;
  }
}

export class Verdict {
  allowed: bool = true;
  /** "" when no policy matched. */
  policyId: string = "";
  policy: Policy | null = null;
  /** LOG action: whether a policy matched (envoy.common.access_log_hint). */
  logged: bool = false;
}

export class Engine {
  action: Action = Action.Allow;
  policies: Array<Policy> = new Array<Policy>();

  /** Sorts policies by name bytes, as Envoy's std::map<std::string, Policy> orders them. */
  seal(): void {
    for (let i = 0; i < this.policies.length; i++) {
      const p = this.policies[i];
      let pre: string | null = null;
      for (let j = 0; j < p.permissions.length; j++) {
        const q = requiredPrefix(p.permissions[j]);
        pre = j == 0 ? q : commonPrefix(pre, q);
      }
      p.pathPrefix = pre === null ? "" : pre;
    }
    // Insertion sort (configure time only); stable, so duplicate names keep document order.
    const p = this.policies;
    for (let i = 1; i < p.length; i++) {
      const x = p[i];
      let j = i - 1;
      while (j >= 0 && p[j].name > x.name) { p[j + 1] = p[j]; j--; }
      p[j + 1] = x;
    }
  }

  /** The first matching policy (lexicographic), or null. */
  firstMatch(r: RequestView): Policy | null {
    for (let i = 0, n = this.policies.length; i < n; i++) {
      const p = unchecked(this.policies[i]);
      if (p.matches(r)) return p;
    }
    return null;
  }

  /** Envoy's handleAction: ALLOW allows on a match, DENY denies on a match, LOG always allows. */
  decide(r: RequestView, out: Verdict): Verdict {
    const p = this.firstMatch(r);
    out.policyId = p === null ? "" : p.name;
    out.policy = p;
    out.logged = false;
    if (this.action == Action.Allow) out.allowed = p !== null;
    else if (this.action == Action.Deny) out.allowed = p === null;
    else { out.allowed = true; out.logged = p !== null; }
    return out;
  }
}

export function actionName(a: Action): string {
  return a == Action.Allow ? "ALLOW" : a == Action.Deny ? "DENY" : "LOG";
}

export { Ip };
