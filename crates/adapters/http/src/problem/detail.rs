//! What a problem says, kept as a message and its arguments until the response is written, then
//! rendered in the request's language: every `detail` of the API, in English and French, is in
//! this file (the titles are in [`super::PROBLEM_CODES`]).

use tollgate_domain::{FeatureName, InvalidValue, Locale, MetricName, PlanCode, Status, messages};

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
    /// A value breaks a rule of the domain or of a use case.
    Rule(InvalidValue),
    /// The subscription's status does not allow the operation.
    IllegalTransition(Status),
    /// `resume` without a scheduled cancellation.
    NotScheduledForCancellation,
    /// Concurrent changes to the account kept moving it while the request was decided.
    ConcurrentChange,
    /// No API key has the id.
    ApiKeyNotFound,
    /// The gateway declined the payment (its reason, as it gave it).
    PaymentDeclined(String),
    /// The payment gateway cannot be reached.
    GatewayUnavailable,
    /// Storage cannot be reached.
    Unavailable,
    /// The readiness check failed.
    DatabaseUnreachable,
    /// A fault on our side (the cause is logged, never shown).
    Internal,
}

/// Rule sentences written by the use cases rather than the domain (the domain translates its own:
/// [`messages::reason`]).
const USE_CASE_REASONS: &[(&str, &str)] = &[
    ("a name is 1 to 200 characters", "un nom fait 1 à 200 caractères"),
    ("a name has no control characters", "un nom ne contient aucun caractère de contrôle"),
    ("limit is from 1 to 100", "limit va de 1 à 100"),
    (
        "the account has no subscription: name a plan to start one",
        "le compte n'a pas d'abonnement : nommez une offre pour en démarrer un",
    ),
];

/// A rule sentence in French, or `None` when no translation is known.
fn reason_fr(english: &str) -> Option<&'static str> {
    messages::reason(english, Locale::Fr)
        .or_else(|| USE_CASE_REASONS.iter().find(|(en, _)| *en == english).map(|(_, fr)| *fr))
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
                "Send an API key as `Authorization: Bearer <key>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Malformed) => {
                "The Authorization header must be `Bearer <key>`.".to_owned()
            }
            Detail::Unauthorized(Refusal::Unknown) => "The API key is unknown or revoked.".to_owned(),
            Detail::AdminOnly => "This operation needs an admin API key.".to_owned(),
            Detail::AccountNotFound => "No account has this key.".to_owned(),
            Detail::AccountExists => "An account with this key already exists.".to_owned(),
            Detail::PlanNotFound(Some(code)) => format!("No plan has the code {code}."),
            Detail::PlanNotFound(None) => "No plan has this code.".to_owned(),
            Detail::PlanInactive(code) => format!("The plan {code} is not open to new subscriptions."),
            Detail::UnknownMetric(metric) => format!("No plan defines the metric {metric}."),
            Detail::UnknownFeature(feature) => format!("No plan defines the feature {feature}."),
            Detail::NoSubscription => "The account has no subscription.".to_owned(),
            Detail::Rule(invalid) => invalid.reason.to_owned(),
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
            Detail::PaymentDeclined(why) => format!("The payment was declined: {why}."),
            Detail::GatewayUnavailable => "The payment gateway is unavailable; retry later.".to_owned(),
            Detail::Unavailable => "The service is temporarily unavailable; retry later.".to_owned(),
            Detail::DatabaseUnreachable => "The database is not reachable.".to_owned(),
            Detail::Internal => "An internal error occurred; it has been logged.".to_owned(),
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
            Detail::AdminOnly => "Cette opération exige une clé d'API d'administrateur.".to_owned(),
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
            Detail::Rule(invalid) => reason_fr(invalid.reason).unwrap_or(invalid.reason).to_owned(),
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
            Detail::PaymentDeclined(why) => format!("Le paiement a été refusé : {why}."),
            Detail::GatewayUnavailable => {
                "La passerelle de paiement est indisponible ; réessayez plus tard.".to_owned()
            }
            Detail::Unavailable => {
                "Le service est momentanément indisponible ; réessayez plus tard.".to_owned()
            }
            Detail::DatabaseUnreachable => "La base de données est injoignable.".to_owned(),
            Detail::Internal => "Une erreur interne s'est produite ; elle a été journalisée.".to_owned(),
        }
    }
}

fn status_fr(status: Status) -> &'static str {
    match status {
        Status::Trialing => "en période d'essai",
        Status::Active => "actif",
        Status::PastDue => "en retard de paiement",
        Status::Suspended => "suspendu",
        Status::Cancelled => "résilié",
        Status::Expired => "expiré",
    }
}

