//! Bulk loads: deciding, batch by batch, what each position read from a file does to the stored
//! ones (create, update, leave, cancel or refuse), allocating missing notice numbers, and
//! writing the batch. Reading files and keeping the report are the adapters' part.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::error::DomainError;
use crate::model::{
    CancellationNotification, DebtPosition, Ente, ImportContent, ImportDraft, ImportItem, Iupd, OutboxEvent,
    PaymentOption, PositionError, PositionStatus, ReportLine, RowIssue, RowOutcome,
};
use crate::ports::{ImportWrite, Ports, StorageError};
use crate::value::{EnteId, NoticeLayout, NoticeNumber, NoticeNumberError};

/// The positions a batch of a load decides at most; adapters send batches of this size.
pub const IMPORT_BATCH: usize = 1000;

/// How many full batches' worth of IUV bases a load takes at once: the next batches are then
/// decided without waiting for the write in progress (the allocation is a write too). Bases
/// taken and not used when the load ends are skipped, as after any failed allocation.
const PREFETCH_BATCHES: usize = 8;

/// Applies bulk loads.
#[derive(Clone, Debug)]
pub struct Imports {
    ports: Ports,
    prefetched: Arc<Mutex<Prefetched>>,
}

/// IUV bases taken ahead for one Ente and layout.
#[derive(Debug, Default)]
struct Prefetched {
    owner: Option<(EnteId, NoticeLayout)>,
    bases: VecDeque<u64>,
}

impl Prefetched {
    /// Up to `count` bases of `owner`, in order.
    fn take(&mut self, owner: &(EnteId, NoticeLayout), count: usize) -> Vec<u64> {
        if self.owner.as_ref() != Some(owner) {
            return Vec::new();
        }
        let count = count.min(self.bases.len());
        self.bases.drain(..count).collect()
    }

    fn keep(&mut self, owner: (EnteId, NoticeLayout), bases: impl IntoIterator<Item = u64>) {
        if self.owner.as_ref() != Some(&owner) {
            self.owner = Some(owner);
            self.bases.clear();
        }
        self.bases.extend(bases);
    }
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

    fn decide(
        &self,
        ente: &Ente,
        beneficiaries: &BTreeSet<EnteId>,
        import: &ImportDraft,
        existing: Option<DebtPosition>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Decision, DomainError> {
        if let Some(issue) = foreign_beneficiary(ente, beneficiaries, import) {
            return Ok(Decision::Reject(issue));
        }
        let mut draft = import.draft.clone();
        let unnumbered = |issue: RowIssue, draft: &crate::model::PositionDraft| hide_placeholders(issue, draft);
        // Options without a number keep the stored option's (same kind and index); the rest get
        // a placeholder in the Ente's layout until the position is known to be valid.
        let mut to_allocate = Vec::new();
        for (n, &index) in import.allocate.iter().enumerate() {
            let Some(option) = draft.options.get_mut(index) else {
                continue;
            };
            let kept = existing
                .as_ref()
                .and_then(|p| {
                    p.options
                        .iter()
                        .find(|o| o.instalment.map(|i| i.number) == option.instalment.map(|i| i.number))
                })
                .map(|o| o.notice_number.clone());
            match kept {
                Some(notice) => option.notice_number = notice,
                None => {
                    option.notice_number = placeholder(ente.notice_layout, n)?;
                    to_allocate.push(index);
                }
            }
        }
        Ok(match existing {
            None => match DebtPosition::create(&ente.id, ente.notice_layout, draft.clone(), now) {
                Ok(position) => Decision::Write(ImportWrite::Create(position), RowOutcome::Created, to_allocate),
                Err(error) => Decision::Reject(unnumbered(position_issue(&error), &draft)),
            },
            Some(stored) if super::positions::same_content(&stored, &draft) => {
                if stored.status == PositionStatus::Cancelled {
                    Decision::Reject(not_updatable(PositionStatus::Cancelled))
                } else {
                    Decision::Unchanged(stored)
                }
            }
            Some(stored) if !stored.status.is_updatable() => Decision::Reject(not_updatable(stored.status)),
            Some(mut stored) => match stored.update(ente.notice_layout, draft.clone(), now) {
                Ok(()) => Decision::Write(ImportWrite::Update(stored), RowOutcome::Updated, to_allocate),
                Err(error) => Decision::Reject(unnumbered(position_issue(&error), &draft)),
            },
        })
    }

    /// Gives every option still without a number a fresh one, with one allocation per batch.
    async fn allocate(&self, ente: &Ente, decisions: &mut [Decision]) -> Result<(), DomainError> {
        let needed: usize = decisions
            .iter()
            .map(|d| match d {
                Decision::Write(_, _, pending) => pending.len(),
                _ => 0,
            })
            .sum();
        if needed == 0 {
            return Ok(());
        }
        let bases = self.bases(ente, needed).await?;
        let mut bases = bases.into_iter();
        for decision in decisions.iter_mut() {
            let Decision::Write(write, _, pending) = decision else {
                continue;
            };
            let position = match write {
                ImportWrite::Create(p) | ImportWrite::Update(p) | ImportWrite::Cancel(p, _) => p,
            };
            for index in pending.drain(..) {
                let base = bases
                    .next()
                    .ok_or_else(|| DomainError::Semantic("fewer IUV bases than asked".into()))?;
                let notice = NoticeNumber::build(ente.notice_layout, base).map_err(|e| match e {
                    NoticeNumberError::BaseTooLarge { .. } => DomainError::IuvExhausted(ente.id.clone()),
                    other => DomainError::Semantic(other.to_string()),
                })?;
                position.options[index].notice_number = notice;
            }
        }
        Ok(())
    }
}

impl Imports {
    /// `needed` unused IUV bases of `ente`, in increasing order: taken ahead for a full batch
    /// (see [`PREFETCH_BATCHES`]), exactly for a smaller one.
    async fn bases(&self, ente: &Ente, needed: usize) -> Result<Vec<u64>, DomainError> {
        let owner = (ente.id.clone(), ente.notice_layout);
        let mut bases = self.prefetched_bases(&owner, needed);
        let missing = needed - bases.len();
        if missing == 0 {
            return Ok(bases);
        }
        let ahead = if needed >= IMPORT_BATCH {
            PREFETCH_BATCHES * IMPORT_BATCH
        } else {
            0
        };
        let mut taken = self
            .ports
            .iuv
            .next_bases(&ente.id, ente.notice_layout, (missing + ahead) as u64)
            .await?;
        let surplus = taken.split_off(missing.min(taken.len()));
        bases.extend(taken);
        if !surplus.is_empty() {
            self.prefetched
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .keep(owner, surplus);
        }
        Ok(bases)
    }

