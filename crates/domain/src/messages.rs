//! Every human sentence a decision carries, rendered in one place from its code and numbers.
//! A [`Decision`] is data; this is its presentation, in every [`Locale`].

use crate::decision::{Decision, DecisionCode};
use crate::limit::Reset;
use crate::locale::Locale;

fn upper_first(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

impl Decision {
    /// The decision's human sentence in `locale`, from its code and numbers: every surface
    /// (HTTP, a service linking this crate) says the same thing.
    pub fn message(&self, locale: Locale) -> String {
        let subject = self
            .metric
            .as_ref()
            .map(|m| m.as_str().to_owned())
            .or_else(|| self.feature.as_ref().map(|f| f.as_str().to_owned()))
            .unwrap_or_default();
        let used = self.used.unwrap_or(0);
        let limit = self.limit.map_or_else(String::new, |l| l.to_string());
        let date = self.resets_at.map(|t| t.date().to_string());
        let upgrade = self.upgrade.as_ref().map(|u| u.name.as_str());
        let gauge = self.reset == Some(Reset::Never);
        match locale {
            Locale::En => match self.code {
                DecisionCode::Ok if self.feature.is_some() => {
                    format!("Feature {subject} is included in the plan.")
                }
                DecisionCode::Ok if self.limit.is_none() => {
                    format!("Allowed: {used} {subject} used (unlimited).")
                }
                DecisionCode::Ok => format!("Allowed: {used}/{limit} {subject} used."),
                DecisionCode::Overage => {
                    format!(
                        "Allowed past the {subject} limit ({used}/{limit}); the excess is billed as overage."
                    )
                }
                DecisionCode::LimitReached => {
                    let kind = match self.reset {
                        Some(Reset::Day) => "daily ",
                        Some(Reset::Month) => "monthly ",
                        Some(Reset::BillingPeriod) => "billing-period ",
                        _ => "",
                    };
                    let head = upper_first(format!("{kind}{subject} limit reached ({used}/{limit})."));
                    let tail = match (upgrade, date, gauge) {
                        (Some(plan), _, true) => format!(" Upgrade to {plan} or release some {subject}."),
                        (Some(plan), Some(date), false) => {
                            format!(" Upgrade to {plan} or wait until {date}.")
                        }
                        (Some(plan), None, false) => format!(" Upgrade to {plan}."),
                        (None, _, true) => format!(" Release some {subject} first."),
                        (None, Some(date), false) => format!(" Wait until {date}."),
                        (None, None, false) => String::new(),
                    };
                    head + &tail
                }
                DecisionCode::NotInPlan => match upgrade {
                    Some(plan) => {
                        format!("{subject} is not included in the plan. Upgrade to {plan} to get it.")
                    }
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
            Locale::Fr => match self.code {
                DecisionCode::Ok if self.feature.is_some() => {
                    format!("La fonctionnalité {subject} est incluse dans l'offre.")
                }
                DecisionCode::Ok if self.limit.is_none() => {
                    format!("Autorisé : {used} {subject} utilisés (illimité).")
                }
                DecisionCode::Ok => format!("Autorisé : {used}/{limit} {subject} utilisés."),
                DecisionCode::Overage => format!(
                    "Autorisé au-delà de la limite de {subject} ({used}/{limit}) ; l'excédent est facturé en dépassement."
                ),
                DecisionCode::LimitReached => {
                    let kind = match self.reset {
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
}