/// serde's English sentence about a value in French. serde builds its messages from a few fixed
/// frames (`missing field`, `invalid type: X, expected Y`…) around names and values, so the frames
/// are translated and the names kept; our own rules are found by their sentence. Anything else is
/// left as it is: an English sentence beats a wrong one.
fn serde_message_fr(message: &str) -> String {
    if let Some(french) = reason_fr(message) {
        return french.to_owned();
    }
    // `InvalidValue`'s own Display, which is what a `try_from` type reports: "invalid key: …".
    if let Some((_, reason)) = message.strip_prefix("invalid ").and_then(|rest| rest.split_once(": "))
        && let Some(french) = reason_fr(reason)
    {
        return french.to_owned();
    }
    if message.starts_with("missing field `") {
        return "champ obligatoire absent".to_owned();
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        return format!("champ inconnu{}", accepted("champs acceptés", rest));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let value = rest.split('`').next().unwrap_or("");
        return format!("valeur inconnue `{value}`{}", accepted("valeurs acceptées", rest));
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        return format!("champ `{}` en double", rest.split('`').next().unwrap_or(""));
    }
    for (frame, french) in [("invalid type: ", "type invalide"), ("invalid value: ", "valeur invalide")] {
        if let Some((found, expected)) =
            message.strip_prefix(frame).and_then(|rest| rest.rsplit_once(", expected "))
        {
            return format!("{french} : {} reçu, {} attendu", found_fr(found), expected_fr(expected));
        }
    }
    if let Some((_, expected)) =
        message.strip_prefix("invalid length ").and_then(|rest| rest.split_once(", expected "))
    {
        return format!("longueur invalide, {} attendu", expected_fr(expected));
    }
    message.to_owned()
}

/// The names serde lists after the unknown one (`` `a`, `b` ``), as " (label : `a`, `b`)".
fn accepted(label: &str, rest: &str) -> String {
    let names: Vec<&str> = rest.split('`').skip(2).step_by(2).collect();
    if names.is_empty() { String::new() } else { format!(" ({label} : `{}`)", names.join("`, `")) }
}

/// serde's `Unexpected` ("integer `5`", "string \"x\"", "null"…) with its kind in French.
fn found_fr(found: &str) -> String {
    const KINDS: &[(&str, &str)] = &[
        ("boolean", "booléen"),
        ("integer", "entier"),
        ("floating point", "nombre à virgule"),
        ("string", "chaîne"),
        ("character", "caractère"),
        ("sequence", "tableau"),
        ("map", "objet"),
        ("unit value", "valeur vide"),
    ];
    KINDS
        .iter()
        .find_map(|(en, fr)| found.strip_prefix(en).map(|value| format!("{fr}{value}")))
        .unwrap_or_else(|| found.to_owned())
}

/// serde's `Expected` ("u64", "a string", "struct Check"…) in French, when it is a common one.
fn expected_fr(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "u128" => "un entier positif ou nul".to_owned(),
        "i8" | "i16" | "i32" | "i64" | "i128" => "un entier".to_owned(),
        "f32" | "f64" => "un nombre".to_owned(),
        "a boolean" => "un booléen".to_owned(),
        "a string" => "une chaîne".to_owned(),
        "a sequence" => "un tableau".to_owned(),
        "a map" => "un objet".to_owned(),
        other if other.starts_with("struct ") => "un objet".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_frames_are_translated_and_names_kept() {
        let cases = [
            ("missing field `quantity`", "champ obligatoire absent"),
            (
                "unknown field `colour`, expected one of `metric`, `quantity`, `feature`",
                "champ inconnu (champs acceptés : `metric`, `quantity`, `feature`)",
            ),
            (
                "unknown field `x`, expected `at_period_end`",
                "champ inconnu (champs acceptés : `at_period_end`)",
            ),
            ("unknown field `x`, there are no fields", "champ inconnu"),
            (
                "unknown variant `owner`, expected `admin` or `service`",
                "valeur inconnue `owner` (valeurs acceptées : `admin`, `service`)",
            ),
            (
                "invalid type: string \"1\", expected u64",
                "type invalide : chaîne \"1\" reçu, un entier positif ou nul attendu",
            ),
            ("invalid type: null, expected a boolean", "type invalide : null reçu, un booléen attendu"),
            (
                "invalid type: floating point `1.5`, expected u64",
                "type invalide : nombre à virgule `1.5` reçu, un entier positif ou nul attendu",
            ),
            (
                "invalid value: integer `-1`, expected u64",
                "valeur invalide : entier `-1` reçu, un entier positif ou nul attendu",
            ),
            (
                "invalid type: sequence, expected struct Check",
                "type invalide : tableau reçu, un objet attendu",
            ),
            (
                "quantity is a whole number from 1 to 1000000000000",
                "la quantité est un nombre entier de 1 à 1000000000000",
            ),
            (
                "invalid key: an account key is 1 to 128 characters of A-Z a-z 0-9 . _ : @ -",
                "une clé de compte fait 1 à 128 caractères parmi A-Z a-z 0-9 . _ : @ -",
            ),
            ("duplicate field `metric`", "champ `metric` en double"),
            ("something serde never said", "something serde never said"),
        ];
        for (english, french) in cases {
            assert_eq!(serde_message_fr(english), french, "{english}");
        }
    }

    #[test]
    fn use_case_rules_speak_french() {
        for (english, french) in USE_CASE_REASONS {
            assert_eq!(Detail::Rule(InvalidValue::new("x", english)).render(Locale::Fr), *french);
            assert_eq!(Detail::Rule(InvalidValue::new("x", english)).render(Locale::En), *english);
        }
    }
}
