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
    /// `registration_closed` (403).
    RegistrationClosed,
    /// `email_taken` (409).
    EmailTaken,
    /// `password_too_short` (422).
    PasswordTooShort,
    /// `password_too_long` (422).
    PasswordTooLong,
    /// `invalid_credentials` (401).
    InvalidCredentials,
    /// `totp_required` (401).
    TotpRequired,
    /// `invalid_totp` (401).
    InvalidTotp,
    /// `too_many_attempts` (429).
    TooManyAttempts,
    /// `rate_limited` (429).
    RateLimited,
    /// `refresh_token_reused` (401).
    RefreshTokenReused,
    /// `invalid_refresh_token` (401).
    InvalidRefreshToken,
    /// `invalid_token` (400).
    InvalidToken,
    /// `member_not_found` (404).
    MemberNotFound,
    /// `session_not_found` (404).
    SessionNotFound,
    /// `user_not_found` (404).
    UserNotFound,
    /// `last_owner` (409).
    LastOwner,
    /// `member_exists` (409).
    MemberExists,
    /// `seat_limit_reached` (409).
    SeatLimitReached,
    /// `invalid_totp_state` (409).
    InvalidTotpState,
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

impl Spec {
    const fn row(
        code: &'static str,
        status: u16,
        en: &'static str,
        fr: &'static str,
        rejection: bool,
    ) -> Spec {
        Spec { code, status, en, fr, rejection }
    }
}

impl ProblemCode {
    /// Every code, in the order of the documentation.
    pub const ALL: [ProblemCode; 47] = [
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
        ProblemCode::RegistrationClosed,
        ProblemCode::EmailTaken,
        ProblemCode::PasswordTooShort,
        ProblemCode::PasswordTooLong,
        ProblemCode::InvalidCredentials,
        ProblemCode::TotpRequired,
        ProblemCode::InvalidTotp,
        ProblemCode::TooManyAttempts,
        ProblemCode::RateLimited,
        ProblemCode::RefreshTokenReused,
        ProblemCode::InvalidRefreshToken,
        ProblemCode::InvalidToken,
        ProblemCode::MemberNotFound,
        ProblemCode::SessionNotFound,
        ProblemCode::UserNotFound,
        ProblemCode::LastOwner,
        ProblemCode::MemberExists,
        ProblemCode::SeatLimitReached,
        ProblemCode::InvalidTotpState,
        ProblemCode::InternalError,
        ProblemCode::ServiceUnavailable,
    ];

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
            ProblemCode::PaymentDeclined => {
                Spec::row("payment_declined", 402, "Payment declined", "Paiement refusé", false)
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

    /// The snake_case code.
    pub const fn as_str(self) -> &'static str {
        self.spec().code
    }
}
