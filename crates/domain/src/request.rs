//! What a caller asks about: a feature, or some units of a metric.

use crate::ids::{FeatureName, InvalidValue, MetricName};
use crate::quantity::Quantity;

/// What a caller asks about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// May the account use this feature?
    Feature(FeatureName),
    /// May the account use `quantity` more units of `metric`?
    Metric {
        /// The metric.
        metric: MetricName,
        /// How many units.
        quantity: Quantity,
    },
}

impl Request {
    /// A metric request from raw values.
    ///
    /// # Errors
    /// [`InvalidValue`] for `metric` or `quantity`.
    pub fn metric(metric: &str, quantity: u64) -> Result<Self, InvalidValue> {
        Ok(Request::Metric { metric: MetricName::parse(metric)?, quantity: Quantity::new(quantity)? })
    }

    /// A feature request from a raw name.
    ///
    /// # Errors
    /// [`InvalidValue`] for `feature`.
    pub fn feature(feature: &str) -> Result<Self, InvalidValue> {
        Ok(Request::Feature(FeatureName::parse(feature)?))
    }
}
