//! The accounts whose usage is over their terms' limits: after a downgrade, what each holds
//! past the new plan's maximum (the limit audit of a back office).

use std::collections::BTreeMap;

use serde::Serialize;
use tollgate_domain::{AccountKey, Caller, MetricName, UsageLine};

use super::page_size;
use crate::{AppError, Tollgate};

/// Accounts read per round while looking for those over their limits.
const SCAN_BATCH: u32 = 100;

/// An account over at least one of its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverLimits {
    /// The account.
    pub account: AccountKey,
    /// The metrics whose current window's usage is past their maximum, by name.
    pub metrics: BTreeMap<MetricName, UsageLine>,
}

impl Tollgate {
    /// The accounts (in key order, after `after`) whose usage in the current windows is past a
    /// limit of their terms (plan, add-ons, overrides), at most `limit` (1–101), with the metrics
    /// over. Accounts without a subscription have no limits and are never listed. The accounts
    /// are read a batch at a time until enough are found, so a page costs a read of every
    /// account it walks past.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::LimitOutOfRange`];
    /// storage errors.
    pub async fn accounts_over_limits(
        &self,
        caller: &Caller,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<OverLimits>, AppError> {
        self.require_platform_admin(caller)?;
        let wanted = page_size(limit)? as usize;
        let mut found = Vec::new();
        let mut position = after;
        loop {
            let accounts = self.ports.accounts.list(position.clone(), SCAN_BATCH).await?;
            let exhausted = accounts.len() < SCAN_BATCH as usize;
            for account in accounts {
                position = Some(account.key.clone());
                let report = match self.usage(&account.key).await {
                    Ok(report) => report,
                    // Deleted or never subscribed meanwhile: nothing to be over.
                    Err(AppError::NoSubscription | AppError::AccountNotFound) => continue,
                    Err(error) => return Err(error),
                };
                let metrics: BTreeMap<_, _> = report
                    .metrics
                    .into_iter()
                    .filter(|(_, line)| line.max.is_some_and(|max| line.current > max))
                    .collect();
                if !metrics.is_empty() {
                    found.push(OverLimits { account: account.key, metrics });
                    if found.len() == wanted {
                        return Ok(found);
                    }
                }
            }
            if exhausted {
                return Ok(found);
            }
        }
    }
}
