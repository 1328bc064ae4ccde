//! The add-on catalog's use cases on memory adapters: who may publish, what is audited, and
//! plans allowing only add-ons of the catalog.

use tollgate_domain::{
    AddOnCode, AddOnDraft, AddOnLimit, ApiKeyId, Caller, Interval, MetricName, Money, Name, PlanCode, Role,
};
use tollgate_ports::AuditFilter;

use super::{draft, operator, world};
use crate::{AppError, Origin};

fn origin() -> Origin {
    Origin { ip: Some("203.0.113.9".into()), request_id: Some("req_1".into()) }
}

fn extra_sites(code: &str, sites: u64) -> AddOnDraft {
    AddOnDraft {
        code: AddOnCode::parse(code).unwrap(),
        name: Name::parse("Extra sites").unwrap(),
        price: Money::parse("10.00", "USD").unwrap(),
        interval: Interval::Month,
        limits: [(MetricName::parse("sites").unwrap(), AddOnLimit { max: sites })].into(),
        features: Default::default(),
    }
}

#[tokio::test]
async fn add_ons_are_created_then_replaced_by_platform_admins_under_audit() {
    let w = world().await;
    let app = &w.app;
    let code = AddOnCode::parse("extra-sites").unwrap();
    let service = Caller::PlatformKey { id: ApiKeyId::parse("key_service").unwrap(), role: Role::Service };
    let refused = app.put_addon(&service, &origin(), &code, extra_sites("extra-sites", 5)).await;
    assert_eq!(refused, Err(AppError::Forbidden));
    assert!(app.addons().await.unwrap().is_empty(), "nothing written when refused");

    let (addon, created) =
        app.put_addon(&operator(), &origin(), &code, extra_sites("extra-sites", 5)).await.unwrap();
    assert!(created);
    assert_eq!(addon.code(), &code);
    let (addon, created) =
        app.put_addon(&operator(), &origin(), &code, extra_sites("extra-sites", 7)).await.unwrap();
    assert!(!created, "the second put replaces the terms");
    assert_eq!(app.addons().await.unwrap(), [addon]);

    let other = app.put_addon(&operator(), &origin(), &code, extra_sites("more-seats", 1)).await;
    assert!(matches!(other, Err(AppError::Invalid(ref e)) if e.field == "code"), "{other:?}");
    let on_addon = AuditFilter { target: Some("extra-sites".into()), ..AuditFilter::default() };
    let logged = app.audit_log(&operator(), &on_addon, None, 10).await.unwrap();
    let actions: Vec<_> = logged.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["addon.published", "addon.published"]);
}

#[tokio::test]
async fn a_plan_may_allow_only_add_ons_the_catalog_has() {
    let w = world().await;
    let app = &w.app;
    let code = PlanCode::parse("scale").unwrap();
    let mut terms = draft("scale", "99", 0, Some(10), None);
    terms.addons.push(AddOnCode::parse("extra-sites").unwrap());
    let refused = app.put_plan(&operator(), &origin(), &code, terms.clone()).await;
    assert!(matches!(refused, Err(AppError::Invalid(ref e)) if e.field == "addons"), "{refused:?}");
    assert!(matches!(app.plan(&code).await, Err(AppError::PlanNotFound(_))), "nothing published");

    app.publish_addon(extra_sites("extra-sites", 5)).await.unwrap();
    let (plan, created) = app.put_plan(&operator(), &origin(), &code, terms).await.unwrap();
    assert!(created);
    assert_eq!(plan.addons(), [AddOnCode::parse("extra-sites").unwrap()]);
}
