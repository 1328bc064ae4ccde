//! Sign-up, sign-in, tokens and the e-mailed flows: the public end of identity.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use tollgate_app::{Login, Registration, RegistrationAccount, Tokens};
use tollgate_domain::AccountKey;
use tollgate_ports::Secret;

use crate::HttpState;
use crate::auth::Principal;
use crate::body::Json;
use crate::extract::RequestOrigin;
use crate::problem::ApiError;
use crate::routes::views::{AccountBrief, UserView};

/// `POST /v1/auth/register`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Register {
    email: String,
    password: String,
    name: String,
    #[serde(default)]
    account: Option<NewAccount>,
}

/// The account a registration creates.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccount {
    key: AccountKey,
    name: String,
}

/// `POST /v1/auth/login`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginBody {
    email: String,
    password: String,
    #[serde(default)]
    totp: Option<String>,
}

/// `POST /v1/auth/refresh`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Refresh {
    refresh_token: String,
}

/// `POST /v1/auth/password/forgot`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Forgot {
    email: String,
}

/// `POST /v1/auth/password/reset`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reset {
    token: String,
    password: String,
}

/// `POST /v1/auth/email/verify`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Verify {
    token: String,
}

/// `POST /v1/auth/invitations/accept`: `name` and `password` create the invited person's user,
/// and are refused when the address has one already.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Accept {
    token: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// A token pair as answered (no `Debug`: it holds the tokens).
#[derive(Serialize)]
struct TokenPair {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    session_id: String,
}

impl From<Tokens> for TokenPair {
    fn from(tokens: Tokens) -> Self {
        Self {
            access_token: tokens.access_token.expose().to_owned(),
            token_type: "Bearer",
            expires_in: tokens.expires_in,
            refresh_token: tokens.refresh_token.expose().to_owned(),
            session_id: tokens.session_id.to_string(),
        }
    }
}

#[derive(Serialize)]
struct Registered {
    user: UserView,
    account: tollgate_app::AccountView,
}

#[derive(Serialize)]
struct Joined {
    user: UserView,
    account: AccountBrief,
}

pub(crate) async fn register(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Register>,
) -> Result<HttpResponse, ApiError> {
    let registration = Registration {
        email: body.email,
        password: Secret::new(body.password),
        name: body.name,
        account: body.account.map(|a| RegistrationAccount { key: a.key, name: a.name }),
    };
    let (user, account) = state.tollgate.register(registration, &origin).await?;
    let memberships = vec![AccountBrief::owner(&account.key)];
    Ok(HttpResponse::Created().json(Registered { user: UserView::new(&user, memberships), account }))
}

pub(crate) async fn login(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let login =
        Login { email: body.email, password: Secret::new(body.password), totp: body.totp.map(Secret::new) };
    let tokens = state.tollgate.login(login, &origin).await?;
    Ok(HttpResponse::Ok().json(TokenPair::from(tokens)))
}

pub(crate) async fn refresh(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Refresh>,
) -> Result<HttpResponse, ApiError> {
    let tokens = state.tollgate.refresh(&Secret::new(body.refresh_token), &origin).await?;
    Ok(HttpResponse::Ok().json(TokenPair::from(tokens)))
}

pub(crate) async fn logout(
    state: web::Data<HttpState>,
    Principal(caller): Principal,
    RequestOrigin(origin): RequestOrigin,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.logout(&caller, &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn forgot_password(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Forgot>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.forgot_password(&body.email, &origin).await?;
    Ok(HttpResponse::Accepted().finish())
}

pub(crate) async fn reset_password(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Reset>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.reset_password(&Secret::new(body.token), &Secret::new(body.password), &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn verify_email(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Verify>,
) -> Result<HttpResponse, ApiError> {
    state.tollgate.verify_email(&Secret::new(body.token), &origin).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) async fn accept_invitation(
    state: web::Data<HttpState>,
    RequestOrigin(origin): RequestOrigin,
    Json(body): Json<Accept>,
) -> Result<HttpResponse, ApiError> {
    let password = body.password.map(Secret::new);
    let (user, membership) = state
        .tollgate
        .accept_invitation(&Secret::new(body.token), body.name.as_deref(), password.as_ref(), &origin)
        .await?;
    let account = AccountBrief { account: membership.account.clone(), role: membership.role };
    let memberships = vec![account.clone()];
    Ok(HttpResponse::Created().json(Joined { user: UserView::new(&user, memberships), account }))
}
