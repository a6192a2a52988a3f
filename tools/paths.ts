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
