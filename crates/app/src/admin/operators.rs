//! The first human operator, made from the server's command line.

use tollgate_domain::{Name, User, UserId, check_password, normalise_email};
use tollgate_ports::{Change, Secret, StoreError};

use crate::identity::{actor, internal, target};
use crate::{AppError, Origin, Tollgate};

/// A person the command line creates. No `Debug`: it holds the password.
#[allow(missing_debug_implementations)]
pub struct NewOperator {
    /// Their e-mail address, as typed (normalised here).
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their password (10–128 characters).
    pub password: Secret,
    /// Whether they administer the platform.
    pub platform_admin: bool,
}

impl Tollgate {
    /// Creates a user from the server's command line, their e-mail address taken as verified
    /// (whoever runs the server vouches for it), member of no account. Audited as
    /// `user.created` with the actor `system`. The password is checked before it is hashed.
    ///
    /// # Errors
    /// [`AppError::Password`], [`AppError::Invalid`] (email, name), [`AppError::EmailTaken`];
    /// storage errors.
    pub async fn create_operator(&self, operator: NewOperator) -> Result<User, AppError> {
        check_password(operator.password.expose())?;
        let email = normalise_email(&operator.email)?;
        let name = Name::parse(&operator.name)?;
        let password_hash = self.identity_ports().hasher.hash(&operator.password).await.map_err(internal)?;
        let user = User {
            id: UserId::parse(self.ports.ids.generate("usr"))?,
            email,
            name,
            password_hash,
            email_verified: true,
            totp: None,
            platform_admin: operator.platform_admin,
            version: 0,
            created_at: self.now(),
            deleted_at: None,
        };
        let event = self.audit_event(
            "user.created",
            actor("system", "system"),
            None,
            target("user", user.id.as_str()),
            &Origin::default(),
        );
        let changes = [Change::CreateUser(user.clone()), Change::Audit(event)];
        self.identity_ports().store.apply(&changes).await.map_err(|e| match e {
            StoreError::Conflict("email") => AppError::EmailTaken,
            other => other.into(),
        })?;
        Ok(user)
    }
}
