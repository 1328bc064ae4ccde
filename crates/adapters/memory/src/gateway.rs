use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use serde::Deserialize;
use time::OffsetDateTime;
use tollgate_ports::{
    Charge, ChargeRequest, CheckoutRequest, CheckoutSession, GatewayError, GatewayEvent, GatewayEventKind,
    Notification, Notifier, NotifyError, PaymentGateway, PaymentMethodRequest, Refund, RefundRequest,
    SavedPaymentMethod,
};

/// How the fake gateway answers charges, checkouts and refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// Every call succeeds.
    Succeed,
    /// Every call is declined with this reason.
    Decline(String),
    /// The next `n` calls fail as unavailable, then calls succeed.
    FailTimes(u32),
}

#[derive(Debug)]
struct GatewayState {
    behaviour: Behaviour,
    charges: HashMap<String, Charge>,
    refunds: HashMap<String, Refund>,
    calls: u32,
}

/// A payment gateway a unit test can script: succeed, decline, or fail N times then succeed.
/// Charges and refunds are idempotent per key, as a real gateway's are. Webhooks are JSON
/// (`{"id", "type", "session" | "reference", "reason"}`) "signed" by sending the shared secret
/// as the signature: the Stripe-shaped fake of development is `tollgate-stripe`'s.
#[derive(Debug)]
pub struct ScriptedGateway {
    secret: String,
    state: Mutex<GatewayState>,
}

