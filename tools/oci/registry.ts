// A client for the OCI distribution API (opencontainers/distribution-spec spec.md, "Push" and "Pull"):
// blob HEAD / POST + PUT upload, manifest PUT and GET, with the registry's auth challenge
// (`WWW-Authenticate: Basic realm=…` or `Bearer realm=…,service=…,scope=…`, docker's token protocol).
import { readFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../deploy/filters";
import { MT, sha256, type Image, type ParsedManifest, selectModuleLayer, isWasm } from "./image";

export interface Reference {
  registry: string;          // host[:port]
  repository: string;        // path/name
  tag?: string;
  digest?: string;           // sha256:<hex>
}

/** `[oci://]host[:port]/repo[/more]:tag` or `…@sha256:<hex>`; the first path element is always the registry. */
export function parseReference(ref: string): Reference {
  const s = ref.replace(/^oci:\/\//, "").replace(/^docker:\/\//, "");
  const slash = s.indexOf("/");
  if (slash <= 0) throw new UsageError(`image reference ${JSON.stringify(ref)}: expected <registry>/<repository>[:<tag>|@sha256:<hex>]`);
  const registry = s.slice(0, slash);
  let rest = s.slice(slash + 1);
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new UsageError(`image reference ${JSON.stringify(ref)}: digest must be sha256:<64 hex>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(tag)) throw new UsageError(`image reference ${JSON.stringify(ref)}: invalid tag ${JSON.stringify(tag)}`);
  }
  // distribution-spec: <name> is path components of [a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)* joined by "/".
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest))
    throw new UsageError(`image reference ${JSON.stringify(ref)}: invalid repository name ${JSON.stringify(rest)} (lower-case letters, digits, . _ - and /)`);
  if (!tag && !digest) tag = "latest";
  return { registry, repository: rest, tag, digest };
}

export const formatReference = (r: Reference) => `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;

export interface Credentials { username: string; password: string; }

/**
 * Credentials for `registry`, first found wins: explicit (flags), then the environment
 * (ISTIO_WASM_REGISTRY_USERNAME / ISTIO_WASM_REGISTRY_PASSWORD), then a docker config.json
 * ($DOCKER_CONFIG/config.json or ~/.docker/config.json, `auths.<registry>.auth` = base64 user:password, or
 * `username`/`password`). Credential helpers (`credsStore`, `credHelpers`) are not run.
 */
export function resolveCredentials(registry: string, explicit?: Partial<Credentials>, env = process.env): { creds?: Credentials; from: string } {
  if (explicit?.username) return { creds: { username: explicit.username, password: explicit.password ?? "" }, from: "flags" };
  if (env.ISTIO_WASM_REGISTRY_USERNAME)
    return { creds: { username: env.ISTIO_WASM_REGISTRY_USERNAME, password: env.ISTIO_WASM_REGISTRY_PASSWORD ?? "" }, from: "environment" };
  const file = path.join(env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json");
  if (existsSync(file)) {
    let cfg: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
    try { cfg = JSON.parse(readFileSync(file, "utf8")); } catch (e) { throw new Error(`${file}: ${(e as Error).message}`); }
    for (const [key, a] of Object.entries(cfg.auths ?? {})) {
      const host = key.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
      if (host !== registry) continue;
      if (a.auth) {
        const dec = Buffer.from(a.auth, "base64").toString("utf8");
        const i = dec.indexOf(":");
        if (i > 0) return { creds: { username: dec.slice(0, i), password: dec.slice(i + 1) }, from: file };
      }
      if (a.username) return { creds: { username: a.username, password: a.password ?? "" }, from: file };
    }
  }
  return { from: "anonymous" };
}

/** Parses `Bearer realm="…",service="…",scope="…"` / `Basic realm="…"` (RFC 7235 auth-params). */
export function parseChallenge(h: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s*(.*)$/.exec(h) ?? ["", "", ""];
  const params: Record<string, string> = {};
  for (const p of m[2].matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) params[p[1].toLowerCase()] = (p[2] ?? p[3]).replace(/\\(.)/g, "$1");
  return { scheme: m[1].toLowerCase(), params };
}

export class RegistryError extends Error {
  constructor(message: string, readonly status?: number) { super(message); }
}

export interface ClientOptions {
  insecure?: boolean;
  credentials?: Credentials;
  log?: (line: string) => void;
}

export class RegistryClient {
  private auth: string | undefined;
  private readonly base: string;
  private readonly log: (line: string) => void;

  constructor(readonly registry: string, readonly opts: ClientOptions = {}) {
    this.base = `${opts.insecure ? "http" : "https"}://${registry}`;
    this.log = opts.log ?? (() => {});
  }

  private url(p: string): string {
    return /^https?:\/\//.test(p) ? p : new URL(p, this.base).toString();
  }

  /** One request; on 401 answers the challenge once (basic or bearer token) and repeats it. */
  async request(method: string, p: string, init: { headers?: Record<string, string>; body?: Buffer; scope?: string } = {}): Promise<Response> {
    const send = () => fetch(this.url(p), {
      method, body: init.body as unknown as Uint8Array<ArrayBuffer> | undefined, redirect: "follow",
      headers: { ...init.headers, ...(this.auth ? { authorization: this.auth } : {}) },
    });
    let r: Response;
    try { r = await send(); } catch (e) { throw new RegistryError(`${method} ${this.url(p)}: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`); }
    if (r.status !== 401) return r;
    const challenge = r.headers.get("www-authenticate");
    await r.body?.cancel();
    if (!challenge) throw new RegistryError(`${method} ${p}: 401 without a WWW-Authenticate challenge`, 401);
    await this.answer(challenge, init.scope);
    r = await send();
    if (r.status === 401) {
      await r.body?.cancel();
      throw new RegistryError(`${method} ${p}: 401 unauthorized after authenticating (${this.opts.credentials ? `user ${this.opts.credentials.username}` : "no credentials"})`, 401);
    }
    return r;
  }

  private async answer(challenge: string, scope?: string): Promise<void> {
    const { scheme, params } = parseChallenge(challenge);
    const c = this.opts.credentials;
    const basic = c ? "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64") : undefined;
    if (scheme === "basic") {
      if (!basic) throw new RegistryError(`registry ${this.registry} wants basic auth: give --username/--password, ISTIO_WASM_REGISTRY_USERNAME/_PASSWORD or a docker config.json entry`, 401);
      this.auth = basic;
      return;
    }
    if (scheme !== "bearer" || !params.realm) throw new RegistryError(`unsupported auth challenge: ${challenge}`, 401);
    const u = new URL(params.realm);
    if (params.service) u.searchParams.set("service", params.service);
    const sc = scope ?? params.scope;
    if (sc) u.searchParams.set("scope", sc);
    this.log(`auth: token from ${u.origin}${u.pathname}${sc ? ` for ${sc}` : ""}`);
    const tr = await fetch(u, { headers: basic ? { authorization: basic } : {} });
    if (!tr.ok) throw new RegistryError(`token endpoint ${u.origin}${u.pathname}: ${tr.status} ${await tr.text()}`, tr.status);
    const body = (await tr.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token endpoint ${u.origin}${u.pathname}: no token in the answer`);
    this.auth = `Bearer ${token}`;
  }

  private async fail(r: Response, what: string): Promise<never> {
    const text = await r.text().catch(() => "");
    throw new RegistryError(`${what}: ${r.status} ${r.statusText}${text ? `: ${text.trim().slice(0, 500)}` : ""}`, r.status);
  }

  /** Pushes blobs (skipping those the registry has) and the manifest; returns the digest the registry reports. */
  async push(ref: Reference, img: Image): Promise<string> {
    const repo = ref.repository;
    const scope = `repository:${repo}:pull,push`;
    for (const b of img.blobs) {
      const head = await this.request("HEAD", `/v2/${repo}/blobs/${b.desc.digest}`, { scope });
      await head.body?.cancel();
      if (head.status === 200) {
        this.log(`  blob ${b.desc.digest.slice(0, 19)}… ${b.desc.size} bytes: already there`);
        continue;
      }
      if (head.status !== 404) await this.fail(head, `HEAD blob ${b.desc.digest}`);
      const post = await this.request("POST", `/v2/${repo}/blobs/uploads/`, { scope });
      if (post.status !== 202) await this.fail(post, `POST /v2/${repo}/blobs/uploads/`);
      await post.body?.cancel();
      const loc = post.headers.get("location");
      if (!loc) throw new RegistryError(`POST /v2/${repo}/blobs/uploads/: 202 without Location`);
      const put = new URL(loc, this.base + "/");
      put.searchParams.set("digest", b.desc.digest);
      const r = await this.request("PUT", put.toString(), {
        scope, body: b.data, headers: { "content-type": "application/octet-stream", "content-length": String(b.data.length) },
      });
      if (r.status !== 201) await this.fail(r, `PUT blob ${b.desc.digest}`);
      await r.body?.cancel();
      const got = r.headers.get("docker-content-digest");
      if (got && got !== b.desc.digest) throw new RegistryError(`blob ${b.desc.digest}: registry stored it as ${got}`);
      this.log(`  blob ${b.desc.digest.slice(0, 19)}… ${b.desc.size} bytes: uploaded`);
    }
    const target = ref.tag ?? img.manifestDigest;
    const r = await this.request("PUT", `/v2/${repo}/manifests/${target}`, {
      scope, body: img.manifest, headers: { "content-type": img.mediaType },
    });
    if (r.status !== 201) await this.fail(r, `PUT manifest ${target}`);
    await r.body?.cancel();
    const digest = r.headers.get("docker-content-digest") ?? img.manifestDigest;
    if (digest !== img.manifestDigest) throw new RegistryError(`manifest: registry reports ${digest}, the bytes sent hash to ${img.manifestDigest}`);
    this.log(`  manifest ${digest} -> ${formatReference({ ...ref, digest: undefined })}`);
    return digest;
  }

  /** The manifest bytes for `ref` (digest-checked); an image index is resolved to its linux/amd64 or only entry. */
  async manifest(ref: Reference): Promise<{ bytes: Buffer; digest: string; parsed: ParsedManifest }> {
    const scope = `repository:${ref.repository}:pull`;
    const accept = [MT.ociManifest, MT.dockerManifest, MT.ociIndex, MT.dockerList].join(", ");
    const get = async (target: string) => {
      const r = await this.request("GET", `/v2/${ref.repository}/manifests/${target}`, { scope, headers: { accept } });
      if (r.status !== 200) await this.fail(r, `GET manifest ${formatReference(ref)}`);
      const bytes = Buffer.from(await r.arrayBuffer());
      const digest = sha256(bytes);
      if (target.startsWith("sha256:") && target !== digest) throw new RegistryError(`manifest ${target}: content hashes to ${digest}`);
      const hdr = r.headers.get("docker-content-digest");
      if (hdr && hdr !== digest) throw new RegistryError(`manifest ${target}: Docker-Content-Digest ${hdr} but content hashes to ${digest}`);
      const parsed = JSON.parse(bytes.toString("utf8"));
      parsed.mediaType = parsed.mediaType ?? r.headers.get("content-type") ?? MT.ociManifest;
      return { bytes, digest, parsed };
    };
    let m = await get(ref.digest ?? ref.tag ?? "latest");
    if (m.parsed.mediaType === MT.ociIndex || m.parsed.mediaType === MT.dockerList) {
      const list = (m.parsed.manifests ?? []) as Array<{ digest: string; platform?: { os?: string; architecture?: string } }>;
      const pick = list.length === 1 ? list[0] : list.find((d) => d.platform?.os === "linux" && d.platform?.architecture === "amd64");
      if (!pick) throw new RegistryError(`${formatReference(ref)} is an index with ${list.length} entries and none for linux/amd64`);
      m = await get(pick.digest);
    }
    return { bytes: m.bytes, digest: m.digest, parsed: { mediaType: m.parsed.mediaType, config: m.parsed.config, layers: m.parsed.layers ?? [], annotations: m.parsed.annotations } };
  }

  async blob(ref: Reference, digest: string): Promise<Buffer> {
    const r = await this.request("GET", `/v2/${ref.repository}/blobs/${digest}`, { scope: `repository:${ref.repository}:pull` });
    if (r.status !== 200) await this.fail(r, `GET blob ${digest}`);
    const b = Buffer.from(await r.arrayBuffer());
    if (sha256(b) !== digest) throw new RegistryError(`blob ${digest}: content hashes to ${sha256(b)}`);
    return b;
  }

  /** Fetches the image and extracts the Wasm module as Istio's agent does; checks `expect` (manifest digest) if given. */
  async pullModule(ref: Reference, expect?: string): Promise<{ wasm: Buffer; manifestDigest: string; variant: string; manifest: ParsedManifest }> {
    const m = await this.manifest(ref);
    const want = expect ?? ref.digest;
    if (want && want.replace(/^sha256:/, "") !== m.digest.replace(/^sha256:/, ""))
      throw new RegistryError(`module downloaded from ${formatReference(ref)} has checksum ${m.digest.slice(7)}, which does not match: ${want.replace(/^sha256:/, "")}`);
    const { layer, extract, variant } = selectModuleLayer(m.parsed);
    this.log(`  ${variant} image, layer ${layer.digest.slice(0, 19)}… ${layer.size} bytes`);
    const wasm = extract(await this.blob(ref, layer.digest));
    if (!isWasm(wasm)) throw new RegistryError(`${formatReference(ref)}: fetched file is not a Wasm binary`);
    return { wasm, manifestDigest: m.digest, variant, manifest: m.parsed };
  }
}
