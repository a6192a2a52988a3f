// TLS glue: Node TLS options from the bootstrap's Downstream/UpstreamTlsContext, SAN matching as
// Envoy's match_typed_subject_alt_names does it, and the certificate facts Envoy exposes as
// connection.* / upstream.* attributes.
import type { TLSSocket } from "node:tls";
import type { X509Certificate } from "node:crypto";
import type { ConnectionInfo } from "../api";
import type { SanMatcher, TlsContext } from "./bootstrap";

export function sanList(cert: X509Certificate | undefined, kind: "URI" | "DNS"): string[] {
  const raw = cert?.subjectAltName;
  if (!raw) return [];
  return raw.split(/,\s*/).filter((e) => e.startsWith(`${kind}:`)).map((e) => e.slice(kind.length + 1));
}

/** Envoy prints subjects in RFC 2253 order (most specific last in the cert, first in the text). */
export function rfc2253(subject: string | undefined): string {
  if (!subject) return "";
  return subject.split("\n").filter(Boolean).reverse().join(",");
}

export function sanMatches(matchers: SanMatcher[], cert: X509Certificate | undefined): boolean {
  if (!matchers.length) return true;
  return matchers.some((m) => sanList(cert, m.sanType).some((v) =>
    (m.exact !== undefined && v === m.exact) || (m.prefix !== undefined && v.startsWith(m.prefix)) || (m.suffix !== undefined && v.endsWith(m.suffix))));
}

export function serverTlsOptions(ctx: TlsContext) {
  const c = ctx.certificates[0];
  return {
    cert: c.certChain,
    key: c.privateKey,
    ca: ctx.trustedCa,
    requestCert: ctx.trustedCa !== undefined,
    // Envoy verifies a presented client cert against trusted_ca, and requires one only when told to.
    rejectUnauthorized: ctx.requireClientCertificate,
    ALPNProtocols: ctx.alpn.length ? ctx.alpn : undefined,
  };
}

export function clientTlsOptions(ctx: TlsContext, alpn: string[]) {
  const c = ctx.certificates[0];
  return {
    cert: c?.certChain,
    key: c?.privateKey,
    ca: ctx.trustedCa,
    // Without a validation_context Envoy accepts any server certificate.
    rejectUnauthorized: ctx.trustedCa !== undefined,
    servername: ctx.sni,
    ALPNProtocols: alpn,
    // Envoy checks SANs only through match_typed_subject_alt_names, never against the SNI/host name.
    checkServerIdentity: (_host: string, _cert: unknown) => undefined,
  };
}

/** Fills the TLS part of a ConnectionInfo from a connected TLSSocket. */
export function tlsConnectionFacts(sock: TLSSocket): Partial<ConnectionInfo> {
  const peer = sock.getPeerX509Certificate?.() ?? undefined;
  const local = sock.getX509Certificate?.() ?? undefined;
  return {
    mtls: peer !== undefined && sock.authorized,
    requestedServerName: typeof (sock as TLSSocket & { servername?: string | false }).servername === "string" ? (sock as unknown as { servername: string }).servername : "",
    tlsVersion: sock.getProtocol() ?? "",
    uriSanPeerCertificate: sanList(peer, "URI"),
    uriSanLocalCertificate: sanList(local, "URI"),
    dnsSanPeerCertificate: sanList(peer, "DNS"),
    subjectPeerCertificate: rfc2253(peer?.subject),
    sha256PeerCertificateDigest: peer ? peer.fingerprint256.replace(/:/g, "").toLowerCase() : "",
  };
}
