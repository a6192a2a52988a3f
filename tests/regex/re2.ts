// Real RE2 as an oracle: builds tests/regex/re2_oracle.cc against the system's libre2 (Debian
// libre2-dev, listed in .ci/apt-packages.txt) and answers batches of (pattern, texts) queries.
// `re2Oracle()` returns null with the reason when no C++ compiler or RE2 headers are installed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import path from "node:path";

export type Re2Answer = { error?: { code: number; arg: Uint8Array }; programSize?: number; matches: Array<{ full: boolean; partial: boolean }> };

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (s: string | Uint8Array) => (typeof s === "string" ? new TextEncoder().encode(s) : s);

export class Re2Oracle {
  constructor(private exe: string) {}

  /** One batch: each query is a pattern and the texts to match it against. */
  run(queries: Array<{ pattern: string | Uint8Array; texts?: Array<string | Uint8Array> }>): Re2Answer[] {
    const lines: string[] = [];
    for (const q of queries) {
      lines.push(`P ${hex(bytes(q.pattern))}`);
      for (const t of q.texts ?? []) lines.push(`T ${hex(bytes(t))}`);
    }
    const r = spawnSync(this.exe, [], { input: lines.join("\n") + "\n", maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`re2 oracle failed: ${r.stderr}`);
    const out = r.stdout.toString().split("\n");
    let k = 0;
    return queries.map((q) => {
      const head = out[k++].split(" ");
      const a: Re2Answer = { matches: [] };
      if (head[0] === "E") a.error = { code: Number(head[1]), arg: Uint8Array.from(Buffer.from(head[2] ?? "", "hex")) };
      else a.programSize = Number(head[1]);
      for (let i = 0; i < (q.texts ?? []).length; i++) {
        const m = out[k++].split(" ");
        a.matches.push({ full: m[1] === "1", partial: m[2] === "1" });
      }
      return a;
    });
  }
}

let cached: Re2Oracle | string | undefined;

/** The oracle, or a string saying why it is unavailable. */
export function re2Oracle(): Re2Oracle | string {
  if (cached !== undefined) return cached;
  const src = path.join(process.cwd(), "tests", "regex", "re2_oracle.cc");
  const out = path.join(process.cwd(), "build", "re2_oracle");
  if (!existsSync("/usr/include/re2/re2.h")) return (cached = "RE2 headers not installed (Debian package libre2-dev)");
  if (!existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(path.dirname(out), { recursive: true });
    const r = spawnSync("g++", ["-O2", "-std=c++17", src, "-o", out, "-lre2"], { encoding: "utf8" });
    if (r.error || r.status !== 0) return (cached = `cannot build the RE2 oracle: ${r.error?.message ?? r.stderr}`);
  }
  return (cached = new Re2Oracle(out));
}

/** RE2::ErrorCode numbers (re2/re2.h) -> RE2's error text, which shared/regex's errors start with. */
export const RE2_CODE_TEXT: Record<number, string> = {
  1: "unexpected error", 2: "invalid escape sequence", 3: "invalid character class", 4: "invalid character class range",
  5: "missing ]", 6: "missing )", 7: "unexpected )", 8: "trailing \\", 9: "no argument for repetition operator",
  10: "invalid repetition size", 11: "bad repetition operator", 12: "invalid perl operator", 13: "invalid UTF-8",
  14: "invalid named capture group", 15: "pattern too large - compile failed",
};
