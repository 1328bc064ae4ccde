//! The billing run: everything due at the clock's now — trials that end (converted, moved to the
//! fallback plan, or expired) and their reminders, renewals invoiced and charged, declined
//! payments retried, dunning reminders and suspension. `tollgate serve` runs it on a schedule and
//! `tollgate billing run --at` on demand.
//!
//! Several instances may run it at once: each piece of work is written with its
//! [`BillingChange::Once`] marker in one batch (a renewal's invoice, a reminder, a suspension), so
//! it is applied by exactly one of them; the others find the marker and move on. A reminder's
//! mail is sent after its marker commits: at most once (a crash between the two loses it).

use serde::Serialize;
use tollgate_domain::{
    AccountKey, AddOnTerms, DunningAction, InvoiceReason, MemberRole, Status, Subscription, period_lines,
    recurring_amount,
};
use tollgate_ports::{
    AccountFilter, AccountState, BillingChange, Mail, Message, NewInvoice, StoreError, StoredInvoice,
};

use crate::billing::invoices::Outcome;
use crate::identity::{actor, target};
use crate::{AppError, Origin, Tollgate};

/// Accounts or invoices read per page while running.
const PAGE: u32 = 100;

/// What one billing run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BillingRun {
    /// Trials converted to paid subscriptions (a payment method was on file).
    pub trials_converted: u32,
    /// Trials that ended without a payment method (expired or moved to the fallback plan).
    pub trials_ended: u32,
    /// Trial-ending reminders sent.
    pub trial_reminders: u32,
    /// Renewal invoices issued.
    pub invoices_issued: u32,
    /// Invoices paid by a charge of this run.
    pub payments: u32,
    /// Charges declined in this run.
    pub declines: u32,
    /// Payment reminders sent (one per invoice and dunning day).
    pub reminders: u32,
    /// Accounts suspended for an unpaid invoice.
    pub suspensions: u32,
}

/// Whether `outcome` is a lost race for work another instance did: the run moves on.
fn already_done(outcome: &Result<Vec<tollgate_domain::Invoice>, StoreError>) -> bool {
    matches!(outcome, Err(StoreError::Conflict("once") | StoreError::Stale))
}

impl Tollgate {
    /// Runs everything due at the clock's now (see the module's documentation).
    ///
    /// # Errors
    /// Storage errors; work already applied stays applied, and the next run resumes.
    pub async fn run_billing(&self) -> Result<BillingRun, AppError> {
        let mut run = BillingRun::default();
        for status in [Status::Trialing, Status::Active, Status::PastDue] {
            let filter = AccountFilter { status: Some(status), ..AccountFilter::default() };
            let mut after = None;
            loop {
                let page = self.ports.accounts.search(&filter, after.take(), PAGE).await?;
                let Some(last) = page.last() else { break };
                after = Some(last.account.key.clone());
                let full = page.len() == PAGE as usize;
                for mut state in page {
                    if let Some(subscription) = state.subscription.as_mut() {
                        subscription.settle(self.now());
                    }
                    match status {
                        Status::Trialing => self.run_trial(state, &mut run).await?,
                        _ => self.run_renewal(state, &mut run).await?,
                    }
                }
                if !full {
                    break;
                }
            }
        }
        self.run_unpaid(&mut run).await?;
        Ok(run)
    }

