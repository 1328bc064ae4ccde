//! Every human sentence a decision carries, rendered in one place from its code and parameters,
//! so every surface (HTTP, SDKs linking the domain) says the same thing; and the sentences of the
//! rules an [`InvalidValue`] names, in every language.

use crate::decision::{Decision, DecisionCode};
use crate::ids::InvalidValue;
use crate::plan::Reset;

/// A language Tollgate speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English (the default).
    #[default]
    En,
    /// French.
    Fr,
}

impl Locale {
    /// Picks the best supported language of an `Accept-Language` header value (`fr-CA,fr;q=0.9`),
    /// English when none is supported or the header is malformed.
    pub fn negotiate(accept_language: &str) -> Locale {
        let mut best: Option<(u16, Locale)> = None;
        for part in accept_language.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_quality)
                .unwrap_or(0);
            let primary = tag.split('-').next().unwrap_or("");
            let locale = match primary {
                "fr" => Locale::Fr,
                "en" => Locale::En,
                _ => continue,
            };
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
        best.map_or(Locale::En, |(_, l)| l)
    }

    /// The BCP 47 tag (`en`, `fr`).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Fr => "fr",
        }
    }
}

/// `q=0.8` → 800; `None` when malformed.
fn parse_quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let value = whole * 1000 + frac;
    (value <= 1000).then_some(value)
}

