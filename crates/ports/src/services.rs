//! Contracts for time, identifiers, security and notifications.

use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, Email, Money, PlanCode, SessionId, TokenPurpose, UserId};

use crate::Secret;

/// The only source of "now" in Tollgate, so every rule can be tested at any instant.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The only source of new identifiers.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait IdGenerator: Send + Sync {
    /// A new unique identifier starting with `prefix` and `_` (`inv_…`, `key_…`); URL-safe.
    fn generate(&self, prefix: &str) -> String;
}

/// Why a security operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecurityError {
    /// The token or hash is malformed, forged or expired.
    #[error("invalid credential: {0}")]
    Invalid(String),
    /// The operation itself failed (misconfiguration, exhausted resources).
    #[error("security backend failed: {0}")]
    Backend(String),
}

/// Mints high-entropy secrets (API keys, refresh tokens, one-time e-mail tokens, recovery codes)
/// and fingerprints them for storage and lookup; a password goes through [`PasswordHasher`].
///
/// Secrets are high-entropy random strings, so a fast unsalted hash is enough to make a stolen
/// table useless (a slow password hash would only cost time on every request).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretMinter: Send + Sync {
    /// A new secret: `prefix` followed by 64 lowercase hex characters of 256 random bits from a
    /// cryptographically secure source. Production implementations MUST NOT repeat or predict
    /// secrets.
    ///
    /// # Errors
    /// [`SecurityError::Backend`] when no randomness is available (nothing is minted).
    fn mint(&self, prefix: &str) -> Result<Secret, SecurityError>;

    /// The fingerprint a secret is stored and looked up under: the lowercase hex SHA-256 of its
    /// UTF-8 bytes. MUST be deterministic (the same secret, the same fingerprint, in every
    /// process and version) so stored keys keep working.
    fn fingerprint(&self, secret: &str) -> String;
}

/// Password hashing (argon2id in production). Implementations MUST run the work off the async
/// executor's threads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A self-describing hash (PHC string) of `password` with a fresh salt.
    ///
    /// # Errors
    /// [`SecurityError::Backend`] when hashing fails.
    async fn hash(&self, password: &Secret) -> Result<String, SecurityError>;

    /// Whether `password` matches `hash`, in constant time.
    ///
    /// # Errors
    /// [`SecurityError::Invalid`] when `hash` is not a hash this hasher understands.
    async fn verify(&self, password: &Secret, hash: &str) -> Result<bool, SecurityError>;

    /// Whether `hash` was made with other parameters than this hasher's current ones (weaker
    /// or another algorithm), so the password should be hashed again at the next login.
    fn needs_rehash(&self, hash: &str) -> bool;
}

/// What an access token says about its bearer (the JWT claims `sub`, `sid`, `imp`, `iat`,
/// `exp`, `jti`; `iss` and `aud` are the codec's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The user the token acts as (`sub`).
    pub subject: UserId,
    /// The session it belongs to (`sid`), checked for revocation.
    pub session: SessionId,
    /// The platform admin impersonating the subject (`imp`), if any.
    pub impersonator: Option<UserId>,
    /// When it was issued (`iat`).
    pub issued_at: OffsetDateTime,
    /// When it expires (`exp`).
    pub expires_at: OffsetDateTime,
    /// Its unique id (`jti`).
    pub id: String,
}

/// Signs and verifies access tokens (JWT HS256 in production).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenCodec: Send + Sync {
    /// Signs `claims`.
    ///
    /// # Errors
    /// [`SecurityError::Backend`] when signing fails.
    fn encode(&self, claims: &Claims) -> Result<Secret, SecurityError>;

    /// Verifies `token` at `now` and returns its claims. MUST refuse any algorithm but the
    /// codec's own (`alg: none` included), a bad signature, an expired token, and a wrong issuer
    /// or audience.
    ///
    /// # Errors
    /// [`SecurityError::Invalid`] for a malformed, forged, foreign or expired token.
    fn decode(&self, token: &str, now: OffsetDateTime) -> Result<Claims, SecurityError>;
}

/// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s steps).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OneTimePasswords: Send + Sync {
    /// A new random shared secret (160 bits), base32 without padding.
    ///
    /// # Errors
    /// [`SecurityError::Backend`] when no randomness is available.
    fn new_secret(&self) -> Result<Secret, SecurityError>;

    /// The `otpauth://totp/…` URL an authenticator app scans, labelled with `account_name`.
    ///
    /// # Errors
    /// [`SecurityError::Invalid`] when `secret` is not base32.
    fn provisioning_url(&self, secret: &Secret, account_name: &str) -> Result<String, SecurityError>;

    /// The time step (unix seconds / 30) whose code `code` is, within one step of `now`'s;
    /// `None` when it is none of them. Comparisons are constant-time.
    ///
    /// # Errors
    /// [`SecurityError::Invalid`] when `secret` is not base32.
    fn verify(&self, secret: &Secret, code: &str, now: OffsetDateTime) -> Result<Option<u64>, SecurityError>;
}

/// A message to one person. Its text is the mailer's (templates); the use case says which
/// message and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The addressee.
    pub to: Email,
    /// The addressee's name, when known.
    pub name: Option<String>,
    /// The account the message is about (an invitation's, a reminder's).
    pub account: Option<AccountKey>,
    /// Which message, with its specifics.
    pub message: Message,
}

/// The messages Tollgate sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A one-time token: what it proves, and the token (only ever in the message, never logged).
    Token {
        /// What the token proves; also the template.
        purpose: TokenPurpose,
        /// The token.
        token: Secret,
    },
    /// An invoice is unpaid `day` days after its due date (`payment_reminder`).
    PaymentReminder {
        /// The day of the dunning schedule (3, 7, 15).
        day: u32,
        /// The invoice number.
        invoice: String,
        /// What is due.
        amount: Money,
    },
    /// The trial ends at `ends_at` (`trial_ending`).
    TrialEnding {
        /// When the trial ends.
        ends_at: OffsetDateTime,
    },
}

impl Mail {
    /// The template's name, as the outbox file's `template` says it.
    pub fn template(&self) -> &'static str {
        match &self.message {
            Message::Token { purpose, .. } => purpose.as_str(),
            Message::PaymentReminder { .. } => "payment_reminder",
            Message::TrialEnding { .. } => "trial_ending",
        }
    }
}

/// Sends e-mail (SMTP, or an outbox directory in development). Delivery is best effort for the
/// use cases: a failure is logged, never answered to the client (a forgot-password request must
/// not reveal whether the address exists).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Renders and sends `mail`.
    ///
    /// # Errors
    /// [`NotifyError`] when it could not be handed to the mail system.
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError>;
}

/// Something worth telling an account's contacts or the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notification {
    /// A new account was provisioned.
    AccountCreated {
        /// The account.
        account: AccountKey,
        /// Its plan; `None` when it was created without a subscription.
        plan: Option<PlanCode>,
    },
    /// An account without a subscription started one.
    SubscriptionStarted {
        /// The account.
        account: AccountKey,
        /// The plan.
        plan: PlanCode,
    },
    /// The account moved to another plan or seat count.
    PlanChanged {
        /// The account.
        account: AccountKey,
        /// The previous plan.
        from: PlanCode,
        /// The new plan.
        to: PlanCode,
    },
    /// The subscription was cancelled (now or at period end).
    SubscriptionCancelled {
        /// The account.
        account: AccountKey,
        /// Whether it ends at period end.
        at_period_end: bool,
    },
    /// A scheduled cancellation was withdrawn.
    SubscriptionResumed {
        /// The account.
        account: AccountKey,
    },
}

/// Why a notification was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("notification not delivered: {0}")]
pub struct NotifyError(pub String);

/// Delivers notifications (e-mail, webhook, log). Delivery is best effort: use cases never fail
/// because a notification could not be sent.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Delivers `notification`.
    ///
    /// # Errors
    /// [`NotifyError`] when it could not be delivered.
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError>;
}
