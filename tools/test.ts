// `npm test`: build everything, run the as-pect specs (AssemblyScript units next to the code), then
// bundle every TypeScript `*.test.ts` under tests/ and filters/ with esbuild and run them with
// node's test runner. Exit code is non-zero if any stage fails.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { rmSync } from "node:fs";
import { ROOT, BUILD, selectEntries, bundleForNode } from "./paths";
import { buildAll } from "./build";
import { ensurePrereqs } from "./prereqs";

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env });
  return r.status ?? 1;
}

/**
 * `npm test -- <word> ...` runs only the specs and tests whose path contains one of the words
 * (the build still compiles everything: a broken filter breaks every test run, as it would CI).
 */
export async function runTests(args: string[]): Promise<number> {
  // Debian programs the selected tests run (prometheus, openssl, docker-registry, ...): found, installed, or a stop with the command to run.
  if (!ensurePrereqs(selectEntries(".test.ts", args).map((f) => path.relative(ROOT, f)))) return 3;
  if (!(await buildAll())) return 1;
  const specs = selectEntries(".spec.ts", args, ["shared", "filters"]).map((f) => path.relative(ROOT, f));
  if (specs.length) {
    const asp = run(process.execPath, [path.join(ROOT, "node_modules/@as-pect/cli/bin/asp.js"), "--config", "as-pect.config.js",
      "--as-config", "as-pect.asconfig.json", "--summary"],
      args.length ? { ...process.env, ASPECT_ENTRIES: specs.join(",") } : process.env);
    if (asp !== 0) {
      console.error("test: as-pect specs FAILED");
      return asp;
    }
  }
  const entries = selectEntries(".test.ts", args);
  if (!entries.length) return 0;
  // One output folder per run, so two `npm test` runs on one checkout do not delete each other's files.
  const outdir = path.join(BUILD, `tests-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  const compiled = await bundleForNode(entries, outdir, true);
  try {
    return run(process.execPath, ["--enable-source-maps", "--test", "--test-concurrency=1", ...compiled]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
