//! The back office end to end: the first operator made by the command line signs in and uses
//! every admin route; other callers are refused; impersonation and soft deletion.

use std::io::Write as _;
use std::process::Stdio;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, command, read};

const PASSWORD: &str = "correct horse battery";

/// Runs `tollgate admin create-user` on the app's database, the password on standard input.
fn create_user(app: &TestApp, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = command(&app.database_url(), &app.data_dir)
        .args(["admin", "create-user"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the tollgate binary");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write the password");
    let output = child.wait_with_output().expect("wait for the binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn login(app: &TestApp, email: &str) -> (u16, Value) {
    read(
        app.anonymous(Method::POST, "/v1/auth/login")
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn token(app: &TestApp, email: &str) -> String {
    let (status, body) = login(app, email).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn call(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.with_key(token, method, path);
    if let Some(body) = body {
        request = request.json(&body);
    }
    read(request.send().await.unwrap()).await
}

async fn the_first_operator_runs_the_back_office(app: &mut TestApp) {
    // The operator, from the command line: a short password is refused before anything is written.
    let (ok, _, err) =
        create_user(app, &["--email", "root@ops.test", "--name", "Root", "--platform-admin"], "short\n");
    assert!(!ok && err.contains("10 characters"), "{err}");
    assert!(!err.contains("short\n"), "the password is never printed");
    let (ok, out, err) = create_user(
        app,
        &["--email", "root@ops.test", "--name", "Root", "--platform-admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(ok && out.contains("created platform admin usr_"), "{out}{err}");
    let (ok, _, err) =
        create_user(app, &["--email", "root@ops.test", "--name", "Again"], &format!("{PASSWORD}\n"));
    assert!(!ok && err.contains("email"), "one user per e-mail: {err}");
    let admin = token(app, "root@ops.test").await;
    let (_, me) = call(app, &admin, Method::GET, "/v1/me", None).await;
    let admin_id = me["id"].as_str().unwrap().to_owned();
    assert_eq!(me["platform_admin"], true, "{me}");

    // A person who registered, and a service key: neither runs the back office.
    let registration = json!({"email": "ann@acme.test", "password": PASSWORD, "name": "Ann",
                              "account": {"key": "ann-co", "name": "Ann Co"}});
    let (status, registered) = app.post("/v1/auth/register", registration.clone(), None).await;
    assert_eq!(status, 201, "{registered}");
    let ann_id = registered["user"]["id"].as_str().unwrap().to_owned();
    let ann = token(app, "ann@acme.test").await;
    let (_, service) = app.post("/v1/api-keys", json!({"name": "svc", "role": "service"}), None).await;
    let service = service["secret"].as_str().unwrap().to_owned();
    for credential in [&ann, &service] {
        for (method, path) in [
            (Method::GET, "/v1/admin/accounts"),
            (Method::GET, "/v1/admin/users"),
            (Method::GET, "/v1/admin/stats"),
            (Method::GET, "/v1/admin/audit"),
            (Method::GET, "/v1/admin/limits/over"),
            (Method::DELETE, "/v1/admin/plans/free"),
        ] {
            let response = app.with_key(credential, method, path).send().await.unwrap();
            assert_problem(response, 403, "forbidden").await;
        }
        let path = format!("/v1/admin/users/{ann_id}/impersonate");
        assert_problem(app.with_key(credential, Method::POST, &path).send().await.unwrap(), 403, "forbidden")
            .await;
    }

    // Accounts: one left over its limits by a downgrade, one suspended by the operator.
    app.create_account("acme", "enterprise").await;
    app.consume("acme", "sites", 3).await;
    let (status, _) = call(
        app,
        &admin,
        Method::PUT,
        "/v1/accounts/acme/subscription",
        Some(json!({"plan": "free", "at": "now"})),
    )
    .await;
    assert_eq!(status, 200);
    app.create_account("globex", "pro").await;
    let (status, suspended) =
        call(app, &admin, Method::POST, "/v1/admin/accounts/globex/suspend", None).await;
    assert_eq!((status, suspended["status"].as_str()), (200, Some("suspended")), "{suspended}");
    let (status, found) = call(app, &admin, Method::GET, "/v1/admin/accounts?q=GLOB", None).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["data"][0]["subscription"]["plan"], "pro");
    let (_, found) =
        call(app, &admin, Method::GET, "/v1/admin/accounts?status=suspended&limit=1", None).await;
    assert_eq!((found["data"][0]["key"].as_str(), &found["next_cursor"]), (Some("globex"), &Value::Null));
    let (_, page) = call(app, &admin, Method::GET, "/v1/admin/accounts?limit=1", None).await;
    assert_eq!(page["next_cursor"], "acme", "{page}");
    let response =
        app.with_key(&admin, Method::GET, "/v1/admin/accounts?status=asleep").send().await.unwrap();
    assert_problem(response, 400, "invalid_parameter").await;
    let (_, over) = call(app, &admin, Method::GET, "/v1/admin/limits/over", None).await;
    assert_eq!(over["data"][0]["account"], "acme", "{over}");
    assert_eq!(
        (
            over["data"][0]["metrics"]["sites"]["current"].as_u64(),
            over["data"][0]["metrics"]["sites"]["max"].as_u64()
        ),
        (Some(3), Some(1))
    );
    let (_, users) = call(app, &admin, Method::GET, "/v1/admin/users?q=ANN@", None).await;
    assert_eq!(users["data"][0]["id"], ann_id.as_str(), "{users}");
    assert!(!users.to_string().contains("argon2"), "never a hash");

    // Plans: created, republished, refused under another code, archived.
    let terms = json!({"name": "Scale", "price": {"amount": "99.00", "currency": "USD"}, "interval": "month",
                       "limits": {"sites": {"max": 50, "reset": "never"}}});
    let (status, plan) = call(app, &admin, Method::PUT, "/v1/admin/plans/scale", Some(terms.clone())).await;
    assert_eq!((status, plan["version"].as_u64()), (201, Some(1)), "{plan}");
    let mut with_code = terms.clone();
    with_code["code"] = json!("scale");
    let (status, plan) = call(app, &admin, Method::PUT, "/v1/admin/plans/scale", Some(with_code)).await;
    assert_eq!((status, plan["version"].as_u64()), (200, Some(1)), "same terms, same version");
    let mut other = terms.clone();
    other["code"] = json!("other");
    let response =
        app.with_key(&admin, Method::PUT, "/v1/admin/plans/scale").json(&other).send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["param"], "code");
    let (status, _) = call(app, &admin, Method::DELETE, "/v1/admin/plans/scale", None).await;
    assert_eq!(status, 204);
    let (_, archived) = app.get("/v1/plans/scale").await;
    assert_eq!(
        (archived["active"].as_bool(), archived["version"].as_u64()),
        (Some(false), Some(2)),
        "{archived}"
    );
    let response = app.with_key(&admin, Method::DELETE, "/v1/admin/plans/ghost").send().await.unwrap();
    assert_problem(response, 404, "plan_not_found").await;

    let (status, stats) = call(app, &admin, Method::GET, "/v1/admin/stats", None).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["accounts"]["total"], 3, "{stats}");
    assert_eq!(stats["accounts"]["by_status"]["suspended"], 1, "{stats}");
    assert_eq!(stats["usage"]["sites"], 3, "{stats}");
    assert!(stats["monthly_recurring_revenue"].is_array(), "{stats}");

    // Impersonation: the token acts as Ann, and what it does is audited under both.
    let path = format!("/v1/admin/users/{ann_id}/impersonate");
    let (status, granted) = call(app, &admin, Method::POST, &path, None).await;
    assert_eq!(status, 200, "{granted}");
    assert!(granted.get("refresh_token").is_none(), "{granted}");
    assert_eq!(
        (granted["user_id"].as_str(), granted["impersonator"].as_str()),
        (Some(ann_id.as_str()), Some(admin_id.as_str()))
    );
    let acting = granted["access_token"].as_str().unwrap().to_owned();
    let (_, me) = call(app, &acting, Method::GET, "/v1/me", None).await;
    assert_eq!(
        (me["id"].as_str(), me["platform_admin"].as_bool()),
        (Some(ann_id.as_str()), Some(false)),
        "{me}"
    );
    let response = app.with_key(&acting, Method::GET, "/v1/admin/stats").send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
    let (status, _) = call(app, &acting, Method::POST, "/v1/auth/logout", None).await;
    assert_eq!(status, 204);
    let (_, events) =
        call(app, &admin, Method::GET, &format!("/v1/admin/audit?actor={ann_id}&limit=100"), None).await;
    let under_both: Vec<_> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["impersonator"] == admin_id.as_str())
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(under_both, ["user.logout", "user.impersonated"], "{events}");

    // Sessions revoked, then the user deleted: their e-mail registers again.
    let (status, _) =
        call(app, &admin, Method::POST, &format!("/v1/admin/users/{ann_id}/revoke-sessions"), None).await;
    assert_eq!(status, 204);
    assert_problem(app.with_key(&ann, Method::GET, "/v1/me").send().await.unwrap(), 401, "unauthorized")
        .await;
    let (status, _) = call(app, &admin, Method::DELETE, &format!("/v1/admin/users/{ann_id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = login(app, "ann@acme.test").await;
    assert_eq!(status, 401, "a deleted user cannot sign in");
    let mut again = registration;
    again["account"]["key"] = json!("ann-co-2");
    let (status, body) = app.post("/v1/auth/register", again, None).await;
    assert_eq!(status, 201, "the e-mail is free again: {body}");
    let response = app.with_key(&admin, Method::DELETE, "/v1/admin/users/usr_ghost").send().await.unwrap();
    assert_problem(response, 404, "user_not_found").await;

    // The audit log: what the operator did, newest first, paged, never a secret.
    let (_, log) = call(app, &admin, Method::GET, &format!("/v1/admin/audit?actor={admin_id}"), None).await;
    let actions: Vec<_> =
        log["data"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in [
        "user.deleted",
        "user.sessions_revoked",
        "plan.archived",
        "plan.published",
        "account.suspended",
        "subscription.changed",
        "user.login",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // The deletion ended Ann's membership of her account last, giving its seat back.
    let ended = &log["data"][0];
    assert_eq!(
        (ended["action"].as_str(), ended["target"]["type"].as_str(), ended["target"]["id"].as_str()),
        (Some("member.ended"), Some("account"), Some("ann-co"))
    );
    let event = &log["data"][1];
    assert_eq!(
        (event["action"].as_str(), event["actor"]["type"].as_str()),
        (Some("user.deleted"), Some("user"))
    );
    assert_eq!(
        (event["target"]["type"].as_str(), event["target"]["id"].as_str()),
        (Some("user"), Some(ann_id.as_str()))
    );
    assert!(event["ip"].is_string() && event["request_id"].is_string(), "{event}");
    let (_, first) = call(app, &admin, Method::GET, "/v1/admin/audit?limit=1", None).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) =
        call(app, &admin, Method::GET, &format!("/v1/admin/audit?limit=1&cursor={cursor}"), None).await;
    assert_ne!(first["data"][0]["id"], second["data"][0]["id"]);
    let (_, created) = call(
        app,
        &admin,
        Method::GET,
        "/v1/admin/audit?action=user.created&since=2000-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(created["data"][0]["actor"]["type"], "system", "{created}");
    let response = app.with_key(&admin, Method::GET, "/v1/admin/audit?since=yesterday").send().await.unwrap();
    assert_problem(response, 400, "invalid_parameter").await;
    let everything = call(app, &admin, Method::GET, "/v1/admin/audit?limit=100", None).await.1.to_string();
    assert!(!everything.contains(PASSWORD) && !everything.contains(&acting), "never a secret");
}

crate::on_every_backend!(the_first_operator_runs_the_back_office);
