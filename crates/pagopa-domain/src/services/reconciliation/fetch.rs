//! The scheduled fetch of an Ente's flows: one instance at a time per Ente (a lease), every
//! published flow not stored at its revision fetched and taken in, failures retried with
//! back-off, and the cursor never moved past a flow that failed.

use chrono::{DateTime, Duration, Utc};

use super::{Reconciliation, SweepReport};
use crate::error::{DomainError, cause_chain};
use crate::model::{FetchState, FlowKey, FlowOrigin, PublishedFlow};
use crate::ports::FlowSource;
use crate::value::EnteId;

/// When and how far the fetch reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchSchedule {
    /// Between two fetches of an Ente that went well.
    pub interval: Duration,
    /// How long one instance holds an Ente's fetch; longer than a fetch takes.
    pub lease: Duration,
    /// How far back the first fetch of an Ente lists.
    pub initial_lookback: Duration,
    /// How much before the stored cursor each listing starts (publication clocks and the
    /// listing's consistency are not trusted to the second).
    pub margin: Duration,
}

impl Default for FetchSchedule {
    fn default() -> Self {
        Self {
            interval: Duration::hours(1),
            lease: Duration::minutes(15),
            initial_lookback: Duration::days(60),
            margin: Duration::hours(1),
        }
    }
}

impl FetchSchedule {
    /// The wait after `failures` failed fetches in a row: one minute, doubling, at most the
    /// interval.
    pub fn backoff(&self, failures: u32) -> Duration {
        let minutes = 1i64 << failures.saturating_sub(1).min(20);
        Duration::minutes(minutes).min(self.interval)
    }
}

/// What one fetch of an Ente did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FetchOutcome {
    /// The Ente.
    pub ente: Option<EnteId>,
    /// The source read.
    pub source: &'static str,
    /// Flows listed.
    pub listed: u64,
    /// Revisions fetched and taken in.
    pub fetched: u64,
    /// Listed flows already stored at that revision.
    pub already_stored: u64,
    /// Flows that could not be fetched or taken in, with why (fetched again next time).
    pub failed: Vec<(FlowKey, String)>,
    /// Why the listing itself failed, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The sweep run after the fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepReport>,
    /// When the next fetch is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_at: Option<DateTime<Utc>>,
}

fn listed_at(flow: &PublishedFlow) -> Option<DateTime<Utc>> {
    flow.published_at.or(flow.flow_date)
}

