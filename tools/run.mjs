#!/usr/bin/env node
// Entry for every npm script: bundles the TypeScript CLI (tools/cli.ts) with esbuild, then runs it.
import { build } from "esbuild";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "build", "tools", "cli.mjs");
await build({
  entryPoints: [path.join(root, "tools", "cli.ts")],
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
