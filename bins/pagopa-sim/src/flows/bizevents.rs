//! pagoPA's biz-events receipts API (`biz_events.json`), served for the receipts the Node
//! never delivered ([`PayOptions::lose_receipt`](crate::PayOptions::lose_receipt)): the
//! payment happened, the flows report it, and this is where the Ente can still read it.
//!
//! Under [`BIZEVENTS_PREFIX`](super::BIZEVENTS_PREFIX), with a non-empty
//! `Ocp-Apim-Subscription-Key`:
//! - `GET /organizations/{organizationfiscalcode}/receipts/{iur}/paymentoptions/{iuv}` → `200`
//!   `CtReceiptModelResponse` of the receipt held for that Ente with `receiptId` = `iur` and
//!   `creditorReferenceId` = `iuv`; `404` ProblemJson when there is none; `401` ProblemJson
//!   without a key.
//!
//! Amounts are euro numbers (`10.5` for 1050 cents); `paymentDateTime` is RFC 3339 with its
//! offset, `applicationDate` and `transferDate` `YYYY-MM-DD`; a stamp transfer has
//! `"iban": ""` and its `MBDAttachment` as `mbdAttachment` (`""` otherwise). Optional members
//! are left out when the receipt has no value for them.
//!
//! ```text
//! GET /bizevents/service/v1/organizations/80012345676/receipts/<receiptId>/paymentoptions/<IUV>
//! Ocp-Apim-Subscription-Key: any
//! → 200 {"receiptId": "…", "noticeNumber": "3…", "fiscalCode": "80012345676", "outcome": "OK",
//!        "creditorReferenceId": "…", "paymentAmount": 10.5, "description": "…",
//!        "companyName": "…", "debtor": {"entityUniqueIdentifierType": "F", …},
//!        "transferList": [{"idTransfer": 1, "transferAmount": 10.5, …}], "idPSP": "ABI99999", …}
//! ```

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use pagopa_domain::model::{Metadata, Receipt, Subject};
use serde_json::{Map, Value, json};

use super::FlowDesk;

/// Mounts the receipts route on a scope (the caller puts it under
/// [`BIZEVENTS_PREFIX`](super::BIZEVENTS_PREFIX)).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/organizations/{organization}/receipts/{iur}/paymentoptions/{iuv}",
        web::get().to(get_receipt),
    );
}

/// The API's `ProblemJson`.
fn problem(status: StatusCode, detail: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "title": status.canonical_reason().unwrap_or_default(),
        "status": status.as_u16(),
        "detail": detail.into(),
    }))
}

