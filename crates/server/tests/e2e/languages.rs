//! Problems and decisions in the language the client asks for (`Accept-Language`).

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, fresh_key};

/// Sends `request` in English (no header) then in French; asserts both answer `status` and
/// `code`, that only the title and detail change, and returns the French detail.
async fn in_both_languages(request: impl Fn() -> RequestBuilder, status: u16, code: &str) -> String {
    let english = request().send().await.expect("request");
    assert_eq!(english.headers()["content-language"], "en");
    let english = assert_problem(english, status, code).await;
    let french =
        request().header("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8").send().await.expect("request");
    assert_eq!(french.headers()["content-language"], "fr");
    let french = assert_problem(french, status, code).await;
    for member in ["type", "status", "code", "param"] {
        assert_eq!(french.get(member), english.get(member), "{member}: {french} / {english}");
    }
    assert_ne!(french["title"], english["title"], "{french}");
    assert_ne!(french["detail"], english["detail"], "{french}");
    french["detail"].as_str().unwrap_or_default().to_owned()
}

async fn problems_follow_accept_language_and_keep_their_code(app: &TestApp) {
    app.create_account("lang", "free").await;
    let consume = |body: &'static str| {
        move || {
            app.admin(Method::POST, "/v1/accounts/lang/consume")
                .header("Idempotency-Key", fresh_key())
                .header("Content-Type", "application/json")
                .body(body)
        }
    };

    let detail =
        in_both_languages(consume(r#"{"metric": "tickets", "quantity": "1"}"#), 422, "invalid_body").await;
    assert_eq!(
        detail,
        "Champ quantity invalide : type invalide : chaîne \"1\" reçu, un entier positif ou nul attendu."
    );
    let detail =
        in_both_languages(consume(r#"{"metric": "tickets", "quantity": 0}"#), 422, "invalid_body").await;
    assert_eq!(detail, "Champ quantity invalide : la quantité est un nombre entier de 1 à 1000000000000.");
    let detail = in_both_languages(consume(r#"{"metric": "tickets", "#), 400, "malformed_json").await;
    assert!(detail.starts_with("Le corps n'est pas du JSON valide"), "{detail}");
    let detail =
        in_both_languages(consume(r#"{"metric": "rockets", "quantity": 1}"#), 422, "unknown_metric").await;
    assert_eq!(detail, "Aucune offre ne définit la métrique rockets.");

    let unknown = || app.admin(Method::GET, "/v1/accounts/nobody");
    let detail = in_both_languages(unknown, 404, "account_not_found").await;
    assert_eq!(detail, "Aucun compte n'a cette clé.");
    let anonymous = || app.anonymous(Method::GET, "/v1/accounts/lang");
    let detail = in_both_languages(anonymous, 401, "unauthorized").await;
    assert_eq!(detail, "Envoyez une clé d'API : `Authorization: Bearer <clé>`.");
    let revoked = || app.with_key("tg_not_a_key", Method::GET, "/v1/accounts/lang");
    assert_eq!(
        in_both_languages(revoked, 401, "unauthorized").await,
        "La clé d'API est inconnue ou révoquée."
    );
    let nowhere = || app.anonymous(Method::GET, "/nowhere");
    assert_eq!(
        in_both_languages(nowhere, 404, "not_found").await,
        "Aucune route ne correspond à GET /nowhere."
    );

    // Decisions speak it too; their code stays.
    let check = |language: &str| {
        app.admin(Method::POST, "/v1/accounts/lang/check")
            .header("Accept-Language", language)
            .json(&json!({"feature": "api_access"}))
    };
    let english: Value = check("en").send().await.unwrap().json().await.unwrap();
    let french: Value = check("fr").send().await.unwrap().json().await.unwrap();
    assert_eq!(
        (english["code"].as_str(), french["code"].as_str()),
        (Some("not_in_plan"), Some("not_in_plan"))
    );
    assert!(french["message"].as_str().unwrap().contains("n'est pas inclus dans l'offre"), "{french}");
}

crate::on_every_backend!(problems_follow_accept_language_and_keep_their_code);
