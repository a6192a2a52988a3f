import path from "node:path";
import { fileURLToPath } from "node:url";
import { readdirSync, statSync, existsSync } from "node:fs";

// build/tools/cli.mjs -> repository root
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const DIST = path.join(ROOT, "dist");
export const BUILD = path.join(ROOT, "build");
export const FIXTURES_OUT = path.join(BUILD, "fixtures");

/** Sub-folders of `dir` that contain `file`. */
export function foldersWith(dir: string, file: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isDirectory() && existsSync(path.join(dir, name, file)))
    .sort();
}

/** Recursively lists files under `dir` whose names end with `suffix` (skips node_modules, build, dist). */
export function findFiles(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name === "node_modules" || name === "build" || name === "dist" || name.startsWith(".")) continue;
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(suffix)) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/**
 * The files the test and bench runners run: names ending in `suffix` under `roots`, narrowed to paths
 * containing one of `words` when any are given (`npm test -- <word>`).
 */
export function selectEntries(suffix: string, words: string[], roots = ["tests", "filters"]): string[] {
  const all = roots.flatMap((r) => findFiles(path.join(ROOT, r), suffix));
  // Match against the repository-relative path: the checkout's own folder name must not select everything.
  return words.length ? all.filter((f) => words.some((w) => path.relative(ROOT, f).includes(w))) : all;
}

/** Bundles entries for Node into `outdir` (mirroring their repo paths, .mjs); returns each output path. */
export async function bundleForNode(entries: string[], outdir: string, sourcemap = false): Promise<string[]> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: entries, outdir, outbase: ROOT, outExtension: { ".js": ".mjs" },
    bundle: true, platform: "node", format: "esm", target: "node20", packages: "external",
    sourcemap: sourcemap ? "inline" : false, logLevel: "error",
  });
  return entries.map((e) => path.join(outdir, path.relative(ROOT, e)).replace(/\.ts$/, ".mjs"));
}
