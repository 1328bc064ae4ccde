//! The server's own small adapters: random ids, a notifier that logs, and the readiness check on
//! the store.

use async_trait::async_trait;
use tollgate_http::HealthCheck;
use tollgate_ports::{IdGenerator, Notification, Notifier, NotifyError};
use tollgate_store::Store;

/// Identifiers `prefix_` and 24 random hex characters (96 bits).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn generate(&self, prefix: &str) -> String {
        let mut bytes = [0u8; 12];
        if getrandom::fill(&mut bytes).is_err() {
            // No OS randomness: fall back to the clock's nanoseconds and a counter, still unique
            // within the process.
            static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            bytes[..8].copy_from_slice(&t.to_be_bytes());
            bytes[8..].copy_from_slice(&(n as u32).to_be_bytes());
        }
        format!("{prefix}_{}", hex::encode(bytes))
    }
}

/// Delivers notifications to the log (until e-mail and webhooks exist).
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn notify(&self, notification: &Notification) -> Result<(), NotifyError> {
        tracing::info!(?notification, "notification");
        Ok(())
    }
}

/// Ready when the database answers.
#[derive(Debug, Clone)]
pub struct StoreHealth(pub Store);

#[async_trait]
impl HealthCheck for StoreHealth {
    async fn ready(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_prefixed_and_distinct() {
        let (a, b) = (RandomIds.generate("key"), RandomIds.generate("key"));
        assert!(a.starts_with("key_") && a.len() == 28, "{a}");
        assert_ne!(a, b);
    }
}