    fn prefetched_bases(&self, owner: &(EnteId, NoticeLayout), count: usize) -> Vec<u64> {
        self.prefetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take(owner, count)
    }
}

/// The option at a file's index: 0 the single solution, k the k-th instalment.
fn option_at(options: &[PaymentOption], index: u32) -> Option<&PaymentOption> {
    options.iter().find(|o| match o.instalment {
        None => index == 0,
        Some(i) => u32::from(i.number) == index,
    })
}

/// Placeholder bases sit at the top of the layout's range, far from any allocated base.
fn placeholder(layout: NoticeLayout, n: usize) -> Result<NoticeNumber, DomainError> {
    NoticeNumber::build(layout, layout.max_base() - n as u64).map_err(|e| DomainError::Semantic(e.to_string()))
}

/// A rule's message names the option by its notice number: one still to be allocated is named
/// as such, not by its placeholder.
fn hide_placeholders(mut issue: RowIssue, draft: &crate::model::PositionDraft) -> RowIssue {
    for option in &draft.options {
        if is_placeholder(&option.notice_number) {
            let shown = option.notice_number.as_str();
            issue.italian = issue.italian.replace(shown, "(numero da assegnare)");
            issue.english = issue.english.replace(shown, "(number to be allocated)");
        }
    }
    issue
}

fn is_placeholder(notice: &NoticeNumber) -> bool {
    notice.layout().max_base() - notice.base() < crate::model::DebtPosition::MAX_OPTIONS as u64
}

fn cancel(existing: Option<DebtPosition>, now: chrono::DateTime<chrono::Utc>) -> Decision {
    match existing {
        None => Decision::Reject(RowIssue::new(
            "unknown_position",
            "posizione da annullare non presente",
            "there is no such position to cancel",
        )),
        Some(stored) if stored.status == PositionStatus::Cancelled => Decision::Unchanged(stored),
        Some(mut stored) => match stored.transition(PositionStatus::Cancelled, now) {
            Ok(()) => {
                // The gestionale learns of it through the outbox, as of any cancellation.
                let event = OutboxEvent::PositionCancelled(CancellationNotification {
                    ente: stored.ente.clone(),
                    iupd: stored.iupd.clone(),
                    notices: stored.options.iter().map(|o| o.notice_number.clone()).collect(),
                    cancelled_at: now,
                });
                Decision::Write(ImportWrite::Cancel(stored, event), RowOutcome::Cancelled, Vec::new())
            }
            Err(_) => Decision::Reject(RowIssue::new(
                "not_cancellable",
                format!("la posizione è {} e non può essere annullata", status_it(stored.status)),
                format!("the position is {} and cannot be cancelled", stored.status.as_str()),
            )),
        },
    }
}

fn foreign_beneficiary(ente: &Ente, beneficiaries: &BTreeSet<EnteId>, import: &ImportDraft) -> Option<RowIssue> {
    import.draft.options.iter().flat_map(|o| &o.transfers).find_map(|t| {
        (t.ente != ente.id && !beneficiaries.contains(&t.ente)).then(|| {
            RowIssue::new(
                "unknown_beneficiary",
                format!(
                    "t{}_ente: l'ente {} non è servito da questa installazione",
                    t.id, t.ente
                ),
                format!("t{}_ente: Ente {} is not served here", t.id, t.ente),
            )
        })
    })
}

fn duplicate_position() -> RowIssue {
    RowIssue::new(
        "duplicate_key",
        "position_id: posizione già presente nel file",
        "position_id: the position appears twice in the file",
    )
}

fn not_updatable(status: PositionStatus) -> RowIssue {
    RowIssue::new(
        "not_updatable",
        format!("la posizione è {} e non può più essere modificata", status_it(status)),
        format!("the position is {} and can no longer be changed", status.as_str()),
    )
}

fn status_it(status: PositionStatus) -> &'static str {
    match status {
        PositionStatus::Draft => "in bozza",
        PositionStatus::Valid => "pagabile",
        PositionStatus::PartiallyPaid => "parzialmente pagata",
        PositionStatus::Paid => "pagata",
        PositionStatus::Reported => "rendicontata",
        PositionStatus::Expired => "scaduta",
        PositionStatus::Cancelled => "annullata",
    }
}

