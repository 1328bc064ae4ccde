//! The problems of billing (payments, payment methods, invoices, webhooks), in English and
//! French, and how each billing failure of the app becomes one of them.

use tollgate_app::AppError;
use tollgate_domain::{BillingError, Locale, MoneyError};
use tollgate_ports::GatewayError;

use super::{ApiError, Detail, ProblemCode};

/// What went wrong with a payment, an invoice or a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingDetail {
    /// The gateway declined the payment (its code).
    PaymentFailed(String),
    /// No payment method is on file.
    PaymentMethodRequired,
    /// The gateway refused the token (its explanation).
    InvalidPaymentMethod(String),
    /// No invoice of the account has the number.
    InvoiceNotFound,
    /// The invoice is paid, void, or has nothing to pay.
    InvoiceNotPayable,
    /// The webhook's signature does not verify or is stale.
    InvalidSignature,
    /// The webhook is not an event the gateway sends.
    MalformedEvent,
    /// The two plans are priced in different currencies.
    CurrencyMismatch,
    /// No such gateway is configured.
    UnknownGateway,
    /// The account's plan does not allow the add-on.
    AddOnNotAllowed(String),
    /// The account does not hold the add-on.
    AddOnNotHeld,
}

impl BillingDetail {
    /// The sentence in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        match locale {
            Locale::En => self.english(),
            Locale::Fr => self.french(),
        }
    }

    fn english(&self) -> String {
        match self {
            BillingDetail::PaymentFailed(reason) => format!("The payment failed: {reason}."),
            BillingDetail::PaymentMethodRequired => {
                "No payment method is on file: set one with PUT …/payment-method.".to_owned()
            }
            BillingDetail::InvalidPaymentMethod(why) => format!("The payment method was refused: {why}"),
            BillingDetail::InvoiceNotFound => "No invoice of this account has this number.".to_owned(),
            BillingDetail::InvoiceNotPayable => {
                "This invoice is paid, void, or has nothing to pay.".to_owned()
            }
            BillingDetail::InvalidSignature => {
                "The signature does not verify, or its timestamp is too old.".to_owned()
            }
            BillingDetail::MalformedEvent => "The payload is not an event of this gateway.".to_owned(),
            BillingDetail::CurrencyMismatch => {
                "The two plans are priced in different currencies; money is never converted.".to_owned()
            }
            BillingDetail::UnknownGateway => "No such payment gateway is configured.".to_owned(),
            BillingDetail::AddOnNotAllowed(code) => {
                format!("The account's plan does not allow the add-on {code}.")
            }
            BillingDetail::AddOnNotHeld => "The account does not hold this add-on.".to_owned(),
        }
    }

    fn french(&self) -> String {
        match self {
            BillingDetail::PaymentFailed(reason) => format!("Le paiement a échoué : {reason}."),
            BillingDetail::PaymentMethodRequired => {
                "Aucun moyen de paiement enregistré : définissez-en un avec PUT …/payment-method.".to_owned()
            }
            BillingDetail::InvalidPaymentMethod(why) => format!("Le moyen de paiement a été refusé : {why}"),
            BillingDetail::InvoiceNotFound => "Aucune facture de ce compte ne porte ce numéro.".to_owned(),
            BillingDetail::InvoiceNotPayable => {
                "Cette facture est payée, annulée, ou n'a rien à payer.".to_owned()
            }
            BillingDetail::InvalidSignature => {
                "La signature ne se vérifie pas, ou son horodatage est trop ancien.".to_owned()
            }
            BillingDetail::MalformedEvent => {
                "Le contenu n'est pas un événement de ce prestataire.".to_owned()
            }
            BillingDetail::CurrencyMismatch => {
                "Les deux offres sont dans des devises différentes ; aucune conversion n'est faite."
                    .to_owned()
            }
            BillingDetail::UnknownGateway => {
                "Aucun prestataire de paiement de ce nom n'est configuré.".to_owned()
            }
            BillingDetail::AddOnNotAllowed(code) => {
                format!("L'offre du compte ne permet pas l'option {code}.")
            }
            BillingDetail::AddOnNotHeld => "Le compte n'a pas cette option.".to_owned(),
        }
    }
}

fn billing(code: ProblemCode, detail: BillingDetail) -> ApiError {
    ApiError::new(code, Detail::Billing(detail))
}

/// The problem of a billing failure; `None` when `error` is not one.
pub(super) fn problem(error: &AppError) -> Option<ApiError> {
    Some(match error {
        AppError::PaymentFailed(reason) | AppError::Gateway(GatewayError::Declined(reason)) => {
            billing(ProblemCode::PaymentFailed, BillingDetail::PaymentFailed(reason.clone()))
                .with("reason", reason.as_str())
        }
        AppError::PaymentMethodRequired => {
            billing(ProblemCode::PaymentMethodRequired, BillingDetail::PaymentMethodRequired)
        }
        AppError::PaymentMethodRejected(why) | AppError::Gateway(GatewayError::Rejected(why)) => {
            billing(ProblemCode::InvalidPaymentMethod, BillingDetail::InvalidPaymentMethod(why.clone()))
                .param("token")
        }
        AppError::NotFound("invoice") => {
            billing(ProblemCode::InvoiceNotFound, BillingDetail::InvoiceNotFound)
        }
        AppError::NotFound("gateway") => billing(ProblemCode::NotFound, BillingDetail::UnknownGateway),
        AppError::InvoiceNotPayable | AppError::Billing(BillingError::IllegalTransition { .. }) => {
            billing(ProblemCode::InvoiceNotPayable, BillingDetail::InvoiceNotPayable)
        }
        AppError::Gateway(GatewayError::InvalidSignature) => {
            billing(ProblemCode::InvalidSignature, BillingDetail::InvalidSignature)
        }
        AppError::Gateway(GatewayError::Malformed(_)) => {
            billing(ProblemCode::InvalidBody, BillingDetail::MalformedEvent)
        }
        AppError::Billing(BillingError::Money(MoneyError::CurrencyMismatch { .. })) => {
            billing(ProblemCode::CurrencyMismatch, BillingDetail::CurrencyMismatch).param("plan")
        }
        AppError::Billing(BillingError::AddOnNotAllowed(code)) => {
            billing(ProblemCode::AddonNotAllowed, BillingDetail::AddOnNotAllowed(code.to_string()))
                .param("addon")
        }
        AppError::NotFound("addon") => billing(ProblemCode::NotFound, BillingDetail::AddOnNotHeld),
        _ => return None,
    })
}
