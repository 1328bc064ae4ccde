//! What a problem says, kept as a message and its arguments until the response is written, then
//! rendered in the request's language: every `detail` of the API, in English and French, is in
//! this file and its French helpers in `french.rs` (the titles are in [`super::ProblemCode`]).

use tollgate_domain::{FeatureName, InvalidValue, Locale, MetricName, PlanCode, Status};

use super::billing::BillingDetail;
use super::french::{serde_message_fr, status_fr};
use super::identity::IdentityDetail;

use crate::auth::Refusal;

/// The `detail` of a problem, before it is put into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// No route matches the method and path.
    NoRoute {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// The route exists, not with this method.
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The request's path.
        path: String,
    },
    /// A path segment could not be read (the extractor's own words).
    InvalidPath(String),
    /// The body is not JSON: serde's message, and where it stopped.
    MalformedJson {
        /// serde_json's message, in English.
        message: String,
        /// The document ended too early (rather than holding a syntax error).
        eof: bool,
        /// The line of the failure (from 1).
        line: usize,
        /// The column of the failure.
        column: usize,
    },
    /// The body could not be read.
    MalformedBody,
    /// The body is over the size limit, in KiB.
    PayloadTooLarge(usize),
    /// The body is declared as something other than JSON.
    UnsupportedMediaType,
    /// The body is a JSON value other than an object.
    NotAnObject,
    /// A field of the body (or the body itself when `param` is `None`) is wrong: `message` is
    /// serde's (or a rule's) English sentence, translated when rendered.
    InvalidField {
        /// The field's path (`quantity`, `limits.tickets.max`).
        param: Option<String>,
        /// What is wrong, in English.
        message: String,
    },
    /// A check that names neither a metric nor a feature.
    MetricOrFeature,
    /// A check that names both a metric and a feature.
    MetricAndFeature,
    /// The query string could not be read (serde's English message).
    InvalidQuery(String),
    /// A list's `limit` out of 1..=100.
    LimitOutOfRange,
    /// A list's `cursor` that no page could have answered (not printable ASCII, or too long).
    InvalidCursor,
    /// `consume` and `release` need an `Idempotency-Key`.
    IdempotencyKeyRequired,
    /// The `Idempotency-Key` header is malformed.
    InvalidIdempotencyKey,
    /// The idempotency key was used for another request.
    IdempotencyKeyReused,
    /// The idempotency key's first request is still running.
    IdempotencyKeyInUse,
    /// The credential is missing, malformed, unknown or revoked.
    Unauthorized(Refusal),
    /// The operation needs an admin key.
    AdminOnly,
    /// The operation needs a platform key (`service` or `admin`) or a platform admin.
    PlatformOnly,
    /// No account has the key.
    AccountNotFound,
    /// The account key is taken.
    AccountExists,
    /// No plan has the code (the code, when known).
    PlanNotFound(Option<PlanCode>),
    /// The plan is archived.
    PlanInactive(PlanCode),
    /// No plan defines the metric.
    UnknownMetric(MetricName),
    /// No plan defines the feature.
    UnknownFeature(FeatureName),
    /// The account has no subscription.
    NoSubscription,
    /// A value breaks a rule of the domain.
    Rule(InvalidValue),
    /// The account has no subscription and the change names no plan to start one.
    PlanRequired,
    /// The subscription's status does not allow the operation.
    IllegalTransition(Status),
    /// `resume` without a scheduled cancellation.
    NotScheduledForCancellation,
    /// Concurrent changes to the account kept moving it while the request was decided.
    ConcurrentChange,
    /// No API key has the id.
    ApiKeyNotFound,
    /// The payment gateway cannot be reached.
    GatewayUnavailable,
    /// Storage cannot be reached.
    Unavailable,
    /// The readiness check failed.
    DatabaseUnreachable,
    /// A fault on our side (the cause is logged, never shown).
    Internal,
    /// A problem with credentials, tokens or memberships.
    Identity(IdentityDetail),
    /// A problem with a payment, an invoice or a webhook.
    Billing(BillingDetail),
    /// The caller went past its rate limit; the next request is let through in this many seconds.
    RateLimited(u64),
}