fn write_issue(error: &StorageError) -> RowIssue {
    match error {
        StorageError::Duplicate(what) => RowIssue::new(
            "duplicate_notice",
            format!("{what}: già usato da un'altra posizione dell'ente"),
            format!("{what} is already used by another position of the Ente"),
        ),
        StorageError::Conflict(what) => RowIssue::new(
            "conflict",
            format!("{what}: modificata nel frattempo (per esempio pagata); ricaricare la riga"),
            format!("{what} changed meanwhile (for example it was paid); send the row again"),
        ),
        other => RowIssue::new(
            "not_written",
            format!("non scritta: {other}"),
            format!("not written: {other}"),
        ),
    }
}

/// The report's code and Italian text of a position rule, with the rule's English text.
pub(crate) fn position_issue(error: &PositionError) -> RowIssue {
    let english = error.to_string();
    let (code, italian) = match error {
        PositionError::NoOptions => ("no_options", "la posizione non ha opzioni di pagamento".to_owned()),
        PositionError::TooManyOptions { max } => ("too_many_options", format!("al massimo {max} opzioni di pagamento")),
        PositionError::TransferCount { notice, count } => (
            "transfer_count",
            format!("avviso {notice}: da 1 a 5 trasferimenti, non {count}"),
        ),
        PositionError::TransferIds { notice } => (
            "transfer_ids",
            format!("avviso {notice}: i trasferimenti vanno numerati 1, 2, … in ordine"),
        ),
        PositionError::TransferSum {
            notice,
            amount,
            transfers,
        } => (
            "transfer_sum",
            format!(
                "avviso {notice}: i trasferimenti sommano {transfers} centesimi, l'importo è {} centesimi",
                amount.cents()
            ),
        ),
        PositionError::PrimaryTransfer { notice } => (
            "primary_transfer",
            format!("avviso {notice}: t1_ente deve essere l'ente creditore"),
        ),
        PositionError::PostalAlternative { notice, transfer } => (
            "invalid_postal_iban",
            format!("avviso {notice}: t{transfer}_postal_iban non è un IBAN postale"),
        ),
        PositionError::StampRequest {
            notice,
            transfer,
            problem,
        } => (
            "invalid_stamp",
            format!("avviso {notice}: marca da bollo del trasferimento {transfer} non valida ({problem})"),
        ),
        PositionError::DuplicateNotice(notice) => (
            "duplicate_notice",
            format!("notice_number: l'avviso {notice} compare due volte"),
        ),
        PositionError::ForeignNotice { notice, aux_digit } => (
            "foreign_notice",
            format!("notice_number: l'avviso {notice} non segue lo schema dell'ente (cifra ausiliaria {aux_digit})"),
        ),
        PositionError::Instalments(what) => ("instalments", format!("piano rateale incoerente ({what})")),
        PositionError::NotUpdatable(status) => (
            "not_updatable",
            format!("la posizione è {} e non può più essere modificata", status_it(*status)),
        ),
        _ => ("invalid_position", format!("posizione non valida: {english}")),
    };
    RowIssue { code, italian, english }
}
