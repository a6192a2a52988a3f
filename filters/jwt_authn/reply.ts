// The local reply for a failed request, as Envoy's jwt_authn filter.cc onComplete builds it:
// 401 with the status string as body, 403 only for JwtAudienceNotAllowed; WWW-Authenticate
// `Bearer realm="<original URI>"` plus `, error="invalid_token"` for every status but JwtMissed;
// strip_failure_response: same code, empty body, no WWW-Authenticate. The original URI is
// Http::Utility::buildOriginalUri: x-forwarded-proto "://" host, then x-envoy-original-path or :path
// cut to 256 characters. Details: jwt_authn_access_denied{<status with whitespace as _>}.
// gRPC requests get grpc-status from the HTTP code (401 -> 16, 403 -> 7) from the host's
// sendLocalReply, as in Envoy.
import { Status, statusString } from "./status";
import { RequestView } from "./matcher";

export const MAX_ORIGINAL_PATH: i32 = 256;

export class Reply {
  code: u32 = 401;
  body: string = "";
  wwwAuthenticate: string = "";
  details: string = "";
}

export function originalUri(view: RequestView): string {
  const proto = view.header("x-forwarded-proto");
  const scheme = proto !== null ? proto! : view.scheme;
  const orig = view.header("x-envoy-original-path");
  let path = orig !== null ? orig! : view.path;
  if (path.length > MAX_ORIGINAL_PATH) path = path.substring(0, MAX_ORIGINAL_PATH);
  return scheme + "://" + view.host + path;
}

export function replyFor(s: Status, uri: string, strip: bool): Reply {
  const r = new Reply();
  r.code = s == Status.JwtAudienceNotAllowed ? 403 : 401;
  const text = statusString(s);
  r.details = "jwt_authn_access_denied{" + text.replaceAll(" ", "_") + "}";
  if (!strip) {
    r.body = text;
    r.wwwAuthenticate = "Bearer realm=\"" + uri + "\"" + (s != Status.JwtMissed ? ", error=\"invalid_token\"" : "");
  }
  return r;
}

/** filter.cc isCorsPreflightRequest: OPTIONS with a non-empty Origin and Access-Control-Request-Method. */
export function isCorsPreflight(view: RequestView): bool {
  if (view.method != "OPTIONS") return false;
  const o = view.header("origin");
  const m = view.header("access-control-request-method");
  return o !== null && o!.length > 0 && m !== null && m!.length > 0;
}
