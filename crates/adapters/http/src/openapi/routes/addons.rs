//! The routes of an account's add-ons: bought (billed with the subscription), listed, removed.

use tollgate_domain::Right;

use crate::openapi::table::Access::Account;
use crate::openapi::table::Idempotency::Recorded;
use crate::openapi::table::{RouteDoc, route};

/// The account add-on routes.
pub(crate) const ROUTES: &[RouteDoc] = &[
    route(
        "get",
        "/v1/accounts/{key}/addons",
        "list_account_addons",
        "The add-ons the account holds, by code",
        "billing",
        Account(Right::Read),
    )
    .returns(200, "AccountAddOnList"),
    route(
        "post",
        "/v1/accounts/{key}/addons",
        "buy_addon",
        "Buy an add-on (201; 200 when it sets the quantity of one held): limits and features at once, \
         the units added invoiced for the rest of the period and charged",
        "billing",
        Account(Right::Manage),
    )
    .body("BuyAddOn", Recorded)
    .returns(201, "AddOnPurchase"),
    route(
        "delete",
        "/v1/accounts/{key}/addons/{code}",
        "remove_addon",
        "Remove an add-on at once (nothing refunded or credited for the current period)",
        "billing",
        Account(Right::Manage),
    )
    .empty(204),
];
