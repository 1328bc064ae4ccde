//! The routes of identity and access: sign-up and sign-in, the signed-in user, members, API keys.

use tollgate_domain::Right;

use crate::openapi::table::Access::{Account, Admin, Caller, Public};
use crate::openapi::table::Idempotency::{Accepted, Recorded};
use crate::openapi::table::{RouteDoc, route};

/// Token-issuing routes accept an `Idempotency-Key` but never record their answer: it holds a
/// secret (a token, a TOTP secret, recovery codes) that must not be stored.
pub(crate) const ROUTES: &[RouteDoc] = &[
    route("post", "/v1/auth/register", "register", "Sign up: a new account with its owner", "auth", Public)
        .body("Register", Recorded)
        .returns(201, "Registered"),
    route(
        "post",
        "/v1/auth/login",
        "login",
        "Sign in: a session's access and refresh tokens",
        "auth",
        Public,
    )
    .body("Login", Accepted)
    .returns(200, "TokenPair"),
    route(
        "post",
        "/v1/auth/refresh",
        "refresh",
        "A new token pair; the refresh token is spent",
        "auth",
        Public,
    )
    .body("Refresh", Accepted)
    .returns(200, "TokenPair"),
    route("post", "/v1/auth/logout", "logout", "End the session of the access token", "auth", Caller)
        .accepted()
        .empty(204),
    route(
        "post",
        "/v1/auth/password/forgot",
        "forgot_password",
        "Mail a password reset token",
        "auth",
        Public,
    )
    .body("Forgot", Accepted)
    .empty(202),
    route(
        "post",
        "/v1/auth/password/reset",
        "reset_password",
        "Set a new password with a reset token",
        "auth",
        Public,
    )
    .body("ResetPassword", Accepted)
    .empty(204),
    route(
        "post",
        "/v1/auth/email/verify",
        "verify_email",
        "Verify the e-mail address with its token",
        "auth",
        Public,
    )
    .body("Token", Accepted)
    .empty(204),
    route(
        "post",
        "/v1/auth/invitations/accept",
        "accept_invitation",
        "Join an account with an invitation's token",
        "auth",
        Public,
    )
    .body("AcceptInvitation", Accepted)
    .returns(201, "Joined"),
    route("get", "/v1/me", "me", "The signed-in user and their memberships", "me", Caller)
        .returns(200, "User"),
    route("get", "/v1/me/sessions", "list_sessions", "The user's live sessions", "me", Caller)
        .returns(200, "SessionList"),
    route(
        "delete",
        "/v1/me/sessions/{id}",
        "revoke_session",
        "Revoke one of the user's sessions",
        "me",
        Caller,
    )
    .empty(204),
    route(
        "post",
        "/v1/me/email/verification",
        "resend_verification",
        "Mail a new e-mail verification token",
        "me",
        Caller,
    )
    .accepted()
    .empty(202),
    route("post", "/v1/me/totp", "begin_totp", "Start two-factor enrolment", "me", Caller)
        .accepted()
        .returns(200, "TotpEnrolment"),
    route("post", "/v1/me/totp/confirm", "confirm_totp", "Turn two-factor on; recovery codes", "me", Caller)
        .body("TotpCode", Accepted)
        .returns(200, "RecoveryCodes"),
    route("delete", "/v1/me/totp", "disable_totp", "Turn two-factor off", "me", Caller)
        .body("TotpCode", Accepted)
        .empty(204),
    route(
        "get",
        "/v1/accounts/{key}/members",
        "list_members",
        "Members and invitations",
        "members",
        Account(Right::Read),
    )
    .returns(200, "MemberList"),
    route(
        "post",
        "/v1/accounts/{key}/members",
        "add_member",
        "Add a member, or invite them by e-mail; holds a seat",
        "members",
        Account(Right::Manage),
    )
    .body("AddMember", Recorded)
    .returns(201, "Member"),
    route(
        "patch",
        "/v1/accounts/{key}/members/{user_id}",
        "change_member_role",
        "Change a member's role",
        "members",
        Account(Right::Manage),
    )
    .body("ChangeRole", Accepted)
    .returns(200, "MemberRole"),
    route(
        "delete",
        "/v1/accounts/{key}/members/{user_id}",
        "remove_member",
        "Remove a member (or leave); frees a seat",
        "members",
        Account(Right::Read),
    )
    .empty(204),
    route(
        "post",
        "/v1/api-keys",
        "create_api_key",
        "Create an API key (its secret is shown once)",
        "api-keys",
        Admin,
    )
    // The secret is in the answer: never recorded, as for the token-issuing routes.
    .body("CreateApiKey", Accepted)
    .returns(201, "CreatedApiKey"),
    route("get", "/v1/api-keys", "list_api_keys", "API keys, by id", "api-keys", Admin)
        .returns(200, "ApiKeyList"),
    route("delete", "/v1/api-keys/{id}", "revoke_api_key", "Revoke an API key", "api-keys", Admin).empty(204),
    // The secret is in the answer: never recorded, as for the token-issuing routes.
    route(
        "post",
        "/v1/accounts/{key}/api-keys",
        "create_account_api_key",
        "Create an API key of the account, with scopes (its secret is shown once)",
        "api-keys",
        Account(Right::Manage),
    )
    .body("CreateAccountApiKey", Accepted)
    .returns(201, "CreatedApiKey"),
    route(
        "get",
        "/v1/accounts/{key}/api-keys",
        "list_account_api_keys",
        "The account's API keys, by id",
        "api-keys",
        Account(Right::Manage),
    )
    .returns(200, "ApiKeyList"),
    route(
        "delete",
        "/v1/accounts/{key}/api-keys/{id}",
        "revoke_account_api_key",
        "Revoke an API key of the account",
        "api-keys",
        Account(Right::Manage),
    )
    .empty(204),
];
