//! The account search.

use tollgate_domain::{AccountKey, Caller};
use tollgate_ports::AccountFilter;

use super::page_size;
use crate::{AccountView, AppError, Tollgate};

impl Tollgate {
    /// The accounts `filter` matches, with their subscription, in key order after `after`, at
    /// most `limit` (1–101: a page and the look-ahead telling whether another follows).
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; [`AppError::LimitOutOfRange`];
    /// storage errors.
    pub async fn search_accounts(
        &self,
        caller: &Caller,
        filter: &AccountFilter,
        after: Option<AccountKey>,
        limit: u32,
    ) -> Result<Vec<AccountView>, AppError> {
        self.require_platform_admin(caller)?;
        let found = self.ports.accounts.search(filter, after, page_size(limit)?).await?;
        let now = self.now();
        Ok(found.into_iter().map(|s| AccountView::at(s.account, s.subscription.as_ref(), now)).collect())
    }
}
