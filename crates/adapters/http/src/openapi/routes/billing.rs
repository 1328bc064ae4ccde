//! The routes of billing: prices of changes, payment methods, invoices, checkout, webhooks.

use tollgate_domain::Right;

use crate::openapi::table::Access::{Account, Public};
use crate::openapi::table::Idempotency::{self, Accepted, Recorded};
use crate::openapi::table::{RouteDoc, route};

/// The billing routes. A webhook is applied once per event id, whatever the header says, so the
/// route does not read `Idempotency-Key`.
pub(crate) const ROUTES: &[RouteDoc] = &[
    route(
        "post",
        "/v1/accounts/{key}/subscription/preview",
        "preview_subscription_change",
        "What a plan or seat change would cost now (changes nothing)",
        "billing",
        Account(Right::Read),
    )
    .body("UpdateSubscription", Accepted)
    .returns(200, "ChangePreview"),
    route(
        "put",
        "/v1/accounts/{key}/payment-method",
        "set_payment_method",
        "Keep a gateway's payment method token for the account's charges",
        "billing",
        Account(Right::Manage),
    )
    .body("PaymentMethod", Recorded)
    .returns(200, "PaymentMethodSaved"),
    route(
        "get",
        "/v1/accounts/{key}/invoices",
        "list_invoices",
        "Invoices, newest first",
        "billing",
        Account(Right::Read),
    )
    .returns(200, "InvoiceList"),
    route(
        "get",
        "/v1/accounts/{key}/invoices/{number}",
        "get_invoice",
        "One invoice",
        "billing",
        Account(Right::Read),
    )
    .returns(200, "Invoice"),
    route(
        "post",
        "/v1/accounts/{key}/invoices/{number}/pay",
        "pay_invoice",
        "Charge the invoice now with the saved payment method",
        "billing",
        Account(Right::Manage),
    )
    .idempotent()
    .returns(200, "Invoice"),
    route(
        "post",
        "/v1/accounts/{key}/checkout",
        "create_checkout",
        "A hosted checkout page for a plan; the plan starts when the gateway confirms payment",
        "billing",
        Account(Right::Manage),
    )
    .body("Checkout", Recorded)
    .returns(201, "CheckoutSession"),
    route(
        "post",
        "/v1/webhooks/{gateway}",
        "receive_webhook",
        "An event of the payment gateway, signed (Stripe-Signature)",
        "billing",
        Public,
    )
    .body("GatewayEvent", Idempotency::None)
    .returns(200, "WebhookReceived"),
];