async fn get_receipt(
    request: HttpRequest,
    path: web::Path<(String, String, String)>,
    desk: web::Data<FlowDesk>,
) -> HttpResponse {
    let key = request
        .headers()
        .get(pagopa_nodo::fdr::SUBSCRIPTION_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if key.trim().is_empty() {
        return problem(
            StatusCode::UNAUTHORIZED,
            "Access denied due to missing subscription key.",
        );
    }
    let (organization, iur, iuv) = path.into_inner();
    match desk.held(&organization, &iur, &iuv) {
        Some(receipt) => HttpResponse::Ok().json(receipt_model(&receipt)),
        None => problem(
            StatusCode::NOT_FOUND,
            format!("Unable to retrieve the receipt [organization={organization}, iur={iur}, iuv={iuv}]"),
        ),
    }
}

/// A euro amount as a JSON number, from integer cents: the nearest double to `cents / 100`
/// (exact in its decimal form for the amounts pagoPA carries, below 2^53 cents).
pub fn euro(cents: u64) -> Value {
    serde_json::Number::from_f64(cents as f64 / 100.0).map_or(Value::Null, Value::Number)
}

/// `Debtor` / `Payer`: only the members the subject has.
fn subject(subject: &Subject) -> Value {
    let mut map = Map::new();
    map.insert(
        "entityUniqueIdentifierType".into(),
        json!(subject.id.entity_type().to_string()),
    );
    map.insert("entityUniqueIdentifierValue".into(), json!(subject.id.value()));
    map.insert("fullName".into(), json!(subject.full_name.as_str()));
    let optional = [
        ("streetName", subject.street_name.as_ref().map(ToString::to_string)),
        ("civicNumber", subject.civic_number.as_ref().map(ToString::to_string)),
        ("postalCode", subject.postal_code.as_ref().map(ToString::to_string)),
        ("city", subject.city.as_ref().map(ToString::to_string)),
        (
            "stateProvinceRegion",
            subject.province.as_ref().map(ToString::to_string),
        ),
        ("country", subject.country.as_ref().map(ToString::to_string)),
        ("email", subject.email.as_ref().map(ToString::to_string)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            map.insert(name.into(), Value::String(value));
        }
    }
    Value::Object(map)
}

/// `MapEntry` list.
fn metadata(metadata: &Metadata) -> Value {
    metadata
        .entries()
        .iter()
        .map(|e| json!({"key": e.key.as_str(), "value": e.value.as_str()}))
        .collect()
}

/// The `CtReceiptModelResponse` of `receipt`.
pub fn receipt_model(receipt: &Receipt) -> Value {
    let transfers: Vec<Value> = receipt
        .transfers
        .iter()
        .map(|t| {
            let mut transfer = json!({
                "idTransfer": t.id,
                "transferAmount": euro(t.amount.cents()),
                "fiscalCodePA": t.ente.as_str(),
                "iban": t.iban.as_ref().map(ToString::to_string).unwrap_or_default(),
                "mbdAttachment": t.stamp_attachment.clone().unwrap_or_default(),
                "remittanceInformation": t.remittance.as_str(),
                "transferCategory": t.category.to_string(),
            });
            if !t.metadata.is_empty() {
                transfer["metadata"] = metadata(&t.metadata);
            }
            transfer
        })
        .collect();
    let psp = &receipt.psp;
    let mut model = json!({
        "receiptId": receipt.receipt_id.to_string(),
        "noticeNumber": receipt.notice_number.as_str(),
        "fiscalCode": receipt.ente.as_str(),
        "outcome": if receipt.outcome_ok { "OK" } else { "KO" },
        "creditorReferenceId": receipt.creditor_reference_id.as_str(),
        "paymentAmount": euro(receipt.amount.cents()),
        "description": receipt.description.as_str(),
        "companyName": receipt.company_name.as_str(),
        "debtor": subject(&receipt.debtor),
        "transferList": transfers,
        "idPSP": psp.id.to_string(),
        "pspCompanyName": psp.company_name.as_str(),
        "idChannel": psp.channel_id.to_string(),
        "channelDescription": psp.channel_description.as_str(),
    });
    let optional = [
        ("officeName", receipt.office_name.as_ref().map(|o| json!(o.as_str()))),
        ("pspFiscalCode", psp.fiscal_code.as_ref().map(|c| json!(c.as_str()))),
        ("pspPartitaIVA", psp.vat_number.as_ref().map(|v| json!(v.as_str()))),
        ("payer", receipt.payer.as_ref().map(subject)),
        (
            "paymentMethod",
            receipt.payment_method.as_ref().map(|m| json!(m.as_str())),
        ),
        ("fee", receipt.fee_cents.map(euro)),
        ("primaryCiIncurredFee", receipt.primary_ci_incurred_fee_cents.map(euro)),
        ("idBundle", receipt.bundle_id.as_ref().map(|b| json!(b.as_str()))),
        ("idCiBundle", receipt.ci_bundle_id.as_ref().map(|b| json!(b.as_str()))),
        (
            "paymentDateTime",
            receipt.payment_date_time.map(|at| json!(at.to_rfc3339())),
        ),
        (
            "applicationDate",
            receipt
                .application_date
                .map(|d| json!(d.format("%Y-%m-%d").to_string())),
        ),
        (
            "transferDate",
            receipt.transfer_date.map(|d| json!(d.format("%Y-%m-%d").to_string())),
        ),
        (
            "metadata",
            (!receipt.metadata.is_empty()).then(|| metadata(&receipt.metadata)),
        ),
    ];
    if let Value::Object(map) = &mut model {
        for (name, value) in optional {
            if let Some(value) = value {
                map.insert(name.into(), value);
            }
        }
    }
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euro_numbers_come_from_the_cents() {
        assert_eq!(euro(1050).to_string(), "10.5");
        assert_eq!(euro(36170).to_string(), "361.7");
        assert_eq!(euro(1).to_string(), "0.01");
        assert_eq!(euro(0).to_string(), "0.0");
    }
}
