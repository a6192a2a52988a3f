// docker-compose.yml, checked with the parts available here (no Docker engine): after the command the
// README says to run first (`npm start -- --prepare`), Debian's docker-compose accepts the file
// (`docker-compose config`), every host path it mounts exists, every file the sidecars' bootstraps
// name under /etc/istio-wasm/ exists through those mounts (for each pair of envoy-configs the README
// offers), the prepared certificates outlive a week, and Debian's promtool accepts the Prometheus
// config, which scrapes exactly the two sidecars' admin ports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";

const ROOT = process.cwd();

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 600_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Container path -> host path through a service's `source:target[:ro]` volumes (longest target wins). */
function toHost(volumes: string[], containerPath: string): string | null {
  let best: { target: string; source: string } | null = null;
  for (const v of volumes) {
    const [source, target] = v.split(":");
    if ((containerPath === target || containerPath.startsWith(target.endsWith("/") ? target : target + "/")) && (!best || target.length > best.target.length)) best = { target, source };
  }
  return best ? path.join(best.source, containerPath.slice(best.target.length)) : null;
}

test("the README's prepare command, then docker-compose config: every mounted path and every file the bootstraps name exists", () => {
  const prep = run(process.execPath, [path.join(ROOT, "tools", "run.mjs"), "start", "--prepare"]);
  assert.equal(prep.status, 0, prep.stderr + prep.stdout);
  assert.match(prep.stdout, /prepared: build\/certs\/ \(SPIFFE certs, valid 365 days\)/);

  const pairs: Array<Record<string, string>> = [
    {},
    { CLIENT_CONFIG: "mx-client-sidecar.yaml", SERVER_CONFIG: "mx-server-sidecar.yaml" },
    { CLIENT_CONFIG: "client-sidecar.yaml", SERVER_CONFIG: "server-sidecar.yaml" },
  ];
  for (const env of pairs) {
    const r = run("docker-compose", ["-f", "docker-compose.yml", "config"], env);
    assert.equal(r.status, 0, `docker-compose config ${JSON.stringify(env)}: ${r.stderr}`);
    const cfg = YAML.parse(r.stdout) as { services: Record<string, { volumes?: string[]; command?: string[]; image: string }> };
    assert.deepEqual(Object.keys(cfg.services).sort(), ["client-sidecar", "demo-app", "prometheus", "server-sidecar"]);
    for (const [name, s] of Object.entries(cfg.services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(":")[0];
        assert.ok(path.isAbsolute(source) && existsSync(source), `${name}: mounted ${source} exists`);
      }
    }
    assert.ok(existsSync(toHost(cfg.services["demo-app"].volumes!, cfg.services["demo-app"].command![1])!), "demo app bundle");
    for (const side of ["client-sidecar", "server-sidecar"]) {
      const s = cfg.services[side];
      const boot = s.command![s.command!.indexOf("-c") + 1];
      const bootHost = toHost(s.volumes!, boot);
      assert.ok(bootHost && existsSync(bootHost), `${side}: bootstrap ${boot} -> ${bootHost}`);
      const want = side === "client-sidecar" ? env.CLIENT_CONFIG ?? "stats-client-sidecar.yaml" : env.SERVER_CONFIG ?? "stats-server-sidecar.yaml";
      assert.equal(path.basename(boot), want);
      const named = [...readFileSync(bootHost!, "utf8").matchAll(/\/etc\/istio-wasm\/[A-Za-z0-9_./-]+\.(?:wasm|pem)/g)].map((m) => m[0]);
      assert.ok(named.length >= 1, `${boot} names module files`);
      for (const p of named) {
        const h = toHost(s.volumes!, p);
        assert.ok(h && existsSync(h), `${side}: ${p} (in ${path.basename(boot)}) -> ${h} exists`);
      }
    }
  }
  // The prepared certificates are meant to be mounted days later: valid for at least 300 more days.
  for (const f of ["root-cert.pem", "client-cert-chain.pem", "server-cert-chain.pem"]) {
    const r = run("openssl", ["x509", "-in", path.join(ROOT, "build", "certs", f), "-noout", "-checkend", String(300 * 86400)]);
    assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
  }
});

test("Prometheus config: promtool accepts it and it scrapes both sidecars' admin /stats/prometheus", () => {
  const file = path.join(ROOT, "envoy-configs", "prometheus.yml");
  const r = run("promtool", ["check", "config", file]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const prom = YAML.parse(readFileSync(file, "utf8")) as { scrape_configs: Array<{ metrics_path: string; static_configs: Array<{ targets: string[] }> }> };
  const targets = prom.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets.map((t) => `${t}${s.metrics_path}`))).sort();
  const admin = (f: string) => {
    const b = YAML.parse(readFileSync(path.join(ROOT, "envoy-configs", f), "utf8"));
    return `${b.admin.address.socket_address.address}:${b.admin.address.socket_address.port_value}/stats/prometheus`;
  };
  assert.deepEqual(targets, [admin("stats-client-sidecar.yaml"), admin("stats-server-sidecar.yaml")].sort());
});
