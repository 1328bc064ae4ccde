//! Upgrade suggestions: the cheapest plan that would allow what the current one denies.

use serde::Serialize;

use crate::ids::PlanCode;
use crate::plan::Plan;
use crate::request::Request;

/// The cheapest plan that would allow a denied request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// The plan's code.
    pub plan: PlanCode,
    /// The plan's display name.
    pub name: String,
    /// That plan's limit on the metric (`None`: unlimited or a feature request).
    pub limit: Option<u64>,
}

/// The cheapest active plan (by price per month, ties by code) other than `current` that would
/// allow `request` with `used` units already used, preferring plans billed at `current`'s
/// interval; plans in another currency than `current`'s are not compared. `None` when no plan
/// fits.
pub fn suggest_upgrade(
    catalog: &[Plan],
    current: Option<&Plan>,
    request: &Request,
    used: u64,
) -> Option<Upgrade> {
    catalog
        .iter()
        .filter(|p| p.active())
        .filter(|p| {
            current.is_none_or(|c| c.code() != p.code() && c.price().currency() == p.price().currency())
        })
        .filter_map(|p| match request {
            Request::Feature(f) => p.grants(f).then_some((p, None)),
            Request::Metric { metric, quantity } => {
                p.limit(metric).filter(|l| l.admits(used, quantity.get())).map(|l| (p, l.max))
            }
        })
        .min_by_key(|(p, _)| {
            // A yearly plan is cheaper per month but not what a monthly customer asks for.
            let other_interval = current.is_some_and(|c| c.interval() != p.interval());
            (other_interval, p.monthly_price().amount(), p.code().clone())
        })
        .map(|(p, limit)| Upgrade { plan: p.code().clone(), name: p.name().to_owned(), limit })
}
