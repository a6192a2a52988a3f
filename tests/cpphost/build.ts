// Builds the cpp-host driver (tests/cpphost/driver) from the vendored proxy-wasm-cpp-host + WAMR
// sources into build/cpphost/, once per set of inputs: the tarball, the driver sources and the
// build settings are hashed, and a second run with the same hash does nothing.
//
// The sources live beside the repository (../shared/vendor, see the brief of issue 12); where they
// are absent the cpp-host tests are skipped with that reason, never counted as passed.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The Debian packages this build needs (also listed in .ci/apt-packages.txt). */
export const CPPHOST_APT_PACKAGES = ["g++", "cmake", "ninja-build", "libssl-dev", "libabsl-dev"];

const ROOT = process.cwd();
export const VENDOR_TARBALL = path.resolve(ROOT, "..", "shared", "vendor", "proxy-wasm-cpp-host+wamr.tar.xz");
const DRIVER_SRC = path.join(ROOT, "tests", "cpphost", "driver");
const OUT = path.join(ROOT, "build", "cpphost");
// Bump when the cmake/ninja invocation below changes.
const BUILD_SETTINGS = "release-wamr-fast-interp-1";
export const DRIVER_BIN = path.join(OUT, "out", "cpphost-driver");

export type CppHostBuild = { driver: string } | { skip: string };

/** Debian packages of CPPHOST_APT_PACKAGES that are not installed (dpkg's view; without dpkg, the tools). */
export function missingPackages(): string[] {
  const dpkg = spawnSync("dpkg-query", ["-W", "-f=${Status}\n", ...CPPHOST_APT_PACKAGES], { encoding: "utf8" });
  if (dpkg.error) {
    const tools: Record<string, string> = { "g++": "g++", cmake: "cmake", "ninja-build": "ninja" };
    return Object.entries(tools).filter(([, t]) => spawnSync(t, ["--version"]).status !== 0).map(([p]) => p);
  }
  const missing: string[] = [];
  for (const p of CPPHOST_APT_PACKAGES) {
    const r = spawnSync("dpkg-query", ["-W", "-f=${Status}", p], { encoding: "utf8" });
    if (r.status !== 0 || !r.stdout.includes("install ok installed")) missing.push(p);
  }
  return missing;
}

function inputsHash(): string {
  const h = createHash("sha256");
  h.update(readFileSync(VENDOR_TARBALL));
  for (const f of readdirSync(DRIVER_SRC).sort()) h.update(f).update(readFileSync(path.join(DRIVER_SRC, f)));
  h.update(BUILD_SETTINGS);
  return h.digest("hex");
}

function run(cmd: string, args: string[], log: string): void {
  const r = spawnSync(cmd, args, { cwd: OUT, encoding: "utf8", maxBuffer: 64 << 20 });
  writeFileSync(path.join(OUT, log), `${r.stdout ?? ""}${r.stderr ?? ""}`);
  if (r.status !== 0) {
    const tail = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").slice(-30).join("\n");
    throw new Error(`cpp-host build: ${cmd} ${args.join(" ")} failed (build/cpphost/${log}):\n${tail}`);
  }
}

/**
 * Builds (or reuses) the driver. Returns `{ skip }` when the vendored sources are absent; throws,
 * naming the packages, when a Debian package is missing, and with the compiler's output when the
 * build fails.
 */
export function buildCppHost(): CppHostBuild {
  if (!existsSync(VENDOR_TARBALL)) {
    return { skip: "../shared/vendor/proxy-wasm-cpp-host+wamr.tar.xz is absent: the cpp-host suite needs the vendored proxy-wasm-cpp-host and WAMR sources beside the repository" };
  }
  const hash = inputsHash();
  const stamp = path.join(OUT, "inputs.sha256");
  if (existsSync(DRIVER_BIN) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    console.log("cpp-host: build/cpphost/out/cpphost-driver is up to date (inputs unchanged)");
    return { driver: DRIVER_BIN };
  }
  const missing = missingPackages();
  if (missing.length) {
    throw new Error(`cpp-host build: missing Debian packages: ${missing.join(" ")} (apt-get install ${missing.join(" ")})`);
  }
  mkdirSync(OUT, { recursive: true });
  // The sources are extracted again only when the tarball changed (ninja rebuilds what changed).
  const tarHash = createHash("sha256").update(readFileSync(VENDOR_TARBALL)).digest("hex");
  const tarStamp = path.join(OUT, "src.sha256");
  if (!existsSync(tarStamp) || readFileSync(tarStamp, "utf8") !== tarHash) {
    rmSync(path.join(OUT, "src"), { recursive: true, force: true });
    rmSync(path.join(OUT, "out"), { recursive: true, force: true });
    mkdirSync(path.join(OUT, "src"), { recursive: true });
    run("tar", ["xJf", VENDOR_TARBALL, "-C", path.join(OUT, "src")], "extract.log");
    writeFileSync(tarStamp, tarHash);
  }
  const started = Date.now();
  run("cmake", ["-GNinja", "-S", DRIVER_SRC, "-B", path.join(OUT, "out"), `-DVENDOR_SRC=${path.join(OUT, "src")}`,
    "-DCMAKE_BUILD_TYPE=Release"], "cmake.log");
  run("ninja", ["-C", path.join(OUT, "out"), "cpphost-driver"], "ninja.log");
  writeFileSync(stamp, hash);
  console.log(`cpp-host: built build/cpphost/out/cpphost-driver in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { driver: DRIVER_BIN };
}
