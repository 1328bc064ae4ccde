//! The access matrix, generated from the route table: every account-scoped route, called by
//! callers without the route's right on the account — the owner of another account, a member, an
//! account admin, a platform `enforce` key — answers what the domain's rule says (404 for a caller
//! with no relation to the account, 403 for one that sees it without the right), and nothing of
//! the account changes (read back after each call).

use actix_web::http::Method;
use actix_web::test::{self, TestRequest};
use serde_json::{Value, json};
use tollgate_app::{Invite, Login, Origin, Registration, RegistrationAccount};
use tollgate_domain::{AccountKey, MemberRole, Right, Role};
use tollgate_ports::Secret;

use super::{read, state};
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
        _ => json!({}),
    }
}

/// Who calls, and the role the domain gives them on `acme` (`None`: no relation).
enum Who {
    Stranger,
    Member(MemberRole),
    EnforceKey,
}

impl Who {
    /// What the domain's rule answers for `right`: `None` allowed, else the status and code.
    fn expected(&self, right: Right) -> Option<(u16, &'static str)> {
        let granted = match self {
            Who::Stranger => return Some((404, "account_not_found")),
            Who::Member(role) => role.grants(right),
            Who::EnforceKey => matches!(right, Right::Enforce | Right::Usage),
        };
        (!granted).then_some((403, "forbidden"))
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
    let (enforce, secret) = tollgate.create_api_key("enforcer", Role::Enforce).await.unwrap();
    assert_eq!(enforce.role, Role::Enforce);
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
    let callers = [
        (Who::Stranger, bob.as_str()),
        (Who::Member(MemberRole::Member), mia.as_str()),
        (Who::Member(MemberRole::Admin), ada.as_str()),
        (Who::EnforceKey, secret.expose()),
    ];
    let mut denials = 0;
    for route in ROUTES.iter() {
        let Access::Account(right) = route.access else { continue };
        let uri = route.path.replace("{key}", "acme").replace("{user_id}", &ann_id).replace("{id}", "key_x");
        let method = Method::from_bytes(route.method.to_uppercase().as_bytes()).unwrap();
        let body = route.request.map(|_| body_of(route.operation_id));
        for (who, bearer) in &callers {
            let Some((status, code)) = who.expected(right) else { continue };
            let (got, problem) = call!(&service, method.clone(), &uri, bearer, body.clone());
            assert_eq!((got, problem["code"].as_str()), (status, Some(code)), "{} {uri}", route.method);
            assert_eq!(snapshot().await, before, "{} {uri} changed nothing", route.method);
            denials += 1;
        }
    }
    assert!(denials >= 20, "the matrix covers the account routes ({denials} denials)");
}
