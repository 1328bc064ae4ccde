//! Seats nobody will use, given back: those of invitations that expired unaccepted, and those
//! of deleted users' memberships. Each is released through the same `release` of the `seats`
//! gauge as a member leaving, with an idempotency key of its own
//! (`invitation:<fingerprint>:expired`, `membership:<account>:<user>:ended`), and recorded done
//! in the identity store only after that release, by a compare-and-set that writes the audit
//! event. So a sweep that stops half way (a crash, a database away) leaves the item listed, and
//! the next sweep, on any instance, releases it again under the same key: the release is
//! replayed, never counted twice (within the ledger's 24-hour key retention; a sweep runs every
//! `retention.interval_seconds`), and exactly one sweep records it and logs it.
//!
//! An invitation is first retired, so that nobody accepts it while its seat is being given back
//! (which would leave a member without a seat); a deleted user's memberships can only be ended
//! here (the store refuses other changes to them), so no member leaving frees the same seat.

use tollgate_domain::{AuditEvent, Caller, IdempotencyKey, Membership, OneTimeToken, UserId};
use tollgate_ports::{Change, StoreError};

use super::members::seat_unit;
use super::{Origin, actor, target};
use crate::{AppError, Tollgate};

/// What one run of [`Tollgate::release_lapsed_seats`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeatSweep {
    /// Invitations expired unaccepted whose seat this run gave back.
    pub invitations: u64,
    /// Memberships of deleted users this run ended, their seats given back.
    pub memberships: u64,
    /// Items that failed (left for the next run).
    pub failed: u64,
    /// Whether a list came back full and everything in it went through: more may be waiting.
    pub more: bool,
}

/// How an item of the sweep ended.
enum Done {
    /// This call recorded it.
    Here,
    /// It needed nothing, or another caller recorded it first.
    Elsewhere,
}

impl Tollgate {
    /// Gives back, at most `limit` of each, the seats of invitations that expired unaccepted and
    /// of deleted users' memberships (see the module's docs for why each is released once). Every
    /// instance may run it at any time. A failing item is logged and left for the next run.
    ///
    /// # Errors
    /// Storage errors listing what is left to do.
    pub async fn release_lapsed_seats(&self, limit: u32) -> Result<SeatSweep, AppError> {
        let store = &self.identity_ports().store;
        let now = self.now();
        let invitations = store.lapsed_invitations(now, limit).await?;
        let memberships = store.deleted_members(limit).await?;
        let full = invitations.len() >= limit as usize || memberships.len() >= limit as usize;
        let mut sweep = SeatSweep::default();
        for invitation in &invitations {
            match self.release_invitation_seat(invitation).await {
                Ok(Done::Here) => sweep.invitations += 1,
                Ok(Done::Elsewhere) => {}
                Err(error) => {
                    sweep.failed += 1;
                    tracing::warn!(%error, account = ?invitation.account, "an expired invitation's seat was not given back");
                }
            }
        }
        for membership in &memberships {
            let event = self.audit_event(
                "member.ended",
                actor("system", "system"),
                None,
                target("account", membership.account.as_str()),
                &Origin::default(),
            );
            match self.end_deleted_membership(membership, event).await {
                Ok(Done::Here) => sweep.memberships += 1,
                Ok(Done::Elsewhere) => {}
                Err(error) => {
                    sweep.failed += 1;
                    tracing::warn!(%error, account = %membership.account, user = %membership.user, "a deleted user's membership was not ended");
                }
            }
        }
        sweep.more = full && sweep.failed == 0;
        Ok(sweep)
    }

    /// Ends every membership of the deleted user `user`, each audited as `member.ended` by
    /// `caller`, and gives their seats back; returns how many this call ended.
    pub(crate) async fn end_memberships_of(
        &self,
        caller: &Caller,
        origin: &Origin,
        user: &UserId,
    ) -> Result<u64, AppError> {
        let mut ended = 0;
        for membership in self.identity_ports().store.memberships(user).await? {
            let event =
                self.audit_by(caller, "member.ended", target("account", membership.account.as_str()), origin);
            if let Done::Here = self.end_deleted_membership(&membership, event).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Retires the invitation (nobody accepts it from now on), releases its seat, then records
    /// the release with its event.
    async fn release_invitation_seat(&self, invitation: &OneTimeToken) -> Result<Done, AppError> {
        let store = &self.identity_ports().store;
        let now = self.now();
        let fingerprint = invitation.fingerprint.clone();
        match store.apply(&[Change::RetireInvitation { fingerprint: fingerprint.clone(), at: now }]).await {
            Ok(()) => {}
            // Accepted meanwhile, or its seat recorded released by another sweep.
            Err(StoreError::NotFound(_)) => return Ok(Done::Elsewhere),
            Err(error) => return Err(error.into()),
        }
        // Every invitation names its account; one that did not would hold no seat.
        if let Some(account) = &invitation.account {
            self.release_seat_once(account, &format!("invitation:{fingerprint}:expired")).await?;
        }
        let event = self.audit_event(
            "invitation.expired",
            actor("system", "system"),
            None,
            target("account", invitation.account.as_ref().map_or("", |a| a.as_str())),
            &Origin::default(),
        );
        record(
            store
                .apply(&[Change::InvitationSeatReleased { fingerprint, at: now }, Change::Audit(event)])
                .await,
        )
    }

    /// Releases the seat of a deleted user's membership, then ends the membership with `event`.
    async fn end_deleted_membership(
        &self,
        membership: &Membership,
        event: AuditEvent,
    ) -> Result<Done, AppError> {
        let (account, user) = (&membership.account, &membership.user);
        self.release_seat_once(account, &format!("membership:{account}:{user}:ended")).await?;
        let ended = Change::EndMembership { account: account.clone(), user: user.clone() };
        let done = record(self.identity_ports().store.apply(&[ended, Change::Audit(event)]).await)?;
        self.identity_cache.forget_role(account, user);
        Ok(done)
    }

    /// Gives one seat of `account` back under the idempotency key `key`: however often it is
    /// called with one key (within the ledger's key retention), one seat is released. A plan that
    /// does not count seats releases nothing.
    async fn release_seat_once(
        &self,
        account: &tollgate_domain::AccountKey,
        key: &str,
    ) -> Result<(), AppError> {
        let (metric, one) = seat_unit()?;
        let key = IdempotencyKey::parse(key)?;
        match self.release(account, &metric, one, Some(key)).await {
            Ok(_) | Err(AppError::UnknownMetric(_) | AppError::AccountNotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// The outcome of the compare-and-set that records an item done: refused means another caller
/// recorded it first.
fn record(outcome: Result<(), StoreError>) -> Result<Done, AppError> {
    match outcome {
        Ok(()) => Ok(Done::Here),
        Err(StoreError::NotFound(_)) => Ok(Done::Elsewhere),
        Err(error) => Err(error.into()),
    }
}