    /// A trial at its end: converted when a payment method is on file, else moved to the
    /// fallback plan or expired; three days before, its owners are reminded once.
    async fn run_trial(&self, state: AccountState, run: &mut BillingRun) -> Result<(), AppError> {
        let key = state.account.key.clone();
        let Some(mut subscription) = state.subscription.clone() else { return Ok(()) };
        let Some(end) = subscription.trial_ends_at() else { return Ok(()) };
        let now = self.now();
        if now < end {
            let reminder = self.settings.billing.dunning.trial_reminder_at(subscription.started_at(), end);
            if reminder.is_some_and(|at| now >= at) {
                let marker = once("trial-reminder", format!("{key}:{}", end.unix_timestamp()), now);
                if self.ports.billing.apply(&[marker]).await.is_ok() {
                    run.trial_reminders +=
                        self.mail_owners(&state, Message::TrialEnding { ends_at: end }).await;
                }
            }
            return Ok(());
        }
        let converted = self.ports.billing.profile(&key).await?.payment_method.is_some();
        let (action, subscription) = if converted {
            subscription.activate(now)?;
            ("trial.converted", subscription)
        } else if let Some(code) = &self.settings.billing.trial_fallback_plan {
            let plan = self.plan(code).await?;
            ("trial.fallback", Subscription::start(&plan, subscription.seats(), end)?)
        } else {
            subscription.expire(now)?;
            ("trial.expired", subscription)
        };
        let changes = [
            once("trial-end", format!("{key}:{}", end.unix_timestamp()), now),
            BillingChange::Subscription { account: key.clone(), subscription, expected: state.version },
            BillingChange::Audit(self.system_event(action, &key)),
        ];
        let outcome = self.ports.billing.apply(&changes).await;
        if !already_done(&outcome) {
            outcome?;
            self.cache.forget(&key, now);
            if converted { run.trials_converted += 1 } else { run.trials_ended += 1 }
        }
        Ok(())
    }

    /// The current period's invoice of a paid subscription, issued once and charged at once; no
    /// payment method counts as a failed attempt (past due, dunning starts).
    async fn run_renewal(&self, state: AccountState, run: &mut BillingRun) -> Result<(), AppError> {
        let key = state.account.key.clone();
        let Some(subscription) = &state.subscription else { return Ok(()) };
        let now = self.now();
        if subscription.status_at(now).is_ended() {
            return Ok(());
        }
        let Some(period) = subscription.period_at(now) else { return Ok(()) };
        let plan = self
            .catalog
            .version(self.ports.plans.as_ref(), subscription.plan(), subscription.plan_version())
            .await?;
        let mut terms: Vec<(AddOnTerms, u32)> = Vec::new();
        for add_on in &state.add_ons {
            let Ok(code) = tollgate_domain::AddOnCode::parse(&add_on.code) else { continue };
            if let Some(addon) = self.ports.addons.get(&code).await? {
                terms.push((addon, add_on.quantity));
            }
        }
        let priced: Vec<(&AddOnTerms, u32)> = terms.iter().map(|(t, q)| (t, *q)).collect();
        let lines = period_lines(&plan, subscription.seats(), &priced, period)?;
        let amount =
            recurring_amount(&plan, subscription.seats()).map_err(tollgate_domain::BillingError::from)?;
        if amount.amount().is_zero() && priced.is_empty() {
            return Ok(());
        }
        let changes = [
            renewal_marker(&key, period.start, now),
            BillingChange::Issue(NewInvoice {
                account: key.clone(),
                reason: InvoiceReason::Subscription,
                currency: plan.price().currency(),
                lines,
                period: Some(period),
                plan: Some(plan.code().clone()),
                issued_at: now,
                paid_at: None,
            }),
        ];
        let outcome = self.ports.billing.apply(&changes).await;
        if already_done(&outcome) {
            return Ok(());
        }
        let Some(invoice) = outcome?.into_iter().next() else { return Ok(()) };
        run.invoices_issued += 1;
        if !invoice.is_payable() {
            return Ok(());
        }
        if self.ports.billing.profile(&key).await?.payment_method.is_none() {
            self.settle(&key, invoice.number(), Outcome::Failed, &[]).await?;
            return Ok(());
        }
        match self.collect_quietly(&key, invoice).await?.is_payable() {
            true => run.declines += 1,
            false => run.payments += 1,
        }
        Ok(())
    }

