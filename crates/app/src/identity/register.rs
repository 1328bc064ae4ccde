//! Registration: a new account on the default plan with its owner, in one write.

use tollgate_domain::{
    AccountKey, MemberRole, Membership, Name, OneTimeToken, Subscription, TokenPurpose, User, check_password,
    normalise_email,
};
use tollgate_ports::{Account, Change, Mail, Message, Secret, StoreError};

use super::{Origin, actor, target};
use crate::{AccountView, AppError, Tollgate};

/// What a person registers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// Their e-mail address, as typed (normalised here).
    pub email: String,
    /// Their password (10–128 characters).
    pub password: Secret,
    /// Their display name.
    pub name: String,
    /// The account they create; a key is generated when `None`.
    pub account: Option<RegistrationAccount>,
}

/// The account a registration creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationAccount {
    /// The account's key.
    pub key: AccountKey,
    /// Its display name.
    pub name: String,
}

impl Tollgate {
    /// Registers a person: a new account on the default plan, the person its owner (holding a
    /// seat when the plan counts them), and an e-mail to verify their address. Everything is
    /// written together or not at all.
    ///
    /// # Errors
    /// [`AppError::RegistrationClosed`]; [`AppError::Password`] (checked before hashing);
    /// [`AppError::Invalid`] (email, name, account name); [`AppError::EmailTaken`];
    /// [`AppError::AccountExists`]; plan errors of the default plan; storage errors.
    pub async fn register(
        &self,
        registration: Registration,
        origin: &Origin,
    ) -> Result<(User, AccountView), AppError> {
        if !self.settings.identity.open_registration {
            return Err(AppError::RegistrationClosed);
        }
        check_password(registration.password.expose())?;
        let email = normalise_email(&registration.email)?;
        let name = Name::parse(&registration.name)?;
        let (key, account_name) = match registration.account {
            Some(account) => (account.key, Name::parse(&account.name)?.into_string()),
            None => {
                let key = AccountKey::parse(self.ports.ids.generate("acct"))?;
                (key, name.as_str().to_owned())
            }
        };
        let plan = match self.settings.default_plan.clone() {
            Some(code) => Some(self.subscribable(&code).await?),
            None => None,
        };
        let now = self.now();
        let subscription = plan.as_ref().map(|plan| Subscription::start(plan, 1, now)).transpose()?;
        let account =
            Account { key: key.clone(), name: account_name, email: Some(email.clone()), created_at: now };
        let password_hash =
            self.identity_ports().hasher.hash(&registration.password).await.map_err(internal)?;
        let user = User {
            id: tollgate_domain::UserId::parse(self.ports.ids.generate("usr"))?,
            email: email.clone(),
            name,
            password_hash,
            email_verified: false,
            totp: None,
            platform_admin: false,
            version: 0,
            created_at: now,
            deleted_at: None,
        };
        let verification = self.mint_token(TokenPurpose::EmailVerification)?;
        let token = OneTimeToken {
            fingerprint: self.ports.secrets.fingerprint(verification.expose()),
            purpose: TokenPurpose::EmailVerification,
            email: email.clone(),
            user: Some(user.id.clone()),
            account: None,
            role: None,
            created_at: now,
            expires_at: now + self.settings.identity.verification_ttl,
            used_at: None,
        };
        let audit = self.audit_event(
            "user.registered",
            actor("user", user.id.as_str()),
            None,
            target("account", key.as_str()),
            origin,
        );
        let changes = [
            Change::CreateAccount(account.clone(), subscription.clone()),
            Change::CreateUser(user.clone()),
            Change::AddMember(Membership {
                account: key.clone(),
                user: user.id.clone(),
                role: MemberRole::Owner,
                created_at: now,
            }),
            Change::CreateToken(token),
            Change::Audit(audit),
        ];
        self.identity_ports().store.apply(&changes).await.map_err(|e| match e {
            StoreError::Conflict("email") => AppError::EmailTaken,
            StoreError::Conflict(_) => AppError::AccountExists,
            other => other.into(),
        })?;
        // The owner's seat, counted after the account exists (the usage port writes to an
        // existing account): a default plan allowing no seat, or a storage error, leaves the
        // owner uncounted, which is logged; the registration itself stands.
        if let Err(error) = self.hold_seat(&key).await {
            tracing::warn!(%error, account = %key, "owner seat not counted");
        }
        self.mail(Mail {
            to: email,
            message: Message::Token { purpose: TokenPurpose::EmailVerification, token: verification },
            name: Some(user.name.as_str().to_owned()),
            account: None,
        })
        .await;
        Ok((user, AccountView::at(account, subscription.as_ref(), now)))
    }

    /// A fresh secret for a one-time token of `purpose`.
    pub(crate) fn mint_token(&self, purpose: TokenPurpose) -> Result<Secret, AppError> {
        let prefix = match purpose {
            TokenPurpose::EmailVerification => "tgv_",
            TokenPurpose::PasswordReset => "tgp_",
            TokenPurpose::Invitation => "tgi_",
        };
        self.ports.secrets.mint(prefix).map_err(internal)
    }

    /// Sends `mail`, best effort: a mail system failure is logged, never answered.
    pub(crate) async fn mail(&self, mail: Mail) {
        if let Err(error) = self.identity_ports().mailer.send(&mail).await {
            tracing::warn!(%error, template = mail.template(), "mail not sent");
        }
    }
}

/// A security backend's failure, as an internal error (never the caller's fault).
pub(crate) fn internal(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(error.to_string())
}
