//! French for what problems quote but do not own: serde's messages (which may quote a rule of
//! the domain by its English sentence) and subscription statuses.

use tollgate_domain::{Locale, Rule, Status};

/// The French of a rule's English sentence, as serde quotes it; `None` for a sentence that is
/// not one of the domain's rules.
fn rule_fr(english: &str) -> Option<&'static str> {
    Rule::from_english(english).map(|rule| rule.message(Locale::Fr))
}

pub(super) fn status_fr(status: Status) -> &'static str {
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
pub(super) fn serde_message_fr(message: &str) -> String {
    if let Some(french) = rule_fr(message) {
        return french.to_owned();
    }
    // `InvalidValue`'s own Display, which is what a `try_from` type reports: "invalid key: …".
    if let Some((_, reason)) = message.strip_prefix("invalid ").and_then(|rest| rest.split_once(": "))
        && let Some(french) = rule_fr(reason)
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
}
