//! The Node's side of `paForNode`: the requests it sends, built from domain values, and the
//! responses it reads. Used by `pagopa-sim` and by tests; the endpoint never calls it.

use std::collections::BTreeMap;

use base64::Engine;
use pagopa_domain::model::{Metadata, PrimitiveVersion, Receipt, Subject};
use pagopa_domain::services::{ActivateRequest, StationIds, TransferType};
use pagopa_domain::value::{AmountCents, EnteId, NoticeNumber, Text};

use super::decode;
use super::encode::{metadata, subject};
use super::{Operation, PA_FOR_NODE_NS, SOAP_ENVELOPE_NS, time};
use crate::xml::{self, Element, XmlError, XmlWriter};

fn request(operation: Operation, station: &StationIds, body: impl FnOnce(&mut XmlWriter)) -> String {
    let element = format!("paf:{}", operation.request_element());
    let mut w = XmlWriter::with_capacity(4096);
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw(&format!(
            r#"<soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}" xmlns:paf="{PA_FOR_NODE_NS}">"#
        ))
        .raw("<soapenv:Header/><soapenv:Body>")
        .open(&element)
        .leaf("idPA", &station.ente)
        .leaf("idBrokerPA", &station.broker)
        .leaf("idStation", &station.station);
    body(&mut w);
    w.close(&element).raw("</soapenv:Body></soapenv:Envelope>");
    w.finish()
}

fn qr_code(w: &mut XmlWriter, ente: &EnteId, notice: &NoticeNumber) {
    w.open("qrCode")
        .leaf("fiscalCode", ente)
        .leaf("noticeNumber", notice)
        .close("qrCode");
}

/// `paVerifyPaymentNoticeReq`.
pub fn verify_request(station: &StationIds, ente: &EnteId, notice: &NoticeNumber) -> String {
    request(Operation::VerifyPaymentNotice, station, |w| qr_code(w, ente, notice))
}

/// `paGetPaymentReq` or `paGetPaymentV2Request`, by `request.version`; `amount` is what the
/// payer saw, if known.
pub fn activate_request(request_data: &ActivateRequest, amount: Option<AmountCents>) -> String {
    let operation = match request_data.version {
        PrimitiveVersion::V1 => Operation::GetPayment,
        PrimitiveVersion::V2 => Operation::GetPaymentV2,
    };
    request(operation, &request_data.station, |w| {
        qr_code(w, &request_data.ente, &request_data.notice_number);
        w.optional_leaf("amount", amount)
            .optional_leaf("paymentNote", request_data.payment_note.as_ref())
            .optional_leaf(
                "transferType",
                request_data.transfer_type.map(|t| match t {
                    TransferType::Postal => "POSTAL",
                    TransferType::PagoPa => "PAGOPA",
                }),
            );
    })
}

