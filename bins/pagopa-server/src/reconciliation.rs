//! Reconciliation in the background: each Ente's flows fetched when due (leased, so one
//! instance at a time per Ente), the flows waiting for a receipt that has since arrived matched
//! again, the receipts the Node never delivered asked of pagoPA's receipts service (when one is
//! configured, within its budget of calls), and the sweeps for what did not come.

use std::collections::HashMap;
use std::sync::Arc;

use pagopa_api::ReconciliationTools;
use pagopa_domain::ports::{FlowSource, Ports};
use pagopa_domain::services::{FetchSchedule, ReceiptRecovery, Reconciliation, Services};
use pagopa_domain::{EnteId, cause_chain};

use crate::random_key;
use crate::settings::ReconciliationSettings;

/// The longest pause between two rounds: the flows waiting for a receipt are matched again
/// within it, and an Ente's due fetch starts within it.
const ROUND: std::time::Duration = std::time::Duration::from_secs(60);

/// The domain's settings of the file's.
pub(crate) fn domain_settings(settings: &ReconciliationSettings) -> pagopa_domain::services::ReconciliationSettings {
    pagopa_domain::services::ReconciliationSettings {
        receipt_grace_days: settings.receipt_grace_days,
        credit_grace_days: settings.credit_grace_days,
        sweep_lookback_days: settings.sweep_lookback_days,
    }
}

/// The fetch's schedule of the file's settings.
pub(crate) fn schedule(settings: &ReconciliationSettings) -> FetchSchedule {
    FetchSchedule {
        interval: chrono::Duration::seconds(i64::try_from(settings.interval_secs).unwrap_or(3600)),
        lease: chrono::Duration::seconds(settings.lease_secs),
        initial_lookback: chrono::Duration::days(settings.initial_lookback_days),
        ..FetchSchedule::default()
    }
}

/// The configured flow source, if any.
pub(crate) fn source(settings: &ReconciliationSettings) -> anyhow::Result<Option<Arc<dyn FlowSource>>> {
    if let Some(soap) = &settings.soap {
        let source = pagopa_nodo::flow_soap::NodoFlowSource::new(soap.clone())
            .map_err(|e| anyhow::anyhow!("reconciliation.soap: {e}"))?;
        return Ok(Some(Arc::new(source)));
    }
    Ok(match &settings.fdr {
        Some(fdr) => {
            let client = pagopa_nodo::fdr::FdrClient::new(fdr.clone())
                .map_err(|e| anyhow::anyhow!("reconciliation.fdr: {e}"))?;
            Some(Arc::new(pagopa_nodo::fdr::FdrFlowSource::new(client)))
        }
        None => None,
    })
}

/// This instance's name as a lease holder: unique across instances (containers often all run
/// as pid 1).
pub(crate) fn worker_name() -> String {
    match random_key() {
        Ok(key) => format!("pagopa-server-{}-{}", std::process::id(), key.get(..12).unwrap_or(&key)),
        Err(_) => format!("pagopa-server-{}", std::process::id()),
    }
}

/// The recovery of missing receipts, when `[reconciliation.recovery]` is given.
pub(crate) fn recovery(
    settings: &ReconciliationSettings,
    services: &Services,
) -> anyhow::Result<Option<ReceiptRecovery>> {
    let Some(recovery) = &settings.recovery else {
        return Ok(None);
    };
    let client = pagopa_nodo::bizevents::BizEventsClient::new(recovery.client())
        .map_err(|e| anyhow::anyhow!("reconciliation.recovery: {e}"))?;
    Ok(Some(ReceiptRecovery::new(
        Arc::new(client),
        services.node.clone(),
        services.reconciliation.clone(),
        recovery.budget(),
    )))
}

/// What the REST API's reconciliation routes need.
pub(crate) fn tools(
    settings: &ReconciliationSettings,
    worker: &str,
    services: &Services,
) -> anyhow::Result<ReconciliationTools> {
    Ok(ReconciliationTools {
        decode_flow: |xml| pagopa_nodo::flow_xml::decode(xml).map_err(|e| e.to_string()),
        source: source(settings)?,
        schedule: schedule(settings),
        worker: worker.to_owned(),
        recovery: recovery(settings, services)?,
    })
}

/// Runs the rounds until the server stops.
pub(crate) fn spawn_worker(
    ports: Ports,
    service: Reconciliation,
    (source, recovery): (Option<Arc<dyn FlowSource>>, Option<ReceiptRecovery>),
    settings: &ReconciliationSettings,
    worker: String,
) {
    let schedule = schedule(settings);
    let sweep_every = std::time::Duration::from_secs(settings.interval_secs);
    actix_web::rt::spawn(async move {
        // Without a source the sweeps still run, at the fetch interval.
        let mut swept: HashMap<EnteId, std::time::Instant> = HashMap::new();
        loop {
            let entes = match ports.entes.list().await {
                Ok(entes) => entes,
                Err(error) => {
                    tracing::warn!(error = %cause_chain(&error), "reconciliation round: the Enti could not be read");
                    Vec::new()
                }
            };
            for ente in entes.iter().filter(|ente| ente.enabled) {
                let id = &ente.id;
                match service.rematch_waiting(id).await {
                    Ok(0) => {}
                    Ok(flows) => tracing::info!(ente = %id, flows, "flows matched again after their receipts arrived"),
                    Err(error) => tracing::warn!(ente = %id, error = %cause_chain(&error), "matching again failed"),
                }
                if let Some(recovery) = &recovery {
                    match recovery.run(id).await {
                        Ok(outcome) if outcome.error.is_some() => tracing::warn!(ente = %id, error = ?outcome.error,
                            recovered = outcome.recovered, "receipt recovery paused after a failed call"),
                        Ok(outcome) if outcome.asked > 0 => tracing::info!(ente = %id, asked = outcome.asked,
                            recovered = outcome.recovered, not_found = outcome.not_found, deferred = outcome.deferred,
                            "receipts asked of the receipts service"),
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(ente = %id, error = %cause_chain(&error), "receipt recovery failed")
                        }
                    }
                }
                match &source {
                    Some(source) => match service.fetch_due(id, source.as_ref(), &worker, &schedule, false).await {
                        Ok(Some(outcome)) => {
                            if outcome.error.is_some() || !outcome.failed.is_empty() {
                                tracing::warn!(ente = %id, error = ?outcome.error, failed = outcome.failed.len(),
                                    next_at = ?outcome.next_at, "flow fetch failed; it is tried again with back-off");
                            } else if outcome.fetched > 0 {
                                tracing::info!(ente = %id, fetched = outcome.fetched, listed = outcome.listed, "flows fetched");
                            }
                        }
                        Ok(None) => {}
                        Err(error) => tracing::warn!(ente = %id, error = %cause_chain(&error), "flow fetch failed"),
                    },
                    None => {
                        let due = swept.get(id).is_none_or(|at| at.elapsed() >= sweep_every);
                        if due {
                            match service.sweep(id).await {
                                Ok(_) => {
                                    swept.insert(id.clone(), std::time::Instant::now());
                                }
                                Err(error) => tracing::warn!(ente = %id, error = %cause_chain(&error), "sweep failed"),
                            }
                        }
                    }
                }
            }
            actix_web::rt::time::sleep(ROUND).await;
        }
    });
}
