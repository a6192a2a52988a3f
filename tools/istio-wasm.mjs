#!/usr/bin/env node
// `istio-wasm` (package.json bin): bundles the TypeScript CLI (tools/istio-wasm.ts) with esbuild, as
// tools/run.mjs does for the npm scripts, then runs it. `npx istio-wasm --help` lists the commands.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "build", "tools", "istio-wasm.mjs");
await build({
  entryPoints: [path.join(root, "tools", "istio-wasm.ts")],
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
