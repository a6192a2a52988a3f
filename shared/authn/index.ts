export { AUTHN_STATE_KEY, AUTHN_FORMAT_VERSION, JwtIdentity, AuthnResult, encodeAuthnResult, decodeAuthnResult, authnReadError, writeAuthnResult, readAuthnResult } from "./result";
export { splitSpaceDelimitedClaims } from "./claims";
