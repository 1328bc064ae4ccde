//! The platform admins' back office: account and user search, user sessions, soft deletion and
//! impersonation, statistics, the audit log, the accounts over their limits, plan publication
//! and archival, add-on publication, and the first operator made from the command line. Every use case here checks
//! that its caller is a platform admin (except the command line's, which runs on the server).

mod accounts;
mod addons;
mod audit;
mod limits;
mod operators;
mod plans;
mod stats;
mod users;

pub use limits::OverLimits;
pub use operators::NewOperator;
pub use stats::Stats;
pub use users::Impersonation;

use crate::AppError;

/// Checks a list's page size (1 to 100, one more allowed for the caller's look-ahead).
pub(crate) fn page_size(limit: u32) -> Result<u32, AppError> {
    if (1..=101).contains(&limit) { Ok(limit) } else { Err(AppError::LimitOutOfRange) }
}
