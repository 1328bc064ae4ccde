//! The billing scheduler inside `tollgate serve`: runs [`Tollgate::run_billing`] at start and
//! then every `billing.run_interval_seconds`. Every instance runs it; the billing port applies
//! each piece of work once, so no instance is special.

use std::sync::Arc;
use std::time::Duration;

use tollgate_app::Tollgate;

/// Runs the billing at start and then every `interval`, until aborted. A failing run is logged
/// and the next one resumes where work is left.
pub fn spawn(tollgate: Arc<Tollgate>, interval: Duration) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(interval);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match tollgate.run_billing().await {
                Ok(run) if run != tollgate_app::BillingRun::default() => {
                    tracing::info!(?run, "billing run");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "billing run failed; the next run resumes"),
            }
        }
    })
}
