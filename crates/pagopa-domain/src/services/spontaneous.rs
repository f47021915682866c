//! Spontaneous payments: the catalogue, and turning a filled-in form into a payable position.

use std::collections::BTreeMap;

use chrono::Days;

use crate::error::DomainError;
use crate::model::{
    AmountRule, DebtPosition, Metadata, Origin, PaymentOption, PositionDraft, ServiceCode, SpontaneousService, Subject,
    SubjectId, render_template,
};
use crate::ports::{GestionaleError, Ports, PricingRequest, StorageError};
use crate::value::{EnteId, NoticeNumber, NoticeNumberError, Text};

/// A citizen's (or a PSP's) request for a catalogue service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpontaneousRequest {
    /// The Ente.
    pub ente: EnteId,
    /// The service.
    pub service: ServiceCode,
    /// Who will pay: the authenticated citizen, or anonymous.
    pub debtor: SubjectId,
    /// Whether `debtor` is the authenticated citizen (from a verified token). A position whose
    /// debtor was only named by the caller is not listed to that debtor.
    pub debtor_verified: bool,
    /// The debtor's name, when known.
    pub debtor_name: Option<Text<70>>,
    /// The form values as submitted (text; empty means absent).
    pub values: BTreeMap<String, String>,
}

/// The position created for a spontaneous request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreatedPayment {
    /// The new position (one option, payable now).
    pub position: DebtPosition,
}

/// How many fresh notice numbers a request tries before giving up.
const IUV_ATTEMPTS: usize = 20;

/// The spontaneous catalogue and requests.
#[derive(Clone, Debug)]
pub struct SpontaneousPayments {
    ports: Ports,
}

impl SpontaneousPayments {
    /// The use case over `ports`.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// The services an Ente offers now.
    pub async fn catalogue(&self, ente: &EnteId) -> Result<Vec<SpontaneousService>, DomainError> {
        super::served_ente(&self.ports, ente).await?;
        let mut services = self.ports.catalogue.list(ente).await?;
        services.retain(|s| s.active);
        Ok(services)
    }

    /// One active service.
    pub async fn service(&self, ente: &EnteId, code: &ServiceCode) -> Result<SpontaneousService, DomainError> {
        let service = self
            .ports
            .catalogue
            .get(ente, code)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("service {code} of Ente {ente}")))?;
        if !service.active {
            return Err(DomainError::ServiceInactive(code.to_string()));
        }
        Ok(service)
    }

    /// Validates every field, prices the request (by the service's rule or its gestionale),
    /// allocates a fresh IUV and notice number, and stores the new payable position.
    pub async fn submit(&self, request: SpontaneousRequest) -> Result<CreatedPayment, DomainError> {
        let ente = super::served_ente(&self.ports, &request.ente).await?;
        let service = self.service(&ente.id, &request.service).await?;
        let values = service
            .form
            .validate(&request.values)
            .map_err(DomainError::InvalidForm)?;

        let (amount, description, transfers) = match service.amount {
            AmountRule::Gestionale => {
                let pricing = PricingRequest {
                    ente: ente.id.clone(),
                    service: service.code.clone(),
                    debtor: request.debtor.fiscal_code().cloned(),
                    values: values.iter().map(|(k, v)| (k.to_string(), v.to_text())).collect(),
                };
                let quote = match self.ports.gestionale.price(&pricing).await {
                    Err(GestionaleError::Rejected { fields, .. }) if !fields.is_empty() => {
                        return Err(DomainError::InvalidForm(fields));
                    }
                    other => other?,
                };
                let transfers = match quote.transfers {
                    Some(transfers) => transfers,
                    None => service.transfers_for(&ente, quote.amount, &values)?,
                };
                (quote.amount, quote.description, transfers)
            }
            _ => {
                let amount = service.price(&values)?;
                (amount, None, service.transfers_for(&ente, amount, &values)?)
            }
        };
        let description = description.unwrap_or_else(|| render_template(&service.payment_description, &values));

        let now = self.ports.clock.now();
        let today = self.ports.clock.today();
        let due_date = today
            .checked_add_days(Days::new(u64::from(service.due_in_days)))
            .unwrap_or(today);
        let full_name = request
            .debtor_name
            .clone()
            .or_else(|| {
                values
                    .iter()
                    .find(|(k, _)| k.as_str() == "full_name")
                    .and_then(|(_, v)| v.to_text().parse().ok())
            })
            .or_else(|| request.debtor.value().parse().ok())
            .ok_or_else(|| DomainError::Semantic("the debtor has no name".into()))?;
        let mut metadata = Metadata::default();
        if let (Ok(key), Ok(value)) = ("SERVIZIO".parse(), service.code.as_str().parse()) {
            // A fresh map with one entry cannot overflow.
            let _ = metadata.insert(key, value);
        }
        // The allocator's counter may meet a base a position loaded from elsewhere already uses
        // (an import with the same layout): that insert is a duplicate, and the next base is
        // tried. Nothing else is retried.
        for _ in 0..IUV_ATTEMPTS {
            let base = self.ports.iuv.next_base(&ente.id, ente.notice_layout).await?;
            let notice = NoticeNumber::build(ente.notice_layout, base).map_err(|e| match e {
                NoticeNumberError::BaseTooLarge { .. } => DomainError::IuvExhausted(ente.id.clone()),
                other => DomainError::Semantic(other.to_string()),
            })?;
            let iupd = format!("SP-{}", notice.iuv())
                .parse()
                .map_err(|_| DomainError::Semantic("iupd".into()))?;
            let draft = PositionDraft {
                iupd,
                origin: Origin::Spontaneous {
                    service: service.code.clone(),
                },
                debtor: Subject::new(request.debtor.clone(), full_name.clone()),
                description: description.clone(),
                options: vec![PaymentOption {
                    notice_number: notice,
                    amount,
                    description: description.clone(),
                    due_date,
                    instalment: None,
                    transfers: transfers.clone(),
                    metadata: Metadata::default(),
                    payment: None,
                }],
                expires_after_due_date: true,
                valid_from: None,
                metadata: metadata.clone(),
                publish: true,
            };
            let mut position = DebtPosition::create(&ente.id, ente.notice_layout, draft, now)?;
            position.listed_to_debtor = request.debtor_verified;
            match self.ports.positions.insert(&position).await {
                Ok(position) => return Ok(CreatedPayment { position }),
                Err(StorageError::Duplicate(_)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(DomainError::Conflict(format!(
            "{IUV_ATTEMPTS} notice numbers of Ente {} in a row were already in use",
            ente.id
        )))
    }
}
