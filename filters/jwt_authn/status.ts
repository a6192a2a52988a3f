// jwt_verify_lib's Status (google/jwt_verify_lib jwt_verify_lib/status.h, src/status.cc): the number
// is what Envoy writes as failed_status_in_metadata.code, the text is the 401/403 body.
export enum Status {
  Ok = 0,
  JwtMissed = 1,
  JwtNotYetValid = 2,
  JwtExpired = 3,
  JwtBadFormat = 4,
  JwtHeaderParseErrorBadBase64 = 5,
  JwtHeaderParseErrorBadJson = 6,
  JwtHeaderBadAlg = 7,
  JwtHeaderNotImplementedAlg = 8,
  JwtHeaderBadKid = 9,
  JwtPayloadParseErrorBadBase64 = 10,
  JwtPayloadParseErrorBadJson = 11,
  JwtPayloadParseErrorIssNotString = 12,
  JwtPayloadParseErrorSubNotString = 13,
  JwtPayloadParseErrorIatNotInteger = 14,
  JwtPayloadParseErrorIatOutOfRange = 15,
  JwtPayloadParseErrorNbfNotInteger = 16,
  JwtPayloadParseErrorNbfOutOfRange = 17,
  JwtPayloadParseErrorExpNotInteger = 18,
  JwtPayloadParseErrorExpOutOfRange = 19,
  JwtPayloadParseErrorJtiNotString = 20,
  JwtPayloadParseErrorAudNotString = 21,
  JwtSignatureParseErrorBadBase64 = 22,
  JwtEd25519SignatureWrongLength = 23,
  JwtUnknownIssuer = 24,
  JwtAudienceNotAllowed = 25,
  JwtVerificationFail = 26,
  JwtMultipleTokens = 27,
  JwksParseError = 28,
  JwksNoKeys = 29,
  JwksBadKeys = 30,
  JwksNoValidKeys = 31,
  JwksKidAlgMismatch = 32,
  JwksRsaParseError = 33,
  JwksEcCreateKeyFail = 34,
  JwksEcXorYBadBase64 = 35,
  JwksEcParseError = 36,
  JwksOctBadBase64 = 37,
  JwksOKPXBadBase64 = 38,
  JwksOKPXWrongLength = 39,
  JwksFetchFail = 40,
}

export const STATUS_COUNT: i32 = 41;

export function statusString(s: Status): string {
  switch (s) {
    case Status.Ok: return "OK";
    case Status.JwtMissed: return "Jwt is missing";
    case Status.JwtNotYetValid: return "Jwt not yet valid";
    case Status.JwtExpired: return "Jwt is expired";
    case Status.JwtBadFormat: return "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections";
    case Status.JwtHeaderParseErrorBadBase64: return "Jwt header is an invalid Base64url encoded";
    case Status.JwtHeaderParseErrorBadJson: return "Jwt header is an invalid JSON";
    case Status.JwtHeaderBadAlg: return "Jwt header [alg] field is required and must be a string";
    case Status.JwtHeaderNotImplementedAlg: return "Jwt header [alg] is not supported";
    case Status.JwtHeaderBadKid: return "Jwt header [kid] field is not a string";
    case Status.JwtPayloadParseErrorBadBase64: return "Jwt payload is an invalid Base64url encoded";
    case Status.JwtPayloadParseErrorBadJson: return "Jwt payload is an invalid JSON";
    case Status.JwtPayloadParseErrorIssNotString: return "Jwt payload [iss] field is not a string";
    case Status.JwtPayloadParseErrorSubNotString: return "Jwt payload [sub] field is not a string";
    case Status.JwtPayloadParseErrorIatNotInteger: return "Jwt payload [iat] field is not an integer";
    case Status.JwtPayloadParseErrorIatOutOfRange: return "Jwt payload [iat] field is not a positive 64 bit integer";
    case Status.JwtPayloadParseErrorNbfNotInteger: return "Jwt payload [nbf] field is not an integer";
    case Status.JwtPayloadParseErrorNbfOutOfRange: return "Jwt payload [nbf] field is not a positive 64 bit integer";
    case Status.JwtPayloadParseErrorExpNotInteger: return "Jwt payload [exp] field is not an integer";
    case Status.JwtPayloadParseErrorExpOutOfRange: return "Jwt payload [exp] field is not a positive 64 bit integer";
    case Status.JwtPayloadParseErrorJtiNotString: return "Jwt payload [jti] field is not a string";
    case Status.JwtPayloadParseErrorAudNotString: return "Jwt payload [aud] field is not a string or string list";
    case Status.JwtSignatureParseErrorBadBase64: return "Jwt signature is an invalid Base64url encoded";
    case Status.JwtEd25519SignatureWrongLength: return "Jwt ED25519 signature is wrong length";
    case Status.JwtUnknownIssuer: return "Jwt issuer is not configured";
    case Status.JwtAudienceNotAllowed: return "Audiences in Jwt are not allowed";
    case Status.JwtVerificationFail: return "Jwt verification fails";
    case Status.JwtMultipleTokens: return "Found multiple Jwt tokens";
    case Status.JwksParseError: return "Jwks is an invalid JSON";
    case Status.JwksNoKeys: return "Jwks does not have [keys] field";
    case Status.JwksBadKeys: return "[keys] in Jwks is not an array";
    case Status.JwksNoValidKeys: return "Jwks doesn't have any valid public key";
    case Status.JwksKidAlgMismatch: return "Jwks doesn't have key to match kid or alg from Jwt";
    case Status.JwksRsaParseError: return "Jwks RSA [n] or [e] field is missing or has a parse error";
    case Status.JwksEcCreateKeyFail: return "Jwks EC create key fail";
    case Status.JwksEcXorYBadBase64: return "Jwks EC [x] or [y] field is an invalid Base64.";
    case Status.JwksEcParseError: return "Jwks EC [x] and [y] fields have a parse error.";
    case Status.JwksOctBadBase64: return "Jwks Oct key is an invalid Base64";
    case Status.JwksOKPXBadBase64: return "Jwks OKP [x] field is an invalid Base64.";
    case Status.JwksOKPXWrongLength: return "Jwks OKP [x] field is wrong length.";
    case Status.JwksFetchFail: return "Jwks remote fetch is failed";
    default: return "Unknown status";
  }
}

/** Short name for per-status counters (jwt_authn.denied.<name>). */
export function statusCounterName(s: Status): string {
  switch (s) {
    case Status.JwtMissed: return "jwt_missing";
    case Status.JwtNotYetValid: return "jwt_not_yet_valid";
    case Status.JwtExpired: return "jwt_expired";
    case Status.JwtUnknownIssuer: return "jwt_unknown_issuer";
    case Status.JwtAudienceNotAllowed: return "jwt_audience_not_allowed";
    case Status.JwtVerificationFail: return "jwt_verification_fails";
    case Status.JwksNoValidKeys: return "jwks_no_valid_keys";
    case Status.JwksKidAlgMismatch: return "jwks_kid_alg_mismatch";
    case Status.JwksFetchFail: return "jwks_fetch_failed";
    case Status.JwtEd25519SignatureWrongLength: return "jwt_signature_wrong_length";
    default: return s >= Status.JwtBadFormat && s <= Status.JwtSignatureParseErrorBadBase64 ? "jwt_malformed" : "other";
  }
}
