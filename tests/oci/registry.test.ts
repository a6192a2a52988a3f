// Publish and pull against a real registry: Debian's docker-registry (CNCF distribution) started here
// on 127.0.0.1 with temporary storage and a free port, once without auth and once with htpasswd basic
// auth (bcrypt, the only hash it accepts; made by apache2-utils' htpasswd -B). Every built filter is
// pushed in both layouts by the CLI (`istio-wasm publish`); the images are read back with Debian's
// skopeo (`inspect --raw`, `copy docker://… oci:<dir>`), unpacked with tar where the layout is a
// tarball, and with `istio-wasm pull`. Module bytes must equal dist/<filter>.wasm and every digest the
// one publish printed.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { FILTERS } from "../../tools/deploy/filters";

const ROOT = process.cwd();
const CLI = path.join(ROOT, "tools", "istio-wasm.mjs");
const sha = (b: Uint8Array) => "sha256:" + createHash("sha256").update(b).digest("hex");
const built = Object.values(FILTERS).filter((f) => existsSync(path.join(ROOT, "dist", `${f.name}.wasm`)));

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

class Registry {
  dir = mkdtempSync(path.join(os.tmpdir(), "registry-"));
  proc?: ChildProcess;
  log = "";
  port = 0;
  get host() { return `127.0.0.1:${this.port}`; }

