//! Responses to the Node, valid against `paForNode.xsd`. Errors travel in band: HTTP 200,
//! `outcome` KO and a `fault` whose `id` is our broker id.

use pagopa_domain::FaultCode;
use pagopa_domain::model::{Metadata, PaymentOption, Subject, TransferAccount};
use pagopa_domain::services::{ActivatedPayment, NoticeInfo};
use pagopa_domain::value::NoticeNumber;

use super::{Operation, PA_FOR_NODE_NS, SOAP_ENVELOPE_NS};
use crate::xml::{XmlWriter, escape};

/// The prefix we write for the `paForNode` namespace.
const PREFIX: &str = "pafn";

/// A fault to answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The code.
    pub code: FaultCode,
    /// The details, for the fault's `description`.
    pub description: String,
    /// Who raised it: our broker id.
    pub id: String,
}

/// The short text pagoPA expects in `faultString` for each code.
pub fn fault_string(code: FaultCode) -> &'static str {
    match code {
        FaultCode::SintassiXsd => "Errore di sintassi XSD",
        FaultCode::SintassiExtraXsd => "Errore di sintassi extra XSD",
        FaultCode::IdDominioErrato => "Identificativo dominio errato",
        FaultCode::IdIntermediarioErrato => "Identificativo intermediario errato",
        FaultCode::StazioneIntErrata => "Stazione intermediario errata",
        FaultCode::PagamentoSconosciuto => "Pagamento sconosciuto",
        FaultCode::PagamentoScaduto => "Pagamento scaduto",
        FaultCode::PagamentoAnnullato => "Pagamento annullato",
        FaultCode::PagamentoDuplicato => "Pagamento duplicato",
        FaultCode::PagamentoInCorso => "Pagamento in corso",
        FaultCode::ReceiptDuplicata => "Ricevuta duplicata",
        FaultCode::Semantica => "Errore semantico",
        FaultCode::SystemError => "Errore di sistema",
        _ => "Errore",
    }
}

