// Bearer-token auth against the real registry: Debian's docker-registry configured with `auth.token`
// (docker's token protocol: 401 + `WWW-Authenticate: Bearer realm=…,service=…,scope=…`, then a GET to
// the realm with the user's basic credentials, answered with a JWT the registry verifies against
// `rootcertbundle`). The token server is a few lines of node:http here; the tokens are RS256 JWTs signed
// with node:crypto and carry the signing certificate in `x5c`, which the registry checks against the
// bundle, the issuer, the audience (service), the expiry and the granted `access` — so a wrong token is
// refused by the registry itself, not by us.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { createSign, createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FILTERS } from "../../tools/deploy/filters";

const ROOT = process.cwd();
const CLI = path.join(ROOT, "tools", "istio-wasm.mjs");
const dir = mkdtempSync(path.join(os.tmpdir(), "token-registry-"));
const USER = "robot";
const PASSWORD = "token-pass";
const ISSUER = "istio-wasm-test-issuer";
const SERVICE = "test-registry";
const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

let registry: ChildProcess | undefined;
let tokenServer: Server;
let regPort = 0;
let log = "";
const issued: Array<{ scope: string; user: string }> = [];
/** The issuer the token server writes; the registry accepts only ISSUER. */
let mintIssuer = ISSUER;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function mint(scope: string, user: string, key: string, certDer: Buffer): string {
  // docker/distribution registry/auth/token: ClaimSet {iss, sub, aud, exp, nbf, iat, jti, access[]}.
  const access = scope ? scope.split(" ").map((s) => {
    const [type, name, actions] = s.split(":");
    return { type, name, actions: actions.split(",") };
  }) : [];
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] };
  const claims = { iss: mintIssuer, sub: user, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = createSign("RSA-SHA256").update(input).sign(key);
  return `${input}.${b64url(sig)}`;
}

before(async () => {
  const ossl = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    "-days", "1", "-subj", "/CN=istio-wasm test token issuer"], { encoding: "utf8" });
  assert.equal(ossl.status, 0, ossl.stderr);
  const key = readFileSync(path.join(dir, "key.pem"), "utf8");
  const der = spawnSync("openssl", ["x509", "-in", path.join(dir, "cert.pem"), "-outform", "DER"]).stdout as Buffer;
  tokenServer = createHttpServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const auth = req.headers.authorization ?? "";
    const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
    if (!auth.startsWith("Basic ") || user !== USER || pass !== PASSWORD) {
      res.writeHead(401, { "content-type": "application/json" }).end('{"details":"bad credentials"}');
      return;
    }
    assert.equal(u.searchParams.get("service"), SERVICE);
    const scope = u.searchParams.getAll("scope").join(" ");
    issued.push({ scope, user });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: mint(scope, user, key, der), expires_in: 300 }));
  });
  await new Promise<void>((r) => tokenServer.listen(0, "127.0.0.1", r));
  const tokenPort = (tokenServer.address() as { port: number }).port;
  regPort = await freePort();
  writeFileSync(path.join(dir, "config.yml"), [
    "version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${path.join(dir, "data")}`,
    "http:", `  addr: 127.0.0.1:${regPort}`,
    "auth:", "  token:", `    realm: http://127.0.0.1:${tokenPort}/token`, `    service: ${SERVICE}`, `    issuer: ${ISSUER}`,
    `    rootcertbundle: ${path.join(dir, "cert.pem")}`, "",
  ].join("\n"));
  registry = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
  registry.stdout!.on("data", (d) => { log += d; });
  registry.stderr!.on("data", (d) => { log += d; });
  for (let i = 0; ; i++) {
    if (registry.exitCode !== null) throw new Error(`docker-registry exited:\n${log}`);
    try {
      const r = await fetch(`http://127.0.0.1:${regPort}/v2/`);
      await r.body?.cancel();
      if (r.status === 401) break;
    } catch { /* not yet */ }
    if (i > 100) throw new Error(`docker-registry did not answer:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (registry && registry.exitCode === null) {
    const done = new Promise((r) => registry!.once("exit", r));
    registry.kill("SIGTERM");
    await done;
  }
  await new Promise((r) => tokenServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI in a child process, awaited without blocking: the token server answers from this process. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, DOCKER_CONFIG: path.join(dir, "no-docker-config") } });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d) => { stdout += d; });
    p.stderr.on("data", (d) => { stderr += d; });
    p.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

function skopeo(args: string[]): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn("skopeo", args);
    const out: Buffer[] = [];
    let stderr = "";
    p.stdout.on("data", (d) => out.push(d));
    p.stderr.on("data", (d) => { stderr += d; });
    p.on("close", (status) => resolve({ status, stdout: Buffer.concat(out), stderr }));
  });
}

test("bearer token auth: the registry's challenge is answered with a token from its realm; push and pull work, skopeo agrees", async () => {
  const f = Object.values(FILTERS).find((x) => existsSync(path.join(ROOT, "dist", `${x.name}.wasm`)))!;
  const want = readFileSync(path.join(ROOT, "dist", `${f.name}.wasm`));
  const ref = `127.0.0.1:${regPort}/tok/${f.name.replace(/_/g, "-")}:1`;
  const anon = await cli(["publish", ref, "--filter", f.name, "--insecure"]);
  assert.equal(anon.status, 1, "no credentials: the token server refuses");
  assert.match(anon.stderr, /token endpoint .*: 401/);

  const pushed = await cli(["publish", ref, "--filter", f.name, "--format", "oci", "--insecure", "-u", USER, "-p", PASSWORD]);
  assert.equal(pushed.status, 0, pushed.stderr + log);
  assert.match(pushed.stderr, /auth: token from http:\/\/127\.0\.0\.1:\d+\/token for repository:tok\/[a-z-]+:pull,push/);
  const digest = pushed.stdout.trim().split("@")[1];
  assert.ok(issued.some((t) => t.scope === `repository:tok/${f.name.replace(/_/g, "-")}:pull,push` && t.user === USER));

  const out = path.join(dir, "pulled.wasm");
  const pulled = await cli(["pull", ref, "-o", out, "--insecure", "-u", USER, "-p", PASSWORD]);
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.equal(pulled.stdout.trim(), digest);
  assert.ok(readFileSync(out).equals(want));

  // A token from the wrong issuer is refused by the registry itself (so the success above is its verdict).
  mintIssuer = "someone-else";
  const forged = await cli(["publish", ref.replace(":1", ":2"), "--filter", f.name, "--insecure", "-u", USER, "-p", PASSWORD]);
  mintIssuer = ISSUER;
  assert.equal(forged.status, 1);
  assert.match(forged.stderr, /401 unauthorized after authenticating/);

  const raw = await skopeo(["inspect", "--raw", "--tls-verify=false", "--creds", `${USER}:${PASSWORD}`, `docker://${ref}`]);
  assert.equal(raw.status, 0, raw.stderr);
  assert.equal("sha256:" + createHash("sha256").update(raw.stdout).digest("hex"), digest);
});
