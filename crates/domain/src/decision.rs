//! Quota evaluation: may this account do this now? One pure function per question, no IO.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::entitlements::Entitlements;
use crate::ids::{FeatureName, MetricName};
use crate::limit::{Enforcement, Limit, Reset};
use crate::plan::Plan;
use crate::quantity::Quantity;
use crate::request::Request;
use crate::subscription::{Status, Subscription};
use crate::upgrade::{Upgrade, suggest_upgrade};
use crate::window::Window;

/// The answer's code: stable, part of the HTTP contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionCode {
    /// Allowed within the limit.
    Ok,
    /// Allowed past a soft limit.
    Overage,
    /// A hard limit would be passed.
    LimitReached,
    /// The plan does not include the metric or feature.
    NotInPlan,
    /// The account has no subscription.
    NoSubscription,
    /// The trial ended without conversion.
    TrialExpired,
    /// The subscription is suspended.
    SubscriptionSuspended,
    /// The subscription is cancelled.
    SubscriptionCancelled,
    /// The subscription expired.
    SubscriptionExpired,
    /// A payment is overdue beyond the grace period.
    PaymentRequired,
}

impl DecisionCode {
    /// Every code, for exhaustive tests and documentation.
    pub const ALL: [DecisionCode; 10] = [
        DecisionCode::Ok,
        DecisionCode::Overage,
        DecisionCode::LimitReached,
        DecisionCode::NotInPlan,
        DecisionCode::NoSubscription,
        DecisionCode::TrialExpired,
        DecisionCode::SubscriptionSuspended,
        DecisionCode::SubscriptionCancelled,
        DecisionCode::SubscriptionExpired,
        DecisionCode::PaymentRequired,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionCode::Ok => "ok",
            DecisionCode::Overage => "overage",
            DecisionCode::LimitReached => "limit_reached",
            DecisionCode::NotInPlan => "not_in_plan",
            DecisionCode::NoSubscription => "no_subscription",
            DecisionCode::TrialExpired => "trial_expired",
            DecisionCode::SubscriptionSuspended => "subscription_suspended",
            DecisionCode::SubscriptionCancelled => "subscription_cancelled",
            DecisionCode::SubscriptionExpired => "subscription_expired",
            DecisionCode::PaymentRequired => "payment_required",
        }
    }

    /// Whether a request with this code is allowed.
    pub fn allows(self) -> bool {
        matches!(self, DecisionCode::Ok | DecisionCode::Overage)
    }
}

/// The answer to a check, consume or release: data only. Its human sentence, in any language,
/// is [`Decision::message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the request is (or was) allowed.
    pub allowed: bool,
    /// Why.
    pub code: DecisionCode,
    /// The metric asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricName>,
    /// The feature asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feature: Option<FeatureName>,
    /// Units used in the current window (after the request when it was recorded).
    pub used: Option<u64>,
    /// The limit (`None` when unlimited or unknown).
    pub limit: Option<u64>,
    /// Units left before the limit (`None` when unlimited).
    pub remaining: Option<u64>,
    /// When the window resets (`None` for gauges).
    #[serde(with = "time::serde::rfc3339::option")]
    pub resets_at: Option<OffsetDateTime>,
    /// The window kind (`None` for features), which words the message of a limit.
    #[serde(skip)]
    pub reset: Option<Reset>,
    /// The cheapest plan that would allow the request, when denied by the plan.
    pub upgrade: Option<Upgrade>,
}

/// Rules an operator configures around the plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long a past-due subscription keeps working before `payment_required`.
    pub past_due_grace: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self { past_due_grace: Duration::days(7) }
    }
}

/// Everything an evaluation needs besides the request and the usage: one account at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Evaluation<'a> {
    /// The account's effective terms.
    pub entitlements: &'a Entitlements,
    /// Its subscription, if any.
    pub subscription: Option<&'a Subscription>,
    /// The instant of the request.
    pub now: OffsetDateTime,
    /// Operator rules.
    pub policy: &'a Policy,
    /// Plans that may be suggested as upgrades (empty: none suggested).
    pub catalog: &'a [Plan],
    /// The account's current plan, excluded from suggestions and fixing their currency.
    pub current_plan: Option<&'a Plan>,
}

