//! `[billing]`: dunning and trials, and the payment gateway with its secrets.

use std::fmt;

use serde::Deserialize;
use tollgate_domain::{DunningPolicy, PlanCode};
use tollgate_stripe::StripeSettings;

/// Which payment gateway charges accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayKind {
    /// Stripe's test cards answered in-process (development and tests).
    Fake,
    /// Stripe's API.
    Stripe,
}

/// Billing rules and the gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Days a past-due subscription keeps working.
    pub past_due_grace_days: u32,
    /// The gateway.
    pub gateway: GatewayKind,
    /// Days after the due date of the oldest unpaid invoice that a reminder is mailed on.
    pub dunning_days: Vec<u32>,
    /// The day after the due date an unpaid account is suspended on.
    pub suspend_after_days: u32,
    /// Days after the due date that a declined payment is retried on (their count is the number
    /// of retries).
    pub retry_days: Vec<u32>,
    /// Where a trial that ends without a payment method goes; empty: it expires.
    pub trial_fallback_plan: String,
    /// Seconds between two billing runs of the scheduler (renewals, retries, dunning, trials);
    /// 0 turns the scheduler off (then run `tollgate billing run` from elsewhere).
    pub run_interval_seconds: u32,
    /// Each gateway's settings.
    pub gateways: GatewaysSettings,
}

/// `[billing.gateways.*]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaysSettings {
    /// The fake gateway.
    pub fake: FakeSettings,
    /// Stripe.
    pub stripe: StripeSettings,
}

/// `[billing.gateways.fake]`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FakeSettings {
    /// The secret its webhooks are signed with; empty refuses every webhook.
    pub webhook_secret: String,
    /// Where its checkout sessions point.
    pub checkout_url: String,
}

impl fmt::Debug for FakeSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeSettings")
            .field("webhook_secret", &if self.webhook_secret.is_empty() { "(none)" } else { "[redacted]" })
            .field("checkout_url", &self.checkout_url)
            .finish()
    }
}

impl BillingSettings {
    /// The dunning schedule these settings describe.
    pub fn dunning(&self) -> DunningPolicy {
        DunningPolicy {
            reminder_days: self.dunning_days.clone(),
            suspend_after_days: self.suspend_after_days,
            retries: u32::try_from(self.retry_days.len()).unwrap_or(u32::MAX),
            retry_days: self.retry_days.clone(),
            ..DunningPolicy::default()
        }
    }

    /// The fallback plan of trials, if one is set.
    ///
    /// # Errors
    /// A code that is not a plan code.
    pub fn trial_fallback_plan(&self) -> anyhow::Result<Option<PlanCode>> {
        match self.trial_fallback_plan.trim() {
            "" => Ok(None),
            code => PlanCode::parse(code)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("billing.trial_fallback_plan: {e}")),
        }
    }
}
