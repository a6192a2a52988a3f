// `npm run bench`: bundles every `*.bench.ts` under tests/ and filters/ and runs each in its own
// node process (with --expose-gc), one after another so they do not compete for the CPU.
// Each benchmark prints its own figures; this runner only reports which ones failed.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, BUILD, findFiles } from "./paths";
import { buildAll } from "./build";

export async function runBench(args: string[]): Promise<number> {
  if (!(await buildAll())) return 1;
  const filter = args.length ? (f: string) => args.some((a) => f.includes(a)) : () => true;
  const entries = [...findFiles(path.join(ROOT, "tests"), ".bench.ts"), ...findFiles(path.join(ROOT, "filters"), ".bench.ts")].filter(filter);
  const outdir = path.join(BUILD, "bench");
  await build({
    entryPoints: entries, outdir, outbase: ROOT, outExtension: { ".js": ".mjs" },
    bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "error",
  });
  let failed = 0;
  for (const e of entries) {
    const rel = path.relative(ROOT, e);
    console.log(`\n=== ${rel}`);
    const out = path.join(outdir, rel).replace(/\.ts$/, ".mjs");
    const r = spawnSync(process.execPath, ["--expose-gc", out], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) { failed++; console.error(`bench: ${rel} exited with ${r.status}`); }
  }
  return failed ? 1 : 0;
}
