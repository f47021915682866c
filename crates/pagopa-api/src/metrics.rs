//! Prometheus metrics: requests and latency per route, the outbox backlog and dead letters. Rendered at
//! `/metrics` in the text exposition format; no personal data (routes are patterns, not paths).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

#[derive(Default)]
struct Route {
    by_status: BTreeMap<(&'static str, u16), u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// Renders more metrics into the exposition (another adapter's counters).
pub type MetricsSource = Box<dyn Fn(&mut String) + Send + Sync>;

/// The counters, shared by every worker.
#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, Route>>,
    sources: Vec<MetricsSource>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The method as a metrics label: one of a closed set, `other` for extension methods (any
/// token is a method to HTTP: as a label it would let anyone grow the metrics without bound).
pub fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *method {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl Metrics {
    /// Metrics that also render `sources` (e.g. the paForNode endpoint's counters).
    pub fn with_sources(sources: Vec<MetricsSource>) -> Self {
        Self {
            routes: Mutex::default(),
            sources,
        }
    }

    /// Records one request.
    pub fn record(&self, route: &str, method: &'static str, status: u16, elapsed: Duration) {
        let mut routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = routes.entry(route.to_owned()).or_default();
        *entry.by_status.entry((method, status)).or_default() += 1;
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in entry.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        entry.count += 1;
        entry.sum_seconds += seconds;
    }

    /// The text exposition, with `backlog` as the outbox gauge when known.
    pub fn render(&self, backlog: Option<u64>) -> String {
        self.render_outbox(backlog, None)
    }

    /// The text exposition, with the outbox's pending (`backlog`) and dead-letter gauges when
    /// known.
    pub fn render_outbox(&self, backlog: Option<u64>, dead_letters: Option<u64>) -> String {
        let routes = self.routes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        out.push_str("# HELP http_requests_total HTTP requests served, by route pattern, method and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (route, data) in routes.iter() {
            for ((method, status), count) in &data.by_status {
                let _ = writeln!(
                    out,
                    "http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP http_request_duration_seconds Time to serve a request, by route pattern.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (route, data) in routes.iter() {
            let route = escape(route);
            for (bound, count) in BUCKETS.iter().zip(data.buckets) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                data.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                data.sum_seconds
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                data.count
            );
        }
        if let Some(backlog) = backlog {
            out.push_str("# HELP pagopa_outbox_backlog Gestionale notifications not delivered yet.\n");
            out.push_str("# TYPE pagopa_outbox_backlog gauge\n");
            let _ = writeln!(out, "pagopa_outbox_backlog {backlog}");
        }
        if let Some(dead) = dead_letters {
            out.push_str(
                "# HELP pagopa_outbox_dead_letters Gestionale notifications given up after their gestionale's delivery limits (kept, replayable).\n",
            );
            out.push_str("# TYPE pagopa_outbox_dead_letters gauge\n");
            let _ = writeln!(out, "pagopa_outbox_dead_letters {dead}");
        }
        for source in &self.sources {
            source(&mut out);
        }
        out
    }
}
