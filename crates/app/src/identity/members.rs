//! Members of an account, invitations, and the seats they hold: each member and each pending
//! invitation holds one unit of the `seats` gauge through the same exact consume and release as
//! every other limit, so a seat limit can no more be passed than any other.

use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, Caller, DecisionCode, Email, InvitationAnswer, MemberRole, Membership, MetricName, Name,
    OneTimeToken, Quantity, Right, TokenPurpose, User, UserId, check_password, normalise_email,
};
use tollgate_ports::{Change, Mail, Message, Secret, StoreError};

use super::register::internal;
use super::{Origin, actor, target};
use crate::{AppError, Tollgate};

/// The gauge members and invitations are counted in.
pub const SEATS: &str = "seats";

/// Someone to add to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Their e-mail address, as typed.
    pub email: String,
    /// The role they get.
    pub role: MemberRole,
}

/// A member, or a pending invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberView {
    /// The user (`None` for an invitation not accepted yet).
    pub user_id: Option<UserId>,
    /// Their address.
    pub email: Email,
    /// Their name, once they have an account.
    pub name: Option<String>,
    /// Their role.
    pub role: MemberRole,
    /// `active`, or `invited`.
    pub status: &'static str,
    /// When they joined or were invited.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl MemberView {
    fn active(membership: Membership, user: &User) -> Self {
        Self {
            user_id: Some(membership.user),
            email: user.email.clone(),
            name: Some(user.name.as_str().to_owned()),
            role: membership.role,
            status: "active",
            created_at: membership.created_at,
        }
    }

    fn invited(token: &OneTimeToken) -> Self {
        Self {
            user_id: None,
            email: token.email.clone(),
            name: None,
            role: token.role.unwrap_or(MemberRole::Member),
            status: "invited",
            created_at: token.created_at,
        }
    }
}

impl Tollgate {
    /// The account's members, then its pending invitations.
    ///
    /// # Errors
    /// Authorization errors ([`Tollgate::authorize`], [`Right::Read`]); storage errors.
    pub async fn members(&self, caller: &Caller, account: &AccountKey) -> Result<Vec<MemberView>, AppError> {
        self.authorize(caller, account, Right::Read).await?;
        let store = &self.identity_ports().store;
        let mut views = Vec::new();
        for membership in store.members(account).await? {
            if let Some(user) = store.user(&membership.user).await? {
                views.push(MemberView::active(membership, &user));
            }
        }
        views.extend(store.invitations(account, self.now()).await?.iter().map(MemberView::invited));
        Ok(views)
    }

    /// Adds a member: an existing user joins at once; anyone else is mailed an invitation. Either
    /// way one seat is held first; over the plan's seat limit nothing is written.
    ///
    /// # Errors
    /// Authorization errors ([`Right::Manage`]; [`Right::Own`] to add an owner);
    /// [`AppError::Invalid`] (email); [`AppError::MemberExists`]; [`AppError::SeatLimitReached`];
    /// storage errors.
    pub async fn add_member(
        &self,
        caller: &Caller,
        account: &AccountKey,
        invite: Invite,
        origin: &Origin,
    ) -> Result<MemberView, AppError> {
        let right = if invite.role == MemberRole::Owner { Right::Own } else { Right::Manage };
        self.authorize(caller, account, right).await?;
        let email = normalise_email(&invite.email)?;
        let store = &self.identity_ports().store;
        let existing = store.user_by_email(&email).await?;
        if let Some(user) = &existing
            && store.role(account, &user.id).await?.is_some()
        {
            return Err(AppError::MemberExists);
        }
        if store.invitations(account, self.now()).await?.iter().any(|t| t.email == email) {
            return Err(AppError::MemberExists);
        }
        self.hold_seat(account).await?;
        let now = self.now();
        let (changes, view, mail) = match &existing {
            Some(user) => {
                let membership = Membership {
                    account: account.clone(),
                    user: user.id.clone(),
                    role: invite.role,
                    created_at: now,
                };
                let audit = self.audit_by(caller, "member.added", target("user", user.id.as_str()), origin);
                let view = MemberView::active(membership.clone(), user);
                (vec![Change::AddMember(membership), Change::Audit(audit)], view, None)
            }
            None => {
                let secret = self.mint_token(TokenPurpose::Invitation)?;
                let token = OneTimeToken {
                    fingerprint: self.ports.secrets.fingerprint(secret.expose()),
                    purpose: TokenPurpose::Invitation,
                    email: email.clone(),
                    user: None,
                    account: Some(account.clone()),
                    role: Some(invite.role),
                    created_at: now,
                    expires_at: now + self.settings.identity.invitation_ttl,
                    used_at: None,
                };
                let audit =
                    self.audit_by(caller, "member.invited", target("account", account.as_str()), origin);
                let view = MemberView::invited(&token);
                let mail = Mail {
                    to: email.clone(),
                    message: Message::Token { purpose: TokenPurpose::Invitation, token: secret },
                    name: None,
                    account: Some(account.clone()),
                };
                (vec![Change::CreateToken(token), Change::Audit(audit)], view, Some(mail))
            }
        };
        if let Err(error) = store.apply(&changes).await {
            self.free_seat(account).await;
            return Err(match error {
                StoreError::Conflict("member") => AppError::MemberExists,
                other => other.into(),
            });
        }
        if let Some(user) = &existing {
            self.identity_cache.forget_role(account, &user.id);
        }
        if let Some(mail) = mail {
            self.mail(mail).await;
        }
        Ok(view)
    }

