//! Plans as code: a TOML file of `[[addons]]` and `[[plans]]` tables with the API's fields,
//! published through the use cases, add-ons first so plans may allow them (identical plan terms
//! keep their version and an add-on's terms are replaced by themselves, so applying twice
//! changes nothing). Nothing here is written to the audit log (the use cases publish with an
//! empty audit): no caller of the API acted, the file under version control is the record of
//! these changes, and each plan applied is logged with whether it changed. The admin routes'
//! publications are audited, each with its version.

use std::path::Path;

use anyhow::Context as _;
use serde::Deserialize;
use tollgate_app::{AppError, Tollgate};
use tollgate_domain::{AddOnDraft, PlanDraft};

/// What a plans file declares.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlansFile {
    /// The add-ons, published before the plans.
    #[serde(default)]
    pub addons: Vec<AddOnDraft>,
    /// The plans.
    #[serde(default)]
    pub plans: Vec<PlanDraft>,
}

/// What applying one plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The plan's code.
    pub code: String,
    /// Its version now.
    pub version: u32,
    /// Whether these terms were new (a new version was published).
    pub changed: bool,
}

/// Parses a plans file's text.
///
/// # Errors
/// Invalid TOML, an unknown field, an invalid value, or a code declared twice.
pub fn parse(text: &str) -> anyhow::Result<PlansFile> {
    let file: PlansFile = toml::from_str(text)?;
    for (i, plan) in file.plans.iter().enumerate() {
        if file.plans[..i].iter().any(|p| p.code == plan.code) {
            anyhow::bail!("the plan {} is declared twice", plan.code);
        }
    }
    for (i, addon) in file.addons.iter().enumerate() {
        if file.addons[..i].iter().any(|a| a.code == addon.code) {
            anyhow::bail!("the add-on {} is declared twice", addon.code);
        }
    }
    Ok(file)
}

/// Reads and publishes every add-on, then every plan, of `path`; what was done to each plan is
/// returned, add-ons are logged.
///
/// # Errors
/// An unreadable or invalid file; a plan the use cases refuse; storage errors.
pub async fn apply(tollgate: &Tollgate, path: &Path) -> anyhow::Result<Vec<Applied>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = parse(&text).with_context(|| format!("invalid plans file {}", path.display()))?;
    for addon in file.addons {
        let code = addon.code.clone();
        let (_, created) =
            tollgate.publish_addon(addon).await.with_context(|| format!("publishing the add-on {code}"))?;
        tracing::info!(addon = %code, created, "add-on applied");
    }
    let mut applied = Vec::with_capacity(file.plans.len());
    for draft in file.plans {
        let code = draft.code.clone();
        let before = match tollgate.plan(&code).await {
            Ok(plan) => Some(plan.version()),
            Err(AppError::PlanNotFound(_)) => None,
            Err(error) => return Err(error).context("reading the current plans"),
        };
        let plan =
            tollgate.publish_plan(draft).await.with_context(|| format!("publishing the plan {code}"))?;
        applied.push(Applied {
            code: code.to_string(),
            version: plan.version(),
            changed: before != Some(plan.version()),
        });
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = include_str!("../../../config/plans.toml");

    #[test]
    fn the_shipped_plans_are_valid() {
        let declared = parse(SHIPPED).unwrap();
        let addons: Vec<_> = declared.addons.iter().map(|a| a.code.to_string()).collect();
        assert_eq!(addons, ["extra-sites"]);
        for addon in declared.addons {
            tollgate_domain::AddOnTerms::new(addon).unwrap();
        }
        let plans = declared.plans;
        let codes: Vec<_> = plans.iter().map(|p| p.code.to_string()).collect();
        assert_eq!(codes, ["free", "pro", "pro-yearly", "enterprise", "enterprise-yearly"]);
        for plan in plans {
            let plan = tollgate_domain::Plan::new(plan, 1).unwrap();
            assert_eq!(plan.limits().len(), 6, "{}", plan.code());
            assert_eq!(plan.features().len(), 4, "{}", plan.code());
            assert_eq!(plan.price().currency().code(), "USD");
            assert_eq!(plan.trial_days(), if plan.code().as_str() == "pro" { 14 } else { 0 });
            let allowed: Vec<_> = plan.addons().iter().map(|a| a.as_str()).collect();
            assert_eq!(allowed, if plan.code().as_str() == "pro" { vec!["extra-sites"] } else { vec![] });
        }
    }

    #[test]
    fn a_plan_may_declare_a_rate_limit() {
        let plan = "[[plans]]\ncode = \"api\"\nname = \"API\"\nprice = { amount = \"0\", currency = \"USD\" }\n\
                    interval = \"month\"\nrate_limit = { per_minute = 600, burst = 60 }\n";
        let plans = parse(plan).unwrap().plans;
        let expected = tollgate_domain::RateLimit { per_minute: 600, burst: 60 };
        assert_eq!(plans[0].rate_limit, Some(expected));
        assert!(parse(&plan.replace("burst = 60", "burst = 60, window = 1")).is_err(), "unknown field");
    }

    #[test]
    fn mistakes_are_reported() {
        assert!(parse("[[plans]]\ncode = \"x\"").is_err(), "missing fields");
        let twice = format!(
            "{SHIPPED}\n[[plans]]\ncode = \"free\"\nname = \"F\"\nprice = {{ amount = \"0\", currency = \"USD\" }}\ninterval = \"month\"\n"
        );
        assert!(parse(&twice).unwrap_err().to_string().contains("twice"));
        assert!(parse("[[plans]]\ncode = \"x\"\ncolour = 1").is_err(), "unknown field");
        let addon = "[[addons]]\ncode = \"extra-sites\"\nname = \"Extra\"\n\
                     price = { amount = \"1\", currency = \"USD\" }\ninterval = \"month\"\n\
                     limits.sites = { max = 5 }\n";
        assert_eq!(parse(addon).unwrap().addons.len(), 1);
        assert!(parse(&format!("{addon}{addon}")).unwrap_err().to_string().contains("twice"));
        assert!(parse(&addon.replace("max = 5", "max = 5, reset = \"never\"")).is_err(), "unknown field");
    }
}
