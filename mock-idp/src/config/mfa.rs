//! A user's MFA enrolment: a one-time-password authenticator (TOTP, RFC 6238, as Google
//! Authenticator and Auth0 Guardian's OTP factor run it: HMAC-SHA-1, 6 digits, 30-second
//! steps) and recovery codes.
//!
//! ```toml
//! [[users]]
//! email = "ada@example.com"
//! password = "correct horse"
//! [users.mfa]
//! otp_secret = "JBSWY3DPEHPK3PXP"      # base32, as an authenticator app's QR code carries it
//! recovery_codes = ["N3BGPZZWJ85JLCNPZBDW6QXC"]
//! ```
//!
//! The secret is base32 (RFC 4648; case, spaces and `=` padding ignored) of at least 10 bytes
//! (80 bits, the shortest Google Authenticator takes); anything else stops start-up naming
//! `users[i].mfa.otp_secret`.

use serde::{Deserialize, Serialize};

/// One step of the code (RFC 6238 §4: X = 30 s).
pub const OTP_STEP: i64 = 30;
/// Digits of a code (Google Authenticator's six).
const OTP_DIGITS: u32 = 6;
/// Shortest secret taken, in bytes (RFC 4226 §4 asks for 128 bits; authenticator apps take 80).
const MIN_SECRET_BYTES: usize = 10;

/// The tenant-wide MFA policy (Auth0's Guardian policy, `PUT /api/v2/guardian/policies`):
/// `"all-applications"` asks every user for a second factor at every login, enrolling those
/// who have none. Auth0's third value, `"confidence-score"` (Adaptive MFA), is not modelled.
///
/// ```toml
/// mfa_policy = "all-applications"   # default "none"
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MfaPolicy {
    /// Only users with an enrolment are asked (Auth0's `[]`).
    #[default]
    None,
    /// Every user, at every login; a user without an enrolment enrols first.
    AllApplications,
}

impl MfaPolicy {
    /// Whether this is the default (no policy), so the tenant file leaves it out.
    pub(crate) fn is_default(&self) -> bool {
        *self == MfaPolicy::None
    }
}

/// A user's OTP enrolment (Auth0's `otp` authenticator plus its recovery codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaConfig {
    /// The TOTP secret, base32.
    pub otp_secret: String,
    /// Recovery codes: each logs in once in place of a code (and Auth0 then hands out a new
    /// one).
    #[serde(default)]
    pub recovery_codes: Vec<String>,
    /// The authenticator's name (Auth0's `name` of an authentication method), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it was enrolled (unix seconds), if known: enrolments over the Management API
    /// keep it; the tenant file's have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolled_at: Option<i64>,
}

impl MfaConfig {
    /// The secret's bytes, if it is valid base32 of at least 10 bytes.
    pub(crate) fn secret(&self) -> Option<Vec<u8>> {
        let text: String = self
            .otp_secret
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        data_encoding::BASE32_NOPAD
            .decode(text.as_bytes())
            .ok()
            .filter(|s| s.len() >= MIN_SECRET_BYTES)
    }

    /// The code for time step `step` (unix time / 30), or `None` for an invalid secret
    /// (validation refuses those at start-up).
    pub(crate) fn code_for_step(&self, step: i64) -> Option<String> {
        self.secret().map(|s| hotp(&s, step))
    }

    /// The hex that names this enrolment of `user_id` in Auth0's ids (`totp|dev_…`,
    /// `recovery-code|dev_…`, Guardian's `dev_…`): stable for one secret, new for a new one.
    pub(crate) fn device_id(&self, user_id: &str) -> String {
        let digest = crate::jose::sha256(format!("{user_id}\n{}", self.otp_secret));
        digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
    }

    /// The Key URI an authenticator app's QR code carries (Google Authenticator's format, as
    /// Auth0's `barcode_uri`): label `tenant:account`, SHA-1, 6 digits, 30 s. The tenant is
    /// named by its host (Auth0 uses the tenant name).
    pub(crate) fn key_uri(&self, base_url: &str, account: &str) -> String {
        let issuer = url::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "mock-idp".into());
        let issuer = issuer.as_str();
        let enc =
            |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
        format!(
            "otpauth://totp/{i}:{a}?secret={s}&issuer={i}&algorithm=SHA1&digits=6&period=30",
            i = enc(issuer),
            a = enc(account),
            s = self.otp_secret,
        )
    }

    /// The code an authenticator app shows at `unix_time`.
    pub fn code_at(&self, unix_time: i64) -> Option<String> {
        self.code_for_step(unix_time.div_euclid(OTP_STEP))
    }

    pub(crate) fn validate(&self, key: &str) -> Result<(), (String, String)> {
        if self.secret().is_none() {
            return Err((
                format!("{key}.otp_secret"),
                format!("must be base32 (RFC 4648) of at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        if self.recovery_codes.iter().any(|c| c.trim().is_empty()) {
            return Err((
                format!("{key}.recovery_codes"),
                "must not hold an empty code".into(),
            ));
        }
        Ok(())
    }
}

/// HOTP (RFC 4226 §5.3) with HMAC-SHA-1: the legacy MAC authenticator apps compute, used here
/// only because the codes must match theirs.
fn hotp(secret: &[u8], counter: i64) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = aws_lc_rs::hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!(
        "{:0width$}",
        bin % 10u32.pow(OTP_DIGITS),
        width = OTP_DIGITS as usize
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column (8 digits there; the last 6 are ours), secret
    /// "12345678901234567890".
    #[test]
    fn rfc6238_test_vectors() {
        let mfa = MfaConfig {
            otp_secret: data_encoding::BASE32.encode(b"12345678901234567890"),
            recovery_codes: vec![],
            name: None,
            enrolled_at: None,
        };
        for (t, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1111111111, "050471"),
            (1234567890, "005924"),
            (2000000000, "279037"),
            (20000000000, "353130"),
        ] {
            assert_eq!(mfa.code_at(t).as_deref(), Some(code), "t = {t}");
        }
    }

    #[test]
    fn secrets_are_base32_of_at_least_80_bits() {
        let m = |s: &str| MfaConfig {
            otp_secret: s.into(),
            recovery_codes: vec![],
            name: None,
            enrolled_at: None,
        };
        assert!(m("JBSWY3DPEHPK3PXP").validate("u").is_ok());
        assert!(m("jbsw y3dp ehpk 3pxp").validate("u").is_ok());
        assert_eq!(
            m("JBSWY3DP").validate("users[0].mfa").unwrap_err().0,
            "users[0].mfa.otp_secret"
        );
        assert!(m("not base32!").validate("u").is_err());
    }
}