/// A consume that passed the status and plan gates: what the atomic write must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumeIntent {
    /// The metric.
    pub metric: MetricName,
    /// Units to add.
    pub quantity: Quantity,
    /// The window whose counter is written.
    pub window: Window,
    /// The effective limit.
    pub limit: Limit,
}

impl ConsumeIntent {
    /// The total the counter must not pass: the max of a hard limit, `None` otherwise.
    pub fn cap(&self) -> Option<u64> {
        self.limit.cap()
    }
}

impl<'a> Evaluation<'a> {
    /// The status gate, applied before any feature or limit: the denial code, if any.
    pub fn gate(&self) -> Option<DecisionCode> {
        let Some(sub) = self.subscription else {
            return Some(DecisionCode::NoSubscription);
        };
        match sub.status_at(self.now) {
            Status::Suspended => Some(DecisionCode::SubscriptionSuspended),
            Status::Cancelled => Some(DecisionCode::SubscriptionCancelled),
            Status::Expired => Some(DecisionCode::SubscriptionExpired),
            Status::Trialing if sub.trial_expired_at(self.now) => Some(DecisionCode::TrialExpired),
            Status::PastDue => {
                let since = sub.past_due_since().unwrap_or(self.now);
                let deadline = since.checked_add(self.policy.past_due_grace).unwrap_or(since);
                (self.now >= deadline).then_some(DecisionCode::PaymentRequired)
            }
            Status::Trialing | Status::Active => None,
        }
    }

    /// Answers `request` given `used` units in the metric's current window. Records nothing.
    /// Deterministic: the same inputs always give the same decision.
    pub fn check(&self, request: &Request, used: u64) -> Decision {
        match request {
            Request::Feature(feature) => self.check_feature(feature),
            Request::Metric { metric, quantity } => match self.intent(metric, *quantity) {
                Err(denied) => *denied,
                Ok(intent) => {
                    let admitted = intent.limit.admits(used, quantity.get());
                    let total = used.saturating_add(quantity.get());
                    let code = match intent.limit.max {
                        _ if !admitted => DecisionCode::LimitReached,
                        Some(max) if total > max => DecisionCode::Overage,
                        _ => DecisionCode::Ok,
                    };
                    self.metric_decision(&intent, code, used, request)
                }
            },
        }
    }

    /// The gates of a consume: `Ok` with what to write, or the denial.
    ///
    /// # Errors
    /// The denied [`Decision`] when a status gate or the plan refuses the metric.
    pub fn intent(&self, metric: &MetricName, quantity: Quantity) -> Result<ConsumeIntent, Box<Decision>> {
        let request = Request::Metric { metric: metric.clone(), quantity };
        if let Some(code) = self.gate() {
            return Err(Box::new(self.denial(code, &request)));
        }
        let (Some(limit), Some(sub)) = (self.entitlements.limit(metric), self.subscription) else {
            return Err(Box::new(self.denial(DecisionCode::NotInPlan, &request)));
        };
        Ok(ConsumeIntent {
            metric: metric.clone(),
            quantity,
            window: Window::of(limit.reset, sub, self.now),
            limit: *limit,
        })
    }

    /// What a release writes: the metric's window (a gauge's when the plan no longer limits the
    /// metric). Only a missing subscription refuses it: giving units back is always allowed.
    ///
    /// # Errors
    /// The `no_subscription` [`Decision`] when there is no subscription.
    pub fn release_intent(
        &self,
        metric: &MetricName,
        quantity: Quantity,
    ) -> Result<ConsumeIntent, Box<Decision>> {
        let Some(sub) = self.subscription else {
            let request = Request::Metric { metric: metric.clone(), quantity };
            return Err(Box::new(self.denial(DecisionCode::NoSubscription, &request)));
        };
        let limit = self.entitlements.limit(metric).copied().unwrap_or(Limit::unlimited(Reset::Never));
        Ok(ConsumeIntent {
            metric: metric.clone(),
            quantity,
            window: Window::of(limit.reset, sub, self.now),
            limit,
        })
    }

