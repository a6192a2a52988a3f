// shared/regex/tables.ts is generated (tests/regex/gen-tables.ts, from the Unicode data in Node's
// ICU). This fails when the committed file is not what the generator writes on this Node, so a
// hand edit or a stale table shows up. A different Node (another Unicode version) is reported
// as such rather than as a mismatch of the data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { generate } from "./gen-tables";

test("shared/regex/tables.ts is the generator's output", (t) => {
  const committed = readFileSync(path.join(process.cwd(), "shared", "regex", "tables.ts"), "utf8");
  const version = /Unicode ([0-9.]+)\./.exec(committed)?.[1];
  if (version !== process.versions.unicode) {
    t.skip(`tables were generated with Unicode ${version}; this Node has ${process.versions.unicode}`);
    return;
  }
  assert.equal(generate(), committed);
});
