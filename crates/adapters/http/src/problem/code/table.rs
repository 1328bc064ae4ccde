//! The table of problem codes: status, titles, and whether each rejects a request before any use
//! case runs.

use super::{ProblemCode, Spec};

impl ProblemCode {
    /// The code's row of the table.
    pub const fn spec(self) -> Spec {
        match self {
            ProblemCode::MalformedJson => {
                Spec::row("malformed_json", 400, "Malformed JSON", "JSON malformé", true)
            }
            ProblemCode::MalformedBody => Spec::row(
                "malformed_body",
                400,
                "Unreadable request body",
                "Corps de requête illisible",
                true,
            ),
            ProblemCode::InvalidParameter => {
                Spec::row("invalid_parameter", 400, "Invalid parameter", "Paramètre invalide", true)
            }
            ProblemCode::IdempotencyKeyRequired => Spec::row(
                "idempotency_key_required",
                400,
                "Idempotency key required",
                "Clé d'idempotence requise",
                false,
            ),
            ProblemCode::InvalidIdempotencyKey => Spec::row(
                "invalid_idempotency_key",
                400,
                "Invalid idempotency key",
                "Clé d'idempotence invalide",
                false,
            ),
            ProblemCode::Unauthorized => {
                Spec::row("unauthorized", 401, "Unauthorized", "Non authentifié", true)
            }
            ProblemCode::Forbidden => Spec::row("forbidden", 403, "Forbidden", "Interdit", true),
            ProblemCode::NotFound => Spec::row("not_found", 404, "Not found", "Introuvable", true),
            ProblemCode::AccountNotFound => {
                Spec::row("account_not_found", 404, "Account not found", "Compte introuvable", false)
            }
            ProblemCode::PlanNotFound => {
                Spec::row("plan_not_found", 404, "Plan not found", "Offre introuvable", false)
            }
            ProblemCode::SubscriptionNotFound => Spec::row(
                "subscription_not_found",
                404,
                "Subscription not found",
                "Abonnement introuvable",
                false,
            ),
            ProblemCode::ApiKeyNotFound => {
                Spec::row("api_key_not_found", 404, "API key not found", "Clé d'API introuvable", false)
            }
            ProblemCode::MethodNotAllowed => {
                Spec::row("method_not_allowed", 405, "Method not allowed", "Méthode non autorisée", true)
            }
            ProblemCode::AccountExists => {
                Spec::row("account_exists", 409, "Account exists", "Le compte existe déjà", false)
            }
            ProblemCode::InvalidTransition => Spec::row(
                "invalid_transition",
                409,
                "Invalid subscription transition",
                "Transition d'abonnement invalide",
                false,
            ),
            ProblemCode::IdempotencyKeyInUse => Spec::row(
                "idempotency_key_in_use",
                409,
                "Idempotency key in use",
                "Clé d'idempotence en cours d'utilisation",
                false,
            ),
            ProblemCode::Conflict => {
                Spec::row("conflict", 409, "Concurrent change", "Modification concurrente", false)
            }
            ProblemCode::PayloadTooLarge => {
                Spec::row("payload_too_large", 413, "Payload too large", "Corps trop volumineux", true)
            }
            ProblemCode::UnsupportedMediaType => Spec::row(
                "unsupported_media_type",
                415,
                "Unsupported media type",
                "Type de contenu non pris en charge",
                true,
            ),
            ProblemCode::InvalidBody => {
                Spec::row("invalid_body", 422, "Invalid request body", "Corps de requête invalide", true)
            }
            ProblemCode::ValidationFailed => {
                Spec::row("validation_failed", 422, "Validation failed", "Validation échouée", false)
            }
            ProblemCode::PlanInactive => {
                Spec::row("plan_inactive", 422, "Plan inactive", "Offre inactive", false)
            }
            ProblemCode::UnknownMetric => {
                Spec::row("unknown_metric", 422, "Unknown metric", "Métrique inconnue", false)
            }
            ProblemCode::UnknownFeature => {
                Spec::row("unknown_feature", 422, "Unknown feature", "Fonctionnalité inconnue", false)
            }
            ProblemCode::IdempotencyKeyReused => Spec::row(
                "idempotency_key_reused",
                422,
                "Idempotency key reused",
                "Clé d'idempotence déjà utilisée",
                false,
            ),
            ProblemCode::PaymentFailed => {
                Spec::row("payment_failed", 402, "Payment failed", "Paiement échoué", false)
            }
            ProblemCode::PaymentMethodRequired => Spec::row(
                "payment_method_required",
                402,
                "Payment method required",
                "Moyen de paiement requis",
                false,
            ),
            ProblemCode::InvalidPaymentMethod => Spec::row(
                "invalid_payment_method",
                422,
                "Invalid payment method",
                "Moyen de paiement invalide",
                false,
            ),
            ProblemCode::InvoiceNotFound => {
                Spec::row("invoice_not_found", 404, "Invoice not found", "Facture introuvable", false)
            }
            ProblemCode::InvoiceNotPayable => {
                Spec::row("invoice_not_payable", 409, "Invoice not payable", "Facture non payable", false)
            }
            ProblemCode::InvalidSignature => {
                Spec::row("invalid_signature", 400, "Invalid signature", "Signature invalide", false)
            }
            ProblemCode::CurrencyMismatch => {
                Spec::row("currency_mismatch", 422, "Currency mismatch", "Devises différentes", false)
            }
            ProblemCode::AddonNotAllowed => {
                Spec::row("addon_not_allowed", 422, "Add-on not allowed", "Option non permise", false)
            }
            ProblemCode::RegistrationClosed => {
                Spec::row("registration_closed", 403, "Registration closed", "Inscriptions fermées", false)
            }
            ProblemCode::EmailTaken => {
                Spec::row("email_taken", 409, "Email taken", "Adresse e-mail déjà utilisée", false)
            }
            ProblemCode::PasswordTooShort => {
                Spec::row("password_too_short", 422, "Password too short", "Mot de passe trop court", false)
            }
            ProblemCode::PasswordTooLong => {
                Spec::row("password_too_long", 422, "Password too long", "Mot de passe trop long", false)
            }
            ProblemCode::InvalidCredentials => {
                Spec::row("invalid_credentials", 401, "Invalid credentials", "Identifiants invalides", false)
            }
            ProblemCode::TotpRequired => Spec::row(
                "totp_required",
                401,
                "Two-factor code required",
                "Code à deux facteurs requis",
                false,
            ),
            ProblemCode::InvalidTotp => Spec::row(
                "invalid_totp",
                401,
                "Invalid two-factor code",
                "Code à deux facteurs invalide",
                false,
            ),
            ProblemCode::TooManyAttempts => {
                Spec::row("too_many_attempts", 429, "Too many attempts", "Trop de tentatives", false)
            }
            ProblemCode::RateLimited => {
                Spec::row("rate_limited", 429, "Rate limit exceeded", "Limite de débit dépassée", true)
            }
            ProblemCode::RefreshTokenReused => Spec::row(
                "refresh_token_reused",
                401,
                "Refresh token reused",
                "Jeton de rafraîchissement réutilisé",
                false,
            ),
            ProblemCode::InvalidRefreshToken => Spec::row(
                "invalid_refresh_token",
                401,
                "Invalid refresh token",
                "Jeton de rafraîchissement invalide",
                false,
            ),
            ProblemCode::InvalidToken => {
                Spec::row("invalid_token", 400, "Invalid token", "Jeton invalide", false)
            }
            ProblemCode::MemberNotFound => {
                Spec::row("member_not_found", 404, "Member not found", "Membre introuvable", false)
            }
            ProblemCode::SessionNotFound => {
                Spec::row("session_not_found", 404, "Session not found", "Session introuvable", false)
            }
            ProblemCode::UserNotFound => {
                Spec::row("user_not_found", 404, "User not found", "Utilisateur introuvable", false)
            }
            ProblemCode::LastOwner => {
                Spec::row("last_owner", 409, "Last owner", "Dernier propriétaire", false)
            }
            ProblemCode::MemberExists => {
                Spec::row("member_exists", 409, "Already a member", "Déjà membre", false)
            }
            ProblemCode::SeatLimitReached => {
                Spec::row("seat_limit_reached", 409, "Seat limit reached", "Limite de sièges atteinte", false)
            }
            ProblemCode::InvalidTotpState => Spec::row(
                "invalid_totp_state",
                409,
                "Invalid two-factor state",
                "État du double facteur invalide",
                false,
            ),
            ProblemCode::InternalError => {
                Spec::row("internal_error", 500, "Internal error", "Erreur interne", false)
            }
            ProblemCode::ServiceUnavailable => {
                Spec::row("service_unavailable", 503, "Service unavailable", "Service indisponible", false)
            }
        }
    }
}