impl ScriptedGateway {
    /// A gateway that succeeds, verifying webhooks against `secret`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self {
            secret: secret.into(),
            state: Mutex::new(GatewayState {
                behaviour: Behaviour::Succeed,
                charges: HashMap::new(),
                refunds: HashMap::new(),
                calls: 0,
            }),
        }
    }

    /// Changes how later calls are answered.
    pub fn script(&self, behaviour: Behaviour) {
        self.lock().behaviour = behaviour;
    }

    /// How many charge, checkout and refund calls reached the gateway.
    pub fn calls(&self) -> u32 {
        self.lock().calls
    }

    /// Distinct charges made.
    pub fn charges(&self) -> Vec<Charge> {
        self.lock().charges.values().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GatewayState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn answer(state: &mut GatewayState) -> Result<(), GatewayError> {
        state.calls += 1;
        match &mut state.behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::Decline(reason) => Err(GatewayError::Declined(reason.clone())),
            Behaviour::FailTimes(0) => {
                state.behaviour = Behaviour::Succeed;
                Ok(())
            }
            Behaviour::FailTimes(n) => {
                *n -= 1;
                Err(GatewayError::Unavailable("scripted failure".into()))
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookJson {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

#[async_trait]
impl PaymentGateway for ScriptedGateway {
    fn name(&self) -> &'static str {
        "scripted"
    }

    async fn save_payment_method(
        &self,
        request: &PaymentMethodRequest,
    ) -> Result<SavedPaymentMethod, GatewayError> {
        Self::answer(&mut self.lock())?;
        let customer = request.customer.clone().unwrap_or_else(|| format!("cus_{}", request.account));
        Ok(SavedPaymentMethod { customer, payment_method: request.token.clone() })
    }

    async fn checkout(&self, request: &CheckoutRequest) -> Result<CheckoutSession, GatewayError> {
        Self::answer(&mut self.lock())?;
        let id = format!("cs_{}", request.idempotency_key);
        Ok(CheckoutSession { url: format!("https://pay.example.test/{id}"), id })
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<Charge, GatewayError> {
        let mut state = self.lock();
        if let Some(charge) = state.charges.get(&request.idempotency_key) {
            return Ok(charge.clone());
        }
        Self::answer(&mut state)?;
        let charge = Charge { id: format!("ch_{}", state.charges.len() + 1), amount: request.amount };
        state.charges.insert(request.idempotency_key.clone(), charge.clone());
        Ok(charge)
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Refund, GatewayError> {
        let mut state = self.lock();
        if let Some(refund) = state.refunds.get(&request.idempotency_key) {
            return Ok(refund.clone());
        }
        Self::answer(&mut state)?;
        let refund = Refund { id: format!("re_{}", state.refunds.len() + 1), amount: request.amount };
        state.refunds.insert(request.idempotency_key.clone(), refund.clone());
        Ok(refund)
    }

    fn parse_webhook(
        &self,
        signature: &str,
        payload: &[u8],
        now: OffsetDateTime,
    ) -> Result<GatewayEvent, GatewayError> {
        if signature != self.secret {
            return Err(GatewayError::InvalidSignature);
        }
        let json: WebhookJson =
            serde_json::from_slice(payload).map_err(|e| GatewayError::Malformed(e.to_string()))?;
        let missing = |what: &str| GatewayError::Malformed(format!("missing {what}"));
        let kind = match json.kind.as_str() {
            "checkout_completed" => GatewayEventKind::CheckoutCompleted {
                session: json.session.ok_or(missing("session"))?,
                customer: None,
                payment_method: None,
            },
            "payment_succeeded" => GatewayEventKind::PaymentSucceeded {
                reference: json.reference.ok_or(missing("reference"))?,
                charge: None,
            },
            "payment_failed" => GatewayEventKind::PaymentFailed {
                reference: json.reference.ok_or(missing("reference"))?,
                reason: json.reason.unwrap_or_default(),
            },
            other => GatewayEventKind::Ignored { kind: other.to_owned() },
        };
        Ok(GatewayEvent { id: json.id, created: now, kind })
    }
}

/// A notifier that keeps what it was asked to send, for tests and embedded use.
#[derive(Debug, Default)]
pub struct RecordingNotifier(Mutex<Vec<Notification>>);

impl RecordingNotifier {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Notification> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(notification.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use tollgate_domain::{AccountKey, Money};

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-12-02 12:00 UTC);

    fn charge(key: &str) -> ChargeRequest {
        ChargeRequest {
            account: AccountKey::parse("acme").unwrap(),
            customer: "cus_acme".into(),
            payment_method: "pm_card_visa".into(),
            amount: Money::parse("45.00", "USD").unwrap(),
            reference: "inv_1".into(),
            idempotency_key: key.into(),
        }
    }

    #[tokio::test]
    async fn the_gateway_follows_its_script_and_charges_once_per_key() {
        let gateway = ScriptedGateway::new("whsec");
        gateway.script(Behaviour::FailTimes(2));
        assert!(matches!(gateway.charge(&charge("a")).await, Err(GatewayError::Unavailable(_))));
        assert!(matches!(gateway.charge(&charge("a")).await, Err(GatewayError::Unavailable(_))));
        let first = gateway.charge(&charge("a")).await.unwrap();
        assert_eq!(gateway.charge(&charge("a")).await.unwrap(), first);
        assert_eq!(gateway.charges().len(), 1);
        gateway.script(Behaviour::Decline("insufficient_funds".into()));
        assert_eq!(
            gateway.charge(&charge("b")).await,
            Err(GatewayError::Declined("insufficient_funds".into()))
        );
    }

    #[test]
    fn webhooks_verify_before_parsing() {
        let gateway = ScriptedGateway::new("whsec");
        let body = br#"{"id":"evt_1","type":"payment_failed","reference":"TG-2026-000001"}"#;
        assert_eq!(gateway.parse_webhook("wrong", body, NOW), Err(GatewayError::InvalidSignature));
        let event = gateway.parse_webhook("whsec", body, NOW).unwrap();
        assert_eq!((event.id.as_str(), event.created), ("evt_1", NOW));
        assert!(matches!(event.kind, GatewayEventKind::PaymentFailed { .. }));
        assert!(matches!(gateway.parse_webhook("whsec", b"{}", NOW), Err(GatewayError::Malformed(_))));
        let other = br#"{"id":"evt_2","type":"customer.created"}"#;
        assert!(matches!(
            gateway.parse_webhook("whsec", other, NOW).unwrap().kind,
            GatewayEventKind::Ignored { .. }
        ));
    }
}
