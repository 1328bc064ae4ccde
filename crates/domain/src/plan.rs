//! Plans: what a subscription buys — a price, features and limits.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ids::{AddOnCode, FeatureName, InvalidValue, MetricName, PlanCode};
use crate::limit::{Limit, RateLimit};
use crate::money::Money;
use crate::period::Interval;
use crate::rule::Rule;

/// Why a plan was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A field has an invalid value.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

/// The terms of a plan as written by an operator, before validation (the JSON shape of the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    /// The plan's code.
    pub code: PlanCode,
    /// The display name.
    pub name: String,
    /// A sentence for pricing pages.
    #[serde(default)]
    pub description: String,
    /// The price per interval (per seat when `per_seat`).
    pub price: Money,
    /// The billing interval.
    pub interval: Interval,
    /// Days of free trial for new subscriptions; 0 for none.
    #[serde(default)]
    pub trial_days: u32,
    /// Whether the price is per seat.
    #[serde(default)]
    pub per_seat: bool,
    /// Whether new subscriptions may choose the plan.
    #[serde(default = "yes")]
    pub active: bool,
    /// Boolean capabilities.
    #[serde(default)]
    pub features: BTreeMap<FeatureName, bool>,
    /// Limits by metric; a metric missing here is not included in the plan.
    #[serde(default)]
    pub limits: BTreeMap<MetricName, Limit>,
    /// How fast the account's users and account keys may call the API; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// The catalog add-ons subscribers of the plan may buy; written only when there are some, so
    /// the terms of plans without add-ons read as they did before add-ons existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<AddOnCode>,
}

fn yes() -> bool {
    true
}

impl PlanDraft {
    /// Checks that these terms describe the plan `code` (the plan a route's path names).
    ///
    /// # Errors
    /// [`InvalidValue`] for `code` when the terms name another plan.
    pub fn check_code(&self, code: &PlanCode) -> Result<(), InvalidValue> {
        if &self.code == code { Ok(()) } else { Err(InvalidValue::new("code", Rule::PlanCodeMismatch)) }
    }

    /// Checks that a change asking for `interval` can be made to this plan: a plan is billed on
    /// one interval (a yearly price is another plan).
    ///
    /// # Errors
    /// [`InvalidValue`] for `interval` naming [`Rule::PlanInterval`].
    pub fn check_interval(&self, interval: Interval) -> Result<(), InvalidValue> {
        if self.interval == interval {
            Ok(())
        } else {
            Err(InvalidValue::new("interval", Rule::PlanInterval))
        }
    }

    /// Checks that every add-on these terms allow is in the catalog, whose codes `known` lists.
    ///
    /// # Errors
    /// [`InvalidValue`] for `addons` naming [`Rule::UnknownAddOn`].
    pub fn check_addons(&self, known: &[AddOnCode]) -> Result<(), InvalidValue> {
        if self.addons.iter().all(|code| known.contains(code)) {
            Ok(())
        } else {
            Err(InvalidValue::new("addons", Rule::UnknownAddOn))
        }
    }
}

/// Checks a catalog price: not negative, in whole minor units of its currency.
pub(crate) fn check_price(price: &Money) -> Result<(), InvalidValue> {
    if price.is_negative() {
        return Err(InvalidValue::new("price", Rule::NegativePrice));
    }
    if price.amount().scale() > price.currency().exponent()
        && price.amount().normalize().scale() > price.currency().exponent()
    {
        return Err(InvalidValue::new("price", Rule::PriceMinorUnits));
    }
    Ok(())
}

/// Longest trial a plan may offer.
pub const MAX_TRIAL_DAYS: u32 = 730;

/// A validated plan at one version. Terms never change within a version: a subscriber keeps the
/// version it subscribed to until its plan is changed.
///
/// It serializes as the API shape plus `version`; what clients send is a [`PlanDraft`].
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    terms: PlanDraft,
    version: u32,
}

impl Serialize for Plan {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            #[serde(flatten)]
            terms: &'a PlanDraft,
            version: u32,
        }
        View { terms: &self.terms, version: self.version }.serialize(serializer)
    }
}

impl Plan {
    /// Validates `terms` as version `version` (≥ 1).
    ///
    /// # Errors
    /// [`PlanError::Invalid`] naming the field: empty or over-long name, negative price,
    /// trial over [`MAX_TRIAL_DAYS`], a rate limit out of range, version 0.
    pub fn new(mut terms: PlanDraft, version: u32) -> Result<Self, PlanError> {
        terms.name = terms.name.trim().to_owned();
        if terms.name.is_empty() || terms.name.chars().count() > 200 {
            return Err(InvalidValue::new("name", Rule::PlanNameLength).into());
        }
        if terms.description.chars().count() > 2000 {
            return Err(InvalidValue::new("description", Rule::DescriptionLength).into());
        }
        crate::text::refuse_control_characters("name", &terms.name)?;
        crate::text::refuse_control_characters_in_prose("description", &terms.description)?;
        check_price(&terms.price)?;
        if terms.trial_days > MAX_TRIAL_DAYS {
            return Err(InvalidValue::new("trial_days", Rule::TrialLength).into());
        }
        if let Some(rate_limit) = &terms.rate_limit {
            rate_limit.validate()?;
        }
        if version == 0 {
            return Err(InvalidValue::new("version", Rule::FirstVersion).into());
        }
        Ok(Self { terms, version })
    }

