//! The add-on catalog: put creates then replaces, get and list read what was put, and of
//! concurrent puts of one new code exactly one creates it.

use time::Duration;
use tollgate_domain::{
    AddOnCode, AddOnDraft, AddOnLimit, AddOnTerms, FeatureName, Interval, MetricName, Money, Name,
};

use super::{Backend, T0};

fn addon(code: &str, sites: u64, amount: &str) -> AddOnTerms {
    AddOnTerms::new(AddOnDraft {
        code: self::code(code),
        name: Name::parse(format!("Extra {code}")).expect("valid name"),
        price: Money::parse(amount, "USD").expect("valid money"),
        interval: Interval::Month,
        limits: [(MetricName::parse("sites").expect("valid metric"), AddOnLimit { max: sites })].into(),
        features: [(FeatureName::parse("sso").expect("valid feature"), true)].into(),
    })
    .expect("valid add-on")
}

fn code(c: &str) -> AddOnCode {
    AddOnCode::parse(c).expect("valid code")
}

/// The first put of a code creates it, the next replaces its terms; `get` reads the latest
/// terms exactly, `list` every add-on by code, an unknown code is `None`.
pub async fn addons_are_created_replaced_and_listed_by_code(b: Backend) {
    assert!(b.addons.list().await.expect("list").is_empty());
    assert_eq!(b.addons.get(&code("extra-sites")).await.expect("get"), None);

    assert!(b.addons.put(&addon("extra-sites", 5, "10.00"), T0, &[]).await.expect("put"), "created");
    assert!(b.addons.put(&addon("agents", 2, "0"), T0, &[]).await.expect("put"), "created");
    let replaced = addon("extra-sites", 7, "12.50");
    assert!(!b.addons.put(&replaced, T0 + Duration::hours(1), &[]).await.expect("put"), "replaced");
    assert!(!b.addons.put(&replaced, T0 + Duration::hours(2), &[]).await.expect("put"), "same terms again");

    assert_eq!(b.addons.get(&code("extra-sites")).await.expect("get"), Some(replaced.clone()));
    let listed = b.addons.list().await.expect("list");
    assert_eq!(listed, [addon("agents", 2, "0"), replaced]);
    assert_eq!(b.addons.get(&code("ghost")).await.expect("get"), None);
}

/// Eight simultaneous puts of one new code: one reports it created, the others replaced it, and
/// the catalog holds one add-on.
pub async fn concurrent_puts_of_a_new_addon_create_it_once(b: Backend) {
    let puts: Vec<_> = (0..8_u64)
        .map(|i| {
            let b = b.clone();
            tokio::spawn(async move { b.addons.put(&addon("extra-sites", i + 1, "10.00"), T0, &[]).await })
        })
        .collect();
    let mut created = 0;
    for put in puts {
        if put.await.expect("task").expect("put") {
            created += 1;
        }
    }
    assert_eq!(created, 1);
    assert_eq!(b.addons.list().await.expect("list").len(), 1);
}