    /// Changes a member's role. Making or unmaking an owner takes an owner; the last owner
    /// cannot be demoted.
    ///
    /// # Errors
    /// Authorization errors; [`AppError::NotFound`]`("member")`; [`AppError::LastOwner`]; storage errors.
    pub async fn set_member_role(
        &self,
        caller: &Caller,
        account: &AccountKey,
        user: &UserId,
        role: MemberRole,
        origin: &Origin,
    ) -> Result<(), AppError> {
        self.authorize(caller, account, Right::Manage).await?;
        let current =
            self.identity_ports().store.role(account, user).await?.ok_or(AppError::NotFound("member"))?;
        if role == MemberRole::Owner || current == MemberRole::Owner {
            self.authorize(caller, account, Right::Own).await?;
        }
        let audit = self.audit_by(caller, "member.role_changed", target("user", user.as_str()), origin);
        let changes =
            [Change::SetRole { account: account.clone(), user: user.clone(), role }, Change::Audit(audit)];
        self.apply_membership(&changes).await?;
        self.identity_cache.forget_role(account, user);
        Ok(())
    }

    /// Removes a member (a member may always leave), freeing their seat. The last owner cannot
    /// leave.
    ///
    /// # Errors
    /// Authorization errors; [`AppError::NotFound`]`("member")`; [`AppError::LastOwner`]; storage errors.
    pub async fn remove_member(
        &self,
        caller: &Caller,
        account: &AccountKey,
        user: &UserId,
        origin: &Origin,
    ) -> Result<(), AppError> {
        let leaving = matches!(caller, Caller::User { user: me, .. } if me == user);
        self.authorize(caller, account, if leaving { Right::Read } else { Right::Manage }).await?;
        let current =
            self.identity_ports().store.role(account, user).await?.ok_or(AppError::NotFound("member"))?;
        if current == MemberRole::Owner && !leaving {
            self.authorize(caller, account, Right::Own).await?;
        }
        let audit = self.audit_by(caller, "member.removed", target("user", user.as_str()), origin);
        let changes =
            [Change::RemoveMember { account: account.clone(), user: user.clone() }, Change::Audit(audit)];
        self.apply_membership(&changes).await?;
        self.identity_cache.forget_role(account, user);
        self.free_seat(account).await;
        Ok(())
    }

