//! The routes of platform admins.

use crate::openapi::table::Access::Admin;
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
];
