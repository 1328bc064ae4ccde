//! Failed logins in memory, for tests and embedding.

use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_ports::{Failures, LoginAttempts, StoreError};

#[derive(Debug)]
struct Failure {
    email: String,
    ip: String,
    at: OffsetDateTime,
}

/// Failed logins in memory: one process's throttle (a fleet shares the database store's).
#[derive(Debug, Default)]
pub struct MemoryLoginAttempts {
    failures: Mutex<Vec<Failure>>,
}

impl MemoryLoginAttempts {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Failure>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How many of `ats` there are, and the oldest.
fn count(ats: impl Iterator<Item = OffsetDateTime>) -> (u32, Option<OffsetDateTime>) {
    ats.fold((0, None), |(n, oldest), at| {
        (n.saturating_add(1), Some(oldest.map_or(at, |o: OffsetDateTime| o.min(at))))
    })
}

#[async_trait]
impl LoginAttempts for MemoryLoginAttempts {
    async fn record_failure(&self, email: &str, ip: &str, at: OffsetDateTime) -> Result<(), StoreError> {
        self.lock().push(Failure { email: email.to_owned(), ip: ip.to_owned(), at });
        Ok(())
    }

    async fn failures(&self, email: &str, ip: &str, since: OffsetDateTime) -> Result<Failures, StoreError> {
        let failures = self.lock();
        let recent = || failures.iter().filter(|f| f.at >= since);
        let (by_email, oldest_email) = count(recent().filter(|f| f.email == email).map(|f| f.at));
        let (by_ip, oldest_ip) = count(recent().filter(|f| f.ip == ip).map(|f| f.at));
        Ok(Failures { email: by_email, ip: by_ip, oldest_email, oldest_ip })
    }

    async fn clear(&self, email: &str) -> Result<(), StoreError> {
        self.lock().retain(|f| f.email != email);
        Ok(())
    }

    async fn purge(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let mut failures = self.lock();
        let kept = failures.len();
        failures.retain(|f| f.at >= before);
        Ok(u64::try_from(kept - failures.len()).unwrap_or(u64::MAX))
    }
}