    /// The same terms as version `version`.
    #[must_use]
    pub fn with_version(mut self, version: u32) -> Self {
        self.version = version.max(1);
        self
    }

    /// The plan's code.
    pub fn code(&self) -> &PlanCode {
        &self.terms.code
    }
    /// The display name.
    pub fn name(&self) -> &str {
        &self.terms.name
    }
    /// The description.
    pub fn description(&self) -> &str {
        &self.terms.description
    }
    /// The price per interval (per seat when [`Plan::per_seat`]).
    pub fn price(&self) -> Money {
        self.terms.price
    }
    /// The billing interval.
    pub fn interval(&self) -> Interval {
        self.terms.interval
    }
    /// Trial length in days (0: none).
    pub fn trial_days(&self) -> u32 {
        self.terms.trial_days
    }
    /// Whether the price is per seat.
    pub fn per_seat(&self) -> bool {
        self.terms.per_seat
    }
    /// Whether new subscriptions may choose this plan.
    pub fn active(&self) -> bool {
        self.terms.active
    }
    /// The version of these terms.
    pub fn version(&self) -> u32 {
        self.version
    }
    /// Features by name.
    pub fn features(&self) -> &BTreeMap<FeatureName, bool> {
        &self.terms.features
    }
    /// Limits by metric.
    pub fn limits(&self) -> &BTreeMap<MetricName, Limit> {
        &self.terms.limits
    }
    /// How fast the account's users and account keys may call the API; `None`: no limit.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.terms.rate_limit
    }
    /// The catalog add-ons subscribers of the plan may buy.
    pub fn addons(&self) -> &[AddOnCode] {
        &self.terms.addons
    }
    /// The terms without the version.
    pub fn terms(&self) -> &PlanDraft {
        &self.terms
    }

    /// The price of one month, for comparing plans of different intervals (not rounded: it is
    /// never charged).
    pub fn monthly_price(&self) -> Money {
        let months = Decimal::from(self.terms.interval.months());
        Money::new(self.terms.price.amount() / months, self.terms.price.currency())
    }

    /// Whether the plan grants `feature`.
    pub fn grants(&self, feature: &FeatureName) -> bool {
        self.terms.features.get(feature).copied().unwrap_or(false)
    }

    /// The limit on `metric`, or `None` when the plan does not include the metric.
    pub fn limit(&self, metric: &MetricName) -> Option<&Limit> {
        self.terms.limits.get(metric)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::limit::{Enforcement, MAX_RATE, Reset};

    /// A plan for tests: `limits` as `(metric, max, reset)` hard limits.
    pub(crate) fn plan(
        code: &str,
        price: &str,
        limits: &[(&str, Option<u64>, Reset)],
        features: &[&str],
    ) -> Plan {
        Plan::new(
            PlanDraft {
                code: PlanCode::parse(code).unwrap(),
                name: code.to_uppercase(),
                description: String::new(),
                price: Money::parse(price, "USD").unwrap(),
                interval: Interval::Month,
                trial_days: 0,
                per_seat: false,
                active: true,
                features: features.iter().map(|f| (FeatureName::parse(*f).unwrap(), true)).collect(),
                limits: limits
                    .iter()
                    .map(|(m, max, reset)| {
                        (
                            MetricName::parse(*m).unwrap(),
                            Limit { max: *max, reset: *reset, enforcement: Enforcement::Hard },
                        )
                    })
                    .collect(),
                rate_limit: None,
                addons: Vec::new(),
            },
            1,
        )
        .unwrap()
    }

    #[test]
    fn plans_parse_from_the_api_shape() {
        let json = r#"{
          "code": "pro", "name": "Pro", "description": "For growing teams",
          "price": {"amount": "45.00", "currency": "USD"}, "interval": "month",
          "trial_days": 14, "per_seat": false, "active": true,
          "features": {"api_access": true, "priority_support": true},
          "limits": {
            "sites":   {"max": 3,    "reset": "never"},
            "tickets": {"max": 2000, "reset": "month", "enforcement": "hard"},
            "api_calls": {"max": null, "reset": "day"}
          }
        }"#;
        let plan = Plan::new(serde_json::from_str(json).unwrap(), 1).unwrap();
        assert_eq!(plan.version(), 1);
        assert_eq!(plan.trial_days(), 14);
        let tickets = plan.limit(&MetricName::parse("tickets").unwrap()).unwrap();
        assert_eq!(tickets.max, Some(2000));
        assert_eq!(plan.limit(&MetricName::parse("api_calls").unwrap()).unwrap().max, None);
        let back = serde_json::to_value(&plan).unwrap();
        assert_eq!(back["price"]["amount"], "45.00");
        assert_eq!(back["limits"]["sites"]["enforcement"], "hard");
        assert!(back.get("rate_limit").is_none(), "written only when set");
        assert!(back.get("addons").is_none(), "written only when some are allowed");
    }

    #[test]
    fn a_rate_limit_is_read_checked_and_written_back_when_set() {
        let mut draft = plan("api", "10", &[], &[]).terms().clone();
        draft.rate_limit = Some(RateLimit { per_minute: 600, burst: 60 });
        let plan = Plan::new(draft.clone(), 1).unwrap();
        assert_eq!(plan.rate_limit(), Some(RateLimit { per_minute: 600, burst: 60 }));
        let mut json = serde_json::to_value(&plan).unwrap();
        assert_eq!(json["rate_limit"], serde_json::json!({"per_minute": 600, "burst": 60}));
        json.as_object_mut().unwrap().remove("version");
        let back: PlanDraft = serde_json::from_value(json).unwrap();
        assert_eq!(back.rate_limit, draft.rate_limit);
        for (per_minute, burst, field) in [
            (0, 1, "rate_limit.per_minute"),
            (1, 0, "rate_limit.burst"),
            (MAX_RATE + 1, 1, "rate_limit.per_minute"),
            (1, MAX_RATE + 1, "rate_limit.burst"),
        ] {
            draft.rate_limit = Some(RateLimit { per_minute, burst });
            assert_eq!(
                Plan::new(draft.clone(), 1),
                Err(PlanError::Invalid(InvalidValue::new(field, Rule::RateLimit))),
                "{per_minute}/{burst}"
            );
        }
        let unknown = r#"{"per_minute": 1, "burst": 1, "window": 2}"#;
        assert!(serde_json::from_str::<RateLimit>(unknown).is_err());
    }

    #[test]
    fn a_plan_allows_only_add_ons_of_the_catalog_and_writes_them_back() {
        let mut draft = plan("pro", "10", &[], &[]).terms().clone();
        let extra_sites = AddOnCode::parse("extra-sites").unwrap();
        assert!(draft.check_addons(&[]).is_ok(), "no add-on allowed, none needed");
        draft.addons.push(extra_sites.clone());
        assert_eq!(draft.check_addons(&[]), Err(InvalidValue::new("addons", Rule::UnknownAddOn)));
        assert!(draft.check_addons(std::slice::from_ref(&extra_sites)).is_ok());
        let json = serde_json::to_value(Plan::new(draft, 1).unwrap()).unwrap();
        assert_eq!(json["addons"], serde_json::json!(["extra-sites"]));
    }

    #[test]
    fn invalid_plans_name_the_field() {
        let mut draft = plan("pro", "10", &[], &[]).terms().clone();
        draft.name = "  ".into();
        assert_eq!(
            Plan::new(draft.clone(), 1),
            Err(PlanError::Invalid(InvalidValue::new("name", Rule::PlanNameLength)))
        );
        draft.name = "P\u{0}ro".into();
        assert_eq!(
            Plan::new(draft.clone(), 1),
            Err(PlanError::Invalid(InvalidValue::new("name", Rule::ControlCharacters)))
        );
        draft.name = "Pro".into();
        draft.description = "a\u{0}".into();
        assert!(Plan::new(draft.clone(), 1).is_err());
        draft.description = String::new();

        draft.price = Money::parse("-1", "USD").unwrap();
        assert!(matches!(
            Plan::new(draft.clone(), 1),
            Err(PlanError::Invalid(InvalidValue { field: "price", .. }))
        ));
        draft.price = Money::parse("1", "USD").unwrap();
        draft.trial_days = 10_000;
        assert!(matches!(
            Plan::new(draft, 1),
            Err(PlanError::Invalid(InvalidValue { field: "trial_days", .. }))
        ));
        let unknown = r#"{"code":"x","name":"X","price":{"amount":"1","currency":"USD"},"interval":"month","colour":"red"}"#;
        assert!(serde_json::from_str::<PlanDraft>(unknown).is_err());
    }

    #[test]
    fn limits_admit_with_checked_arithmetic() {
        let l = Limit::hard(10, Reset::Month);
        assert!(l.admits(9, 1));
        assert!(!l.admits(10, 1));
        assert!(!l.admits(u64::MAX, u64::MAX));
        assert!(Limit::unlimited(Reset::Day).admits(u64::MAX, u64::MAX));
        let soft = Limit { enforcement: Enforcement::Soft, ..l };
        assert!(soft.admits(10, 5));
        assert_eq!(soft.cap(), None);
        assert_eq!(l.cap(), Some(10));
    }
}
