//! The closed set of problem codes, with one table: each code's status, its title in English and
//! in French, and whether it rejects a request before any use case runs. The table is a `match`
//! over the enum, so a code without its French title (or its status) does not compile.

/// A stable problem `code` of the API (documented in `docs/problems.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    /// `malformed_json` (400).
    MalformedJson,
    /// `malformed_body` (400).
    MalformedBody,
    /// `invalid_parameter` (400).
    InvalidParameter,
    /// `idempotency_key_required` (400).
    IdempotencyKeyRequired,
    /// `invalid_idempotency_key` (400).
    InvalidIdempotencyKey,
    /// `unauthorized` (401).
    Unauthorized,
    /// `forbidden` (403).
    Forbidden,
    /// `not_found` (404).
    NotFound,
    /// `account_not_found` (404).
    AccountNotFound,
    /// `plan_not_found` (404).
    PlanNotFound,
    /// `subscription_not_found` (404).
    SubscriptionNotFound,
    /// `api_key_not_found` (404).
    ApiKeyNotFound,
    /// `method_not_allowed` (405).
    MethodNotAllowed,
    /// `account_exists` (409).
    AccountExists,
    /// `invalid_transition` (409).
    InvalidTransition,
    /// `idempotency_key_in_use` (409).
    IdempotencyKeyInUse,
    /// `conflict` (409).
    Conflict,
    /// `payload_too_large` (413).
    PayloadTooLarge,
    /// `unsupported_media_type` (415).
    UnsupportedMediaType,
    /// `invalid_body` (422).
    InvalidBody,
    /// `validation_failed` (422).
    ValidationFailed,
    /// `plan_inactive` (422).
    PlanInactive,
    /// `unknown_metric` (422).
    UnknownMetric,
    /// `unknown_feature` (422).
    UnknownFeature,
    /// `idempotency_key_reused` (422).
    IdempotencyKeyReused,
    /// `payment_declined` (402).
    PaymentDeclined,
    /// `internal_error` (500).
    InternalError,
    /// `service_unavailable` (503).
    ServiceUnavailable,
}

/// What the table says of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The snake_case code clients read.
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The title in English.
    pub en: &'static str,
    /// The title in French.
    pub fr: &'static str,
    /// Whether the problem rejects the request before any use case ran (its shape, its
    /// credential, its route): an idempotency key used with it stays free, so the corrected
    /// request runs.
    pub rejection: bool,
}

impl ProblemCode {
    /// Every code, in the order of the documentation.
    pub const ALL: [ProblemCode; 28] = [
        ProblemCode::MalformedJson,
        ProblemCode::MalformedBody,
        ProblemCode::InvalidParameter,
        ProblemCode::IdempotencyKeyRequired,
        ProblemCode::InvalidIdempotencyKey,
        ProblemCode::Unauthorized,
        ProblemCode::Forbidden,
        ProblemCode::NotFound,
        ProblemCode::AccountNotFound,
        ProblemCode::PlanNotFound,
        ProblemCode::SubscriptionNotFound,
        ProblemCode::ApiKeyNotFound,
        ProblemCode::MethodNotAllowed,
        ProblemCode::AccountExists,
        ProblemCode::InvalidTransition,
        ProblemCode::IdempotencyKeyInUse,
        ProblemCode::Conflict,
        ProblemCode::PayloadTooLarge,
        ProblemCode::UnsupportedMediaType,
        ProblemCode::InvalidBody,
        ProblemCode::ValidationFailed,
        ProblemCode::PlanInactive,
        ProblemCode::UnknownMetric,
        ProblemCode::UnknownFeature,
        ProblemCode::IdempotencyKeyReused,
        ProblemCode::PaymentDeclined,
        ProblemCode::InternalError,
        ProblemCode::ServiceUnavailable,
    ];

