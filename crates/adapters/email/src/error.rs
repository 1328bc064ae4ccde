//! Why a mailer could not be set up.

/// Why a mailer could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// `email.smtp_url` is not an `smtp://` or `smtps://` URL lettre understands.
    #[error("invalid SMTP URL: {0}")]
    SmtpUrl(String),
    /// The sender address is not an address.
    #[error("invalid sender address {address:?}: {reason}")]
    Sender {
        /// The address given.
        address: String,
        /// Why it was refused.
        reason: String,
    },
    /// The outbox directory cannot be created.
    #[error("cannot create the outbox directory {path}: {source}")]
    Outbox {
        /// The directory.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
