// Shared by tools/run.mjs (the npm scripts) and tools/istio-wasm.mjs (the package.json bin): bundles
// tools/<name>.ts with esbuild into build/tools/<name>.mjs, runs its main(argv) and sets the exit code.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function runBundled(name) {
  const out = path.join(root, "build", "tools", `${name}.mjs`);
  await build({
    entryPoints: [path.join(root, "tools", `${name}.ts`)],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "error",
  });
  const { main } = await import(pathToFileURL(out).href);
  process.exitCode = await main(process.argv.slice(2));
}