    /// The code's row of the table.
    pub const fn spec(self) -> Spec {
        match self {
            ProblemCode::MalformedJson => Spec {
                code: "malformed_json",
                status: 400,
                en: "Malformed JSON",
                fr: "JSON malformé",
                rejection: true,
            },
            ProblemCode::MalformedBody => Spec {
                code: "malformed_body",
                status: 400,
                en: "Unreadable request body",
                fr: "Corps de requête illisible",
                rejection: true,
            },
            ProblemCode::InvalidParameter => Spec {
                code: "invalid_parameter",
                status: 400,
                en: "Invalid parameter",
                fr: "Paramètre invalide",
                rejection: true,
            },
            ProblemCode::IdempotencyKeyRequired => Spec {
                code: "idempotency_key_required",
                status: 400,
                en: "Idempotency key required",
                fr: "Clé d'idempotence requise",
                rejection: false,
            },
            ProblemCode::InvalidIdempotencyKey => Spec {
                code: "invalid_idempotency_key",
                status: 400,
                en: "Invalid idempotency key",
                fr: "Clé d'idempotence invalide",
                rejection: false,
            },
            ProblemCode::Unauthorized => Spec {
                code: "unauthorized",
                status: 401,
                en: "Unauthorized",
                fr: "Non authentifié",
                rejection: true,
            },
            ProblemCode::Forbidden => {
                Spec { code: "forbidden", status: 403, en: "Forbidden", fr: "Interdit", rejection: true }
            }
            ProblemCode::NotFound => {
                Spec { code: "not_found", status: 404, en: "Not found", fr: "Introuvable", rejection: true }
            }
            ProblemCode::AccountNotFound => Spec {
                code: "account_not_found",
                status: 404,
                en: "Account not found",
                fr: "Compte introuvable",
                rejection: false,
            },
            ProblemCode::PlanNotFound => Spec {
                code: "plan_not_found",
                status: 404,
                en: "Plan not found",
                fr: "Offre introuvable",
                rejection: false,
            },
            ProblemCode::SubscriptionNotFound => Spec {
                code: "subscription_not_found",
                status: 404,
                en: "Subscription not found",
                fr: "Abonnement introuvable",
                rejection: false,
            },
            ProblemCode::ApiKeyNotFound => Spec {
                code: "api_key_not_found",
                status: 404,
                en: "API key not found",
                fr: "Clé d'API introuvable",
                rejection: false,
            },
            ProblemCode::MethodNotAllowed => Spec {
                code: "method_not_allowed",
                status: 405,
                en: "Method not allowed",
                fr: "Méthode non autorisée",
                rejection: true,
            },
            ProblemCode::AccountExists => Spec {
                code: "account_exists",
                status: 409,
                en: "Account exists",
                fr: "Le compte existe déjà",
                rejection: false,
            },
            ProblemCode::InvalidTransition => Spec {
                code: "invalid_transition",
                status: 409,
                en: "Invalid subscription transition",
                fr: "Transition d'abonnement invalide",
                rejection: false,
            },
            ProblemCode::IdempotencyKeyInUse => Spec {
                code: "idempotency_key_in_use",
                status: 409,
                en: "Idempotency key in use",
                fr: "Clé d'idempotence en cours d'utilisation",
                rejection: false,
            },
            ProblemCode::Conflict => Spec {
                code: "conflict",
                status: 409,
                en: "Concurrent change",
                fr: "Modification concurrente",
                rejection: false,
            },
            ProblemCode::PayloadTooLarge => Spec {
                code: "payload_too_large",
                status: 413,
                en: "Payload too large",
                fr: "Corps trop volumineux",
                rejection: true,
            },
            ProblemCode::UnsupportedMediaType => Spec {
                code: "unsupported_media_type",
                status: 415,
                en: "Unsupported media type",
                fr: "Type de contenu non pris en charge",
                rejection: true,
            },
            ProblemCode::InvalidBody => Spec {
                code: "invalid_body",
                status: 422,
                en: "Invalid request body",
                fr: "Corps de requête invalide",
                rejection: true,
            },
            ProblemCode::ValidationFailed => Spec {
                code: "validation_failed",
                status: 422,
                en: "Validation failed",
                fr: "Validation échouée",
                rejection: false,
            },
            ProblemCode::PlanInactive => Spec {
                code: "plan_inactive",
                status: 422,
                en: "Plan inactive",
                fr: "Offre inactive",
                rejection: false,
            },
            ProblemCode::UnknownMetric => Spec {
                code: "unknown_metric",
                status: 422,
                en: "Unknown metric",
                fr: "Métrique inconnue",
                rejection: false,
            },
            ProblemCode::UnknownFeature => Spec {
                code: "unknown_feature",
                status: 422,
                en: "Unknown feature",
                fr: "Fonctionnalité inconnue",
                rejection: false,
            },
            ProblemCode::IdempotencyKeyReused => Spec {
                code: "idempotency_key_reused",
                status: 422,
                en: "Idempotency key reused",
                fr: "Clé d'idempotence déjà utilisée",
                rejection: false,
            },
            ProblemCode::PaymentDeclined => Spec {
                code: "payment_declined",
                status: 402,
                en: "Payment declined",
                fr: "Paiement refusé",
                rejection: false,
            },
            ProblemCode::InternalError => Spec {
                code: "internal_error",
                status: 500,
                en: "Internal error",
                fr: "Erreur interne",
                rejection: false,
            },
            ProblemCode::ServiceUnavailable => Spec {
                code: "service_unavailable",
                status: 503,
                en: "Service unavailable",
                fr: "Service indisponible",
                rejection: false,
            },
        }
    }

    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        self.spec().code
    }
}
