//! A small Prometheus registry written with atomics: request counts and a latency histogram per
//! route, and decisions by operation and code. Rendered in the text exposition format.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::http::Method;
use tollgate_domain::DecisionCode;

/// Upper bounds of the latency histogram buckets, in seconds.
const BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The route label of requests no route matched.
pub const UNMATCHED: &str = "unmatched";

/// An enforcement operation, for the decisions counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST …/check`.
    Check,
    /// `POST …/consume`.
    Consume,
    /// `POST …/release`.
    Release,
}

impl Operation {
    const ALL: [Operation; 3] = [Operation::Check, Operation::Consume, Operation::Release];

    fn as_str(self) -> &'static str {
        match self {
            Operation::Check => "check",
            Operation::Consume => "consume",
            Operation::Release => "release",
        }
    }
}

#[derive(Debug, Default)]
struct RouteStats {
    statuses: RwLock<BTreeMap<u16, AtomicU64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// The registry.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: RwLock<HashMap<(&'static str, String), Arc<RouteStats>>>,
    decisions: [[AtomicU64; DecisionCode::ALL.len()]; 3],
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Records one request answered with `status` after `elapsed`; `route` is the matched route
    /// pattern (`/v1/accounts/{key}`), or `None` when no route matched.
    pub fn observe(&self, method: &Method, route: Option<&str>, status: u16, elapsed: Duration) {
        let id = (method_label(method), route.unwrap_or(UNMATCHED).to_owned());
        let existing = self.routes.read().unwrap_or_else(|p| p.into_inner()).get(&id).cloned();
        let stats = match existing {
            Some(stats) => stats,
            None => self.routes.write().unwrap_or_else(|p| p.into_inner()).entry(id).or_default().clone(),
        };
        let counted = stats.statuses.read().unwrap_or_else(|p| p.into_inner()).get(&status).map(|c| {
            c.fetch_add(1, Ordering::Relaxed);
        });
        if counted.is_none() {
            let mut statuses = stats.statuses.write().unwrap_or_else(|p| p.into_inner());
            statuses.entry(status).or_default().fetch_add(1, Ordering::Relaxed);
        }
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|le| seconds <= *le) {
            stats.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        stats.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        stats.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Records a decision.
    pub fn decision(&self, operation: Operation, code: DecisionCode) {
        let op = Operation::ALL.iter().position(|o| *o == operation).unwrap_or(0);
        let code = DecisionCode::ALL.iter().position(|c| *c == code).unwrap_or(0);
        self.decisions[op][code].fetch_add(1, Ordering::Relaxed);
    }

    /// The registry in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut routes: Vec<_> = self
            .routes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|((m, r), s)| ((*m, r.clone()), s.clone()))
            .collect();
        routes.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::new();
        out.push_str(
            "# HELP tollgate_http_requests_total HTTP requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE tollgate_http_requests_total counter\n");
        for ((method, route), stats) in &routes {
            let route = escape(route);
            for (status, count) in stats.statuses.read().unwrap_or_else(|p| p.into_inner()).iter() {
                let count = count.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "tollgate_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
                );
            }
        }
        out.push_str("# HELP tollgate_http_request_duration_seconds Time to answer HTTP requests, by method and route.\n");
        out.push_str("# TYPE tollgate_http_request_duration_seconds histogram\n");
        for ((method, route), stats) in &routes {
            let route = escape(route);
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (le, bucket) in BUCKETS.iter().zip(&stats.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "tollgate_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = stats.count.load(Ordering::Relaxed);
            let sum = Duration::from_micros(stats.sum_micros.load(Ordering::Relaxed)).as_secs_f64();
            let _ = writeln!(
                out,
                "tollgate_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "tollgate_http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(out, "tollgate_http_request_duration_seconds_count{{{labels}}} {count}");
        }
        out.push_str("# HELP tollgate_decisions_total Enforcement decisions, by operation and code.\n");
        out.push_str("# TYPE tollgate_decisions_total counter\n");
        for (op, counts) in Operation::ALL.iter().zip(&self.decisions) {
            for (code, count) in DecisionCode::ALL.iter().zip(counts) {
                let _ = writeln!(
                    out,
                    "tollgate_decisions_total{{operation=\"{}\",code=\"{}\"}} {}",
                    op.as_str(),
                    code.as_str(),
                    count.load(Ordering::Relaxed)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_renders_counts_histograms_and_decisions() {
        let metrics = Metrics::default();
        metrics.observe(&Method::GET, Some("/v1/plans"), 200, Duration::from_micros(300));
        metrics.observe(&Method::GET, Some("/v1/plans"), 200, Duration::from_millis(20));
        metrics.observe(&Method::POST, None, 404, Duration::from_secs(30));
        metrics.decision(Operation::Consume, DecisionCode::LimitReached);
        let text = metrics.render();
        assert!(
            text.contains(
                "tollgate_http_requests_total{method=\"GET\",route=\"/v1/plans\",status=\"200\"} 2"
            )
        );
        assert!(text.contains(
            "tollgate_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/plans\",le=\"0.0005\"} 1"
        ));
        assert!(text.contains(
            "tollgate_http_request_duration_seconds_bucket{method=\"GET\",route=\"/v1/plans\",le=\"0.025\"} 2"
        ));
        assert!(text.contains(
            "tollgate_http_request_duration_seconds_bucket{method=\"POST\",route=\"unmatched\",le=\"10\"} 0"
        ));
        assert!(text.contains(
            "tollgate_http_request_duration_seconds_bucket{method=\"POST\",route=\"unmatched\",le=\"+Inf\"} 1"
        ));
        assert!(text.contains("tollgate_decisions_total{operation=\"consume\",code=\"limit_reached\"} 1"));
        assert!(text.contains("tollgate_decisions_total{operation=\"check\",code=\"ok\"} 0"));
    }
}
