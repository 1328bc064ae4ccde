//! What an account may do: its plan's terms, raised by add-ons, then replaced by overrides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{FeatureName, InvalidValue, MetricName};
use crate::limit::Limit;
use crate::plan::Plan;
use crate::rule::Rule;

/// A purchasable extra that raises limits or grants features, bought in some quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOn {
    /// The add-on's code, e.g. `extra_sites`.
    pub code: String,
    /// Units bought (≥ 1).
    pub quantity: u32,
    /// Units each add-on unit adds to a metric the plan already limits.
    #[serde(default)]
    pub limits: BTreeMap<MetricName, u64>,
    /// Features granted.
    #[serde(default)]
    pub features: Vec<FeatureName>,
}

impl AddOn {
    /// Checks the add-on's values.
    ///
    /// # Errors
    /// [`InvalidValue`] for an empty or over-long code or a zero quantity.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if self.code.is_empty() || self.code.len() > 64 {
            return Err(InvalidValue::new("code", Rule::AddOnCode));
        }
        if self.quantity == 0 {
            return Err(InvalidValue::new("quantity", Rule::AddOnQuantity));
        }
        Ok(())
    }
}

/// Per-account terms negotiated outside the catalog (custom quotas); each replaces the plan's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Limits that replace the plan's (or add a metric the plan lacks).
    #[serde(default)]
    pub limits: BTreeMap<MetricName, Limit>,
    /// Features forced on or off.
    #[serde(default)]
    pub features: BTreeMap<FeatureName, bool>,
}

impl Overrides {
    /// True when nothing is overridden.
    pub fn is_empty(&self) -> bool {
        self.limits.is_empty() && self.features.is_empty()
    }
}

/// The effective features and limits of one account.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Entitlements {
    features: BTreeMap<FeatureName, bool>,
    limits: BTreeMap<MetricName, Limit>,
}

impl Entitlements {
    /// Combines the plan, then add-ons (adding `units × quantity` to limited metrics of the plan,
    /// saturating; granting their features), then overrides (replacing). The one place these
    /// rules live.
    pub fn resolve(plan: &Plan, add_ons: &[AddOn], overrides: &Overrides) -> Self {
        let mut features = plan.features().clone();
        let mut limits = plan.limits().clone();
        for add_on in add_ons {
            for (metric, per_unit) in &add_on.limits {
                if let Some(limit) = limits.get_mut(metric) {
                    let extra = per_unit.saturating_mul(u64::from(add_on.quantity));
                    limit.max = limit.max.map(|max| max.saturating_add(extra));
                }
            }
            for feature in &add_on.features {
                features.insert(feature.clone(), true);
            }
        }
        limits.extend(overrides.limits.iter().map(|(m, l)| (m.clone(), *l)));
        features.extend(overrides.features.iter().map(|(f, on)| (f.clone(), *on)));
        Self { features, limits }
    }

    /// The plan's terms alone.
    pub fn of_plan(plan: &Plan) -> Self {
        Self::resolve(plan, &[], &Overrides::default())
    }

    /// Whether `feature` is granted.
    pub fn grants(&self, feature: &FeatureName) -> bool {
        self.features.get(feature).copied().unwrap_or(false)
    }

    /// The limit on `metric`, or `None` when it is not included.
    pub fn limit(&self, metric: &MetricName) -> Option<&Limit> {
        self.limits.get(metric)
    }

    /// All limits.
    pub fn limits(&self) -> &BTreeMap<MetricName, Limit> {
        &self.limits
    }

    /// All features.
    pub fn features(&self) -> &BTreeMap<FeatureName, bool> {
        &self.features
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limit::Reset;
    use crate::plan::tests::plan;

    fn m(name: &str) -> MetricName {
        MetricName::parse(name).unwrap()
    }

    #[test]
    fn add_ons_raise_and_overrides_replace() {
        let pro = plan(
            "pro",
            "45",
            &[("sites", Some(3), Reset::Never), ("api_calls", None, Reset::Day)],
            &["api_access"],
        );
        let add_on = AddOn {
            code: "extra_sites".into(),
            quantity: 2,
            limits: [(m("sites"), 5), (m("api_calls"), 100), (m("queues"), 1)].into(),
            features: vec![FeatureName::parse("sso").unwrap()],
        };
        let overrides = Overrides {
            limits: [(m("tickets"), Limit::hard(50, Reset::Month))].into(),
            features: [(FeatureName::parse("api_access").unwrap(), false)].into(),
        };
        let e = Entitlements::resolve(&pro, std::slice::from_ref(&add_on), &overrides);
        assert_eq!(e.limit(&m("sites")).unwrap().max, Some(13));
        assert_eq!(e.limit(&m("api_calls")).unwrap().max, None, "unlimited stays unlimited");
        assert!(e.limit(&m("queues")).is_none(), "add-ons only raise what the plan limits");
        assert_eq!(e.limit(&m("tickets")).unwrap().max, Some(50));
        assert!(e.grants(&FeatureName::parse("sso").unwrap()));
        assert!(!e.grants(&FeatureName::parse("api_access").unwrap()));
        let huge = AddOn { quantity: u32::MAX, limits: [(m("sites"), u64::MAX)].into(), ..add_on };
        assert_eq!(
            Entitlements::resolve(&pro, &[huge], &Overrides::default()).limit(&m("sites")).unwrap().max,
            Some(u64::MAX)
        );
    }
}
