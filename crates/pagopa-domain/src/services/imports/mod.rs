//! Bulk loads: deciding, batch by batch, what each position read from a file does to the stored
//! ones (create, update, leave, cancel or refuse: [`decide`]), allocating missing notice numbers
//! ([`allocation`]), and writing the batch; the report's texts for refused rows are in
//! [`issues`]. Reading files and keeping the report are the adapters' part.

mod allocation;
mod decide;
mod issues;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use allocation::{Prefetched, is_placeholder};
use decide::{cancel, duplicate_position};
use issues::write_issue;

use crate::error::DomainError;
use crate::model::{
    DebtPosition, Ente, ImportContent, ImportItem, Iupd, PaymentOption, ReportLine, RowIssue, RowOutcome,
};
use crate::ports::{ImportWrite, Ports, StorageError};
use crate::value::EnteId;

/// The positions a batch of a load decides at most; adapters send batches of this size.
pub const IMPORT_BATCH: usize = 1000;

/// Applies bulk loads.
#[derive(Clone, Debug)]
pub struct Imports {
    ports: Ports,
    prefetched: Arc<Mutex<Prefetched>>,
}

/// A batch decided and not written yet ([`Imports::plan_batch`]).
#[derive(Debug)]
pub struct BatchPlan {
    items: Vec<ImportItem>,
    decisions: Vec<Decision>,
    dry_run: bool,
}

impl BatchPlan {
    /// The last physical row of the batch.
    pub fn last_row(&self) -> u64 {
        self.items.iter().map(ImportItem::last_row).max().unwrap_or(0)
    }
}

/// A decision once its write is handed to storage: the index of the write.
enum Decided {
    Reject(RowIssue),
    Unchanged(Box<DebtPosition>),
    Write(RowOutcome, usize),
}

/// What a position of a batch comes to before the batch is written. Held for one batch only;
/// boxing the variants would add an allocation per position.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
enum Decision {
    Reject(RowIssue),
    Unchanged(DebtPosition),
    /// A write, with the options whose notice number is still to be allocated.
    Write(ImportWrite, RowOutcome, Vec<usize>),
}

impl Imports {
    /// The use case over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self {
            ports,
            prefetched: Arc::default(),
        }
    }

    /// The Enti a load's transfers may credit: every Ente configured here.
    pub async fn beneficiaries(&self) -> Result<BTreeSet<EnteId>, DomainError> {
        Ok(self.ports.entes.list().await?.into_iter().map(|e| e.id).collect())
    }

    /// Decides one batch of `ente`'s load and, unless `dry_run`, writes it: each position on
    /// its own, so a bad one never stops the others. Returns one report line per row, in the
    /// order of `items`. Storage failures (not a single position's conflict) fail the batch,
    /// which may then be applied again: every decision is idempotent.
    pub async fn apply_batch(
        &self,
        ente: &Ente,
        beneficiaries: &BTreeSet<EnteId>,
        items: Vec<ImportItem>,
        dry_run: bool,
    ) -> Result<Vec<ReportLine>, DomainError> {
        let plan = self.plan_batch(ente, beneficiaries, items, dry_run).await?;
        self.write_batch(plan).await
    }

    /// The first half of [`Imports::apply_batch`]: reads the stored positions of the batch,
    /// decides each item and allocates the missing notice numbers. A runner may plan the next
    /// batch while the previous one is being written (a file never names a position twice, so
    /// two batches never touch the same position).
    pub async fn plan_batch(
        &self,
        ente: &Ente,
        beneficiaries: &BTreeSet<EnteId>,
        items: Vec<ImportItem>,
        dry_run: bool,
    ) -> Result<BatchPlan, DomainError> {
        let iupds: Vec<Iupd> = items.iter().filter_map(|item| item.iupd().cloned()).collect();
        let mut stored: HashMap<Iupd, DebtPosition> = self
            .ports
            .positions
            .get_many(&ente.id, &iupds)
            .await?
            .into_iter()
            .map(|p| (p.iupd.clone(), p))
            .collect();
        let now = self.ports.clock.now();
        let mut decisions = Vec::with_capacity(items.len());
        let mut in_batch = BTreeSet::new();
        for item in &items {
            let decision = match (&item.content, item.iupd()) {
                (Err(issue), _) => Decision::Reject(issue.clone()),
                (_, Some(iupd)) if !in_batch.insert(iupd.clone()) => Decision::Reject(duplicate_position()),
                (Ok(ImportContent::Cancel(iupd)), _) => cancel(stored.remove(iupd), now),
                (Ok(ImportContent::Upsert(import)), _) => {
                    let existing = stored.remove(import.iupd());
                    self.decide(ente, beneficiaries, import, existing, now)?
                }
            };
            decisions.push(decision);
        }
        if !dry_run {
            self.allocate(ente, &mut decisions).await?;
        }
        Ok(BatchPlan {
            items,
            decisions,
            dry_run,
        })
    }

    /// The second half of [`Imports::apply_batch`]: writes what `plan` decided (nothing on a
    /// dry run) and gives the report lines.
    pub async fn write_batch(&self, plan: BatchPlan) -> Result<Vec<ReportLine>, DomainError> {
        let BatchPlan {
            items,
            decisions,
            dry_run,
        } = plan;
        let mut writes = Vec::new();
        let mut decided = Vec::with_capacity(decisions.len());
        for decision in decisions {
            decided.push(match decision {
                Decision::Write(write, outcome, _) => {
                    writes.push(write);
                    Decided::Write(outcome, writes.len() - 1)
                }
                Decision::Reject(issue) => Decided::Reject(issue),
                Decision::Unchanged(position) => Decided::Unchanged(Box::new(position)),
            });
        }
        let results = if dry_run || writes.is_empty() {
            writes.iter().map(|_| Ok(())).collect()
        } else {
            self.ports.imports.commit_import_batch(&writes).await?
        };
        let mut lines = Vec::with_capacity(items.len());
        for (item, decision) in items.iter().zip(decided) {
            let (outcome, issue, position) = match decision {
                Decided::Reject(issue) => (RowOutcome::Rejected, Some(issue), None),
                Decided::Unchanged(position) => (RowOutcome::Unchanged, None, Some(*position)),
                Decided::Write(outcome, at) => match results.get(at) {
                    Some(Ok(())) => (outcome, None, writes.get(at).map(|w| w.position().clone())),
                    Some(Err(error)) => (RowOutcome::Rejected, Some(write_issue(error)), None),
                    None => (
                        RowOutcome::Rejected,
                        Some(write_issue(&StorageError::NotFound("the batch's answer".into()))),
                        None,
                    ),
                },
            };
            for row in &item.rows {
                let notice_number = position.as_ref().and_then(|p| {
                    row.option_index
                        .and_then(|index| option_at(&p.options, index))
                        .or_else(|| (p.options.len() == 1).then(|| &p.options[0]))
                        .map(|o| o.notice_number.clone())
                        // On a dry run, numbers to allocate are not shown.
                        .filter(|n| !(dry_run && is_placeholder(n)))
                });
                lines.push(ReportLine {
                    row: row.row,
                    position_id: item.position_id.clone(),
                    option_index: row.option_index,
                    outcome,
                    issue: issue.clone(),
                    notice_number,
                });
            }
        }
        Ok(lines)
    }
}

/// The option at a file's index: 0 the single solution, k the k-th instalment.
fn option_at(options: &[PaymentOption], index: u32) -> Option<&PaymentOption> {
    options.iter().find(|o| match o.instalment {
        None => index == 0,
        Some(i) => u32::from(i.number) == index,
    })
}