  async start(auth?: { user: string; password: string }): Promise<void> {
    this.port = await freePort();
    let authBlock = "";
    if (auth) {
      const h = spawnSync("htpasswd", ["-Bbn", auth.user, auth.password], { encoding: "utf8" });
      assert.equal(h.status, 0, h.stderr);
      writeFileSync(path.join(this.dir, "htpasswd"), h.stdout);
      authBlock = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${path.join(this.dir, "htpasswd")}\n`;
    }
    writeFileSync(path.join(this.dir, "config.yml"), [
      "version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${path.join(this.dir, "data")}`,
      "http:", `  addr: ${this.host}`, authBlock,
    ].join("\n"));
    this.proc = spawn("docker-registry", ["serve", path.join(this.dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d) => { this.log += d; });
    this.proc.stderr!.on("data", (d) => { this.log += d; });
    for (let i = 0; i < 100; i++) {
      if (this.proc.exitCode !== null) throw new Error(`docker-registry exited ${this.proc.exitCode}:\n${this.log}`);
      try {
        const r = await fetch(`http://${this.host}/v2/`);
        await r.body?.cancel();
        if (r.status === 200 || r.status === 401) return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`docker-registry did not answer on ${this.host}:\n${this.log}`);
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc!.once("exit", r));
      this.proc.kill("SIGTERM");
      await done;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function skopeo(args: string[]) {
  const r = spawnSync("skopeo", args, { encoding: "buffer", timeout: 120_000 });
  assert.equal(r.status, 0, `skopeo ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Reads the module out of an OCI layout written by skopeo: index.json -> manifest -> layer; compat via `tar`. */
function moduleFromLayout(dir: string, work: string): { wasm: Buffer; manifestDigest: string } {
  const index = JSON.parse(readFileSync(path.join(dir, "index.json"), "utf8"));
  assert.equal(index.manifests.length, 1);
  const blobPath = (d: string) => path.join(dir, "blobs", "sha256", d.slice("sha256:".length));
  const manifestBytes = readFileSync(blobPath(index.manifests[0].digest));
  assert.equal(sha(manifestBytes), index.manifests[0].digest, "layout manifest blob hashes to its name");
  const m = JSON.parse(manifestBytes.toString("utf8"));
  for (const l of [m.config, ...m.layers]) assert.equal(sha(readFileSync(blobPath(l.digest))), l.digest, `blob ${l.digest}`);
  const last = m.layers[m.layers.length - 1];
  if (last.mediaType === "application/vnd.oci.image.layer.v1.tar+gzip") {
    const out = mkdtempSync(path.join(work, "untar-"));
    const t = spawnSync("tar", ["-xzf", blobPath(last.digest), "-C", out], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    assert.deepEqual(readdirSync(out), ["plugin.wasm"], "compat layer holds exactly plugin.wasm");
    return { wasm: readFileSync(path.join(out, "plugin.wasm")), manifestDigest: index.manifests[0].digest };
  }
  assert.equal(m.layers.length, 2, "oci variant: two layers (Istio requires exactly 2)");
  const w = m.layers.find((l: { mediaType: string }) => l.mediaType === "application/vnd.module.wasm.content.layer.v1+wasm");
  assert.ok(w, "oci variant has the Wasm content layer");
  return { wasm: readFileSync(blobPath(w.digest)), manifestDigest: index.manifests[0].digest };
}

const work = mkdtempSync(path.join(os.tmpdir(), "oci-test-"));
const open = new Registry();
const locked = new Registry();
const USER = { user: "pusher", password: "s3cret-pass" };

before(async () => {
  assert.ok(built.length >= 1, "dist/ holds at least one filter module (npm test builds first)");
  await open.start();
  await locked.start(USER);
});

after(async () => {
  await open.stop();
  await locked.stop();
  rmSync(work, { recursive: true, force: true });
});

for (const format of ["compat", "oci"] as const) {
  test(`publish --all --format ${format} to a registry without auth; skopeo and pull read back the same module and digest`, async () => {
    const r = cli(["publish", `${open.host}/suite:1.0.0`, "--all", "--format", format, "--insecure", "--revision", "test-rev", "--source", "https://example.test/repo"]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, built.length, r.stdout);
    for (const f of built) {
      const repo = `suite/${f.name.replace(/_/g, "-")}`;
      const line = lines.find((l) => l.startsWith(`${open.host}/${repo}:1.0.0@`));
      assert.ok(line, `publish printed ${repo}: ${r.stdout}`);
      const digest = line!.split("@")[1];
      const want = readFileSync(path.join(ROOT, "dist", `${f.name}.wasm`));

      // skopeo inspect --raw: the manifest bytes as stored; their hash is the printed digest.
      const raw = skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${open.host}/${repo}:1.0.0`]);
      assert.equal(sha(raw), digest, "manifest digest (what WasmPlugin.sha256 carries) equals the one printed");
      const m = JSON.parse(raw.toString("utf8"));
      assert.equal(m.mediaType, "application/vnd.oci.image.manifest.v1+json");
      assert.equal(m.annotations["org.opencontainers.image.revision"], "test-rev");
      assert.equal(m.annotations["org.opencontainers.image.source"], "https://example.test/repo");
      assert.equal(m.annotations["io.istio-wasm-suite.filter"], f.name);
      assert.equal(m.annotations["io.istio-wasm-suite.root_ids"], [f.httpRootId, f.tcpRootId].filter(Boolean).join(","));
      if (format === "compat") {
        assert.equal(m.config.mediaType, "application/vnd.oci.image.config.v1+json");
        assert.deepEqual(m.layers.map((l: { mediaType: string }) => l.mediaType), ["application/vnd.oci.image.layer.v1.tar+gzip"]);
      } else {
        assert.equal(m.config.mediaType, "application/vnd.module.wasm.config.v1+json");
        assert.deepEqual(m.layers.map((l: { mediaType: string }) => l.mediaType), ["application/vnd.module.wasm.config.v1+json", "application/vnd.module.wasm.content.layer.v1+wasm"]);
      }

      // skopeo copy to an OCI layout on disk: same manifest digest, same module bytes.
      const layout = path.join(work, `${format}-${f.name}`);
      skopeo(["copy", "--src-tls-verify=false", `docker://${open.host}/${repo}:1.0.0`, `oci:${layout}:1.0.0`]);
      const fromLayout = moduleFromLayout(layout, work);
      assert.equal(fromLayout.manifestDigest, digest, "skopeo copy kept the manifest digest");
      assert.ok(fromLayout.wasm.equals(want), `module from skopeo's layout equals dist/${f.name}.wasm`);

      // istio-wasm pull, with the digest as the expected checksum.
      const out = path.join(work, `${format}-${f.name}.wasm`);
      const p = cli(["pull", `oci://${open.host}/${repo}:1.0.0`, "-o", out, "--sha256", digest.slice(7), "--insecure"]);
      assert.equal(p.status, 0, p.stderr);
      assert.equal(p.stdout.trim(), digest);
      assert.ok(readFileSync(out).equals(want), `pulled module equals dist/${f.name}.wasm`);
    }
  });
}

