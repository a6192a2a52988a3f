// `npm run bench`: bundles every `*.bench.ts` under tests/ and runs each in its own
// node process (with --expose-gc), one after another so they do not compete for the CPU.
// Each benchmark prints its own figures; this runner only reports which ones failed.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { ROOT, BUILD, selectEntries, bundleForNode } from "./paths";
import { buildAll } from "./build";

export async function runBench(args: string[]): Promise<number> {
  if (!(await buildAll())) return 1;
  const entries = selectEntries(".bench.ts", args);
  const outputs = await bundleForNode(entries, path.join(BUILD, "bench"));
  let failed = 0;
  for (const [i, e] of entries.entries()) {
    const rel = path.relative(ROOT, e);
    console.log(`\n=== ${rel}`);
    const out = outputs[i];
    const r = spawnSync(process.execPath, ["--expose-gc", out], { cwd: ROOT, stdio: "inherit" });
    if (r.status !== 0) { failed++; console.error(`bench: ${rel} exited with ${r.status}`); }
  }
  return failed ? 1 : 0;
}
