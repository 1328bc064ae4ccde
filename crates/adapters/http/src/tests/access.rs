//! The access matrix, generated from the route table: every account-scoped route, called by
//! callers without the route's right on the account — the owner of another account, another
//! account's key, a member, an account admin, account keys of each scope, a platform `enforce`
//! key — answers what the domain's rule says (404 for a caller with no relation to the account,
//! 403 for one that sees it without the right), and nothing of the account changes (read back
//! after each call).

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use tollgate_app::{Invite, Login, NewApiKey, Origin, Registration, RegistrationAccount};
use tollgate_domain::{AccountKey, Denial, MemberRole, Role, Scope, authorize};
use tollgate_ports::Secret;

use super::{ADMIN, read, state};
use crate::app;
use crate::openapi::{Access, ROUTES};

const PASSWORD: &str = "correct horse battery";

/// A body that would change the account if the call were allowed.
fn body_of(operation: &str) -> Value {
    match operation {
        "change_subscription" => json!({"plan": "pro"}),
        "cancel_subscription" => json!({"at_period_end": false}),
        "check" => json!({"metric": "tickets", "quantity": 1}),
        "consume" | "release" => json!({"metric": "sites", "quantity": 1}),
        "add_member" => json!({"email": "eve@intruder.test", "role": "owner"}),
        "change_member_role" => json!({"role": "member"}),
        "buy_addon" => json!({"addon": "extra-sites", "quantity": 1}),
        _ => json!({}),
    }
}

/// Calls `service` as `bearer`; answers the status and the JSON body.
macro_rules! call {
    ($service:expr, $method:expr, $uri:expr, $bearer:expr, $body:expr) => {{
        let mut req = TestRequest::default()
            .method($method)
            .uri($uri)
            .insert_header(("Authorization", format!("Bearer {}", $bearer)))
            .insert_header(("Idempotency-Key", format!("matrix-{}", $uri)));
        if let Some(body) = $body {
            req = req.set_json(body);
        }
        let (status, body) = read(test::call_service($service, req.to_request()).await).await;
        (status.as_u16(), body)
    }};
}

#[actix_web::test]
async fn no_caller_reaches_an_account_route_without_its_right_and_nothing_changes() {
    let (state, _) = state().await;
    let tollgate = state.tollgate.clone();
    let origin = Origin::default();
    let mut tokens = Vec::new();
    for (name, account) in [("ann", "acme"), ("bob", "globex"), ("mia", "mia-co"), ("ada", "ada-co")] {
        let registration = Registration {
            email: format!("{name}@example.test"),
            password: Secret::new(PASSWORD),
            name: name.to_owned(),
            account: Some(RegistrationAccount {
                key: AccountKey::parse(account).unwrap(),
                name: account.into(),
            }),
        };
        tollgate.register(registration, &origin).await.unwrap();
        let login =
            Login { email: format!("{name}@example.test"), password: Secret::new(PASSWORD), totp: None };
        tokens.push(tollgate.login(login, &origin).await.unwrap().access_token.expose().to_owned());
    }
    let [ann, bob, mia, ada] = <[String; 4]>::try_from(tokens).unwrap();
    let owner = tollgate.authenticate(&ann).await.unwrap().unwrap();
    let acme = AccountKey::parse("acme").unwrap();
    for (who, role) in [("mia", MemberRole::Member), ("ada", MemberRole::Admin)] {
        let invite = Invite { email: format!("{who}@example.test"), role };
        tollgate.add_member(&owner, &acme, invite, &origin).await.unwrap();
    }
    let operator = tollgate.authenticate(ADMIN).await.unwrap().unwrap();
    let key = |name: &str| NewApiKey { name: name.to_owned(), expires_at: None };
    let (_, enforcer) =
        tollgate.create_api_key(&operator, key("enforcer"), Role::Enforce, &origin).await.unwrap();
    let mut account_keys = Vec::new();
    for (account, scope) in
        [("acme", Scope::Read), ("acme", Scope::Enforce), ("acme", Scope::Manage), ("globex", Scope::Manage)]
    {
        let account = AccountKey::parse(account).unwrap();
        let (_, secret) = tollgate
            .create_account_api_key(&operator, &account, key("k"), vec![scope], &origin)
            .await
            .unwrap();
        account_keys.push(secret.expose().to_owned());
    }
    let service = test::init_service(app(state)).await;
    let (_, me) = call!(&service, Method::GET, "/v1/me", &ann, None::<Value>);
    let ann_id = me["id"].as_str().unwrap().to_owned();

    let snapshot = || async {
        let mut seen = Vec::new();
        for uri in ["/v1/accounts/acme", "/v1/accounts/acme/usage", "/v1/accounts/acme/members"] {
            seen.push(call!(&service, Method::GET, uri, &ann, None::<Value>));
        }
        seen
    };
    let before = snapshot().await;
    // Each caller with its membership of `acme`, as the policy is fed it.
    let mut callers = vec![
        (bob.clone(), None),
        (mia.clone(), Some(MemberRole::Member)),
        (ada.clone(), Some(MemberRole::Admin)),
        (enforcer.expose().to_owned(), None),
    ];
    callers.extend(account_keys.into_iter().map(|secret| (secret, None)));
    let mut expected = Vec::new();
    for (bearer, membership) in &callers {
        expected.push((bearer.as_str(), tollgate.authenticate(bearer).await.unwrap().unwrap(), *membership));
    }
    let mut denials = 0;
    for route in ROUTES.iter() {
        let Access::Account(right) = route.access else { continue };
        let uri = route.path.replace("{key}", "acme").replace("{user_id}", &ann_id).replace("{id}", "key_x");
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let body = route.request.map(|_| body_of(route.operation_id));
        for (bearer, caller, membership) in &expected {
            let (status, code) = match authorize(caller, &acme, *membership, right) {
                Ok(()) => continue,
                Err(Denial::Hidden) => (404, "account_not_found"),
                Err(Denial::Forbidden) => (403, "forbidden"),
            };
            let (got, problem) = call!(&service, method.clone(), &uri, bearer, body.clone());
            assert_eq!((got, problem["code"].as_str()), (status, Some(code)), "{} {uri}", route.method);
            assert_eq!(snapshot().await, before, "{} {uri} changed nothing", route.method);
            denials += 1;
        }
    }
    assert!(denials >= 60, "the matrix covers the account routes ({denials} denials)");
}
