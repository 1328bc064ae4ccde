//! Who may do what on an account: the one rule every account-scoped route goes through.
//!
//! A caller either has no relation to an account (it must not even learn the account exists:
//! [`Denial::Hidden`], answered 404) or holds some rights on it; a right it lacks is
//! [`Denial::Forbidden`] (403).

use serde::{Deserialize, Serialize};

use crate::api_key::{ApiKey, Role, Scope};
use crate::identity::member::MemberRole;
use crate::ids::{AccountKey, ApiKeyId, SessionId, UserId};

/// What a route does to an account, from the narrowest right to the widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Check, consume and release quota.
    Enforce,
    /// Read the usage report.
    Usage,
    /// Read anything of the account.
    Read,
    /// Change the plan, members, API keys and invoices (an account admin).
    Manage,
    /// Everything of the account (its owners).
    Own,
}

impl Scope {
    fn grants(self, right: Right) -> bool {
        match self {
            Scope::Enforce => matches!(right, Right::Enforce | Right::Usage),
            Scope::Read => matches!(right, Right::Usage | Right::Read),
            Scope::Manage => matches!(right, Right::Usage | Right::Read | Right::Manage),
        }
    }
}

impl MemberRole {
    /// Whether a member with this role holds `right` on their account.
    pub fn grants(self, right: Right) -> bool {
        match self {
            MemberRole::Member => matches!(right, Right::Usage | Right::Read),
            MemberRole::Admin => matches!(right, Right::Usage | Right::Read | Right::Manage),
            MemberRole::Owner => true,
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A platform API key: the integrating backend.
    PlatformKey {
        /// The key's id.
        id: ApiKeyId,
        /// What it may do: `admin` everything, `service` every account route, `enforce` only
        /// check, consume, release and usage.
        role: Role,
    },
    /// An API key of one account.
    AccountKey {
        /// The key's id.
        id: ApiKeyId,
        /// The only account it may touch.
        account: AccountKey,
        /// What it may do there.
        scopes: Vec<Scope>,
    },
    /// A person, with an access token of a session.
    User {
        /// The user the token acts as.
        user: UserId,
        /// The session.
        session: SessionId,
        /// Whether that user is a platform admin.
        platform_admin: bool,
        /// The platform admin acting as the user, for an impersonation token.
        impersonator: Option<UserId>,
    },
}

impl Caller {
    /// The caller a key stands for: a platform key with its role, or an account key with its
    /// account and scopes.
    pub fn of_key(key: &ApiKey) -> Caller {
        match &key.account {
            None => Caller::PlatformKey { id: key.id.clone(), role: key.role },
            Some(account) => Caller::AccountKey {
                id: key.id.clone(),
                account: account.clone(),
                scopes: key.scopes.clone(),
            },
        }
    }

    /// Whether the caller may do everything, on every account (admin routes included).
    pub fn is_platform_admin(&self) -> bool {
        match self {
            Caller::PlatformKey { role, .. } => *role == Role::Admin,
            Caller::User { platform_admin, .. } => *platform_admin,
            Caller::AccountKey { .. } => false,
        }
    }

    /// Whether the caller is a platform key trusted with every account (`admin` or `service`).
    pub fn is_platform_service(&self) -> bool {
        matches!(self, Caller::PlatformKey { role: Role::Admin | Role::Service, .. })
            || self.is_platform_admin()
    }

    /// The actor's type and id, as the audit log names it.
    pub fn actor_id(&self) -> (&'static str, &str) {
        match self {
            Caller::PlatformKey { id, .. } | Caller::AccountKey { id, .. } => ("api_key", id.as_str()),
            Caller::User { user, .. } => ("user", user.as_str()),
        }
    }
}

/// Why a caller may not do something to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    /// The caller may not see the account: answer as if it did not exist.
    Hidden,
    /// The caller sees the account but lacks the right.
    Forbidden,
}

/// Decides whether `caller` holds `right` on `account`, given the caller's membership role there
/// (`None` when the caller is not a user or not a member).
///
/// # Errors
/// [`Denial::Hidden`] when the caller has no relation to the account; [`Denial::Forbidden`] when
/// it has one but not `right`.
pub fn authorize(
    caller: &Caller,
    account: &AccountKey,
    membership: Option<MemberRole>,
    right: Right,
) -> Result<(), Denial> {
    let granted = match caller {
        Caller::PlatformKey { role: Role::Admin | Role::Service, .. } => true,
        Caller::PlatformKey { role: Role::Enforce, .. } => matches!(right, Right::Enforce | Right::Usage),
        Caller::AccountKey { account: own, scopes, .. } => {
            if own != account {
                return Err(Denial::Hidden);
            }
            scopes.iter().any(|s| s.grants(right))
        }
        Caller::User { platform_admin: true, .. } => true,
        Caller::User { .. } => match membership {
            None => return Err(Denial::Hidden),
            Some(role) => role.grants(right),
        },
    };
    if granted { Ok(()) } else { Err(Denial::Forbidden) }
}
