/// The registered name of a close code (RFC 6455 7.4.1 and the IANA registry), or nil.
package func closeCodeName(_ code: UInt16) -> String? {
    switch code {
    case 1000: return "normal closure"
    case 1001: return "going away"
    case 1002: return "protocol error"
    case 1003: return "unsupported data"
    case 1005: return "no status received"
    case 1006: return "abnormal closure"
    case 1007: return "invalid frame payload data"
    case 1008: return "policy violation"
    case 1009: return "message too big"
    case 1010: return "mandatory extension"
    case 1011: return "internal error"
    case 1012: return "service restart"
    case 1013: return "try again later"
    case 1014: return "bad gateway"
    case 1015: return "TLS handshake"
    default: return nil
    }
}

/// RFC 6455 7.4: whether a close frame may carry `code`, decided exactly as `ws` 8's `isValidStatusCode`.
///
/// RFC 6455 7.4.1: 1005 and 1006 "MUST NOT be set as a status code in a Close control frame by an endpoint";
/// 0-999 are "not used", 1004 and 1015 are reserved, 1016-2999 are for future revisions of the protocol and
/// extensions (ws accepts none of them), 3000-3999 are registered with IANA and 4000-4999 are private use.
package func isValidCloseCode(_ code: UInt16) -> Bool {
    (code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006) || (code >= 3000 && code <= 4999)
}
