//! Load: full modello-3 cycles (verify, `paGetPaymentV2`, `paSendRTV2`) run concurrently, each on
//! its own payable notice, with throughput and latency percentiles per operation.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pagopa_domain::value::{EnteId, NoticeNumber};
use tokio::sync::Mutex;

use crate::psp::{PayOptions, Simulator};
use crate::report::PaymentReport;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchSettings {
    /// The notices, each paid once: `(ente, notice)`.
    pub notices: Vec<(EnteId, NoticeNumber)>,
    /// Cycles in flight at once.
    pub concurrency: usize,
    /// Stop starting cycles after this long (cycles in flight finish).
    pub duration: Duration,
}

/// Reads notices, one per line: `NOTICE` (of `default_ente`) or `CF,NOTICE` / `CF NOTICE` /
/// `CF;NOTICE`. Blank lines and lines starting with `#` are skipped.
pub fn parse_notices(text: &str, default_ente: Option<&EnteId>) -> Result<Vec<(EnteId, NoticeNumber)>, String> {
    let mut notices = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|f| !f.is_empty())
            .collect();
        let at = |e: &dyn fmt::Display| format!("line {}: {e}", index + 1);
        let (ente, notice) = match fields.as_slice() {
            [notice] => (
                default_ente
                    .cloned()
                    .ok_or_else(|| at(&"a notice without an Ente, and no --ente"))?,
                notice,
            ),
            [ente, notice] => (ente.parse().map_err(|e: pagopa_domain::EnteIdError| at(&e))?, notice),
            _ => return Err(at(&"expected NOTICE or CF,NOTICE")),
        };
        let notice = notice.parse().map_err(|e: pagopa_domain::NoticeNumberError| at(&e))?;
        notices.push((ente, notice));
    }
    Ok(notices)
}

/// Latencies of one operation (or of whole cycles).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatencyStats {
    /// The operation, or `cycle`.
    pub operation: String,
    /// Calls made.
    pub count: usize,
    /// Calls that did not answer as expected.
    pub errors: usize,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl LatencyStats {
    fn of(operation: &str, mut values: Vec<f64>, errors: usize) -> Self {
        values.sort_by(f64::total_cmp);
        Self {
            operation: operation.to_owned(),
            count: values.len(),
            errors,
            p50_ms: percentile(&values, 50.0),
            p99_ms: percentile(&values, 99.0),
            max_ms: values.last().copied().unwrap_or(0.0),
        }
    }
}

/// The outcome of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BenchReport {
    /// Cycles in flight at once.
    pub concurrency: usize,
    /// Wall time, seconds.
    pub elapsed_secs: f64,
    /// Cycles whose every step answered OK.
    pub cycles_ok: usize,
    /// Other cycles.
    pub cycles_failed: usize,
    /// Successful cycles per second.
    pub cycles_per_sec: f64,
    /// Whether the run stopped because the notices ran out before the duration.
    pub notices_exhausted: bool,
    /// Per operation, then `cycle`.
    pub latencies: Vec<LatencyStats>,
    /// The first failed cycles (at most 10).
    pub failures: Vec<PaymentReport>,
}

