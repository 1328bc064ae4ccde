//! The routes of plans and add-ons, accounts, subscriptions and enforcement.

use tollgate_domain::Right;

use crate::openapi::table::Access::{Account, Platform, Public};
use crate::openapi::table::Idempotency::{Accepted, Ledger, Recorded};
use crate::openapi::table::{RouteDoc, route};

/// The core routes.
pub(crate) const ROUTES: &[RouteDoc] = &[
    route("get", "/health/live", "live", "Liveness: the process answers", "operations", Public)
        .returns(200, "Health"),
    route("get", "/health/ready", "ready", "Readiness: the database answers", "operations", Public)
        .returns(200, "Health"),
    route("get", "/metrics", "metrics", "Prometheus metrics (text exposition format)", "operations", Public),
    route("get", "/openapi.json", "openapi", "This document", "operations", Public).returns(200, "OpenApi"),
    route("get", "/v1/plans", "list_plans", "Active plans", "plans", Public).returns(200, "PlanList"),
    route("get", "/v1/plans/{code}", "get_plan", "One plan (its latest version)", "plans", Public)
        .returns(200, "Plan"),
    route("get", "/v1/addons", "list_addons", "The add-on catalog, by code", "plans", Public)
        .returns(200, "AddOnList"),
    route("post", "/v1/accounts", "create_account", "Create an account on a plan", "accounts", Platform)
        .body("CreateAccount", Recorded)
        .returns(201, "Account"),
    route(
        "get",
        "/v1/accounts/{key}",
        "get_account",
        "An account with its subscription",
        "accounts",
        Account(Right::Read),
    )
    .returns(200, "Account"),
    route(
        "get",
        "/v1/accounts/{key}/subscription",
        "get_subscription",
        "The subscription",
        "accounts",
        Account(Right::Read),
    )
    .returns(200, "Subscription"),
    route(
        "put",
        "/v1/accounts/{key}/subscription",
        "change_subscription",
        "Change plan or seats",
        "accounts",
        Account(Right::Manage),
    )
    .body("UpdateSubscription", Recorded)
    .returns(200, "SubscriptionChange"),
    route(
        "post",
        "/v1/accounts/{key}/subscription/cancel",
        "cancel_subscription",
        "Cancel now or at period end",
        "accounts",
        Account(Right::Manage),
    )
    .body("Cancel", Recorded)
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/accounts/{key}/subscription/resume",
        "resume_subscription",
        "Withdraw a cancellation scheduled at period end",
        "accounts",
        Account(Right::Manage),
    )
    .idempotent()
    .returns(200, "Subscription"),
    route(
        "post",
        "/v1/accounts/{key}/check",
        "check",
        "May the account do this? Records nothing",
        "enforcement",
        Account(Right::Enforce),
    )
    .body("Check", Accepted)
    .returns(200, "Decision"),
    route(
        "post",
        "/v1/accounts/{key}/consume",
        "consume",
        "Record units only if allowed, atomically",
        "enforcement",
        Account(Right::Enforce),
    )
    .body("UsageRequest", Ledger)
    .returns(200, "Decision"),
    route(
        "post",
        "/v1/accounts/{key}/release",
        "release",
        "Give units of a gauge back",
        "enforcement",
        Account(Right::Enforce),
    )
    .body("UsageRequest", Ledger)
    .returns(200, "Decision"),
    route(
        "get",
        "/v1/accounts/{key}/usage",
        "usage",
        "Usage of every metric in its current window",
        "enforcement",
        Account(Right::Usage),
    )
    .returns(200, "UsageReport"),
];
