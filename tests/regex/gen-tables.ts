// Generates shared/regex/tables.ts (Unicode data for shared/regex) from the Unicode database built
// into Node's V8/ICU, so the AssemblyScript engine carries RE2's groups without hand-typed tables:
//   - simple case folding orbits (what RE2's unicode_casefold.cc encodes, used by (?i)),
//   - the general categories RE2 names (\pL, \p{Lu}, ...; "C" is Cc|Cf|Co|Cs as in RE2, without Cn),
//   - the scripts RE2 names (\p{Greek}, ...; the name list is RE2's, the code points are this Unicode's).
// Run: `node build/tools/...` is not needed; tests/regex/tables.test.ts regenerates the text and fails
// if the committed file differs (then write it with `npx esbuild tests/regex/gen-tables.ts --bundle
// --platform=node --format=esm | node --input-type=module - > shared/regex/tables.ts`).

// The general-category and script names RE2 accepts after \p (re2/unicode_groups.cc at the commit in
// tests/testdata/re2/README.md). Categories are stored by index into GC; scripts into SCRIPTS.
export const GC = ["Cc", "Cf", "Co", "Cs", "Ll", "Lm", "Lo", "Lt", "Lu", "Mc", "Me", "Mn", "Nd", "Nl", "No", "Pc", "Pd", "Pe",
  "Pf", "Pi", "Po", "Ps", "Sc", "Sk", "Sm", "So", "Zl", "Zp", "Zs"];
export const SCRIPTS = ("Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali " +
  "Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee " +
  "Chorasmian Common Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan " +
  "Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi " +
  "Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi " +
  "Inscriptional_Parthian Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki " +
  "Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean " +
  "Marchen Masaram_Gondi Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian " +
  "Mro Multani Myanmar Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki " +
  "Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur " +
  "Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan " +
  "Saurashtra Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac " +
  "Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto " +
  "Ugaritic Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square").split(" ");

const MAX = 0x10ffff;

/** Runs of a partition of the code space: [start, id] with id -1 for "none". */
function partition(names: string[], prop: string): Array<[number, number]> {
  const res = names.map((n) => new RegExp(`^\\p{${prop}=${n}}$`, "u"));
  const runs: Array<[number, number]> = [];
  let prev = -2;
  for (let cp = 0; cp <= MAX; cp++) {
    const s = String.fromCodePoint(cp);
    let id = -1;
    for (let i = 0; i < res.length; i++) if (res[i].test(s)) { id = i; break; }
    if (id !== prev) { runs.push([cp, id]); prev = id; }
  }
  return runs;
}

/** Byte encoding of a partition: per run, LEB128 of (start - previous start) then id + 1 (0 = none). */
function encodeRuns(runs: Array<[number, number]>): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const [start, id] of runs) {
    let d = start - prev;
    prev = start;
    do { const b = d & 0x7f; d >>>= 7; out.push(d ? b | 0x80 : b); } while (d);
    out.push(id + 1);
  }
  return out;
}

/** Simple case folding orbits: runes equal under Unicode simple case folding (what /x/iu compares). */
function foldOrbits(): number[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => { let r = x; while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!; return r; };
  const union = (a: number, b: number) => { const ra = find(a), rb = find(b); if (ra !== rb) parent.set(Math.max(ra, rb), Math.min(ra, rb)); };
  const single = (s: string): number => { const cps = [...s]; return cps.length === 1 ? cps[0].codePointAt(0)! : -1; };
  const esc = (cp: number) => `\\u{${cp.toString(16)}}`;
  for (let cp = 0; cp <= MAX; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const t of [single(s.toLowerCase()), single(s.toUpperCase())]) {
      if (t < 0 || t === cp) continue;
      // Only pairs equal under simple case folding: /x/iu uses it (toUpperCase alone would join ı and I).
      if (new RegExp(`^${esc(cp)}$`, "iu").test(String.fromCodePoint(t))) { if (!parent.has(cp)) parent.set(cp, cp); if (!parent.has(t)) parent.set(t, t); union(cp, t); }
    }
  }
  const groups = new Map<number, number[]>();
  for (const cp of parent.keys()) { const r = find(cp); if (!groups.has(r)) groups.set(r, []); groups.get(r)!.push(cp); }
  return [...groups.values()].filter((g) => g.length > 1).map((g) => g.sort((a, b) => a - b));
}

/** Orbit "next" map as RE2-style ranges [lo, hi, delta]; delta EVEN_ODD / ODD_EVEN pair neighbours. */
export const EVEN_ODD = 1 << 30, ODD_EVEN = EVEN_ODD + 1;
function foldRanges(orbits: number[][]): number[][] {
  const next = new Map<number, number>();
  for (const o of orbits) for (let i = 0; i < o.length; i++) next.set(o[i], o[(i + 1) % o.length]);
  const keys = [...next.keys()].sort((a, b) => a - b);
  const out: number[][] = [];
  const deltaOf = (c: number) => {
    const d = next.get(c)! - c;
    if (d === 1 && c % 2 === 0) return EVEN_ODD;
    if (d === -1 && c % 2 === 1) return EVEN_ODD;
    if (d === 1 && c % 2 === 1) return ODD_EVEN;
    if (d === -1 && c % 2 === 0) return ODD_EVEN;
    return d;
  };
  for (const c of keys) {
    const d = deltaOf(c);
    const last = out[out.length - 1];
    if (last && last[1] === c - 1 && last[2] === d) last[1] = c;
    else out.push([c, c, d]);
  }
  return out;
}

export function generate(): string {
  const gc = partition(GC, "gc");
  const sc = partition(SCRIPTS, "sc");
  const folds = foldRanges(foldOrbits());
  const rows = (a: number[], per: number) => {
    const lines: string[] = [];
    for (let i = 0; i < a.length; i += per) lines.push("  " + a.slice(i, i + per).join(",") + ",");
    return lines.join("\n");
  };
  return [
    "// GENERATED by tests/regex/gen-tables.ts from the Unicode data in Node's ICU; do not edit.",
    "// tests/regex/tables.test.ts fails when this file is not what the generator writes.",
    `// Unicode ${process.versions.unicode}. Names are RE2's (re2/unicode_groups.cc); see shared/regex/README.md.`,
    "",
    `export const GC_NAMES: string[] = ${JSON.stringify(GC)};`,
    `export const SCRIPT_NAMES: string[] = ${JSON.stringify(SCRIPTS)};`,
    "",
    "/** General category of every code point: runs of (LEB128 start delta, category index + 1; 0 = Cn). */",
    `export const GC_RUNS: StaticArray<u8> = [\n${rows(encodeRuns(gc), 40)}\n];`,
    "",
    "/** Script of every code point: runs of (LEB128 start delta, script index + 1; 0 = none of RE2's). */",
    `export const SCRIPT_RUNS: StaticArray<u8> = [\n${rows(encodeRuns(sc), 40)}\n];`,
    "",
    `export const FOLD_EVEN_ODD: i32 = ${EVEN_ODD};`,
    `export const FOLD_ODD_EVEN: i32 = ${ODD_EVEN};`,
    "/** Simple case folding as (lo, hi, delta) triples: rune -> next rune of its orbit (RE2's CaseFold). */",
    `export const FOLD: StaticArray<i32> = [\n${rows(folds.flat(), 15)}\n];`,
    "",
  ].join("\n");
}

if (process.argv[1] && /gen-tables/.test(process.argv[1])) process.stdout.write(generate());