    /// The decision after the atomic write: `applied` says whether the units were recorded and
    /// `used` is the counter after the write (or as found, when refused).
    pub fn consumed(&self, intent: &ConsumeIntent, applied: bool, used: u64) -> Decision {
        let code = match intent.limit.max {
            _ if !applied => DecisionCode::LimitReached,
            Some(max) if used > max && intent.limit.enforcement == Enforcement::Soft => DecisionCode::Overage,
            _ => DecisionCode::Ok,
        };
        let request = Request::Metric { metric: intent.metric.clone(), quantity: intent.quantity };
        self.metric_decision(intent, code, used, &request)
    }

    /// The decision after a release: always allowed, with the counter after it.
    pub fn released(&self, intent: &ConsumeIntent, used: u64) -> Decision {
        let request = Request::Metric { metric: intent.metric.clone(), quantity: intent.quantity };
        self.metric_decision(intent, DecisionCode::Ok, used, &request)
    }

    fn check_feature(&self, feature: &FeatureName) -> Decision {
        let request = Request::Feature(feature.clone());
        if let Some(code) = self.gate() {
            return self.denial(code, &request);
        }
        let code = if self.entitlements.grants(feature) { DecisionCode::Ok } else { DecisionCode::NotInPlan };
        self.finish(
            Decision {
                allowed: code.allows(),
                code,
                metric: None,
                feature: Some(feature.clone()),
                used: None,
                limit: None,
                remaining: None,
                resets_at: None,
                reset: None,
                upgrade: None,
            },
            &request,
            0,
        )
    }

    fn metric_decision(
        &self,
        intent: &ConsumeIntent,
        code: DecisionCode,
        used: u64,
        request: &Request,
    ) -> Decision {
        let limit = intent.limit.max;
        self.finish(
            Decision {
                allowed: code.allows(),
                code,
                metric: Some(intent.metric.clone()),
                feature: None,
                used: Some(used),
                limit,
                remaining: limit.map(|max| max.saturating_sub(used)),
                resets_at: intent.window.resets_at,
                reset: Some(intent.limit.reset),
                upgrade: None,
            },
            request,
            used,
        )
    }

    fn denial(&self, code: DecisionCode, request: &Request) -> Decision {
        let (metric, feature) = match request {
            Request::Feature(f) => (None, Some(f.clone())),
            Request::Metric { metric, .. } => (Some(metric.clone()), None),
        };
        let limit = metric.as_ref().and_then(|m| self.entitlements.limit(m)).copied();
        self.finish(
            Decision {
                allowed: false,
                code,
                metric,
                feature,
                used: None,
                limit: limit.and_then(|l| l.max),
                remaining: None,
                resets_at: None,
                reset: limit.map(|l| l.reset),
                upgrade: None,
            },
            request,
            0,
        )
    }

    fn finish(&self, mut decision: Decision, request: &Request, used: u64) -> Decision {
        if matches!(decision.code, DecisionCode::LimitReached | DecisionCode::NotInPlan) {
            decision.upgrade = suggest_upgrade(self.catalog, self.current_plan, request, used);
        }
        decision
    }
}

impl Plan {
    /// Evaluates `request` against this plan alone (no add-ons, overrides or upgrade catalog),
    /// with the default [`Policy`]: the few-lines way for another service to decide in-process.
    pub fn evaluate(
        &self,
        subscription: &Subscription,
        request: &Request,
        used: u64,
        now: OffsetDateTime,
    ) -> Decision {
        let entitlements = Entitlements::of_plan(self);
        Evaluation {
            entitlements: &entitlements,
            subscription: Some(subscription),
            now,
            policy: &Policy::default(),
            catalog: &[],
            current_plan: Some(self),
        }
        .check(request, used)
    }
}