fn envelope(operation: Operation, body: impl FnOnce(&mut XmlWriter)) -> String {
    let element = format!("{PREFIX}:{}", operation.response_element());
    let mut w = XmlWriter::with_capacity(2048);
    w.raw(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
        .raw(&format!(
            r#"<soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}" xmlns:{PREFIX}="{PA_FOR_NODE_NS}">"#
        ))
        .raw("<soapenv:Header/><soapenv:Body>")
        .open(&element);
    body(&mut w);
    w.close(&element).raw("</soapenv:Body></soapenv:Envelope>");
    w.finish()
}

/// A KO response of `operation`.
pub fn ko(operation: Operation, fault: &Fault) -> String {
    envelope(operation, |w| {
        w.leaf("outcome", "KO")
            .open("fault")
            .leaf("faultCode", fault.code.as_str())
            .leaf("faultString", fault_string(fault.code))
            .leaf("id", &fault.id);
        if !fault.description.is_empty() {
            w.leaf("description", &fault.description);
        }
        w.close("fault");
    })
}

/// A bare OK (`paSendRT`, `paSendRTV2`).
pub fn ok(operation: Operation) -> String {
    envelope(operation, |w| {
        w.leaf("outcome", "OK");
    })
}

fn payment_list(w: &mut XmlWriter, info: &NoticeInfo) {
    w.open("paymentList")
        .open("paymentOptionDescription")
        .leaf("amount", info.amount)
        .leaf("options", "EQ")
        .leaf("dueDate", info.due_date)
        .leaf("detailDescription", &info.detail_description)
        .leaf("allCCP", info.all_ccp)
        .close("paymentOptionDescription")
        .close("paymentList")
        .leaf("paymentDescription", &info.description)
        .leaf("fiscalCodePA", &info.ente.id)
        .leaf("companyName", &info.ente.name)
        .optional_leaf("officeName", info.ente.office_name.as_ref());
}

/// `paVerifyPaymentNoticeRes` OK.
pub fn verify_ok(info: &NoticeInfo) -> String {
    envelope(Operation::VerifyPaymentNotice, |w| {
        w.leaf("outcome", "OK");
        payment_list(w, info);
    })
}

/// `paDemandPaymentNoticeResponse` OK: the new notice and its data.
pub fn demand_ok(info: &NoticeInfo) -> String {
    envelope(Operation::DemandPaymentNotice, |w| {
        w.leaf("outcome", "OK")
            .open("qrCode")
            .leaf("fiscalCode", &info.ente.id)
            .leaf("noticeNumber", &info.notice_number)
            .close("qrCode");
        payment_list(w, info);
    })
}

/// `paGetPaymentRes` (V1) or `paGetPaymentV2Response` OK for `notice`.
pub fn activate_ok(operation: Operation, notice: &NoticeNumber, payment: &ActivatedPayment) -> String {
    let v2 = operation == Operation::GetPaymentV2;
    let option: &PaymentOption = &payment.option;
    envelope(operation, |w| {
        w.leaf("outcome", "OK")
            .open("data")
            .leaf("creditorReferenceId", notice.iuv())
            .leaf("paymentAmount", option.amount)
            .leaf("dueDate", option.due_date)
            .leaf("description", &payment.position.description)
            .leaf("companyName", &payment.ente.name)
            .optional_leaf("officeName", payment.ente.office_name.as_ref());
        subject(w, "debtor", &payment.position.debtor);
        w.open("transferList");
        for transfer in &option.transfers {
            w.open("transfer")
                .leaf("idTransfer", transfer.id)
                .leaf("transferAmount", transfer.amount)
                .leaf("fiscalCodePA", &transfer.ente);
            if v2 {
                w.optional_leaf("companyName", transfer.company_name.as_ref());
            }
            match &transfer.account {
                TransferAccount::Iban { iban, .. } => {
                    w.leaf("IBAN", iban);
                }
                TransferAccount::Stamp(stamp) => {
                    w.open("richiestaMarcaDaBollo")
                        .leaf("hashDocumento", &stamp.document_hash)
                        .leaf("tipoBollo", &stamp.stamp_type)
                        .leaf("provinciaResidenza", &stamp.province)
                        .close("richiestaMarcaDaBollo");
                }
            }
            w.leaf("remittanceInformation", &transfer.remittance)
                .leaf("transferCategory", &transfer.category);
            // Both ctTransferPA (V1) and ctTransferPAV2 carry the transfer's metadata.
            metadata(w, &transfer.metadata);
            w.close("transfer");
        }
        w.close("transferList");
        let payment_metadata = if option.metadata.is_empty() {
            &payment.position.metadata
        } else {
            &option.metadata
        };
        metadata(w, payment_metadata);
        w.close("data");
    })
}

/// Writes a `ctSubject`.
pub(crate) fn subject(w: &mut XmlWriter, name: &str, subject: &Subject) {
    w.open(name)
        .open("uniqueIdentifier")
        .leaf("entityUniqueIdentifierType", subject.id.entity_type())
        .leaf("entityUniqueIdentifierValue", subject.id.value())
        .close("uniqueIdentifier")
        .leaf("fullName", &subject.full_name)
        .optional_leaf("streetName", subject.street_name.as_ref())
        .optional_leaf("civicNumber", subject.civic_number.as_ref())
        .optional_leaf("postalCode", subject.postal_code.as_ref())
        .optional_leaf("city", subject.city.as_ref())
        .optional_leaf("stateProvinceRegion", subject.province.as_ref())
        .optional_leaf("country", subject.country.as_ref())
        .optional_leaf("e-mail", subject.email.as_ref())
        .close(name);
}

/// Writes a `ctMetadata`, or nothing when empty.
pub(crate) fn metadata(w: &mut XmlWriter, metadata: &Metadata) {
    if metadata.is_empty() {
        return;
    }
    w.open("metadata");
    for entry in metadata.entries() {
        w.open("mapEntry")
            .leaf("key", &entry.key)
            .leaf("value", &entry.value)
            .close("mapEntry");
    }
    w.close("metadata");
}

/// A SOAP 1.1 `Fault`, for what cannot be answered in band: a body that names no `paForNode`
/// operation, or a caller that failed authentication.
pub fn soap_fault(client_error: bool, code: FaultCode, message: &str) -> String {
    let fault_code = if client_error {
        "soapenv:Client"
    } else {
        "soapenv:Server"
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}"><soapenv:Body><soapenv:Fault><faultcode>{fault_code}</faultcode><faultstring>{}: {}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>"#,
        code.as_str(),
        escape(message)
    )
}
