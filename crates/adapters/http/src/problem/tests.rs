//! The problem table, the mapping of use-case errors, JSON errors and localisation.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use serde::Deserialize;
use tollgate_domain::{InvalidValue, MetricName, PlanCode, Quantity, Rule, Status, Transition};

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Body {
    metric: String,
    quantity: Quantity,
}

fn parse(json: &str) -> ApiError {
    crate::body::parse::<Body>(json.as_bytes()).unwrap_err()
}

#[test]
fn every_code_has_one_status() {
    for (i, code) in ProblemCode::ALL.iter().enumerate() {
        let spec = code.spec();
        assert!(ProblemCode::ALL[i + 1..].iter().all(|c| c.as_str() != spec.code), "{code:?} twice");
        let problem = ApiError::new(*code, Detail::Internal);
        assert_eq!(problem.status().as_u16(), spec.status);
        assert_eq!((problem.title(Locale::En), problem.title(Locale::Fr)), (spec.en, spec.fr));
        assert_ne!(spec.en, spec.fr, "{code:?} has a French title");
    }
}

#[test]
fn json_errors_name_the_field() {
    let cases = [
        (r#"{"metric": "t", "quantity": "1"}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": 0}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": -1}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": 1.5}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": 1000000000001}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t"}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": 1, "colour": 1}"#, "invalid_body", Some("colour")),
        (r#"{"metric": 5, "quantity": 1}"#, "invalid_body", Some("metric")),
        (r#"{"metric": "t", "#, "malformed_json", None),
        (r#"{} {}"#, "malformed_json", None),
        (r#"{"metric": "t", "quantity": null}"#, "invalid_body", Some("quantity")),
        (r#"{"metric": "t", "quantity": 99999999999999999999999}"#, "invalid_body", Some("quantity")),
        (r#"[1, 2]"#, "invalid_body", None),
    ];
    for (json, code, param) in cases {
        let problem = parse(json);
        assert_eq!(problem.code(), code, "{json}: {problem:?}");
        assert_eq!(problem.to_json(Locale::En).get("param").and_then(Value::as_str), param, "{json}");
    }
}

#[test]
fn app_errors_map_to_one_status_and_code() {
    let plan = PlanCode::parse("gold").unwrap();
    let cases = [
        (ApiError::app(AppError::AccountNotFound), 404, "account_not_found"),
        (ApiError::app(AppError::AccountExists), 409, "account_exists"),
        (ApiError::app(AppError::PlanNotFound(plan.clone())), 404, "plan_not_found"),
        (ApiError::app_body(AppError::PlanNotFound(plan.clone())), 422, "plan_not_found"),
        (ApiError::app(AppError::PlanInactive(plan)), 422, "plan_inactive"),
        (ApiError::app(AppError::NoSubscription), 404, "subscription_not_found"),
        (
            ApiError::app(AppError::Invalid(InvalidValue::new("name", Rule::NameLength))),
            422,
            "validation_failed",
        ),
        (
            ApiError::app(AppError::Subscription(SubscriptionError::IllegalTransition {
                from: Status::Cancelled,
                transition: Transition::Resume,
            })),
            409,
            "invalid_transition",
        ),
        (ApiError::app(AppError::IdempotencyMismatch), 422, "idempotency_key_reused"),
        (ApiError::app(AppError::Unavailable("down".into())), 503, "service_unavailable"),
        (ApiError::app(AppError::Internal("boom".into())), 500, "internal_error"),
    ];
    for (problem, status, code) in cases {
        assert_eq!((problem.status().as_u16(), problem.code()), (status, code));
    }
    let internal = ApiError::app(AppError::Internal("secret detail".into()));
    for locale in [Locale::En, Locale::Fr] {
        assert!(!internal.to_json(locale).to_string().contains("secret detail"));
    }
}

#[test]
fn problems_are_rfc9457_documents() {
    let metric = MetricName::parse("x").unwrap();
    let doc = ApiError::new(ProblemCode::UnknownMetric, Detail::UnknownMetric(metric))
        .param("metric")
        .to_json(Locale::En);
    assert_eq!(doc["status"], 422);
    assert_eq!(doc["code"], "unknown_metric");
    assert_eq!(doc["param"], "metric");
    assert!(doc["type"].as_str().unwrap().ends_with("#unknown_metric"));
    assert_eq!(doc["title"], "Unknown metric");
}

#[test]
fn titles_and_details_speak_the_locale_and_nothing_else_changes() {
    let cases = [
        parse(r#"{"metric": "t", "quantity": "1"}"#),
        parse(r#"{"metric": "t", "quantity": 0}"#),
        parse(r#"{"metric": "t", "colour": 1, "quantity": 1}"#),
        parse(r#"{"metric": "t", "#),
        parse(r#"[1]"#),
        ApiError::app(AppError::AccountNotFound),
        ApiError::app_body(AppError::PlanNotFound(PlanCode::parse("gold").unwrap())),
        ApiError::app(AppError::Invalid(InvalidValue::new("seats", Rule::Seats))),
        ApiError::app(AppError::Subscription(SubscriptionError::IllegalTransition {
            from: Status::PastDue,
            transition: Transition::Suspend,
        })),
        ApiError::app(AppError::Subscription(SubscriptionError::NotScheduledForCancellation)),
        ApiError::unauthorized(Refusal::Unknown),
        ApiError::new(ProblemCode::NotFound, Detail::NoRoute { method: "GET".into(), path: "/x".into() }),
        ApiError::new(ProblemCode::PayloadTooLarge, Detail::PayloadTooLarge(64)),
    ];
    for problem in cases {
        let (en, fr) = (problem.to_json(Locale::En), problem.to_json(Locale::Fr));
        for member in ["type", "status", "code", "param"] {
            assert_eq!(en.get(member), fr.get(member), "{member} of {en}");
        }
        assert_ne!(en["title"], fr["title"]);
        assert_ne!(en["detail"], fr["detail"]);
        let detail = fr["detail"].as_str().unwrap();
        for english in
            ["invalid type", "invalid value", "expected", "missing field", "unknown field", "The ", "No "]
        {
            assert!(!detail.contains(english), "{english:?} in {detail}");
        }
    }
    let quantity = parse(r#"{"metric": "t", "quantity": "1"}"#);
    assert_eq!(
        quantity.detail(Locale::Fr),
        "Champ quantity invalide : type invalide : chaîne \"1\" reçu, un entier positif ou nul attendu."
    );
    assert_eq!(quantity.detail(Locale::En), "Invalid quantity: invalid type: string \"1\", expected u64.");
    assert_eq!(
        parse(r#"{"metric": "t", "#).detail(Locale::Fr),
        "Le corps n'est pas du JSON valide : il s'arrête avant la fin (ligne 1, colonne 16)."
    );
}

#[actix_web::test]
async fn a_problem_response_is_written_again_in_the_request_language() {
    use actix_web::body::MessageBody as _;
    use actix_web::test::TestRequest;

    let problem = ApiError::app(AppError::AccountNotFound);
    let respond = |accept_language: Option<&str>| {
        let mut request = TestRequest::default();
        if let Some(value) = accept_language {
            request = request.insert_header((header::ACCEPT_LANGUAGE, value));
        }
        let mut response = problem.error_response();
        response.headers_mut().insert(header::ETAG, HeaderValue::from_static("\"kept\""));
        localize(ServiceResponse::new(request.to_http_request(), response))
    };
    let body = |response: ServiceResponse<BoxBody>| -> (String, Value) {
        let headers = response.headers();
        let language = headers.get(header::CONTENT_LANGUAGE).unwrap().to_str().unwrap().to_owned();
        assert_eq!(headers.get(header::ETAG).unwrap(), "\"kept\"");
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let bytes = response.into_body().try_into_bytes().ok().unwrap();
        (language, serde_json::from_slice(&bytes).unwrap())
    };
    let (language, fr) = body(respond(Some("fr-CA,fr;q=0.9,en;q=0.5")));
    assert_eq!((language.as_str(), fr["detail"].as_str()), ("fr", Some("Aucun compte n'a cette clé.")));
    assert_eq!(fr["title"], "Compte introuvable");
    for accept_language in [None, Some("en-US"), Some("de"), Some("fr;q=0")] {
        let (language, en) = body(respond(accept_language));
        assert_eq!((language.as_str(), en["detail"].as_str()), ("en", Some("No account has this key.")));
    }
    // Once written for its request, a response is not written again.
    let twice = localize(respond(Some("fr")));
    assert_eq!(body(twice).1["detail"], "Aucun compte n'a cette clé.");
    let other = ServiceResponse::new(TestRequest::default().to_http_request(), HttpResponse::Ok().finish());
    assert!(localize(other).headers().get(header::CONTENT_LANGUAGE).is_none());
}

#[actix_web::test]
async fn the_decision_of_a_seat_limit_problem_speaks_the_request_language() {
    use actix_web::body::MessageBody as _;
    use actix_web::test::TestRequest;
    use time::macros::datetime;
    use tollgate_domain::{Plan, Request, Subscription};

    let draft = serde_json::from_str(
        r#"{"code": "crew", "name": "Crew", "price": {"amount": "5.00", "currency": "USD"},
            "interval": "month", "limits": {"seats": {"max": 2, "reset": "never"}}}"#,
    )
    .unwrap();
    let plan = Plan::new(draft, 1).unwrap();
    let now = datetime!(2026-11-23 10:00 UTC);
    let subscription = Subscription::start(&plan, 1, now).unwrap();
    let decision = plan.evaluate(&subscription, &Request::metric("seats", 1).unwrap(), 2, now);
    let (en, fr) = (decision.message(Locale::En), decision.message(Locale::Fr));
    assert_ne!(en, fr);
    let problem = ApiError::app(AppError::SeatLimitReached(Box::new(decision)));
    assert_eq!(problem.to_json(Locale::Fr)["decision"]["message"], fr.as_str());
    assert_eq!(problem.to_json(Locale::En)["decision"]["message"], en.as_str());
    assert_eq!(problem.to_json(Locale::Fr)["decision"]["used"], 2, "the rest of the decision is data");

    let request = TestRequest::default().insert_header((header::ACCEPT_LANGUAGE, "fr")).to_http_request();
    let response = localize(ServiceResponse::new(request, problem.error_response()));
    let bytes = response.into_body().try_into_bytes().ok().unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        (body["code"].as_str(), body["decision"]["message"].as_str()),
        (Some("seat_limit_reached"), Some(fr.as_str()))
    );
}

#[test]
fn every_rule_of_the_domain_is_a_detail_in_both_languages() {
    for &rule in Rule::ALL {
        let problem = ApiError::app(AppError::Invalid(InvalidValue::new("x", rule)));
        assert_eq!(problem.detail(Locale::En), rule.message(Locale::En));
        assert_eq!(problem.detail(Locale::Fr), rule.message(Locale::Fr));
    }
}

#[test]
fn use_case_rules_are_validation_problems_in_both_languages() {
    let cases = [
        (
            AppError::PlanRequired,
            "plan",
            "the account has no subscription: name a plan to start one",
            "le compte n'a pas d'abonnement : nommez une offre pour en démarrer un",
        ),
        (AppError::LimitOutOfRange, "limit", "limit is from 1 to 100.", "limit va de 1 à 100."),
    ];
    for (error, param, english, french) in cases {
        let problem = ApiError::app(error);
        assert_eq!((problem.status().as_u16(), problem.code()), (422, "validation_failed"));
        assert_eq!(problem.to_json(Locale::Fr)["param"], param);
        assert_eq!(
            (problem.detail(Locale::En).as_str(), problem.detail(Locale::Fr).as_str()),
            (english, french)
        );
    }
}

#[test]
fn a_body_of_optional_fields_is_still_an_object() {
    // serde reads a struct from an array of its fields: `[null, null]` was a valid subscription
    // change (found by schemathesis).
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Optional {
        a: Option<u8>,
        b: Option<u8>,
    }
    for json in ["[null, null]", "[]", "null", "1", "\"x\""] {
        let problem = crate::body::parse::<Optional>(json.as_bytes()).unwrap_err();
        assert_eq!(problem.code(), "invalid_body", "{json}");
    }
    assert!(crate::body::parse::<Optional>(b"{}").is_ok());
}

#[test]
fn every_code_is_documented_in_the_problems_page() {
    let page = include_str!("../../../../../docs/problems.md");
    for code in ProblemCode::ALL {
        let anchor = format!("<a id=\"{}\"></a>", code.as_str());
        assert!(page.contains(&anchor), "docs/problems.md lacks {}", code.as_str());
    }
}
