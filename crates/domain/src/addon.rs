//! The add-on catalog: extras a plan may allow its subscribers to buy, each unit raising limits
//! or granting features, at its own price.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::{AddOnCode, FeatureName, InvalidValue, MetricName};
use crate::money::Money;
use crate::period::Interval;
use crate::plan::check_price;
use crate::rule::Rule;
use crate::text::Name;

/// What one unit of an add-on adds to a metric's limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOnLimit {
    /// Units added to the plan's `max` per add-on unit bought.
    pub max: u64,
}

/// An add-on as written by an operator, before validation (the JSON shape of the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddOnDraft {
    /// The add-on's code.
    pub code: AddOnCode,
    /// The display name.
    pub name: Name,
    /// The price of one unit per interval.
    pub price: Money,
    /// The billing interval.
    pub interval: Interval,
    /// What one unit adds to each metric's limit.
    #[serde(default)]
    pub limits: BTreeMap<MetricName, AddOnLimit>,
    /// Features the add-on grants (or, `false`, names without granting).
    #[serde(default)]
    pub features: BTreeMap<FeatureName, bool>,
}

impl AddOnDraft {
    /// Checks that this draft describes the add-on `code` (the one a route's path names).
    ///
    /// # Errors
    /// [`InvalidValue`] for `code` when the draft names another add-on.
    pub fn check_code(&self, code: &AddOnCode) -> Result<(), InvalidValue> {
        if &self.code == code { Ok(()) } else { Err(InvalidValue::new("code", Rule::AddOnCodeMismatch)) }
    }
}

/// A validated add-on of the catalog. It serializes as the API shape; what clients send is an
/// [`AddOnDraft`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct AddOnTerms(AddOnDraft);

impl AddOnTerms {
    /// Validates `draft`.
    ///
    /// # Errors
    /// [`InvalidValue`] naming the field: a negative price or one in fractions of a minor unit
    /// (`price`), nothing raised nor granted (`limits`).
    pub fn new(draft: AddOnDraft) -> Result<Self, InvalidValue> {
        check_price(&draft.price)?;
        if draft.limits.is_empty() && draft.features.is_empty() {
            return Err(InvalidValue::new("limits", Rule::AddOnEmpty));
        }
        Ok(Self(draft))
    }

    /// The add-on's code.
    pub fn code(&self) -> &AddOnCode {
        &self.0.code
    }
    /// The display name.
    pub fn name(&self) -> &Name {
        &self.0.name
    }
    /// The price of one unit per interval.
    pub fn price(&self) -> Money {
        self.0.price
    }
    /// The billing interval.
    pub fn interval(&self) -> Interval {
        self.0.interval
    }
    /// What one unit adds to each metric's limit.
    pub fn limits(&self) -> &BTreeMap<MetricName, AddOnLimit> {
        &self.0.limits
    }
    /// The features the add-on names, granted or not.
    pub fn features(&self) -> &BTreeMap<FeatureName, bool> {
        &self.0.features
    }
    /// The terms as the API writes them.
    pub fn draft(&self) -> &AddOnDraft {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(json: &str) -> AddOnDraft {
        serde_json::from_str(json).unwrap()
    }

    const EXTRA_SITES: &str = r#"{"code": "extra-sites", "name": "Extra sites",
        "price": {"amount": "10.00", "currency": "USD"}, "interval": "month",
        "limits": {"sites": {"max": 5}}}"#;

    #[test]
    fn an_add_on_parses_from_the_api_shape_and_writes_it_back() {
        let addon = AddOnTerms::new(draft(EXTRA_SITES)).unwrap();
        assert_eq!(addon.code().as_str(), "extra-sites");
        assert_eq!(addon.limits()[&MetricName::parse("sites").unwrap()], AddOnLimit { max: 5 });
        let back = serde_json::to_value(&addon).unwrap();
        assert_eq!(back["price"]["amount"], "10.00");
        assert_eq!(back["limits"]["sites"]["max"], 5);
        assert_eq!(back["features"], serde_json::json!({}));
    }

    #[test]
    fn an_add_on_that_adds_nothing_or_costs_less_than_nothing_is_refused() {
        let mut empty = draft(EXTRA_SITES);
        empty.limits.clear();
        assert_eq!(AddOnTerms::new(empty.clone()), Err(InvalidValue::new("limits", Rule::AddOnEmpty)));
        empty.features.insert(FeatureName::parse("sso").unwrap(), true);
        assert!(AddOnTerms::new(empty).is_ok(), "a feature alone is an add-on");
        let mut negative = draft(EXTRA_SITES);
        negative.price = Money::parse("-1", "USD").unwrap();
        assert_eq!(AddOnTerms::new(negative), Err(InvalidValue::new("price", Rule::NegativePrice)));
    }

    #[test]
    fn malformed_codes_names_and_unknown_fields_are_refused_when_read() {
        for bad in [
            EXTRA_SITES.replace("extra-sites", "Extra Sites"),
            EXTRA_SITES.replace("\"Extra sites\"", "\"  \""),
            EXTRA_SITES.replace("{\"max\": 5}", "{\"max\": 5, \"reset\": \"never\"}"),
            EXTRA_SITES.replace("\"interval\"", "\"colour\": 1, \"interval\""),
        ] {
            assert!(serde_json::from_str::<AddOnDraft>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_draft_naming_another_add_on_than_its_path_is_refused() {
        let addon = draft(EXTRA_SITES);
        assert!(addon.check_code(&AddOnCode::parse("extra-sites").unwrap()).is_ok());
        assert_eq!(
            addon.check_code(&AddOnCode::parse("more-seats").unwrap()),
            Err(InvalidValue::new("code", Rule::AddOnCodeMismatch))
        );
    }
}