    /// Accepts an invitation: the invited address becomes a user, with the `name` and `password`
    /// sent (both required then), and joins the account on the seat the invitation held. When the
    /// address already has a user, that user joins as they are and neither may be sent: the
    /// token is no authority to rename them or set their password.
    ///
    /// # Errors
    /// [`AppError::InvalidToken`]; [`AppError::Invalid`] naming `password` or `name` when one is
    /// missing for a new user or sent for an existing one, or a bad name; [`AppError::Password`]
    /// (checked before hashing); [`AppError::MemberExists`]; storage errors.
    pub async fn accept_invitation(
        &self,
        token: &Secret,
        name: Option<&str>,
        password: Option<&Secret>,
        origin: &Origin,
    ) -> Result<(User, Membership), AppError> {
        let store = &self.identity_ports().store;
        let now = self.now();
        let invitation = store
            .token(&self.ports.secrets.fingerprint(token.expose()))
            .await?
            .filter(|t| t.purpose == TokenPurpose::Invitation && t.usable_at(now))
            .ok_or(AppError::InvalidToken)?;
        let (Some(account), Some(role)) = (invitation.account.clone(), invitation.role) else {
            return Err(AppError::InvalidToken);
        };
        let mut changes = vec![self.spend(token, TokenPurpose::Invitation)];
        let existing = store.user_by_email(&invitation.email).await?;
        let answer = InvitationAnswer::read(existing.is_some(), name, password.map(Secret::expose))?;
        let user = match (answer, existing) {
            (InvitationAnswer::ExistingUser, Some(user)) => user,
            (InvitationAnswer::ExistingUser, None) => {
                return Err(AppError::Internal(
                    "an existing user's answer for an address without one".into(),
                ));
            }
            (InvitationAnswer::NewUser { name, password }, _) => {
                check_password(password)?;
                let name = Name::parse(name)?;
                let password = Secret::new(password);
                let user = User {
                    id: UserId::parse(self.ports.ids.generate("usr"))?,
                    email: invitation.email.clone(),
                    name,
                    password_hash: self.identity_ports().hasher.hash(&password).await.map_err(internal)?,
                    // The invitation reached this address.
                    email_verified: true,
                    totp: None,
                    platform_admin: false,
                    version: 0,
                    created_at: now,
                    deleted_at: None,
                };
                changes.push(Change::CreateUser(user.clone()));
                user
            }
        };
        let membership =
            Membership { account: account.clone(), user: user.id.clone(), role, created_at: now };
        changes.push(Change::AddMember(membership.clone()));
        changes.push(Change::Audit(self.audit_event(
            "member.joined",
            actor("user", user.id.as_str()),
            None,
            target("account", account.as_str()),
            origin,
        )));
        match store.apply(&changes).await {
            Ok(()) => {}
            Err(StoreError::Conflict("member")) => return Err(AppError::MemberExists),
            Err(StoreError::Conflict("email")) => return Err(AppError::EmailTaken),
            Err(StoreError::NotFound(_)) => return Err(AppError::InvalidToken),
            Err(other) => return Err(other.into()),
        }
        self.identity_cache.forget_role(&account, &user.id);
        Ok((user, membership))
    }

    async fn apply_membership(&self, changes: &[Change]) -> Result<(), AppError> {
        self.identity_ports().store.apply(changes).await.map_err(|e| match e {
            StoreError::Conflict("last_owner") => AppError::LastOwner,
            StoreError::NotFound(_) => AppError::NotFound("member"),
            other => other.into(),
        })
    }

    /// Takes one seat of the account, when its plan counts seats.
    ///
    /// # Errors
    /// [`AppError::SeatLimitReached`] with the decision (and its upgrade) when none is left.
    pub(crate) async fn hold_seat(&self, account: &AccountKey) -> Result<(), AppError> {
        let (metric, one) = seat_unit()?;
        match self.consume(account, &metric, one, None).await {
            Ok(decision) if decision.code == DecisionCode::LimitReached => {
                Err(AppError::SeatLimitReached(Box::new(decision)))
            }
            // Allowed, or a plan that does not count seats.
            Ok(_) | Err(AppError::UnknownMetric(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Gives a seat back. Best effort: a failure leaves one seat held too many (logged), never a
    /// member without a seat.
    pub(crate) async fn free_seat(&self, account: &AccountKey) {
        let Ok((metric, one)) = seat_unit() else { return };
        match self.release(account, &metric, one, None).await {
            Ok(_) | Err(AppError::UnknownMetric(_)) => {}
            Err(error) => tracing::warn!(%error, account = %account, "seat not released"),
        }
    }
}

/// One unit of the gauge seats are counted in.
pub(super) fn seat_unit() -> Result<(MetricName, Quantity), AppError> {
    Ok((MetricName::parse(SEATS)?, Quantity::new(1)?))
}
