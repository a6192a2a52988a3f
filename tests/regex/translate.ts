// Translates an RE2 pattern into an ECMAScript RegExp (flag u) with the same match/no-match answer
// on a given text, or null when the two engines' semantics could differ for that pattern or text.
// The differential tests use it to compare shared/regex with V8's irregexp, an independent engine.
// Where the languages differ (RE2 re2/syntax vs ECMA-262 22.2):
//   - \s is [\t\n\f\r ] in RE2, wider in JS: rewritten; \S inside a class: not translated.
//   - "." excludes only \n in RE2, also \r \u2028 \u2029 in JS: texts holding those are skipped;
//     (?m) ^ $ likewise see \r \u2028 \u2029 as line ends in JS.
//   - \b with (?i): JS's word set then includes U+017F and U+212A, RE2's stays ASCII: skipped.
//   - RE2-only syntax (\A \z \Q..\E \pN \x{..} [[:alpha:]] (?P<n> octal, literal { ]) is rewritten;
//     \C, inline flags after the start and negated POSIX classes in classes are not translated.

const GC = new Set(["C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No",
  "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs"]);
const POSIX: Record<string, string> = {
  alnum: "0-9A-Za-z", alpha: "A-Za-z", ascii: "\\x00-\\x7f", blank: "\\t ", cntrl: "\\x00-\\x1f\\x7f", digit: "0-9",
  graph: "!-~", lower: "a-z", print: " -~", punct: "!-\\/:-@\\[-`{-~", space: "\\t-\\r ", upper: "A-Z", word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};
const SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);
const esc = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

export function translate(re2: string, text: string): RegExp | null {
  let flags = "u";
  let p = re2;
  const lead = /^\(\?([imsU]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1]) if (f === "i" || f === "s") flags += f;
    p = p.slice(lead[0].length);
  }
  // (?m) is rewritten rather than passed as JS's m flag, whose line ends include \r \u2028 \u2029.
  const fold = flags.includes("i"), multi = !!lead && lead[1].includes("m"), dotnl = flags.includes("s");
  if (/[\r\u2028\u2029]/.test(text) && !dotnl) return null;
  const cps = [...p];
  let out = "";
  let inClass = false;
  let i = 0;
  const isRep = (k: number) => /^\{(0|[1-9][0-9]*)(,(0|[1-9][0-9]*)?)?\}/.test(cps.slice(k, k + 24).join(""));
  while (i < cps.length) {
    const c = cps[i];
    if (c === "\\") {
      const d = cps[i + 1];
      if (d === undefined) return null;
      i += 2;
      if (d === "A" && !inClass) { out += "^"; continue; }
      if (d === "z" && !inClass) { out += "$"; continue; }
      if (d === "b" || d === "B") { if (fold || inClass) return null; out += "\\" + d; continue; }
      if (d === "C" || d === "Q" || d === "E") return null;
      if (d === "s") { out += inClass ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]"; continue; }
      if (d === "S") { if (inClass) return null; out += "[^\\t\\n\\f\\r ]"; continue; }
      if ("dDwWntfrv".includes(d)) { out += "\\" + d; continue; }
      if (d === "a") { out += "\\x07"; continue; }
      if (d === "p" || d === "P") {
        let name: string;
        if (cps[i] === "{") { const e = cps.indexOf("}", i); if (e < 0) return null; name = cps.slice(i + 1, e).join(""); i = e + 1; }
        else { name = cps[i]; i++; }
        let neg = d === "P";
        if (name.startsWith("^")) { neg = !neg; name = name.slice(1); }
        if (name === "Any") { out += neg ? "[^\\s\\S]" : "[\\s\\S]"; if (inClass) return null; continue; }
        if (name === "C") return null; // RE2's C leaves out Cn; JS's includes it
        out += `\\${neg ? "P" : "p"}{${GC.has(name) ? name : "sc=" + name}}`;
        continue;
      }
      if (d === "x") {
        if (cps[i] === "{") { const e = cps.indexOf("}", i); if (e < 0) return null; out += `\\u{${cps.slice(i + 1, e).join("")}}`; i = e + 1; }
        else { out += "\\x" + cps[i] + cps[i + 1]; i += 2; }
        continue;
      }
      if (/[0-9]/.test(d)) return null;
      if (/[A-Za-z]/.test(d)) return null;
      out += SYNTAX.has(d) || (inClass && d === "-") ? "\\" + d : esc(d);
      continue;
    }
    if (inClass) {
      if (c === "]" && !(cps[i - 1] === "[" || (cps[i - 1] === "^" && cps[i - 2] === "["))) { inClass = false; out += "]"; i++; continue; }
      if (c === "[" && cps[i + 1] === ":") {
        const rest = cps.slice(i).join("");
        const m = /^\[:(\^?)([a-z]+):\]/.exec(rest);
        if (m) { if (m[1] || !POSIX[m[2]]) return null; out += POSIX[m[2]]; i += [...m[0]].length; continue; }
      }
      if (c === "]" ) { out += "\\]"; i++; continue; }
      if (c === "[" || c === "/" || c === "{" || c === "}" || c === "|" || c === "(" || c === ")") { out += "\\" + c; i++; continue; }
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += "[";
      i++;
      if (cps[i] === "^") { out += "^"; i++; }
      if (cps[i] === "]") { out += "\\]"; i++; }
      continue;
    }
    if (c === "(" && cps[i + 1] === "?") {
      if (cps[i + 2] === ":") { out += "(?:"; i += 3; continue; }
      if (cps[i + 2] === "P" && cps[i + 3] === "<") { out += "(?<"; i += 4; continue; }
      if (cps[i + 2] === "<") { out += "(?<"; i += 3; continue; }
      return null; // inline flags
    }
    if (c === "{") { out += isRep(i) ? "{" : "\\{"; i++; continue; }
    if (c === "}") {
      // a } closing a repetition was copied with its {; any other } is literal
      const open = out.lastIndexOf("{");
      out += open >= 0 && out[open - 1] !== "\\" && /^\{[0-9,]*$/.test(out.slice(open)) ? "}" : "\\}";
      i++;
      continue;
    }
    if (c === "]") { out += "\\]"; i++; continue; }
    if (c === "^" && multi) { out += "(?:^|(?<=\\n))"; i++; continue; }
    if (c === "$" && multi) { out += "(?:$|(?=\\n))"; i++; continue; }
    if (c === "/") { out += "\\/"; i++; continue; }
    out += c;
    i++;
  }
  if (inClass) return null;
  try { return new RegExp(out, flags); } catch { return null; }
}

/** RE2::FullMatch / PartialMatch through the translated RegExp. */
export function jsMatch(re: RegExp, text: string, full: boolean): boolean {
  if (!full) return new RegExp(re.source, re.flags).test(text);
  return new RegExp(`^(?:${re.source})$`, re.flags).test(text);
}