impl BenchReport {
    /// Every cycle succeeded, and there was at least one.
    pub fn is_success(&self) -> bool {
        self.cycles_failed == 0 && self.cycles_ok > 0
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "bench: {} cycles OK, {} failed in {:.1} s with {} in flight: {:.1} cycles/s{}",
            self.cycles_ok,
            self.cycles_failed,
            self.elapsed_secs,
            self.concurrency,
            self.cycles_per_sec,
            if self.notices_exhausted {
                " (the notices ran out)"
            } else {
                ""
            }
        )?;
        writeln!(
            f,
            "  {:<24} {:>8} {:>7} {:>10} {:>10} {:>10}",
            "operation", "calls", "errors", "p50 ms", "p99 ms", "max ms"
        )?;
        for s in &self.latencies {
            writeln!(
                f,
                "  {:<24} {:>8} {:>7} {:>10.2} {:>10.2} {:>10.2}",
                s.operation, s.count, s.errors, s.p50_ms, s.p99_ms, s.max_ms
            )?;
        }
        for failure in &self.failures {
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Samples {
    by_operation: BTreeMap<String, (Vec<f64>, usize)>,
    cycles: Vec<f64>,
    ok: usize,
    failed: usize,
    failures: Vec<PaymentReport>,
}

/// Runs the cycles. Each notice is paid at most once; the run ends when the duration is over or
/// the notices run out.
pub async fn run(sim: Arc<Simulator>, settings: BenchSettings) -> BenchReport {
    let notices = Arc::new(settings.notices);
    let next = Arc::new(AtomicUsize::new(0));
    let samples = Arc::new(Mutex::new(Samples::default()));
    let started = Instant::now();
    let deadline = started + settings.duration;
    let concurrency = settings.concurrency.max(1);
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (sim, notices, next, samples) = (sim.clone(), notices.clone(), next.clone(), samples.clone());
        workers.push(tokio::spawn(async move {
            let options = PayOptions::default();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((ente, notice)) = notices.get(index) else {
                    break;
                };
                let report = sim.pay_notice(ente, notice, &options).await;
                let mut samples = samples.lock().await;
                for step in &report.steps {
                    let entry = samples.by_operation.entry(step.operation.clone()).or_default();
                    entry.0.push(step.elapsed_ms);
                    if !step.as_expected {
                        entry.1 += 1;
                    }
                }
                samples.cycles.push(report.elapsed_ms);
                if report.success {
                    samples.ok += 1;
                } else {
                    samples.failed += 1;
                    if samples.failures.len() < 10 {
                        samples.failures.push(report);
                    }
                }
            }
        }));
    }
    for worker in workers {
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "a bench worker failed");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let samples = std::mem::take(&mut *samples.lock().await);
    let order = ["paVerifyPaymentNotice", "paGetPaymentV2", "paSendRTV2"];
    let mut latencies: Vec<LatencyStats> = Vec::new();
    let mut by_operation = samples.by_operation;
    for name in order {
        if let Some((values, errors)) = by_operation.remove(name) {
            latencies.push(LatencyStats::of(name, values, errors));
        }
    }
    for (name, (values, errors)) in by_operation {
        latencies.push(LatencyStats::of(&name, values, errors));
    }
    latencies.push(LatencyStats::of("cycle", samples.cycles, samples.failed));
    BenchReport {
        concurrency,
        elapsed_secs: elapsed,
        cycles_ok: samples.ok,
        cycles_failed: samples.failed,
        cycles_per_sec: if elapsed > 0.0 {
            samples.ok as f64 / elapsed
        } else {
            0.0
        },
        notices_exhausted: next.load(Ordering::Relaxed) >= notices.len(),
        latencies,
        failures: samples.failures,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_files_are_read_with_or_without_the_ente() {
        let comune: EnteId = "80012345676".parse().unwrap();
        let text = "# notices\n305260100000471130\n\n00123456782,305260700000031811\n00123456782 305260900000005761\n";
        let notices = parse_notices(text, Some(&comune)).unwrap();
        assert_eq!(notices.len(), 3);
        assert_eq!(notices[0].0, comune);
        assert_eq!(notices[1].0.as_str(), "00123456782");
        assert!(parse_notices("305260100000471130", None).is_err());
        assert!(parse_notices("12345", Some(&comune)).unwrap_err().starts_with("line 1"));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 50.0), 50.0);
        assert_eq!(percentile(&values, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
        let stats = LatencyStats::of("x", vec![3.0, 1.0, 2.0], 1);
        assert_eq!((stats.p50_ms, stats.max_ms, stats.errors), (2.0, 3.0, 1));
    }
}