/// `paSendRTReq` or `paSendRTV2Request`, by `receipt.delivery.version`, addressed to the
/// station. V1 drops what ctReceipt does not have (transfer company names, paymentNote, bundle
/// fields); a stamp transfer cannot be written in V1 and is written with V2.
pub fn receipt_request(station: &StationIds, receipt: &Receipt) -> String {
    let v2 = receipt.delivery.version == PrimitiveVersion::V2 || receipt.transfers.iter().any(|t| t.iban.is_none());
    let operation = if v2 { Operation::SendRtV2 } else { Operation::SendRt };
    request(operation, station, |w| {
        w.open("receipt")
            .leaf("receiptId", &receipt.receipt_id)
            .leaf("noticeNumber", &receipt.notice_number)
            .leaf("fiscalCode", &receipt.ente)
            .leaf("outcome", if receipt.outcome_ok { "OK" } else { "KO" })
            .leaf("creditorReferenceId", &receipt.creditor_reference_id)
            .leaf("paymentAmount", receipt.amount)
            .leaf("description", &receipt.description)
            .leaf("companyName", &receipt.company_name)
            .optional_leaf("officeName", receipt.office_name.as_ref());
        subject(w, "debtor", &receipt.debtor);
        w.open("transferList");
        for transfer in &receipt.transfers {
            w.open("transfer")
                .leaf("idTransfer", transfer.id)
                .leaf("transferAmount", transfer.amount)
                .leaf("fiscalCodePA", &transfer.ente);
            if v2 {
                w.optional_leaf("companyName", transfer.company_name.as_ref());
            }
            match (&transfer.iban, &transfer.stamp_attachment) {
                (Some(iban), _) => w.leaf("IBAN", iban),
                (None, Some(attachment)) => w.leaf("MBDAttachment", attachment),
                (None, None) => w.leaf("MBDAttachment", ""),
            };
            w.leaf("remittanceInformation", &transfer.remittance)
                .leaf("transferCategory", &transfer.category);
            metadata(w, &transfer.metadata);
            w.close("transfer");
        }
        w.close("transferList")
            .leaf("idPSP", &receipt.psp.id)
            .optional_leaf("pspFiscalCode", receipt.psp.fiscal_code.as_ref())
            .optional_leaf("pspPartitaIVA", receipt.psp.vat_number.as_ref())
            .leaf("PSPCompanyName", &receipt.psp.company_name)
            .leaf("idChannel", &receipt.psp.channel_id)
            .leaf("channelDescription", &receipt.psp.channel_description);
        if let Some(payer) = &receipt.payer {
            subject(w, "payer", payer);
        }
        w.optional_leaf("paymentMethod", receipt.payment_method.as_ref());
        if v2 {
            w.optional_leaf("paymentNote", receipt.payment_note.as_ref());
        }
        w.optional_leaf("fee", receipt.fee_cents.map(cents));
        if v2 {
            w.optional_leaf("primaryCiIncurredFee", receipt.primary_ci_incurred_fee_cents.map(cents))
                .optional_leaf("idBundle", receipt.bundle_id.as_ref())
                .optional_leaf("idCiBundle", receipt.ci_bundle_id.as_ref());
        }
        w.optional_leaf(
            "paymentDateTime",
            receipt
                .payment_date_time
                .map(|t| time::utc_to_rome(t).format("%Y-%m-%dT%H:%M:%S")),
        )
        .optional_leaf("applicationDate", receipt.application_date)
        .optional_leaf("transferDate", receipt.transfer_date);
        metadata(w, &receipt.metadata);
        w.leaf("standIn", receipt.stand_in);
        w.close("receipt");
    })
}

fn cents(value: u64) -> String {
    format!("{}.{:02}", value / 100, value % 100)
}

/// `paDemandPaymentNoticeRequest`: `service_data` is the service's XML document, sent base64.
pub fn demand_request(station: &StationIds, service_id: &str, subject_service_id: &str, service_data: &str) -> String {
    request(Operation::DemandPaymentNotice, station, |w| {
        w.leaf("idServizio", service_id)
            .leaf("idSoggettoServizio", subject_service_id)
            .leaf(
                "datiSpecificiServizioRequest",
                base64::engine::general_purpose::STANDARD.encode(service_data),
            );
    })
}

/// A simple service document from field values: `<root><name>value</name>…</root>`, names
/// written in camel case as the catalogue's XML schemas do (`anno_validita` → `annoValidita`).
pub fn service_document(root: &str, values: &BTreeMap<String, String>) -> String {
    let mut w = XmlWriter::default();
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#).open(root);
    for (name, value) in values {
        w.leaf(&camel_case(name), value);
    }
    w.close(root);
    w.finish()
}

fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A response as the Node reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeResponse {
    /// The response element's local name.
    pub element: String,
    /// `outcome` OK.
    pub ok: bool,
    /// `fault/faultCode`, on KO.
    pub fault_code: Option<String>,
    /// `fault/description`, on KO.
    pub fault_description: Option<String>,
    /// The response element.
    pub body: Element,
}

/// The payment data of a `paGetPayment(V2)` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentData {
    /// `creditorReferenceId`.
    pub creditor_reference_id: String,
    /// `paymentAmount`.
    pub amount: AmountCents,
    /// `description`.
    pub description: Text<140>,
    /// `companyName`.
    pub company_name: Option<Text<140>>,
    /// `officeName`.
    pub office_name: Option<Text<140>>,
    /// `debtor`.
    pub debtor: Subject,
    /// `transferList`.
    pub transfers: Vec<PaymentTransfer>,
    /// `metadata`.
    pub metadata: Metadata,
}

/// A transfer of a `paGetPayment(V2)` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentTransfer {
    /// `idTransfer`.
    pub id: u8,
    /// `transferAmount`.
    pub amount: AmountCents,
    /// `fiscalCodePA`.
    pub ente: EnteId,
    /// `companyName` (V2).
    pub company_name: Option<Text<140>>,
    /// `IBAN`, or `None` for a digital stamp.
    pub iban: Option<String>,
    /// `richiestaMarcaDaBollo/hashDocumento`, for a digital stamp.
    pub stamp_hash: Option<String>,
    /// `remittanceInformation`.
    pub remittance: Text<140>,
    /// `transferCategory`.
    pub category: String,
    /// `metadata`.
    pub metadata: Metadata,
}

