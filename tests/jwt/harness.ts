// The JWT filter (dist/jwt_authn.wasm) in the test host's wasm side, driven the way Envoy's HCM drives
// an HTTP filter, plus token and JWKS minting with `jose` (an independent JOSE library) and
// node:crypto. Expected values in the tests come from Envoy / Istio (cited there), never from here.
import { readFileSync } from "node:fs";
import path from "node:path";
import * as jose from "jose";
import type { HeaderList, StreamInfo } from "../host/api";
import { createWasmRuntime, createStatsStore, type WasmPlugin, type WasmRuntimeHandle } from "../host/wasm/index";
import type { EnvoyStatsStore } from "../host/wasm/stats";
import { FakeClusters, FakeHttpCallbacks, Logs, makeStreamInfo, pluginConfig } from "../host/conformance/harness";
import { pbDecodeStruct } from "../mx/codec";

export const MODULE = () => readFileSync(path.join(process.cwd(), "dist", "jwt_authn.wasm"));

export const ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "HS384", "HS512"] as const;
export type Alg = typeof ALGS[number];

export interface KeyPair { alg: Alg; kid: string; priv: jose.CryptoKey | Uint8Array; jwk: jose.JWK; }

export async function keyPair(alg: Alg, kid = `k-${alg}`): Promise<KeyPair> {
  if (alg.startsWith("HS")) {
    const bytes = Number(alg.slice(2)) / 8;
    const secret = new Uint8Array(bytes).map((_, i) => (i * 37 + bytes) & 0xff);
    return { alg, kid, priv: secret, jwk: { kty: "oct", k: jose.base64url.encode(secret), kid, alg } };
  }
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}), ...(alg.startsWith("RS") || alg.startsWith("PS") ? { modulusLength: 2048 } : {}) });
  const jwk = await jose.exportJWK(publicKey);
  return { alg, kid, priv: privateKey, jwk: { ...jwk, kid, alg } };
}

export const now = () => Math.floor(Date.now() / 1000);

export async function mint(k: KeyPair, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new jose.SignJWT(claims as jose.JWTPayload).setProtectedHeader({ alg: k.alg, kid: k.kid, ...header }).sign(k.priv);
}

export function jwks(...keys: KeyPair[]): string { return JSON.stringify({ keys: keys.map((k) => k.jwk) }); }

export const b64u = (s: string | Buffer) => Buffer.from(s).toString("base64url");

export interface Result {
  headersStatus: string;
  request: HeaderList;
  reply?: { status: number; body: string; headers: HeaderList; grpcStatus?: number; details: string };
  continued: boolean;
  state: Map<string, Uint8Array>;
}

export class JwtSidecar {
  logs = new Logs();
  clusters = new FakeClusters();
  stats: EnvoyStatsStore = createStatsStore([]) as EnvoyStatsStore;
  runtime: WasmRuntimeHandle;
  plugin!: WasmPlugin;

  constructor(public workers = 1) {
    this.logs.logLevel = 2;
    this.runtime = createWasmRuntime({ workers, node: { id: "sidecar~10.0.0.1~app.default~default.svc.cluster.local", cluster: "app.default", metadata: {} },
      clusters: this.clusters, stats: this.stats, log: this.logs.sink }) as WasmRuntimeHandle;
  }

  async load(config: unknown, rootId = "jwt_authn"): Promise<this> {
    this.plugin = await this.runtime.loadPlugin(pluginConfig(MODULE(), {
      name: "jwt", rootId, vmId: "jwt", codePath: "dist/jwt_authn.wasm", failurePolicy: "FAIL_CLOSED",
      configuration: Buffer.from(typeof config === "string" ? config : JSON.stringify(config)),
    } as any), "http");
    return this;
  }

  /** One request; when the filter stops (JWKS fetch), waits up to `waitMs` for it to continue or reply. */
  async request(req: HeaderList, opts: { path?: string; method?: string; worker?: number; waitMs?: number; info?: Partial<StreamInfo> } = {}): Promise<Result> {
    const si = makeStreamInfo({ ...opts.info, filterState: opts.info?.filterState ?? new Map() });
    const cb = new FakeHttpCallbacks(si);
    const request: HeaderList = [[":authority", "example.com"], [":path", opts.path ?? "/"], [":method", opts.method ?? "GET"], [":scheme", "http"], ["x-forwarded-proto", "http"], ...req];
    cb.reqHeaders = request;
    const f = this.plugin.newHttpFilter(opts.worker ?? 0, cb);
    const s = f.decodeHeaders(request, true);
    if (s !== "Continue" && cb.localReplies.length === 0) {
      const deadline = Date.now() + (opts.waitMs ?? 3000);
      while (Date.now() < deadline && !cb.actions.includes("continueDecoding") && cb.localReplies.length === 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const reply = cb.localReplies[0];
    const continued = s === "Continue" || cb.actions.includes("continueDecoding");
    if (continued || reply) { f.encodeHeaders([[":status", reply ? String(reply.status) : "200"]], true); f.log(); }
    f.onDestroy();
    return { headersStatus: s, request, reply, continued: continued && !reply, state: si.filterState };
  }

  counter(name: string): number {
    const line = this.stats.text().split("\n").find((l) => l.startsWith(`wasmcustom.${name}: `));
    return line ? Number(line.slice(line.indexOf(": ") + 2)) : 0;
  }

  async stop() { await this.plugin?.shutdown(); await this.runtime.shutdown(); }
}

export function header(h: HeaderList, name: string): string[] {
  return h.filter(([k]) => k === name).map(([, v]) => v);
}

/** Filter state wasm.jwt_authn (shared/authn format) decoded, or undefined. */
export function authnState(state: Map<string, Uint8Array>): Record<string, any> | undefined {
  const b = state.get("wasm.jwt_authn");
  return b ? pbDecodeStruct(b) as Record<string, any> : undefined;
}

/** A provider with an inline JWKS and default locations. */
export function provider(keys: KeyPair[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { issuer: "https://example.com", local_jwks: { inline_string: jwks(...keys) }, ...extra };
}

export function oneProvider(keys: KeyPair[], extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) {
  return { providers: { p1: provider(keys, extra) }, rules: [{ match: { prefix: "/" }, requires: { provider_name: "p1" } }], ...top };
}
