//! A decision as the API writes it: the domain's data with its message in the request's
//! language, at the place the contract's `Decision` schema has it (before `upgrade`).

use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{Decision, DecisionCode, FeatureName, Locale, MetricName, Upgrade};

/// The body of a check, consume or release answer.
#[derive(Debug, Serialize)]
pub(crate) struct DecisionBody<'a> {
    allowed: bool,
    code: DecisionCode,
    #[serde(skip_serializing_if = "Option::is_none")]
    metric: Option<&'a MetricName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature: Option<&'a FeatureName>,
    used: Option<u64>,
    limit: Option<u64>,
    remaining: Option<u64>,
    #[serde(with = "time::serde::rfc3339::option")]
    resets_at: Option<OffsetDateTime>,
    message: String,
    upgrade: Option<&'a Upgrade>,
}

impl<'a> DecisionBody<'a> {
    /// `decision` with its message in `locale`.
    pub(crate) fn new(decision: &'a Decision, locale: Locale) -> Self {
        Self {
            allowed: decision.allowed,
            code: decision.code,
            metric: decision.metric.as_ref(),
            feature: decision.feature.as_ref(),
            used: decision.used,
            limit: decision.limit,
            remaining: decision.remaining,
            resets_at: decision.resets_at,
            message: decision.message(locale),
            upgrade: decision.upgrade.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use time::macros::datetime;
    use tollgate_domain::{Plan, Request, Subscription};

    use super::*;

    fn limit_reached() -> Decision {
        let draft = serde_json::from_str(
            r#"{"code": "pro", "name": "Pro", "price": {"amount": "45.00", "currency": "USD"},
                "interval": "month", "limits": {"tickets": {"max": 2000, "reset": "month"}}}"#,
        )
        .unwrap();
        let plan = Plan::new(draft, 1).unwrap();
        let now = datetime!(2026-11-23 10:00 UTC);
        let subscription = Subscription::start(&plan, 1, now).unwrap();
        plan.evaluate(&subscription, &Request::metric("tickets", 1).unwrap(), 2000, now)
    }

    #[test]
    fn the_body_is_the_decision_with_its_message_before_the_upgrade() {
        let decision = limit_reached();
        let body = serde_json::to_string(&DecisionBody::new(&decision, Locale::Fr)).unwrap();
        assert_eq!(
            body,
            r#"{"allowed":false,"code":"limit_reached","metric":"tickets","used":2000,"limit":2000,"remaining":0,"resets_at":"2026-12-01T00:00:00Z","message":"Limite mensuelle de tickets atteinte (2000/2000). Attendez le 2026-12-01.","upgrade":null}"#
        );
    }

    #[test]
    fn the_body_carries_every_member_the_domain_writes() {
        let decision = limit_reached();
        let Value::Object(domain) = serde_json::to_value(&decision).unwrap() else { panic!("an object") };
        let body = serde_json::to_value(DecisionBody::new(&decision, Locale::En)).unwrap();
        for (member, value) in &domain {
            assert_eq!(body.get(member), Some(value), "{member}");
        }
        assert_eq!(body["message"], decision.message(Locale::En));
        assert_eq!(body.as_object().unwrap().len(), domain.len() + 1, "only the message is added");
    }
}
