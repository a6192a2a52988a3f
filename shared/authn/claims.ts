// normalize_payload_in_metadata.space_delimited_claims, as Envoy's AuthenticatorImpl::setPayloadMetadata
// does it: a listed claim whose value is a string becomes a list of its space-separated words (runs of
// spaces give no empty words, absl::SkipEmpty). A string with no words at all ("" or only spaces)
// stays the string it was (Envoy only creates the list when it adds a first element); non-string
// values are left alone. Only top-level claims are considered.
import { JsonValue, JsonKind } from "../codec/json";

export function splitSpaceDelimitedClaims(payload: JsonValue, claims: Array<string>): JsonValue {
  if (claims.length == 0 || payload.kind != JsonKind.Object) return payload;
  const out = JsonValue.object();
  for (let i = 0, n = payload.keys.length; i < n; i++) {
    const key = unchecked(payload.keys[i]);
    const v = unchecked(payload.items[i]);
    if (v.kind == JsonKind.String && claims.includes(key)) {
      const list = JsonValue.array();
      const s = v.str;
      let start = -1;
      for (let j = 0; j <= s.length; j++) {
        const sp = j == s.length || s.charCodeAt(j) == 0x20;
        if (sp) {
          if (start >= 0) { list.push(JsonValue.fromString(s.substring(start, j))); start = -1; }
        } else if (start < 0) start = j;
      }
      out.set(key, list.items.length > 0 ? list : v);
    } else {
      out.set(key, v);
    }
  }
  return out;
}
