//! The routes of platform admins.

use crate::openapi::table::Access::Admin;
use crate::openapi::table::Idempotency::Recorded;
use crate::openapi::table::{RouteDoc, route};

/// The admin routes.
pub(crate) const ROUTES: &[RouteDoc] = &[
    route(
        "post",
        "/v1/admin/accounts/{key}/suspend",
        "suspend_account",
        "Suspend the subscription: every decision answers subscription_suspended until activated",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/admin/accounts/{key}/activate",
        "activate_account",
        "Activate the subscription: lift a suspension, clear past due, or convert a trial",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/admin/accounts/{key}/past_due",
        "mark_account_past_due",
        "Record a payment that failed outside the gateway: the subscription is past due, decisions \
         stay allowed through billing.past_due_grace_days, then answer payment_required until activated",
        "admin",
        Admin,
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "get",
        "/v1/admin/accounts",
        "list_admin_accounts",
        "Search accounts by text (key, name, e-mail), subscription status and plan, in key order",
        "admin",
        Admin,
    )
    .returns(200, "AccountList"),
    route(
        "get",
        "/v1/admin/users",
        "list_admin_users",
        "Search users by e-mail or name, in id order",
        "admin",
        Admin,
    )
    .returns(200, "AdminUserList"),
    route(
        "post",
        "/v1/admin/users/{id}/revoke-sessions",
        "revoke_user_sessions",
        "Revoke every session of the user (audited)",
        "admin",
        Admin,
    )
    .idempotent()
    .empty(204),
    route(
        "delete",
        "/v1/admin/users/{id}",
        "delete_user",
        "Delete the user softly: sessions revoked, e-mail freed, history kept (audited)",
        "admin",
        Admin,
    )
    .empty(204),
    route(
        "post",
        "/v1/admin/users/{id}/impersonate",
        "impersonate_user",
        "An access token acting as the user for the signed-in platform admin; no refresh token \
         (audited under both)",
        "admin",
        Admin,
    )
    .accepted()
    .returns(200, "Impersonation"),
    route(
        "get",
        "/v1/admin/stats",
        "admin_stats",
        "Accounts by plan and status, monthly recurring revenue per currency, usage totals",
        "admin",
        Admin,
    )
    .returns(200, "AdminStats"),
    route(
        "get",
        "/v1/admin/audit",
        "list_audit_events",
        "The audit log, newest first, filtered by actor, target, action and time",
        "admin",
        Admin,
    )
    .returns(200, "AuditEventList"),
    route(
        "get",
        "/v1/admin/limits/over",
        "list_accounts_over_limits",
        "Accounts whose usage is past their limits (after a downgrade), with the metrics over",
        "admin",
        Admin,
    )
    .returns(200, "OverLimitsList"),
    route(
        "put",
        "/v1/admin/plans/{code}",
        "put_plan",
        "Create the plan (201) or publish new terms as its next version (200; same terms keep theirs)",
        "admin",
        Admin,
    )
    .body("PlanTerms", Recorded)
    .returns(200, "Plan"),
    route(
        "delete",
        "/v1/admin/plans/{code}",
        "archive_plan",
        "Archive the plan: subscribers keep their terms, no new subscription may start on it",
        "admin",
        Admin,
    )
    .empty(204),
    route(
        "put",
        "/v1/admin/addons/{code}",
        "put_addon",
        "Create the add-on (201) or replace its terms (200)",
        "admin",
        Admin,
    )
    .body("AddOnTerms", Recorded)
    .returns(200, "AddOn"),
];