fn upper_first(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// Renders the decision's message in `locale`.
pub fn render(d: &Decision, locale: Locale) -> String {
    let subject = d
        .metric
        .as_ref()
        .map(|m| m.as_str().to_owned())
        .or_else(|| d.feature.as_ref().map(|f| f.as_str().to_owned()))
        .unwrap_or_default();
    let used = d.used.unwrap_or(0);
    let limit = d.limit.map_or_else(String::new, |l| l.to_string());
    let date = d.resets_at.map(|t| t.date().to_string());
    let upgrade = d.upgrade.as_ref().map(|u| u.name.as_str());
    let gauge = d.reset == Some(Reset::Never);
    match locale {
        Locale::En => match d.code {
            DecisionCode::Ok if d.feature.is_some() => format!("Feature {subject} is included in the plan."),
            DecisionCode::Ok if d.limit.is_none() => format!("Allowed: {used} {subject} used (unlimited)."),
            DecisionCode::Ok => format!("Allowed: {used}/{limit} {subject} used."),
            DecisionCode::Overage => {
                format!("Allowed past the {subject} limit ({used}/{limit}); the excess is billed as overage.")
            }
            DecisionCode::LimitReached => {
                let kind = match d.reset {
                    Some(Reset::Day) => "daily ",
                    Some(Reset::Month) => "monthly ",
                    Some(Reset::BillingPeriod) => "billing-period ",
                    _ => "",
                };
                let head = upper_first(format!("{kind}{subject} limit reached ({used}/{limit})."));
                let tail = match (upgrade, date, gauge) {
                    (Some(plan), _, true) => format!(" Upgrade to {plan} or release some {subject}."),
                    (Some(plan), Some(date), false) => format!(" Upgrade to {plan} or wait until {date}."),
                    (Some(plan), None, false) => format!(" Upgrade to {plan}."),
                    (None, _, true) => format!(" Release some {subject} first."),
                    (None, Some(date), false) => format!(" Wait until {date}."),
                    (None, None, false) => String::new(),
                };
                head + &tail
            }
            DecisionCode::NotInPlan => match upgrade {
                Some(plan) => format!("{subject} is not included in the plan. Upgrade to {plan} to get it."),
                None => format!("{subject} is not included in the plan."),
            },
            DecisionCode::NoSubscription => "The account has no subscription.".to_owned(),
            DecisionCode::TrialExpired => {
                "The trial has ended. Subscribe to a paid plan to continue.".to_owned()
            }
            DecisionCode::SubscriptionSuspended => "The subscription is suspended.".to_owned(),
            DecisionCode::SubscriptionCancelled => "The subscription is cancelled.".to_owned(),
            DecisionCode::SubscriptionExpired => "The subscription has expired.".to_owned(),
            DecisionCode::PaymentRequired => {
                "A payment is overdue. Update the payment method to continue.".to_owned()
            }
        },
        Locale::Fr => match d.code {
            DecisionCode::Ok if d.feature.is_some() => {
                format!("La fonctionnalité {subject} est incluse dans l'offre.")
            }
            DecisionCode::Ok if d.limit.is_none() => {
                format!("Autorisé : {used} {subject} utilisés (illimité).")
            }
            DecisionCode::Ok => format!("Autorisé : {used}/{limit} {subject} utilisés."),
            DecisionCode::Overage => format!(
                "Autorisé au-delà de la limite de {subject} ({used}/{limit}) ; l'excédent est facturé en dépassement."
            ),
            DecisionCode::LimitReached => {
                let kind = match d.reset {
                    Some(Reset::Day) => "quotidienne ",
                    Some(Reset::Month) => "mensuelle ",
                    Some(Reset::BillingPeriod) => "de la période ",
                    _ => "",
                };
                let head = format!("Limite {kind}de {subject} atteinte ({used}/{limit}).");
                let tail = match (upgrade, date, gauge) {
                    (Some(plan), _, true) => format!(" Passez à {plan} ou libérez des {subject}."),
                    (Some(plan), Some(date), false) => format!(" Passez à {plan} ou attendez le {date}."),
                    (Some(plan), None, false) => format!(" Passez à {plan}."),
                    (None, _, true) => format!(" Libérez d'abord des {subject}."),
                    (None, Some(date), false) => format!(" Attendez le {date}."),
                    (None, None, false) => String::new(),
                };
                head + &tail
            }
            DecisionCode::NotInPlan => match upgrade {
                Some(plan) => {
                    format!("{subject} n'est pas inclus dans l'offre. Passez à {plan} pour l'obtenir.")
                }
                None => format!("{subject} n'est pas inclus dans l'offre."),
            },
            DecisionCode::NoSubscription => "Le compte n'a pas d'abonnement.".to_owned(),
            DecisionCode::TrialExpired => {
                "La période d'essai est terminée. Souscrivez une offre payante pour continuer.".to_owned()
            }
            DecisionCode::SubscriptionSuspended => "L'abonnement est suspendu.".to_owned(),
            DecisionCode::SubscriptionCancelled => "L'abonnement est résilié.".to_owned(),
            DecisionCode::SubscriptionExpired => "L'abonnement a expiré.".to_owned(),
            DecisionCode::PaymentRequired => {
                "Un paiement est en retard. Mettez à jour le moyen de paiement pour continuer.".to_owned()
            }
        },
    }
}

/// Every rule sentence of this crate ([`InvalidValue::reason`]) with its French translation.
const REASONS: &[(&str, &str)] = &[
    (
        "an account key is 1 to 128 characters of A-Z a-z 0-9 . _ : @ -",
        "une clé de compte fait 1 à 128 caractères parmi A-Z a-z 0-9 . _ : @ -",
    ),
    (
        "a plan code is 1 to 64 characters of a-z 0-9 _ - starting with a letter or digit",
        "un code d'offre fait 1 à 64 caractères parmi a-z 0-9 _ - et commence par une lettre ou un chiffre",
    ),
    (
        "a metric name is 1 to 64 characters of a-z 0-9 _ starting with a letter",
        "un nom de métrique fait 1 à 64 caractères parmi a-z 0-9 _ et commence par une lettre",
    ),
    (
        "a feature name is 1 to 64 characters of a-z 0-9 _ starting with a letter",
        "un nom de fonctionnalité fait 1 à 64 caractères parmi a-z 0-9 _ et commence par une lettre",
    ),
    (
        "an idempotency key is 1 to 255 printable ASCII characters",
        "une clé d'idempotence fait 1 à 255 caractères ASCII imprimables",
    ),
    ("an email address looks like name@example.com", "une adresse e-mail s'écrit comme nom@example.com"),
    (
        "quantity is a whole number from 1 to 1000000000000",
        "la quantité est un nombre entier de 1 à 1000000000000",
    ),
    ("seats is a whole number from 1 to 1000000", "le nombre de sièges est un entier de 1 à 1000000"),
    ("unknown subscription status", "statut d'abonnement inconnu"),
    ("an add-on code is 1 to 64 characters", "un code d'option fait 1 à 64 caractères"),
    ("an add-on quantity is at least 1", "une option se prend au moins une fois"),
    (
        "a currency is an ISO 4217 code such as USD, EUR or XOF",
        "une devise est un code ISO 4217 comme USD, EUR ou XOF",
    ),
    ("an amount is a decimal string such as \"19.99\"", "un montant est une chaîne décimale comme \"19.99\""),
    (
        "the amount has more decimal places than its currency allows",
        "le montant a plus de décimales que sa devise n'en permet",
    ),
    ("a name is 1 to 200 characters", "un nom fait 1 à 200 caractères"),
    ("text cannot contain control characters", "le texte ne peut pas contenir de caractères de contrôle"),
    ("a plan name is 1 to 200 characters", "le nom d'une offre fait 1 à 200 caractères"),
    ("a description is at most 2000 characters", "une description fait au plus 2000 caractères"),
    ("a price cannot be negative", "un prix ne peut pas être négatif"),
    (
        "a price is a whole number of minor units",
        "un prix est un nombre entier d'unités mineures de sa devise",
    ),
    ("a trial is at most 730 days", "un essai dure au plus 730 jours"),
    ("versions start at 1", "les versions commencent à 1"),
];

/// A rule sentence of this crate ([`InvalidValue::reason`]) in `locale`, found by its English
/// text: the sentence also travels as plain text (through serde errors, for one), so the text is
/// the key. `None` for a sentence this crate did not write.
pub fn reason(english: &str, locale: Locale) -> Option<&'static str> {
    let (en, fr) = REASONS.iter().find(|(en, _)| *en == english)?;
    Some(match locale {
        Locale::En => en,
        Locale::Fr => fr,
    })
}

