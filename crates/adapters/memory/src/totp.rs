use std::sync::atomic::{AtomicU64, Ordering};

use time::OffsetDateTime;
use tollgate_ports::{OneTimePasswords, Secret, SecurityError};

/// One-time passwords for tests: NOT RFC 6238 (use the TOTP adapter in production), but a
/// documented function a test computes itself with [`FakeTotp::code`]:
///
/// the code of time step `s` (unix seconds / 30) for secret `k` is
/// `(s + the sum of k's bytes) mod 1 000 000`, written with six digits.
///
/// Like the real one, a code is accepted one step either side of `now`'s and the matched step is
/// returned; secrets are base32 (`A–Z`, `2–7`), new ones numbered so each differs.
#[derive(Debug, Default)]
pub struct FakeTotp(AtomicU64);

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

impl FakeTotp {
    /// The code of `step` for `secret`.
    pub fn code(secret: &Secret, step: u64) -> String {
        let weight: u64 = secret.expose().bytes().map(u64::from).sum();
        format!("{:06}", step.wrapping_add(weight) % 1_000_000)
    }

    /// The step of `now`: unix seconds / 30 (0 before 1970).
    pub fn step_at(now: OffsetDateTime) -> u64 {
        u64::try_from(now.unix_timestamp()).unwrap_or(0) / 30
    }

    /// The code an authenticator would show at `now`.
    pub fn code_at(secret: &Secret, now: OffsetDateTime) -> String {
        Self::code(secret, Self::step_at(now))
    }
}

fn check(secret: &Secret) -> Result<(), SecurityError> {
    let value = secret.expose();
    if !value.is_empty() && value.bytes().all(|b| BASE32.contains(&b)) {
        Ok(())
    } else {
        Err(SecurityError::Invalid("the TOTP secret is not base32".into()))
    }
}

impl OneTimePasswords for FakeTotp {
    fn new_secret(&self) -> Result<Secret, SecurityError> {
        // 32 base32 digits of the counter, most significant first: 160 bits, like a real secret.
        let mut n = u128::from(self.0.fetch_add(1, Ordering::Relaxed));
        let mut digits = [b'A'; 32];
        for digit in digits.iter_mut().rev() {
            *digit = BASE32[(n % 32) as usize];
            n /= 32;
        }
        Ok(Secret::new(String::from_utf8_lossy(&digits).into_owned()))
    }

    fn provisioning_url(&self, secret: &Secret, account_name: &str) -> Result<String, SecurityError> {
        check(secret)?;
        Ok(format!("otpauth://totp/Tollgate:{account_name}?secret={}&issuer=Tollgate", secret.expose()))
    }

    fn verify(&self, secret: &Secret, code: &str, now: OffsetDateTime) -> Result<Option<u64>, SecurityError> {
        check(secret)?;
        let step = Self::step_at(now);
        Ok([step.saturating_sub(1), step, step + 1].into_iter().find(|s| Self::code(secret, *s) == code))
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_code_is_the_documented_function_of_secret_and_step() {
        let secret = Secret::new("AB");
        // 'A' + 'B' = 65 + 66 = 131.
        assert_eq!(FakeTotp::code(&secret, 7), "000138");
        assert_eq!(FakeTotp::code(&secret, 999_999), "000130");
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_with_its_step() {
        let totp = FakeTotp::default();
        let secret = totp.new_secret().unwrap();
        let now = datetime!(2026-03-01 12:00:10 UTC);
        let step = FakeTotp::step_at(now);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let s = step.checked_add_signed(offset).unwrap();
            let expected = accepted.then_some(s);
            assert_eq!(totp.verify(&secret, &FakeTotp::code(&secret, s), now).unwrap(), expected, "{offset}");
        }
        assert_eq!(totp.verify(&secret, &FakeTotp::code_at(&secret, now), now).unwrap(), Some(step));
    }

    #[test]
    fn new_secrets_differ_and_are_base32() {
        let totp = FakeTotp::default();
        let a = totp.new_secret().unwrap();
        let b = totp.new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 32);
        assert!(totp.provisioning_url(&b, "ada@acme.test").unwrap().contains(b.expose()));
    }

    #[test]
    fn a_secret_that_is_not_base32_is_invalid() {
        let err =
            FakeTotp::default().verify(&Secret::new("not base32!"), "000000", datetime!(2026-01-01 0:00 UTC));
        assert!(matches!(err, Err(SecurityError::Invalid(_))));
    }
}
