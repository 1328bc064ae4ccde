use std::sync::Mutex;

use async_trait::async_trait;
use tollgate_domain::Email;
use tollgate_ports::{Mail, Mailer, NotifyError};

/// A mailer that keeps what it was asked to send, for tests and embedded use: the token of a
/// verification, reset or invitation is read back from [`MemoryMailer::last_to`].
#[derive(Debug, Default)]
pub struct MemoryMailer(Mutex<Vec<Mail>>);

impl MemoryMailer {
    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<Mail> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The last message sent to `email`.
    pub fn last_to(&self, email: &Email) -> Option<Mail> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().rev().find(|m| &m.to == email).cloned()
    }
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), NotifyError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(mail.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tollgate_domain::TokenPurpose;
    use tollgate_ports::{Message, Secret};

    use super::*;

    fn mail(to: &str, token: &str) -> Mail {
        Mail {
            to: Email::parse(to).unwrap(),
            message: Message::Token { purpose: TokenPurpose::EmailVerification, token: Secret::new(token) },
            name: None,
            account: None,
        }
    }

    #[tokio::test]
    async fn sent_mail_is_kept_in_order_and_found_by_addressee() {
        let mailer = MemoryMailer::default();
        mailer.send(&mail("ada@acme.test", "tok_1")).await.unwrap();
        mailer.send(&mail("bob@acme.test", "tok_2")).await.unwrap();
        mailer.send(&mail("ada@acme.test", "tok_3")).await.unwrap();
        let token = |m: &Mail| match &m.message {
            Message::Token { token, .. } => token.expose().to_owned(),
            other => panic!("{other:?}"),
        };
        let tokens: Vec<String> = mailer.sent().iter().map(token).collect();
        assert_eq!(tokens, ["tok_1", "tok_2", "tok_3"]);
        let ada = Email::parse("ada@acme.test").unwrap();
        assert_eq!(token(&mailer.last_to(&ada).unwrap()), "tok_3");
        assert!(mailer.last_to(&Email::parse("eve@acme.test").unwrap()).is_none());
    }
}
