//! Login: password, second factor, throttling, and the parameters upgrade of old hashes.

use tollgate_domain::{TotpState, User, normalise_email};
use tollgate_ports::{Change, Secret};

use super::register::internal;
use super::{Origin, Tokens};
use crate::{AppError, Tollgate};

/// What a person logs in with. No `Debug`: it holds the password.
#[allow(missing_debug_implementations)]
pub struct Login {
    /// The e-mail address as typed.
    pub email: String,
    /// The password.
    pub password: Secret,
    /// The two-factor code, or a recovery code.
    pub totp: Option<Secret>,
}

/// What a second factor proved.
enum SecondFactor {
    /// Not needed: two-factor is off.
    None,
    /// A code of this time step (later codes only, from now on).
    Step(u64),
    /// A recovery code, now spent: the remaining ones.
    Recovery(Vec<String>),
}

impl Tollgate {
    /// Checks the credentials and starts a session. An unknown e-mail costs the same password
    /// hash as a known one and gets the same answer. Failures are counted per e-mail and per
    /// client address across instances: past the limits, 429 until the window frees a slot.
    ///
    /// # Errors
    /// [`AppError::TooManyAttempts`], [`AppError::InvalidCredentials`], [`AppError::TotpRequired`],
    /// [`AppError::InvalidTotp`]; storage errors.
    pub async fn login(&self, login: Login, origin: &Origin) -> Result<Tokens, AppError> {
        let settings = &self.settings.identity;
        let ports = self.identity_ports();
        let throttle_key = normalise_email(&login.email)
            .map_or_else(|_| login.email.trim().to_lowercase(), |e| e.as_str().to_owned());
        let ip = origin.ip.clone().unwrap_or_default();
        let now = self.now();
        // A failure counts during [at, at + window): one exactly a window old no longer does, so a
        // client that waits the Retry-After it was given is let through. (Stores keep
        // microseconds; `since` is inclusive.)
        let since = now - settings.failure_window + time::Duration::microseconds(1);
        let failures = ports.attempts.failures(&throttle_key, &ip, since).await?;
        let blocked_until = [
            (failures.email >= settings.max_failures_per_email).then_some(failures.oldest_email).flatten(),
            (failures.ip >= settings.max_failures_per_ip).then_some(failures.oldest_ip).flatten(),
        ]
        .into_iter()
        .flatten()
        .map(|oldest| oldest + settings.failure_window)
        .max();
        if let Some(until) = blocked_until {
            let wait = (until - now).as_seconds_f64().ceil().max(1.0) as u64;
            return Err(AppError::TooManyAttempts(wait));
        }
        let user = match normalise_email(&login.email) {
            Ok(email) => ports.store.user_by_email(&email).await?,
            Err(_) => None,
        };
        let verified = match &user {
            Some(user) => {
                ports.hasher.verify(&login.password, &user.password_hash).await.map_err(internal)?
            }
            None => {
                // The same work as for a real user, so timing does not tell which e-mails exist.
                let dummy = self.identity_cache.dummy_hash(ports.hasher.as_ref()).await?;
                let _ = ports.hasher.verify(&login.password, &dummy).await;
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            ports.attempts.record_failure(&throttle_key, &ip, now).await?;
            return Err(AppError::InvalidCredentials);
        };
        let factor = match self.second_factor(&user, login.totp.as_ref()) {
            Ok(factor) => factor,
            Err(AppError::TotpRequired) => return Err(AppError::TotpRequired),
            Err(error) => {
                ports.attempts.record_failure(&throttle_key, &ip, now).await?;
                return Err(error);
            }
        };
        let mut updated = user.clone();
        match factor {
            SecondFactor::None => {}
            SecondFactor::Step(step) => set_totp(&mut updated, |t| t.last_step = Some(step)),
            SecondFactor::Recovery(rest) => set_totp(&mut updated, |t| t.recovery_codes = rest),
        }
        if ports.hasher.needs_rehash(&user.password_hash) {
            updated.password_hash = ports.hasher.hash(&login.password).await.map_err(internal)?;
        }
        let changes = if updated == user { vec![] } else { vec![Change::UpdateUser(updated)] };
        let tokens =
            self.start_session(&user, None, changes, "user.login", origin).await.map_err(|e| match e {
                // A concurrent login spent the same code first.
                AppError::Conflict => AppError::InvalidTotp,
                other => other,
            })?;
        ports.attempts.clear(&throttle_key).await?;
        Ok(tokens)
    }

    /// What `code` proves for `user`: nothing needed, a fresh TOTP step, or a recovery code.
    fn second_factor(&self, user: &User, code: Option<&Secret>) -> Result<SecondFactor, AppError> {
        let Some(totp) = user.totp.as_ref().filter(|t| t.confirmed) else { return Ok(SecondFactor::None) };
        let code = code.map(|c| c.expose().trim()).filter(|c| !c.is_empty()).ok_or(AppError::TotpRequired)?;
        self.verify_factor(totp, code)
    }

    /// Checks a second factor without spending it (to prove presence before a change).
    pub(crate) fn verify_second_factor(&self, totp: &TotpState, code: &str) -> Result<(), AppError> {
        self.verify_factor(totp, code).map(|_| ())
    }

    /// Checks a TOTP code (refusing one of an already used step) or a recovery code.
    fn verify_factor(&self, totp: &TotpState, code: &str) -> Result<SecondFactor, AppError> {
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let secret = Secret::new(totp.secret.clone());
            let step = self.identity_ports().totp.verify(&secret, code, self.now()).map_err(internal)?;
            return match step {
                Some(step) if totp.last_step.is_none_or(|last| step > last) => Ok(SecondFactor::Step(step)),
                _ => Err(AppError::InvalidTotp),
            };
        }
        let normalised: String =
            code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        let fingerprint = self.ports.secrets.fingerprint(&normalised);
        match totp.recovery_codes.iter().position(|stored| *stored == fingerprint) {
            Some(index) => {
                let mut rest = totp.recovery_codes.clone();
                rest.remove(index);
                Ok(SecondFactor::Recovery(rest))
            }
            None => Err(AppError::InvalidTotp),
        }
    }
}

fn set_totp(user: &mut User, change: impl FnOnce(&mut TotpState)) {
    if let Some(totp) = user.totp.as_mut() {
        change(totp);
    }
}