impl InvalidValue {
    /// [`InvalidValue::reason`] in `locale` (as written when no translation is known).
    pub fn reason_in(&self, locale: Locale) -> &'static str {
        reason(self.reason, locale).unwrap_or(self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Locale::negotiate("fr-CA,fr;q=0.9,en;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("de, en;q=0.5, fr;q=0.7"), Locale::Fr);
        assert_eq!(Locale::negotiate("en-US"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=0"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=bogus"), Locale::En);
        assert_eq!(Locale::negotiate(""), Locale::En);
        assert_eq!(Locale::negotiate("*"), Locale::En);
    }

    #[test]
    fn every_rule_of_the_crate_speaks_french() {
        use crate::{
            AccountKey, AddOn, Currency, Email, FeatureName, IdempotencyKey, MetricName, Money, Plan,
            PlanCode, PlanDraft, Quantity, Status,
        };
        let draft: PlanDraft = serde_json::from_str(
            r#"{"code": "pro", "name": "Pro", "price": {"amount": "45.00", "currency": "USD"},
                "interval": "month"}"#,
        )
        .unwrap();
        let mut invalid = vec![
            AccountKey::parse("").unwrap_err(),
            PlanCode::parse("").unwrap_err(),
            MetricName::parse("").unwrap_err(),
            FeatureName::parse("").unwrap_err(),
            IdempotencyKey::parse("").unwrap_err(),
            Email::parse("").unwrap_err(),
            Quantity::new(0).unwrap_err(),
            Status::parse("").unwrap_err(),
            Currency::parse("").unwrap_err(),
            Money::parse("x", "USD").unwrap_err(),
            Money::parse("1.001", "USD").unwrap_err(),
            AddOn { code: String::new(), quantity: 1, limits: Default::default(), features: vec![] }
                .validate()
                .unwrap_err(),
            AddOn { code: "a".into(), quantity: 0, limits: Default::default(), features: vec![] }
                .validate()
                .unwrap_err(),
        ];
        let mut plan_error = |change: &dyn Fn(&mut PlanDraft), version| {
            let mut terms = draft.clone();
            change(&mut terms);
            let crate::PlanError::Invalid(error) = Plan::new(terms, version).unwrap_err();
            invalid.push(error);
        };
        plan_error(&|d| d.name = String::new(), 1);
        plan_error(&|d| d.description = "x".repeat(2001), 1);
        plan_error(&|d| d.price = Money::parse("-1", "USD").unwrap(), 1);
        plan_error(&|d| d.trial_days = 731, 1);
        plan_error(&|_| {}, 0);
        let usd = Currency::parse("USD").unwrap();
        plan_error(&|d| d.price = Money::new(rust_decimal::Decimal::new(1001, 3), usd), 1);
        let Err(crate::SubscriptionError::Invalid(seats)) = crate::Subscription::start(
            &Plan::new(draft.clone(), 1).unwrap(),
            0,
            time::OffsetDateTime::UNIX_EPOCH,
        ) else {
            panic!("zero seats are refused");
        };
        invalid.push(seats);
        for error in &invalid {
            let french = reason(error.reason, Locale::Fr);
            assert!(french.is_some_and(|f| f != error.reason), "no French for {:?}", error.reason);
            assert_eq!(reason(error.reason, Locale::En), Some(error.reason));
            assert_eq!(error.reason_in(Locale::Fr), french.unwrap());
        }
        assert_eq!(reason("a sentence of someone else", Locale::Fr), None);
        assert_eq!(InvalidValue::new("x", "elsewhere").reason_in(Locale::Fr), "elsewhere");
    }
}