impl Detail {
    /// The sentence in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        match locale {
            Locale::En => self.english(),
            Locale::Fr => self.french(),
        }
    }

    fn english(&self) -> String {
        match self {
            Detail::NoRoute { method, path } => format!("No route matches {method} {path}."),
            Detail::MethodNotAllowed { method, path } => format!("{method} is not allowed on {path}."),
            Detail::InvalidPath(why) => format!("The path is not valid: {why}."),
            Detail::MalformedJson { message, .. } => format!("The body is not valid JSON: {message}."),
            Detail::MalformedBody => "The body could not be read.".to_owned(),
            Detail::PayloadTooLarge(kib) => format!("The body is larger than {kib} KiB."),
            Detail::UnsupportedMediaType => {
                "Send the body as JSON (Content-Type: application/json).".to_owned()
            }
            Detail::NotAnObject => "The body must be a JSON object.".to_owned(),
            Detail::InvalidField { param: Some(param), message } => format!("Invalid {param}: {message}."),
            Detail::InvalidField { param: None, message } => format!("The body is invalid: {message}."),
            Detail::MetricOrFeature => "Send either {\"metric\", \"quantity\"} or {\"feature\"}.".to_owned(),
            Detail::MetricAndFeature => {
                "Send either {\"metric\", \"quantity\"} or {\"feature\"}, not both.".to_owned()
            }
            Detail::InvalidQuery(why) => format!("Invalid query: {why}."),
            Detail::LimitOutOfRange => "limit is from 1 to 100.".to_owned(),
            Detail::InvalidCursor => "cursor is the next_cursor of a previous page.".to_owned(),
            Detail::IdempotencyKeyRequired => {
                "This request needs an Idempotency-Key header (1 to 255 printable ASCII characters)."
                    .to_owned()
            }
            Detail::InvalidIdempotencyKey => {
                "An Idempotency-Key is 1 to 255 printable ASCII characters.".to_owned()
            }
            Detail::IdempotencyKeyReused => {
                "This idempotency key was already used for a different request.".to_owned()
            }
            Detail::IdempotencyKeyInUse => {
                "A request with this idempotency key is still being processed; retry later.".to_owned()
            }
            Detail::Unauthorized(Refusal::Missing) => {
                "Send an API key or an access token as `Authorization: Bearer <credential>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Malformed) => {
                "The Authorization header must be `Bearer <key>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Unknown) => "The API key is unknown or revoked.".to_owned(),
            Detail::Unauthorized(Refusal::InvalidToken) => {
                "The access token is invalid, expired or revoked. Log in again.".to_owned()
            }
            Detail::AdminOnly => "This operation needs an admin API key.".to_owned(),
            Detail::PlatformOnly => {
                "This operation needs a platform API key (service or admin role).".to_owned()
            }
            Detail::AccountNotFound => "No account has this key.".to_owned(),
            Detail::AccountExists => "An account with this key already exists.".to_owned(),
            Detail::PlanNotFound(Some(code)) => format!("No plan has the code {code}."),
            Detail::PlanNotFound(None) => "No plan has this code.".to_owned(),
            Detail::PlanInactive(code) => format!("The plan {code} is not open to new subscriptions."),
            Detail::UnknownMetric(metric) => format!("No plan defines the metric {metric}."),
            Detail::UnknownFeature(feature) => format!("No plan defines the feature {feature}."),
            Detail::NoSubscription => "The account has no subscription.".to_owned(),
            Detail::Rule(invalid) => invalid.rule.message(Locale::En).to_owned(),
            Detail::PlanRequired => "the account has no subscription: name a plan to start one".to_owned(),
            Detail::IllegalTransition(from) => format!(
                "The subscription is {}: this change is not possible from that status.",
                from.as_str()
            ),
            Detail::NotScheduledForCancellation => {
                "The subscription is not scheduled for cancellation.".to_owned()
            }
            Detail::ConcurrentChange => {
                "The account was changed by concurrent requests meanwhile; nothing was applied. Retry."
                    .to_owned()
            }
            Detail::ApiKeyNotFound => "No API key has this id.".to_owned(),
            Detail::GatewayUnavailable => "The payment gateway is unavailable; retry later.".to_owned(),
            Detail::Unavailable => "The service is temporarily unavailable; retry later.".to_owned(),
            Detail::DatabaseUnreachable => "The database is not reachable.".to_owned(),
            Detail::Internal => "An internal error occurred; it has been logged.".to_owned(),
            Detail::Identity(detail) => detail.render(Locale::En),
            Detail::Billing(detail) => detail.render(Locale::En),
            Detail::RateLimited(seconds) => {
                format!("Too many requests for this rate limit; retry in {seconds} seconds.")
            }
        }
    }

    fn french(&self) -> String {
        match self {
            Detail::NoRoute { method, path } => format!("Aucune route ne correspond à {method} {path}."),
            Detail::MethodNotAllowed { method, path } => format!("{method} n'est pas autorisé sur {path}."),
            Detail::InvalidPath(why) => format!("Le chemin n'est pas valide : {why}."),
            Detail::MalformedJson { eof: true, line, column, .. } => format!(
                "Le corps n'est pas du JSON valide : il s'arrête avant la fin (ligne {line}, colonne {column})."
            ),
            Detail::MalformedJson { eof: false, line, column, .. } => format!(
                "Le corps n'est pas du JSON valide : erreur de syntaxe ligne {line}, colonne {column}."
            ),
            Detail::MalformedBody => "Le corps de la requête n'a pas pu être lu.".to_owned(),
            Detail::PayloadTooLarge(kib) => format!("Le corps dépasse {kib} Kio."),
            Detail::UnsupportedMediaType => {
                "Envoyez le corps en JSON (Content-Type: application/json).".to_owned()
            }
            Detail::NotAnObject => "Le corps doit être un objet JSON.".to_owned(),
            Detail::InvalidField { param: Some(param), message } => {
                format!("Champ {param} invalide : {}.", serde_message_fr(message))
            }
            Detail::InvalidField { param: None, message } => {
                format!("Le corps est invalide : {}.", serde_message_fr(message))
            }
            Detail::MetricOrFeature => {
                "Envoyez soit {\"metric\", \"quantity\"}, soit {\"feature\"}.".to_owned()
            }
            Detail::MetricAndFeature => {
                "Envoyez soit {\"metric\", \"quantity\"}, soit {\"feature\"}, pas les deux.".to_owned()
            }
            Detail::InvalidQuery(why) => {
                format!("Paramètres de requête invalides : {}.", serde_message_fr(why))
            }
            Detail::LimitOutOfRange => "limit va de 1 à 100.".to_owned(),
            Detail::InvalidCursor => "cursor est le next_cursor d'une page précédente.".to_owned(),
            Detail::IdempotencyKeyRequired => {
                "Cette requête exige un en-tête Idempotency-Key (1 à 255 caractères ASCII imprimables)."
                    .to_owned()
            }
            Detail::InvalidIdempotencyKey => {
                "Une Idempotency-Key fait 1 à 255 caractères ASCII imprimables.".to_owned()
            }
            Detail::IdempotencyKeyReused => {
                "Cette clé d'idempotence a déjà servi pour une autre requête.".to_owned()
            }
            Detail::IdempotencyKeyInUse => {
                "Une requête avec cette clé d'idempotence est encore en cours ; réessayez plus tard."
                    .to_owned()
            }
            Detail::Unauthorized(Refusal::Missing) => {
                "Envoyez une clé d'API : `Authorization: Bearer <clé>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Malformed) => {
                "L'en-tête Authorization doit être `Bearer <clé>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Unknown) => "La clé d'API est inconnue ou révoquée.".to_owned(),
            Detail::Unauthorized(Refusal::InvalidToken) => {
                "Le jeton d'accès est invalide, expiré ou révoqué. Reconnectez-vous.".to_owned()
            }
            Detail::AdminOnly => "Cette opération exige une clé d'API d'administrateur.".to_owned(),
            Detail::PlatformOnly => {
                "Cette opération exige une clé d'API de plateforme (rôle service ou admin).".to_owned()
            }
            Detail::AccountNotFound => "Aucun compte n'a cette clé.".to_owned(),
            Detail::AccountExists => "Un compte avec cette clé existe déjà.".to_owned(),
            Detail::PlanNotFound(Some(code)) => format!("Aucune offre n'a le code {code}."),
            Detail::PlanNotFound(None) => "Aucune offre n'a ce code.".to_owned(),
            Detail::PlanInactive(code) => {
                format!("L'offre {code} n'est pas ouverte aux nouveaux abonnements.")
            }
            Detail::UnknownMetric(metric) => format!("Aucune offre ne définit la métrique {metric}."),
            Detail::UnknownFeature(feature) => {
                format!("Aucune offre ne définit la fonctionnalité {feature}.")
            }
            Detail::NoSubscription => "Le compte n'a pas d'abonnement.".to_owned(),
            Detail::Rule(invalid) => invalid.rule.message(Locale::Fr).to_owned(),
            Detail::PlanRequired => {
                "le compte n'a pas d'abonnement : nommez une offre pour en démarrer un".to_owned()
            }
            Detail::IllegalTransition(from) => format!(
                "L'abonnement est {} : ce changement n'est pas possible depuis ce statut.",
                status_fr(*from)
            ),
            Detail::NotScheduledForCancellation => {
                "Aucune résiliation n'est programmée pour cet abonnement.".to_owned()
            }
            Detail::ConcurrentChange => {
                "Le compte a été modifié par des requêtes concurrentes entre-temps ; rien n'a été appliqué. Réessayez."
                    .to_owned()
            }
            Detail::ApiKeyNotFound => "Aucune clé d'API n'a cet identifiant.".to_owned(),
            Detail::GatewayUnavailable => {
                "La passerelle de paiement est indisponible ; réessayez plus tard.".to_owned()
            }
            Detail::Unavailable => {
                "Le service est momentanément indisponible ; réessayez plus tard.".to_owned()
            }
            Detail::DatabaseUnreachable => "La base de données est injoignable.".to_owned(),
            Detail::Internal => "Une erreur interne s'est produite ; elle a été journalisée.".to_owned(),
            Detail::Identity(detail) => detail.render(Locale::Fr),
            Detail::Billing(detail) => detail.render(Locale::Fr),
            Detail::RateLimited(seconds) => {
                format!("Trop de requêtes pour cette limite de débit ; réessayez dans {seconds} secondes.")
            }
        }
    }
}
