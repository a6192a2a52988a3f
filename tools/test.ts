// `npm test`: build everything, run the as-pect specs (AssemblyScript units next to the code), then
// bundle every TypeScript `*.test.ts` under tests/ and filters/ with esbuild and run them with
// node's test runner. Exit code is non-zero if any stage fails.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { rmSync } from "node:fs";
import { ROOT, BUILD, findFiles } from "./paths";
import { buildAll } from "./build";

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env });
  return r.status ?? 1;
}

/**
 * `npm test -- <word> ...` runs only the specs and tests whose path contains one of the words
 * (the build still compiles everything: a broken filter breaks every test run, as it would CI).
 */
export async function runTests(args: string[]): Promise<number> {
  if (!(await buildAll())) return 1;
  const filter = args.length ? (f: string) => args.some((a) => f.includes(a)) : () => true;
  const specs = [...findFiles(path.join(ROOT, "shared"), ".spec.ts"), ...findFiles(path.join(ROOT, "filters"), ".spec.ts")]
    .map((f) => path.relative(ROOT, f)).filter(filter);
  if (specs.length) {
    const asp = run(process.execPath, [path.join(ROOT, "node_modules/@as-pect/cli/bin/asp.js"), "--config", "as-pect.config.js",
      "--as-config", "as-pect.asconfig.json", "--summary"],
      args.length ? { ...process.env, ASPECT_ENTRIES: specs.join(",") } : process.env);
    if (asp !== 0) {
      console.error("test: as-pect specs FAILED");
      return asp;
    }
  }
  const entries = [...findFiles(path.join(ROOT, "tests"), ".test.ts"), ...findFiles(path.join(ROOT, "filters"), ".test.ts")].filter(filter);
  // One output folder per run, so two `npm test` runs on one checkout do not delete each other's files.
  const outdir = path.join(BUILD, `tests-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir,
    outbase: ROOT,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "error",
  });
  if (!entries.length) return 0;
  const compiled = entries.map((e) => path.join(outdir, path.relative(ROOT, e)).replace(/\.ts$/, ".mjs"));
  try {
    return run(process.execPath, ["--enable-source-maps", "--test", "--test-concurrency=1", ...compiled]);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
