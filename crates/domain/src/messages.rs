//! Every human sentence a decision carries, rendered in one place from its code and parameters,
//! so every surface (HTTP, SDKs linking the domain) says the same thing.

use crate::decision::{Decision, DecisionCode};
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
}
