// The programs the tests run that npm cannot provide: one table of command -> Debian package -> the
// tests that need it. `npm test` calls ensurePrereqs() first: every command the selected tests need is
// looked up on PATH; missing ones are installed with apt-get when we are root and apt-get exists, and
// otherwise the run stops with the exact command to type. `.ci/apt-packages.txt` lists the same
// packages for CI (tests/oci/prereqs.test.ts checks the two agree).
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";

export interface Prereq {
  /** Program looked up on PATH. */
  command: string;
  /** Debian package that provides it. */
  pkg: string;
  /** Test files (path fragments) that run it; the check is skipped when none of them is selected. */
  usedBy: string[];
  why: string;
  /** Checked instead of `command` for packages that install headers, not programs. */
  file?: string;
  /** The row applies only when this holds (e.g. the vendored sources a build needs are beside the repo). */
  onlyIf?: () => boolean;
}

// tests/cpphost builds proxy-wasm-cpp-host + WAMR from ../shared/vendor; without those sources the suite
// skips itself, so its build tools are only needed when they are there.
const vendorPresent = () => existsSync(path.resolve(process.cwd(), "..", "shared", "vendor", "proxy-wasm-cpp-host+wamr.tar.xz"));
const CPPHOST = "builds proxy-wasm-cpp-host + WAMR and the driver (tests/cpphost/build.ts)";
export const PREREQS: Prereq[] = [
  { command: "prometheus", pkg: "prometheus", usedBy: ["tests/e2e/stats.test.ts"], why: "scrapes the sidecars' /stats/prometheus" },
  { command: "promtool", pkg: "prometheus", usedBy: ["tests/e2e/stats.test.ts", "tests/oci/compose.test.ts"], why: "checks the exposition format and envoy-configs/prometheus.yml" },
  { command: "openssl", pkg: "openssl", usedBy: ["tests/e2e/", "tests/mx/", "tests/oci/compose.test.ts", "tests/oci/token-auth.test.ts"], why: "makes the SPIFFE test PKI (tests/certs/generate.ts)" },
  { command: "docker-registry", pkg: "docker-registry", usedBy: ["tests/oci/registry.test.ts", "tests/oci/token-auth.test.ts"], why: "the OCI registry publish/pull run against" },
  { command: "htpasswd", pkg: "apache2-utils", usedBy: ["tests/oci/registry.test.ts"], why: "bcrypt htpasswd file for the registry's basic auth" },
  { command: "skopeo", pkg: "skopeo", usedBy: ["tests/oci/registry.test.ts", "tests/oci/token-auth.test.ts"], why: "reads pushed images back (inspect --raw, copy to an OCI layout)" },
  { command: "docker-compose", pkg: "docker-compose", usedBy: ["tests/oci/compose.test.ts"], why: "`docker-compose config` checks docker-compose.yml" },
  { command: "g++", pkg: "g++", usedBy: ["tests/regex/"], why: "builds tests/regex/re2_oracle.cc, RE2 itself as the regex oracle" },
  { command: "re2/re2.h", file: "/usr/include/re2/re2.h", pkg: "libre2-dev", usedBy: ["tests/regex/"], why: "RE2 itself, the oracle shared/regex is compared with" },
  { command: "g++", pkg: "g++", usedBy: ["tests/cpphost/"], why: CPPHOST, onlyIf: vendorPresent },
  { command: "cmake", pkg: "cmake", usedBy: ["tests/cpphost/"], why: CPPHOST, onlyIf: vendorPresent },
  { command: "ninja", pkg: "ninja-build", usedBy: ["tests/cpphost/"], why: CPPHOST, onlyIf: vendorPresent },
  { command: "openssl/ssl.h", file: "/usr/include/openssl/ssl.h", pkg: "libssl-dev", usedBy: ["tests/cpphost/"], why: CPPHOST, onlyIf: vendorPresent },
  { command: "absl/base/config.h", file: "/usr/include/absl/base/config.h", pkg: "libabsl-dev", usedBy: ["tests/cpphost/"], why: CPPHOST, onlyIf: vendorPresent },
];

/** Absolute path of `cmd` on PATH (plus the sbin directories apt puts daemons in), or null. */
export function which(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/sbin", "/usr/local/sbin"];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

/** Whether the row's program is on PATH (or its file exists). */
export function present(r: Prereq): boolean {
  return r.file ? existsSync(r.file) : !!which(r.command);
}

/** The rows whose tests are among `selected` (all rows when `selected` is undefined). */
export function needed(selected?: string[], table = PREREQS): Prereq[] {
  if (!selected) return table;
  const rel = selected.map((f) => f.split(path.sep).join("/"));
  return table.filter((p) => p.usedBy.some((u) => rel.some((f) => f.includes(u))));
}

/**
 * Finds or installs what the selected tests need. Returns true when everything is there; prints what it
 * found, what it installed, or the command the user must run. `opts` replaces the table, the root check
 * and the apt-get path (for tests of this function).
 */
export function ensurePrereqs(selected?: string[], log = console.log,
  opts: { table?: Prereq[]; isRoot?: boolean; aptGet?: string | null; err?: (s: string) => void } = {}): boolean {
  const err = opts.err ?? console.error;
  const rows = needed(selected, opts.table).filter((r) => !r.onlyIf || r.onlyIf());
  const missing = rows.filter((r) => !present(r));
  if (!missing.length) {
    if (rows.length) log(`prereqs: found ${[...new Set(rows.map((r) => r.command))].join(", ")}`);
    return true;
  }
  const pkgs = [...new Set(missing.map((r) => r.pkg))];
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(" ")}`;
  for (const r of missing) log(`prereqs: missing \`${r.command}\` (Debian package ${r.pkg}; ${r.why}; needed by ${r.usedBy.join(", ")})`);
  const root = opts.isRoot ?? (typeof process.getuid === "function" && process.getuid() === 0);
  const apt = opts.aptGet !== undefined ? opts.aptGet : which("apt-get");
  if (!root || !apt) {
    err(`prereqs: cannot install them here (${!apt ? "no apt-get" : "not root"}). Run:\n  ${root ? "" : "sudo sh -c '"}${cmd}${root ? "" : "'"}\nthen npm test again.`);
    return false;
  }
  log(`prereqs: installing ${pkgs.join(" ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", ...pkgs]]) {
    const r = spawnSync(apt, args, { stdio: ["ignore", "inherit", "inherit"], env });
    if (r.status !== 0) {
      err(`prereqs: apt-get ${args[0]} failed (exit ${r.status}). Run:\n  ${cmd}`);
      return false;
    }
  }
  const still = missing.filter((r) => !present(r));
  if (still.length) {
    err(`prereqs: still missing after apt-get: ${still.map((r) => r.command).join(", ")}`);
    return false;
  }
  log(`prereqs: installed ${pkgs.join(" ")}; found ${missing.map((r) => `${r.command} at ${r.file ?? which(r.command)}`).join(", ")}`);
  return true;
}
