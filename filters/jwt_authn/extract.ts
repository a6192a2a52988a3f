// Where tokens come from, as Envoy's jwt_authn extractor (extractor.cc): header locations keyed by
// name + value_prefix, query parameters, cookies, each remembering which issuers configured it.
// Order of extraction: header locations, then parameters, then cookies, each sorted by key (Envoy's
// std::map / btree_map); the authenticator takes tokens from the back of that list.
import { Provider } from "./config";
import { RequestView, percentDecode } from "./matcher";

export enum LocKind { Header = 0, Param = 1, Cookie = 2 }

export class TokenLocation {
  /** Issuers whose providers configured this location; allowAll when one had no issuer. */
  issuers: Array<string> = new Array<string>();
  allowAll: bool = false;
  constructor(public kind: LocKind, public name: string, public prefix: string) {}

  addIssuer(iss: string): void {
    if (iss.length == 0) this.allowAll = true;
    else if (!this.issuers.includes(iss)) this.issuers.push(iss);
  }

  isIssuerAllowed(iss: string): bool { return this.allowAll || this.issuers.includes(iss); }

  get key(): string { return this.name + this.prefix; }
}

export class ExtractedToken {
  constructor(public token: string, public loc: TokenLocation) {}
}

const BEARER_PREFIX = "Bearer ";
const ACCESS_TOKEN_PARAM = "access_token";

function isJwtChar(c: i32): bool {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x5f || c == 0x2e;
}

/**
 * extractor.cc extractJWT: after the prefix, skip characters that cannot be in a JWT, then take the
 * run of base64url characters and dots. No such run: the value as it was.
 */
export function extractJwtRun(value: string, after: i32): string {
  let start = after;
  while (start < value.length && !isJwtChar(value.charCodeAt(start))) start++;
  if (start >= value.length) return value;
  let end = start;
  while (end < value.length && isJwtChar(value.charCodeAt(end))) end++;
  return value.substring(start, end);
}

function insertSorted(list: Array<TokenLocation>, loc: TokenLocation): void {
  let i = list.length;
  list.push(loc);
  while (i > 0 && list[i - 1].key > loc.key) { list[i] = list[i - 1]; i--; }
  list[i] = loc;
}

function find(list: Array<TokenLocation>, name: string, prefix: string): TokenLocation | null {
  for (let i = 0; i < list.length; i++) if (list[i].name == name && list[i].prefix == prefix) return list[i];
  return null;
}

export class Extractor {
  headers: Array<TokenLocation> = new Array<TokenLocation>();
  params: Array<TokenLocation> = new Array<TokenLocation>();
  cookies: Array<TokenLocation> = new Array<TokenLocation>();
  /** forward_payload_header and claim_to_headers names removed from every request before verifying. */
  sanitize: Array<string> = new Array<string>();

  private add(list: Array<TokenLocation>, kind: LocKind, name: string, prefix: string, iss: string): void {
    let l = find(list, name, prefix);
    if (l === null) { l = new TokenLocation(kind, name, prefix); insertSorted(list, l); }
    l.addIssuer(iss);
  }

  addProvider(p: Provider): void {
    for (let i = 0; i < p.fromHeaders.length; i++) this.add(this.headers, LocKind.Header, p.fromHeaders[i].name, p.fromHeaders[i].prefix, p.issuer);
    for (let i = 0; i < p.fromParams.length; i++) this.add(this.params, LocKind.Param, p.fromParams[i], "", p.issuer);
    for (let i = 0; i < p.fromCookies.length; i++) this.add(this.cookies, LocKind.Cookie, p.fromCookies[i], "", p.issuer);
    if (p.fromHeaders.length == 0 && p.fromParams.length == 0 && p.fromCookies.length == 0) {
      this.add(this.headers, LocKind.Header, "authorization", BEARER_PREFIX, p.issuer);
      this.add(this.params, LocKind.Param, ACCESS_TOKEN_PARAM, "", p.issuer);
    }
    if (p.forwardPayloadHeader.length > 0 && !this.sanitize.includes(p.forwardPayloadHeader)) this.sanitize.push(p.forwardPayloadHeader);
    for (let i = 0; i < p.claimToHeaders.length; i++) {
      const h = p.claimToHeaders[i].header;
      if (!this.sanitize.includes(h)) this.sanitize.push(h);
    }
  }

  extract(req: RequestView): Array<ExtractedToken> {
    const out = new Array<ExtractedToken>();
    for (let i = 0; i < this.headers.length; i++) {
      const l = this.headers[i];
      const v = req.header(l.name);
      if (v === null) continue;
      let value = v!;
      if (l.prefix.length > 0) {
        const pos = value.indexOf(l.prefix);
        if (pos < 0) continue;
        value = extractJwtRun(value, pos + l.prefix.length);
      }
      out.push(new ExtractedToken(value, l));
    }
    if (this.params.length > 0) {
      for (let i = 0; i < this.params.length; i++) {
        const v = firstQueryValue(req.path, this.params[i].name);
        if (v !== null) out.push(new ExtractedToken(v!, this.params[i]));
      }
    }
    if (this.cookies.length > 0) {
      for (let i = 0; i < this.cookies.length; i++) {
        const v = cookieValue(req, this.cookies[i].name);
        if (v !== null) out.push(new ExtractedToken(v!, this.cookies[i]));
      }
    }
    return out;
  }
}

/** Http::Utility::parseAndDecodeQueryString: first occurrence of a key wins; keys and values percent-decoded. */
export function firstQueryValue(path: string, name: string): string | null {
  const q = path.indexOf("?");
  if (q < 0) return null;
  let end = path.indexOf("#", q);
  if (end < 0) end = path.length;
  let i = q + 1;
  while (i < end) {
    let amp = path.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    const part = path.substring(i, amp);
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.substring(0, eq);
    if (percentDecode(k) == name) return eq < 0 ? "" : percentDecode(part.substring(eq + 1));
    i = amp + 1;
  }
  return null;
}

/** Http::Utility::parseCookies: every Cookie header, `;`-separated, first occurrence wins, surrounding quotes removed. */
export function cookieValue(req: RequestView, name: string): string | null {
  for (let h = 0; h < req.names.length; h++) {
    if (req.names[h] != "cookie") continue;
    const v = req.values[h];
    let i = 0;
    while (i <= v.length) {
      let semi = v.indexOf(";", i);
      if (semi < 0) semi = v.length;
      let part = v.substring(i, semi);
      let s = 0;
      while (s < part.length && (part.charCodeAt(s) == 0x20 || part.charCodeAt(s) == 0x09)) s++;
      part = part.substring(s);
      const eq = part.indexOf("=");
      if (eq > 0 && part.substring(0, eq) == name) {
        let val = part.substring(eq + 1);
        if (val.length >= 2 && val.charCodeAt(0) == 0x22 && val.charCodeAt(val.length - 1) == 0x22) val = val.substring(1, val.length - 1);
        return val;
      }
      i = semi + 1;
    }
  }
  return null;
}
