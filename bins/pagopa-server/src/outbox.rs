//! The outbox in the background: the worker delivering it to the gestionale, and the pruner
//! deleting what was delivered longer ago than the retention.

use pagopa_domain::model::RetryPolicy;
use pagopa_domain::ports::Ports;
use pagopa_domain::services::GestionaleNotifier;

use crate::random_key;
use crate::settings;

/// Delivered messages deleted per statement: short transactions, the writer never held long.
const PRUNE_CHUNK: u32 = 1_000;
/// Time between two prunings.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3_600);

/// Warns about gestionali whose time budget is not below half the outbox lease: a delivery is
/// started only while half its lease is left, so one that takes longer than that could still
/// run when another instance claims the message again (see `docs/deploy.md`, `[outbox]`).
pub(crate) fn warn_on_slow_gestionali(settings: &settings::Settings) {
    let half_lease_ms = u64::try_from(settings.outbox.lease_secs)
        .unwrap_or(0)
        .saturating_mul(500);
    let budgets = settings
        .gestionali
        .iter()
        .map(|(name, g)| (format!("gestionali.{name}.timeout_ms"), g.http_settings().timeout_ms))
        .chain(
            settings
                .gestionale
                .iter()
                .map(|g| ("gestionale.timeout_ms".to_owned(), g.timeout_ms)),
        );
    for (key, timeout_ms) in budgets {
        if timeout_ms >= half_lease_ms {
            tracing::warn!(
                key,
                timeout_ms,
                lease_secs = settings.outbox.lease_secs,
                "a gestionale's time budget should stay below half the outbox lease, or a slow delivery may overlap another instance's"
            );
        }
    }
}

/// Delivers the outbox to the gestionale until the server stops: a round every
/// `interval_ms` when idle, at once again when a round was full.
pub(crate) fn spawn_worker(ports: Ports, settings: &settings::OutboxSettings) {
    let retry = RetryPolicy {
        base: chrono::Duration::seconds(settings.retry_base_secs),
        max: chrono::Duration::seconds(settings.retry_max_secs),
    };
    let notifier = GestionaleNotifier::new(ports, retry, chrono::Duration::seconds(settings.lease_secs))
        .with_concurrency(settings.concurrency as usize);
    let interval = std::time::Duration::from_millis(settings.interval_ms);
    let batch = settings.batch;
    // The lease owner must differ between instances, and containers often all run as pid 1.
    let worker = match random_key() {
        Ok(key) => format!("pagopa-server-{}-{}", std::process::id(), key.get(..12).unwrap_or(&key)),
        Err(_) => format!("pagopa-server-{}", std::process::id()),
    };
    actix_web::rt::spawn(async move {
        loop {
            let full = match notifier.dispatch_once(&worker, batch).await {
                Ok(report) => {
                    let handled = report.delivered + report.rescheduled + report.dead;
                    if handled > 0 {
                        tracing::info!(
                            delivered = report.delivered,
                            rescheduled = report.rescheduled,
                            dead = report.dead,
                            "outbox round"
                        );
                    }
                    if report.dead > 0 {
                        tracing::warn!(
                            dead = report.dead,
                            "notifications dead-lettered after their gestionale's delivery limits: \
                             GET /api/v1/admin/outbox?state=dead, replay with POST /api/v1/admin/outbox/replay"
                        );
                    }
                    handled >= batch as usize
                }
                Err(error) => {
                    tracing::warn!(%error, "outbox round failed");
                    false
                }
            };
            if !full {
                actix_web::rt::time::sleep(interval).await;
            }
        }
    });
}

/// Deletes delivered messages older than `retention_days` until the server stops: at start,
/// then hourly, in chunks. Pending messages and dead letters are never deleted.
pub(crate) fn spawn_pruner(ports: Ports, settings: &settings::OutboxSettings) {
    let retention = chrono::Duration::days(settings.retention_days);
    actix_web::rt::spawn(async move {
        loop {
            let before = ports.clock.now() - retention;
            let mut pruned = 0;
            loop {
                match ports.outbox.prune_delivered(before, PRUNE_CHUNK).await {
                    Ok(deleted) => {
                        pruned += deleted;
                        if deleted < u64::from(PRUNE_CHUNK) {
                            break;
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "pruning the delivered notifications failed");
                        break;
                    }
                }
            }
            if pruned > 0 {
                tracing::info!(pruned, before = %before, "delivered notifications past their retention deleted");
            }
            actix_web::rt::time::sleep(PRUNE_EVERY).await;
        }
    });
}
