// The JWT part of the demo (`npm start -- --configs jwt`, and tests/e2e): a real JWKS server on
// loopback for envoy-configs/jwt-server-sidecar.yaml's jwksUri (http://jwks.local:15200/jwks, cluster
// outbound|15200||jwks.local) and tokens signed by node:crypto with its key.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, createSign } from "node:crypto";

export const DEMO_ISSUER = "https://issuer.demo.local";
export const DEMO_AUDIENCE = "server.default";
const b64u = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export class DemoJwks {
  private key = generateKeyPairSync("rsa", { modulusLength: 2048 });
  readonly jwks = JSON.stringify({ keys: [{ ...this.key.publicKey.export({ format: "jwk" }), kid: "demo", alg: "RS256", use: "sig" }] });
  hits = 0;
  up = true;
  private server = http.createServer((req, res) => {
    this.hits++;
    if (!this.up) { req.socket.destroy(); return; }
    res.writeHead(200, { "content-type": "application/json" }).end(this.jwks);
  });
  port = 0;

  /** Listens on `port` (15200, the file's port) or, if taken or 0, an OS-chosen one. */
  async start(port = 15200): Promise<number> {
    const listen = (p: number) => new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => { this.server.off("listening", onOk); reject(e); };
      const onOk = () => { this.server.off("error", onErr); resolve(); };
      this.server.once("error", onErr).once("listening", onOk).listen(p, "127.0.0.1");
    });
    try { await listen(port); } catch { await listen(0); }
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  token(claims: Record<string, unknown>): string {
    const input = `${b64u(JSON.stringify({ alg: "RS256", kid: "demo", typ: "JWT" }))}.${b64u(JSON.stringify(claims))}`;
    return `${input}.${b64u(createSign("sha256").update(input).sign(this.key.privateKey))}`;
  }

  validToken(sub = "alice"): string {
    const now = Math.floor(Date.now() / 1000);
    return this.token({ iss: DEMO_ISSUER, sub, aud: DEMO_AUDIENCE, iat: now, exp: now + 24 * 3600 });
  }

  expiredToken(sub = "alice"): string {
    const now = Math.floor(Date.now() / 1000);
    return this.token({ iss: DEMO_ISSUER, sub, aud: DEMO_AUDIENCE, iat: now - 7200, exp: now - 3600 });
  }

  async stop(): Promise<void> { await new Promise((r) => this.server.close(r)); }
}
