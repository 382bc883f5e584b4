//! Authenticating a connector's webhook (social networks, messaging apps):
//! HMAC-SHA256 over `"{timestamp}.{body}"` with the connector's secret, sent
//! as `X-Plateau-Timestamp` (Unix seconds) and `X-Plateau-Signature`
//! (`sha256=<hex>`). The timestamp is signed so a captured request cannot be
//! replayed later; within the tolerance, the caller also refuses a signature
//! it has already seen.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request's timestamp may be from our clock, either way.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the request is not signed: X-Plateau-Timestamp and X-Plateau-Signature are required")]
    Missing,
    #[error(
        "the signature header is malformed: expected sha256= followed by 64 hexadecimal digits"
    )]
    Malformed,
    #[error("the timestamp is not a number of seconds since 1970")]
    BadTimestamp,
    #[error("the request is too old or from the future (more than {TOLERANCE_SECONDS} s from the server's clock)")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
}

/// HMAC accepts keys of any length, so this never fails in practice; the
/// callers still handle the error rather than assume it.
fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    m.update(timestamp.as_bytes());
    m.update(b".");
    m.update(body);
    Ok(m)
}

/// The header value to send with `body` at `timestamp` (what Plateau puts on
/// its outbound webhooks, and what a connector computes).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let Ok(m) = mac(secret, &timestamp.to_string(), body) else {
        // Unreachable (see `mac`); an empty header never verifies.
        return String::new();
    };
    let tag = m.finalize().into_bytes();
    let mut out = String::with_capacity(71);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    bytes
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Checks a request. `now` is Unix seconds. The comparison of tags takes the
/// same time whatever their content (`verify_slice`), so the signature cannot
/// be guessed byte by byte.
pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let timestamp = timestamp.trim();
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let tag = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(unhex)
        .ok_or(SignatureError::Malformed)?;
    if now.abs_diff(seconds) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    mac(secret, timestamp, body)?
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"whsec-orbitel";
    const NOW: i64 = 1_764_000_000;

    #[test]
    fn a_signed_request_passes_and_any_change_fails() {
        let body = br#"{"text":"Ma box ne marche plus"}"#;
        let sig = sign(SECRET, NOW, body);
        assert!(sig.starts_with("sha256=") && sig.len() == 71);
        let ts = NOW.to_string();
        assert_eq!(
            verify(SECRET, Some(&ts), Some(&sig), body, NOW + 10),
            Ok(())
        );
        assert_eq!(
            verify(
                SECRET,
                Some(&ts),
                Some(&sig.to_uppercase().replace("SHA256=", "sha256=")),
                body,
                NOW
            ),
            Ok(()),
            "hex case does not matter"
        );
        assert_eq!(
            verify(SECRET, Some(&ts), Some(&sig), b"{}", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some(&ts), Some(&sig), body, NOW),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is part of what is signed.
        let later = (NOW + 1).to_string();
        assert_eq!(
            verify(SECRET, Some(&later), Some(&sig), body, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn unsigned_malformed_and_stale_requests_are_refused() {
        let body = b"x";
        let sig = sign(SECRET, NOW, body);
        let ts = NOW.to_string();
        assert_eq!(
            verify(SECRET, None, Some(&sig), body, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some(&ts), None, body, NOW),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(SECRET, Some("yesterday"), Some(&sig), body, NOW),
            Err(SignatureError::BadTimestamp)
        );
        for bad in ["sha1=00", "sha256=zz", &sig[..70], "deadbeef"] {
            assert_eq!(
                verify(SECRET, Some(&ts), Some(bad), body, NOW),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
        assert_eq!(
            verify(
                SECRET,
                Some(&ts),
                Some(&sig),
                body,
                NOW + TOLERANCE_SECONDS + 1
            ),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(
                SECRET,
                Some(&ts),
                Some(&sig),
                body,
                NOW - TOLERANCE_SECONDS - 1
            ),
            Err(SignatureError::Stale)
        );
    }

    proptest! {
        #[test]
        fn what_is_signed_verifies(secret in proptest::collection::vec(any::<u8>(), 0..80),
                                   body in proptest::collection::vec(any::<u8>(), 0..300),
                                   ts in 0i64..4_000_000_000, skew in -TOLERANCE_SECONDS..=TOLERANCE_SECONDS) {
            let sig = sign(&secret, ts, &body);
            prop_assert_eq!(verify(&secret, Some(&ts.to_string()), Some(&sig), &body, ts + skew), Ok(()));
        }

        #[test]
        fn verify_never_panics(ts in any::<Option<String>>(), sig in any::<Option<String>>(), body in any::<Vec<u8>>()) {
            let _ = verify(SECRET, ts.as_deref(), sig.as_deref(), &body, NOW);
        }
    }
}
