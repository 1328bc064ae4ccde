//! RFC 6238 time-based one-time passwords.

use time::OffsetDateTime;
use tollgate_ports::{OneTimePasswords, Secret, SecurityError};

/// The issuer authenticator apps show beside the account name.
pub const ISSUER_NAME: &str = "Tollgate";

/// 160 bits: RFC 4226's recommended shared-secret length.
const SECRET_BYTES: usize = 20;

/// [`OneTimePasswords`] through `totp-rs`: SHA-1, 6 digits, 30-second steps, one step of skew
/// either way (a phone clock a little off, a code typed as it rolls over).
#[derive(Debug, Default, Clone, Copy)]
pub struct Totp;

impl Totp {
    /// The generator for `secret` (base32, any case, padding optional), labelled with
    /// `account_name` for provisioning URLs.
    fn generator(secret: &Secret, account_name: &str) -> Result<totp_rs::Totp, SecurityError> {
        let normalised: String =
            secret.expose().trim_end_matches('=').chars().map(|c| c.to_ascii_uppercase()).collect();
        let bytes = totp_rs::Secret::try_from_base32(&normalised)
            .map_err(|_| SecurityError::Invalid("the TOTP secret is not base32".into()))?;
        totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(bytes)
            .with_issuer(Some(ISSUER_NAME))
            .with_account_name(account_name)
            .build()
            .map_err(|e| SecurityError::Invalid(format!("unusable TOTP secret or label: {e}")))
    }
}

impl OneTimePasswords for Totp {
    fn new_secret(&self) -> Result<Secret, SecurityError> {
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| SecurityError::Backend(format!("no randomness: {e}")))?;
        Ok(Secret::new(totp_rs::Secret::from(bytes.to_vec()).to_base32()))
    }

    fn provisioning_url(&self, secret: &Secret, account_name: &str) -> Result<String, SecurityError> {
        Self::generator(secret, account_name)?
            .to_url()
            .map_err(|e| SecurityError::Invalid(format!("no provisioning URL for this label: {e}")))
    }

    fn verify(&self, secret: &Secret, code: &str, now: OffsetDateTime) -> Result<Option<u64>, SecurityError> {
        let generator = Self::generator(secret, "")?;
        // Before 1970 no step exists; nothing can match.
        let Ok(unix) = u64::try_from(now.unix_timestamp()) else {
            return Ok(None);
        };
        Ok(generator.check(code, unix))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    /// RFC 6238's SHA-1 seed, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    #[test]
    fn the_rfc_6238_sha1_vectors_verify_at_their_step() {
        // Appendix B's 8-digit codes; a 6-digit code is their last six digits.
        for (unix, code8) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let code = &code8[2..];
            let step = u64::try_from(unix / 30).unwrap();
            assert_eq!(
                Totp.verify(&Secret::new(RFC_SECRET), code, at(unix)).unwrap(),
                Some(step),
                "T={unix}"
            );
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = Secret::new(RFC_SECRET);
        let code = "050471"; // step 37037037, T = 1111111111
        let step = 1_111_111_111 / 30;
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let now = at((step + offset) * 30 + 5);
            let expected = accepted.then_some(u64::try_from(step).unwrap());
            assert_eq!(Totp.verify(&secret, code, now).unwrap(), expected, "offset {offset}");
        }
    }

    #[test]
    fn wrong_or_malformed_codes_are_not_accepted() {
        let secret = Secret::new(RFC_SECRET);
        for code in ["287083", "", "28708", "2870822", "+87082", " 87082", "28708a", "94287082"] {
            assert_eq!(Totp.verify(&secret, code, at(59)).unwrap(), None, "{code:?}");
        }
    }

    #[test]
    fn secrets_are_read_in_any_case_with_or_without_padding() {
        let lower = Secret::new(RFC_SECRET.to_lowercase());
        assert_eq!(Totp.verify(&lower, "287082", at(59)).unwrap(), Some(1));
        // 20 bytes are 32 base32 characters: no padding; a 16-byte secret has some.
        let padded = Secret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY======");
        assert!(Totp.verify(&padded, "000000", at(59)).is_ok());
    }

    #[test]
    fn a_secret_that_is_not_base32_or_too_short_is_invalid() {
        for bad in ["not base32!", "GEZDGNBV", "0189"] {
            let err = Totp.verify(&Secret::new(bad), "123456", at(59)).unwrap_err();
            assert!(matches!(err, SecurityError::Invalid(_)), "{bad}: {err:?}");
            assert!(matches!(
                Totp.provisioning_url(&Secret::new(bad), "ada@acme.test"),
                Err(SecurityError::Invalid(_))
            ));
        }
    }

    #[test]
    fn new_secrets_are_160_random_bits_in_unpadded_base32() {
        let a = Totp.new_secret().unwrap();
        let b = Totp.new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 32);
        assert!(a.expose().bytes().all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c)));
        // And they work.
        assert!(Totp.verify(&a, "000000", datetime!(2026-01-01 0:00 UTC)).is_ok());
    }

    #[test]
    fn the_provisioning_url_names_tollgate_and_the_account() {
        let url = Totp.provisioning_url(&Secret::new(RFC_SECRET), "ada@acme.test").unwrap();
        assert!(url.starts_with("otpauth://totp/Tollgate:ada%40acme.test?"), "{url}");
        assert!(url.contains(&format!("secret={RFC_SECRET}")), "{url}");
        assert!(url.contains("issuer=Tollgate"), "{url}");
    }

    #[test]
    fn instants_before_1970_match_nothing() {
        assert_eq!(Totp.verify(&Secret::new(RFC_SECRET), "287082", at(-100)).unwrap(), None);
    }
}