test("publish is reproducible: pushing again and --dry-run give the same digest; pull refuses a wrong sha256 (exit 1)", () => {
  const f = built[0];
  const args = ["publish", `${open.host}/repro:1`, "--filter", f.name, "--revision", "r1", "--source", "s"];
  const a = cli([...args, "--insecure"]);
  const b = cli([...args, "--insecure"]);
  const dry = cli([...args, "--dry-run"]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(dry.stdout, a.stdout);
  assert.match(b.stderr, /already there/, "second push finds the blobs by HEAD");
  const wrong = cli(["pull", `${open.host}/repro:1`, "-o", path.join(work, "x.wasm"), "--sha256", "0".repeat(64), "--insecure"]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /has checksum [0-9a-f]{64}, which does not match: 0{64}/);
  // Another revision annotation is another manifest.
  const c = cli(["publish", `${open.host}/repro:2`, "--filter", f.name, "--revision", "r2", "--source", "s", "--dry-run"]);
  assert.notEqual(c.stdout.split("@")[1], a.stdout.split("@")[1]);
});

test("htpasswd basic auth: anonymous push fails with exit 1; flags, environment and docker config.json credentials work", () => {
  const f = built[0];
  const want = readFileSync(path.join(ROOT, "dist", `${f.name}.wasm`));
  const ref = `${locked.host}/auth/${f.name.replace(/_/g, "-")}`;
  const anon = cli(["publish", `${ref}:anon`, "--filter", f.name, "--insecure"], { DOCKER_CONFIG: path.join(work, "none") });
  assert.equal(anon.status, 1, anon.stderr);
  assert.match(anon.stderr, /basic auth/);
  const wrong = cli(["publish", `${ref}:wrong`, "--filter", f.name, "--insecure", "-u", USER.user, "-p", "nope"]);
  assert.equal(wrong.status, 1);
  assert.match(wrong.stderr, /401/);

  const byFlags = cli(["publish", `${ref}:flags`, "--filter", f.name, "--format", "oci", "--insecure", "-u", USER.user, "-p", USER.password]);
  assert.equal(byFlags.status, 0, byFlags.stderr);
  const byEnv = cli(["publish", `${ref}:env`, "--filter", f.name, "--insecure"], { ISTIO_WASM_REGISTRY_USERNAME: USER.user, ISTIO_WASM_REGISTRY_PASSWORD: USER.password });
  assert.equal(byEnv.status, 0, byEnv.stderr);
  const cfgDir = mkdtempSync(path.join(work, "docker-"));
  writeFileSync(path.join(cfgDir, "config.json"), JSON.stringify({ auths: { [locked.host]: { auth: Buffer.from(`${USER.user}:${USER.password}`).toString("base64") } } }));
  const byConfig = cli(["publish", `${ref}:config`, "--filter", f.name, "--insecure"], { DOCKER_CONFIG: cfgDir });
  assert.equal(byConfig.status, 0, byConfig.stderr);
  assert.match(byConfig.stderr, /credentials: pusher from .*config\.json/);

  for (const [tag, out] of [["flags", byFlags], ["env", byEnv], ["config", byConfig]] as const) {
    const digest = out.stdout.trim().split("@")[1];
    const raw = skopeo(["inspect", "--raw", "--tls-verify=false", "--creds", `${USER.user}:${USER.password}`, `docker://${ref}:${tag}`]);
    assert.equal(sha(raw), digest, `${tag}: skopeo sees the printed digest`);
    const layout = path.join(work, `auth-${tag}`);
    skopeo(["copy", "--src-tls-verify=false", "--src-creds", `${USER.user}:${USER.password}`, `docker://${ref}:${tag}`, `oci:${layout}:${tag}`]);
    assert.ok(moduleFromLayout(layout, work).wasm.equals(want), `${tag}: module bytes through skopeo`);
    const p = cli(["pull", `${ref}:${tag}`, "-o", path.join(work, `auth-${tag}.wasm`), "--insecure", "-u", USER.user, "-p", USER.password]);
    assert.equal(p.status, 0, p.stderr);
    assert.ok(readFileSync(path.join(work, `auth-${tag}.wasm`)).equals(want));
  }
  const anonPull = cli(["pull", `${ref}:flags`, "-o", path.join(work, "anon.wasm"), "--insecure"], { DOCKER_CONFIG: path.join(work, "none") });
  assert.equal(anonPull.status, 1);
});

test("usage errors exit 2 with a message: unbuilt filter, both --filter and --all, bad reference", () => {
  const missing = Object.values(FILTERS).find((f) => !built.includes(f));
  if (missing) {
    const r = cli(["publish", `${open.host}/x:1`, "--filter", missing.name, "--dry-run"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`dist/${missing.name}\\.wasm does not exist`));
  }
  const both = cli(["publish", `${open.host}/x:1`, "--filter", built[0].name, "--all", "--dry-run"]);
  assert.equal(both.status, 2);
  const bad = cli(["publish", "no-registry-here", "--all", "--dry-run"]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /expected <registry>\/<repository>/);
  const unknown = cli(["render", "istio", "--filter", "nope", "--image", "oci://r/x:1"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown filter "nope"/);
  const help = cli(["publish", "--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--format <format>/);
});
