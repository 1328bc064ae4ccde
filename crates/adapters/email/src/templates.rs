//! The text of each message, in English. Plain text only: a token is copied or pasted, and a
//! plain message is what every mail client shows the same way.

use tollgate_domain::TokenPurpose;
use tollgate_ports::{Mail, Message};

/// A message ready to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The body, which carries the token.
    pub text: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body holds the token.
        f.debug_struct("Rendered").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// The subject and text of `mail`, by its template.
pub fn render(mail: &Mail) -> Rendered {
    let greeting = match mail.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => format!("Hello {name},"),
        _ => "Hello,".to_owned(),
    };
    let account = mail.account.as_ref().map_or("{key}", |a| a.as_str());
    let (subject, body) = match &mail.message {
        Message::Token { purpose, token } => token_message(mail, *purpose, token.expose()),
        Message::PaymentReminder { day, invoice, amount } => (
            format!("Invoice {invoice} is unpaid"),
            format!(
                "Invoice {invoice} of {amount} was due {day} days ago and is still unpaid. Please pay it \
                 (POST /v1/accounts/{account}/invoices/{invoice}/pay) or update the payment method \
                 (PUT /v1/accounts/{account}/payment-method). An account left unpaid is suspended."
            ),
        ),
        Message::TrialEnding { ends_at } => (
            "Your trial ends soon".to_owned(),
            format!(
                "Your trial ends on {} (UTC). To keep your plan, add a payment method \
                 (PUT /v1/accounts/{account}/payment-method) before then.",
                ends_at.date()
            ),
        ),
    };
    Rendered { subject, text: format!("{greeting}\n\n{body}\n\n-- \nTollgate\n") }
}

/// The subject and body of a message carrying a one-time `token` for `purpose`.
fn token_message(mail: &Mail, purpose: TokenPurpose, token: &str) -> (String, String) {
    match purpose {
        TokenPurpose::EmailVerification => (
            "Confirm your e-mail address".to_owned(),
            format!(
                "Please confirm that this address is yours with the token below \
                 (POST /v1/auth/email/verify).\n\n    {token}\n\n\
                 If you did not create a Tollgate account, ignore this message."
            ),
        ),
        TokenPurpose::PasswordReset => (
            "Reset your password".to_owned(),
            format!(
                "Someone asked to reset the password of your Tollgate account. To choose a new one, \
                 use the token below within one hour (POST /v1/auth/password/reset). It works once.\n\n    \
                 {token}\n\n\
                 If it was not you, ignore this message: your password has not changed."
            ),
        ),
        TokenPurpose::Invitation => {
            let account =
                mail.account.as_ref().map_or_else(|| "an account".to_owned(), |a| format!("the account {a}"));
            (
                match &mail.account {
                    Some(account) => format!("You are invited to join {account} on Tollgate"),
                    None => "You are invited to join Tollgate".to_owned(),
                },
                format!(
                    "You have been invited to join {account} on Tollgate. To accept, choose your name \
                     and a password with the token below (POST /v1/auth/invitations/accept).\n\n    \
                     {token}\n\n\
                     If you were not expecting this invitation, ignore this message."
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use tollgate_domain::{AccountKey, Email};
    use tollgate_ports::Secret;

    use super::*;

    fn mail(template: TokenPurpose) -> Mail {
        Mail {
            to: Email::parse("ada@acme.test").unwrap(),
            message: Message::Token { purpose: template, token: Secret::new("tok_0123456789abcdef") },
            name: Some("Ada".into()),
            account: Some(AccountKey::parse("acme").unwrap()),
        }
    }

    #[test]
    fn every_template_carries_the_token_and_greets_by_name() {
        for purpose in
            [TokenPurpose::EmailVerification, TokenPurpose::PasswordReset, TokenPurpose::Invitation]
        {
            let rendered = render(&mail(purpose));
            assert!(rendered.text.contains("tok_0123456789abcdef"), "{purpose:?}");
            assert!(rendered.text.starts_with("Hello Ada,"), "{purpose:?}");
            assert!(!rendered.subject.is_empty());
        }
    }

    #[test]
    fn each_purpose_has_its_own_subject() {
        let subjects: std::collections::HashSet<String> =
            [TokenPurpose::EmailVerification, TokenPurpose::PasswordReset, TokenPurpose::Invitation]
                .into_iter()
                .map(|p| render(&mail(p)).subject)
                .collect();
        assert_eq!(subjects.len(), 3);
    }

    #[test]
    fn an_invitation_names_its_account() {
        let rendered = render(&mail(TokenPurpose::Invitation));
        assert_eq!(rendered.subject, "You are invited to join acme on Tollgate");
        assert!(rendered.text.contains("the account acme"));
        let mut anonymous = mail(TokenPurpose::Invitation);
        anonymous.account = None;
        anonymous.name = None;
        let rendered = render(&anonymous);
        assert_eq!(rendered.subject, "You are invited to join Tollgate");
        assert!(rendered.text.starts_with("Hello,\n"));
    }

    #[test]
    fn a_blank_name_is_not_used() {
        let mut blank = mail(TokenPurpose::PasswordReset);
        blank.name = Some("  ".into());
        assert!(render(&blank).text.starts_with("Hello,\n"));
    }

    #[test]
    fn debug_of_a_rendered_message_hides_the_token() {
        assert!(!format!("{:?}", render(&mail(TokenPurpose::PasswordReset))).contains("tok_"));
    }
}
