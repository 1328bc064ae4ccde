//! The periodic seat sweep: seats held by invitations that expired unaccepted, and by deleted
//! users' memberships, are given back (see [`Tollgate::release_lapsed_seats`]). It runs beside the
//! retention task, at start and then every `retention.interval_seconds`, on every instance: the
//! use case makes concurrent sweeps give each seat back once.

use std::sync::Arc;
use std::time::Duration;

use tollgate_app::{SeatSweep, Tollgate};

use crate::settings::RetentionSettings;

/// Sweeps until nothing is left (or a batch fails: the next run starts over), `batch` at a time,
/// and returns what was given back.
pub async fn run_once(tollgate: &Tollgate, batch: u32) -> SeatSweep {
    let mut total = SeatSweep::default();
    loop {
        match tollgate.release_lapsed_seats(batch).await {
            Ok(done) => {
                total.invitations += done.invitations;
                total.memberships += done.memberships;
                total.failed += done.failed;
                if !done.more {
                    return total;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "lapsed seats not swept");
                return total;
            }
        }
    }
}

/// Runs [`run_once`] at start and then every `settings.interval_seconds`, until aborted.
pub fn spawn(tollgate: Arc<Tollgate>, settings: &RetentionSettings) -> actix_web::rt::task::JoinHandle<()> {
    let period = Duration::from_secs(settings.interval_seconds.max(1));
    let batch = settings.batch.max(1);
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let swept = run_once(&tollgate, batch).await;
            if swept != SeatSweep::default() {
                tracing::info!(
                    invitations = swept.invitations,
                    memberships = swept.memberships,
                    failed = swept.failed,
                    "seats of expired invitations and deleted users given back"
                );
            }
        }
    })
}
