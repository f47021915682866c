//! `[reconciliation]`: where flows are fetched from, how often, how long before something
//! missing is an anomaly, and where missing receipts are read back from.

use pagopa_domain::services::RecoverySettings;
use pagopa_http_client::Secret;
use pagopa_nodo::bizevents::BizEventsSettings;
use serde::Deserialize;

use super::{bad, within};

/// Reconciliation (`docs/reconciliation.md`): where flows are fetched from, how often, and how
/// long to wait before something missing is an anomaly.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationSettings {
    /// Whether this instance runs the scheduled fetch and the sweeps (several instances may:
    /// each Ente's fetch is leased to one at a time).
    pub enabled: bool,
    /// Between two fetches of an Ente, in seconds (60..=86400; default hourly).
    pub interval_secs: u64,
    /// How long one instance holds an Ente's fetch, in seconds (60..=86400).
    pub lease_secs: i64,
    /// How far back the first fetch of an Ente lists, in days (1..=400).
    pub initial_lookback_days: i64,
    /// Days after a payment before a receipt no flow reports is an anomaly (0..=60).
    pub receipt_grace_days: u32,
    /// Days after a flow's settlement before a flow with no bank credit is an anomaly (0..=60).
    pub credit_grace_days: u32,
    /// How far back the sweep for unreported receipts looks, in days (1..=730).
    pub sweep_lookback_days: u32,
    /// The FdR REST API for organizations (the default source).
    #[serde(default)]
    pub fdr: Option<pagopa_nodo::fdr::FdrSettings>,
    /// The SOAP `nodoChiediElencoFlussiRendicontazione` / `nodoChiediFlussoRendicontazione`
    /// calls, for stations not yet on the REST API (switched off by pagoPA on 30/06/2026).
    /// Only one of `fdr` and `soap` may be given.
    #[serde(default)]
    pub soap: Option<pagopa_nodo::flow_soap::NodoFlowSettings>,
    /// pagoPA's receipts service, for the receipts the Node never delivered; without it such
    /// lines are listed only.
    #[serde(default)]
    pub recovery: Option<RecoveryFileSettings>,
}

/// `[reconciliation.recovery]`: pagoPA's receipts service (biz-events), asked for the receipts
/// of the flow lines whose `paSendRT` never reached us.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecoveryFileSettings {
    /// The API base: `https://api.platform.pagopa.it/bizevents/service/v1`.
    pub base_url: String,
    /// The subscription key of the biz-events product (or `subscription_key_file`).
    pub subscription_key: Secret,
    /// One call's time limit, in milliseconds (default 10 000).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Calls in any 60 minutes, all Enti together (1..=600; pagoPA allows 10, the default).
    #[serde(default = "default_calls_per_hour")]
    pub calls_per_hour: u32,
    /// Hours before a line pagoPA had no receipt for is asked about again (1..=720; default 24).
    #[serde(default = "default_retry_after_hours")]
    pub retry_after_hours: u32,
}

fn default_timeout_ms() -> u64 {
    10_000
}

fn default_calls_per_hour() -> u32 {
    10
}

fn default_retry_after_hours() -> u32 {
    24
}

impl RecoveryFileSettings {
    /// The client's settings.
    pub fn client(&self) -> BizEventsSettings {
        BizEventsSettings {
            base_url: self.base_url.clone(),
            subscription_key: self.subscription_key.clone(),
            timeout_ms: self.timeout_ms,
        }
    }

    /// The domain's budget.
    pub fn budget(&self) -> RecoverySettings {
        RecoverySettings {
            calls_per_hour: self.calls_per_hour,
            retry_after: chrono::Duration::hours(i64::from(self.retry_after_hours)),
            ..RecoverySettings::default()
        }
    }
}

impl ReconciliationSettings {
    /// Every value in range, every client buildable; errors name the key.
    pub(super) fn check(&self) -> anyhow::Result<()> {
        let rec = self;
        within("reconciliation.interval_secs", rec.interval_secs, 60, 86_400)?;
        within("reconciliation.lease_secs", rec.lease_secs, 60, 86_400)?;
        within(
            "reconciliation.initial_lookback_days",
            rec.initial_lookback_days,
            1,
            400,
        )?;
        within("reconciliation.receipt_grace_days", rec.receipt_grace_days, 0, 60)?;
        within("reconciliation.credit_grace_days", rec.credit_grace_days, 0, 60)?;
        within("reconciliation.sweep_lookback_days", rec.sweep_lookback_days, 1, 730)?;
        if let Some(fdr) = &rec.fdr {
            pagopa_nodo::fdr::FdrClient::new(fdr.clone()).map_err(|e| bad("reconciliation.fdr", e))?;
        }
        if let Some(soap) = &rec.soap {
            if rec.fdr.is_some() {
                return Err(bad(
                    "reconciliation.soap",
                    "give either reconciliation.fdr or reconciliation.soap, not both",
                ));
            }
            pagopa_nodo::flow_soap::NodoFlowSource::new(soap.clone()).map_err(|e| bad("reconciliation.soap", e))?;
        }
        if let Some(recovery) = &rec.recovery {
            within(
                "reconciliation.recovery.calls_per_hour",
                recovery.calls_per_hour,
                1,
                600,
            )?;
            within(
                "reconciliation.recovery.retry_after_hours",
                recovery.retry_after_hours,
                1,
                720,
            )?;
            pagopa_nodo::bizevents::BizEventsClient::new(recovery.client())
                .map_err(|e| bad("reconciliation.recovery", e))?;
        }
        Ok(())
    }
}