/// Reads a response envelope.
pub fn parse_response(body: &str) -> Result<NodeResponse, XmlError> {
    let envelope = xml::parse(body)?;
    let element = envelope
        .child("Body")
        .and_then(|b| b.children.first())
        .ok_or_else(|| XmlError("no response element in the SOAP Body".into()))?;
    let outcome = element
        .child("outcome")
        .map(Element::value)
        .ok_or_else(|| XmlError(format!("<{}> has no outcome", element.name)))?;
    let fault = element.child("fault");
    Ok(NodeResponse {
        element: element.name.clone(),
        ok: outcome == "OK",
        fault_code: fault.and_then(|f| f.child("faultCode")).map(|c| c.value().to_owned()),
        fault_description: fault.and_then(|f| f.child("description")).map(|c| c.value().to_owned()),
        body: element.clone(),
    })
}

impl NodeResponse {
    /// `paymentList/paymentOptionDescription/amount` of a verify or demand response.
    pub fn option_amount(&self) -> Option<AmountCents> {
        self.body
            .child("paymentList")?
            .child("paymentOptionDescription")?
            .child("amount")?
            .value()
            .parse()
            .ok()
    }

    /// `qrCode/noticeNumber` of a demand response.
    pub fn notice_number(&self) -> Option<NoticeNumber> {
        self.body.child("qrCode")?.child("noticeNumber")?.value().parse().ok()
    }

    /// The `data` of an activation response.
    pub fn payment_data(&self) -> Result<PaymentData, XmlError> {
        let data = self
            .body
            .child("data")
            .ok_or_else(|| XmlError("the response has no <data>".into()))?;
        let mut seq = data.sequence("data")?;
        let creditor_reference_id = seq.text("creditorReferenceId")?.to_owned();
        let amount = decode::amount(seq.text("paymentAmount")?, "paymentAmount")?;
        seq.text("dueDate")?;
        seq.optional_text("retentionDate")?;
        seq.optional_text("lastPayment")?;
        let description = decode::text(seq.text("description")?, "description")?;
        let company_name = decode::optional_text(&mut seq, "companyName")?;
        let office_name = decode::optional_text(&mut seq, "officeName")?;
        let debtor = decode::subject(seq.required("debtor")?, "debtor", false)?;
        let mut list = seq.required("transferList")?.sequence("transferList")?;
        let mut transfers = Vec::new();
        for element in list.repeated("transfer", 1, 5)? {
            transfers.push(payment_transfer(element)?);
        }
        list.end()?;
        let metadata = decode::optional_metadata(&mut seq)?;
        seq.end()?;
        Ok(PaymentData {
            creditor_reference_id,
            amount,
            description,
            company_name,
            office_name,
            debtor,
            transfers,
            metadata,
        })
    }
}

fn payment_transfer(element: &Element) -> Result<PaymentTransfer, XmlError> {
    let mut seq = element.sequence("transfer")?;
    let id = seq
        .text("idTransfer")?
        .parse()
        .map_err(|_| XmlError("idTransfer".into()))?;
    let amount = decode::amount(seq.text("transferAmount")?, "transferAmount")?;
    let ente = decode::fiscal_code_pa(seq.text("fiscalCodePA")?, "fiscalCodePA")?;
    let company_name = decode::optional_text(&mut seq, "companyName")?;
    let iban = seq.optional_text("IBAN")?.map(str::to_owned);
    let stamp_hash = match seq.optional("richiestaMarcaDaBollo")? {
        Some(stamp) => Some(
            stamp
                .child("hashDocumento")
                .map(|h| h.value().to_owned())
                .ok_or_else(|| XmlError("richiestaMarcaDaBollo without hashDocumento".into()))?,
        ),
        None => None,
    };
    if iban.is_none() && stamp_hash.is_none() {
        return Err(XmlError("a transfer needs IBAN or richiestaMarcaDaBollo".into()));
    }
    let remittance = decode::text(seq.text("remittanceInformation")?, "remittanceInformation")?;
    let category = seq.text("transferCategory")?.to_owned();
    let metadata = decode::optional_metadata(&mut seq)?;
    seq.end()?;
    Ok(PaymentTransfer {
        id,
        amount,
        ente,
        company_name,
        iban,
        stamp_hash,
        remittance,
        category,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_and_snake_agree() {
        assert_eq!(camel_case("anno_validita"), "annoValidita");
        assert_eq!(camel_case("tipologia"), "tipologia");
    }
}