    /// Retries the open invoices whose next attempt is due, then chases each account's oldest
    /// open invoice on the dunning schedule: reminders on its days, suspension on the last.
    async fn run_unpaid(&self, run: &mut BillingRun) -> Result<(), AppError> {
        let now = self.now();
        let mut after = None;
        let mut chased: std::collections::HashSet<AccountKey> = std::collections::HashSet::new();
        loop {
            let page = self.ports.billing.unpaid(after.clone(), PAGE).await?;
            let Some(last) = page.last() else { return Ok(()) };
            after = Some(last.invoice.number().clone());
            let full = page.len() == PAGE as usize;
            for stored in page {
                let retry_due = stored.invoice.next_attempt_at().is_some_and(|at| at <= now);
                let mut stored = stored;
                if retry_due && self.ports.billing.profile(&stored.account).await?.payment_method.is_some() {
                    let invoice = self.collect_quietly(&stored.account, stored.invoice.clone()).await?;
                    if invoice.is_payable() {
                        run.declines += 1
                    } else {
                        run.payments += 1
                    }
                    stored.invoice = invoice;
                }
                // Numbers grow with time: the first open invoice of an account is its oldest.
                if stored.invoice.is_payable() && chased.insert(stored.account.clone()) {
                    self.chase(&stored, run).await?;
                }
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// The dunning actions due for the account's oldest open invoice.
    async fn chase(&self, stored: &StoredInvoice, run: &mut BillingRun) -> Result<(), AppError> {
        let now = self.now();
        let key = &stored.account;
        let state = self.state(key).await?;
        let suspended = state.subscription.as_ref().is_some_and(|s| s.status_at(now) == Status::Suspended);
        let number = stored.invoice.number().to_string();
        for action in self.settings.billing.dunning.due_actions(stored.invoice.due_at(), 0, suspended, now) {
            match action {
                DunningAction::Remind { day } => {
                    let marker = once("reminder", format!("{number}:{day}"), now);
                    if self.ports.billing.apply(&[marker]).await.is_ok() {
                        let message = Message::PaymentReminder {
                            day,
                            invoice: number.clone(),
                            amount: stored.invoice.total(),
                        };
                        run.reminders += self.mail_owners(&state, message).await.min(1);
                    }
                }
                DunningAction::Suspend => {
                    let Some(mut subscription) = state.subscription.clone() else { continue };
                    if subscription.suspend(now).is_err() {
                        continue;
                    }
                    let changes = [
                        once("suspension", number.clone(), now),
                        BillingChange::Subscription {
                            account: key.clone(),
                            subscription,
                            expected: state.version,
                        },
                        BillingChange::Audit(self.system_event("account.suspended", key)),
                    ];
                    let outcome = self.ports.billing.apply(&changes).await;
                    if !already_done(&outcome) {
                        outcome?;
                        self.cache.forget(key, now);
                        run.suspensions += 1;
                    }
                }
            }
        }
        Ok(())
    }

    /// Mails `message` to the account's owners (its billing e-mail when it has none); how many
    /// were sent. Delivery is best effort, as every mail.
    async fn mail_owners(&self, state: &AccountState, message: Message) -> u32 {
        let key = &state.account.key;
        let mut addressees = Vec::new();
        if let Ok(members) = self.identity_ports().store.members(key).await {
            for member in members.iter().filter(|m| m.role == MemberRole::Owner) {
                if let Ok(Some(user)) = self.identity_ports().store.user(&member.user).await {
                    addressees.push((user.email.clone(), Some(user.name.as_str().to_owned())));
                }
            }
        }
        if addressees.is_empty()
            && let Some(email) = &state.account.email
        {
            addressees.push((email.clone(), None));
        }
        let mut sent = 0;
        for (to, name) in addressees {
            let mail = Mail { to, name, account: Some(key.clone()), message: message.clone() };
            if let Err(error) = self.identity_ports().mailer.send(&mail).await {
                tracing::warn!(%error, account = %key, template = mail.template(), "billing mail not sent");
            } else {
                sent += 1;
            }
        }
        sent
    }

    /// An audit event of the billing run itself.
    fn system_event(&self, action: &str, key: &AccountKey) -> tollgate_domain::AuditEvent {
        self.audit_event(
            action,
            actor("system", "billing"),
            None,
            target("account", key.as_str()),
            &Origin::default(),
        )
    }
}

fn once(scope: &str, key: String, at: time::OffsetDateTime) -> BillingChange {
    BillingChange::Once { scope: scope.to_owned(), key, at }
}

/// The marker of the account's invoice for the period starting at `start`: written by the
/// renewal that issues it, or by whatever already billed that whole period (a checkout, a change
/// of interval that starts a new period), so the renewal does not bill it again.
pub(crate) fn renewal_marker(
    key: &AccountKey,
    start: time::OffsetDateTime,
    at: time::OffsetDateTime,
) -> BillingChange {
    once("renewal", format!("{key}:{}", start.unix_timestamp()), at)
}