impl Reconciliation {
    /// Fetches an Ente's flows from `source` if its fetch is due (or `force`) and no other
    /// worker holds it; `None` when it was not this worker's to do.
    pub async fn fetch_due(
        &self,
        ente: &EnteId,
        source: &dyn FlowSource,
        worker: &str,
        schedule: &FetchSchedule,
        force: bool,
    ) -> Result<Option<FetchOutcome>, DomainError> {
        let now = self.now();
        let Some(mut state) = self
            .repo
            .claim_fetch(ente, worker, now, now + schedule.lease, force)
            .await?
        else {
            return Ok(None);
        };
        let outcome = self.fetch_claimed(&mut state, source, schedule).await;
        let mut outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                // Storage failed mid-way: try again soon, and say why.
                state.failures = state.failures.saturating_add(1);
                state.next_at = self.now() + schedule.backoff(state.failures);
                state.last_error = Some(cause_chain(&error));
                self.repo.finish_fetch(&state, worker).await?;
                return Err(error);
            }
        };
        outcome.next_at = Some(state.next_at);
        self.repo.finish_fetch(&state, worker).await?;
        Ok(Some(outcome))
    }

    async fn fetch_claimed(
        &self,
        state: &mut FetchState,
        source: &dyn FlowSource,
        schedule: &FetchSchedule,
    ) -> Result<FetchOutcome, DomainError> {
        let now = self.now();
        let ente = state.ente.clone();
        let mut outcome = FetchOutcome {
            ente: Some(ente.clone()),
            source: source.name(),
            ..FetchOutcome::default()
        };
        let after = state
            .cursor
            .map_or(now - schedule.initial_lookback, |cursor| cursor - schedule.margin);
        let mut listed = match source.published(&ente, after).await {
            Ok(listed) => listed,
            Err(error) => {
                let message = cause_chain(&error);
                state.failures = state.failures.saturating_add(1);
                state.next_at = now + schedule.backoff(state.failures);
                state.last_error = Some(message.clone());
                outcome.error = Some(message);
                return Ok(outcome);
            }
        };
        listed.sort_by_key(|flow| (listed_at(flow).is_none(), listed_at(flow)));
        outcome.listed = listed.len() as u64;
        let mut first_failed: Option<DateTime<Utc>> = None;
        let mut latest = state.cursor;
        for published in &listed {
            if published.key.ente != ente {
                outcome.failed.push((
                    published.key.clone(),
                    format!("the source listed it for Ente {}", published.key.ente),
                ));
                continue;
            }
            let stored = self.repo.flow_revisions(&published.key).await?;
            // Highest first. A source that carries no revision (SOAP: always 1) re-publishes a
            // flow under the same number with a later `dataOraFlusso`: that is the next one.
            let newest = stored.first();
            let republished = source.origin() == FlowOrigin::Soap
                && newest.is_some_and(|newest| published.flow_date.is_some_and(|at| at > newest.flow_date));
            if !republished && stored.iter().any(|summary| summary.revision >= published.revision) {
                outcome.already_stored += 1;
            } else {
                let next_revision = newest.filter(|_| republished).map(|newest| newest.revision + 1);
                // The listing names the latest revision only: those published since the one
                // stored are fetched too, in order, so every revision is kept.
                let revisions: Vec<u32> = match newest {
                    Some(newest) if next_revision.is_none() && newest.revision < published.revision => {
                        (newest.revision + 1..=published.revision).collect()
                    }
                    _ => vec![published.revision],
                };
                let mut taken = Ok(());
                for revision in revisions {
                    let asked = PublishedFlow {
                        revision,
                        ..published.clone()
                    };
                    taken = match source.fetch(&asked).await {
                        Ok(mut fetched) => {
                            if let Some(revision) = next_revision {
                                fetched.flow.revision = revision;
                            }
                            self.ingest(&fetched, source.origin()).await.map(|_| ())
                        }
                        Err(error) => Err(DomainError::FlowSource(error)),
                    };
                    if taken.is_err() {
                        break;
                    }
                    outcome.fetched += 1;
                }
                match taken {
                    Ok(()) => {}
                    Err(DomainError::Storage(error)) => return Err(DomainError::Storage(error)),
                    Err(error) => {
                        outcome.failed.push((published.key.clone(), cause_chain(&error)));
                        if let Some(at) = listed_at(published) {
                            first_failed = Some(first_failed.map_or(at, |first| first.min(at)));
                        }
                        continue;
                    }
                }
            }
            if let Some(at) = listed_at(published) {
                latest = Some(latest.map_or(at, |latest| latest.max(at)));
            }
        }
        // Never past a flow that failed: the next listing starts before it and fetches it again.
        state.cursor = match first_failed {
            Some(failed) => Some(latest.map_or(failed, |latest| latest.min(failed)) - Duration::seconds(1)),
            None => latest,
        };
        if outcome.failed.is_empty() {
            state.failures = 0;
            state.last_error = None;
            state.last_success = Some(now);
            state.next_at = now + schedule.interval;
        } else {
            state.failures = state.failures.saturating_add(1);
            state.next_at = now + schedule.backoff(state.failures);
            state.last_error = outcome.failed.first().map(|(key, why)| format!("flow {key}: {why}"));
        }
        outcome.sweep = Some(self.sweep(&ente).await?);
        Ok(outcome)
    }
}
