//! Sending through an SMTP server.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tollgate_ports::{Mail, Mailer, NotifyError};

use crate::EmailError;
use crate::templates::render;

/// How long one SMTP conversation may take: a stuck server delays the use case that sends
/// (delivery is awaited), so it must not hang for lettre's default minute.
const TIMEOUT: Duration = Duration::from_secs(15);

/// [`Mailer`] sending plain-text messages through SMTP with lettre, over rustls.
///
/// The URL is lettre's: `smtp://user:pass@host:587?tls=required` (STARTTLS, required),
/// `smtp://host:25` (STARTTLS when offered, else plain — a local relay), `smtps://user:pass@host:465`
/// (TLS from the first byte). Credentials in the URL are percent-decoded.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport's own Debug would show the credentials.
        f.debug_struct("SmtpMailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer sending through the server at `url`, from `from` (`Tollgate <no-reply@…>` or
    /// a bare address).
    ///
    /// # Errors
    /// [`EmailError::SmtpUrl`] when `url` is not an SMTP URL, [`EmailError::Sender`] when `from`
    /// is not an address.
    pub fn new(url: &str, from: &str) -> Result<Self, EmailError> {
        let from: Mailbox = from.parse().map_err(|e: lettre::address::AddressError| EmailError::Sender {
            address: from.to_owned(),
            reason: e.to_string(),
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            // lettre's message quotes the URL, password included.
            .map_err(|_| {
                EmailError::SmtpUrl(
                    "expected smtp://[user:pass@]host[:port][?tls=required] or smtps://…".into(),
                )
            })?
            .timeout(Some(TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError> {
        let rendered = render(mail);
        let to: Mailbox = mail
            .to
            .as_str()
            .parse()
            .map_err(|e| NotifyError(format!("the recipient is not an address lettre accepts: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.text)
            .map_err(|e| NotifyError(format!("building the message: {e}")))?;
        self.transport.send(message).await.map_err(|e| NotifyError(format!("SMTP delivery failed: {e}")))?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "smtp_tests.rs"]
mod tests;
