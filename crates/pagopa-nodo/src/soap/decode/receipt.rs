//! Receipts (`paSendRT`, `paSendRTV2`): read to the schema, and leniently where the schema allows
//! what the domain's stricter types do not, since a receipt proves a payment and must not be
//! refused over its texts.

use super::*;

/// A receipt's text, read leniently: what the schema allows but the domain's text does not
/// (tabs and line breaks, a blank value, more characters than the domain keeps) is mended
/// (control characters become spaces, the text is cut), so a valid receipt is never refused
/// over it. The raw message stored with the receipt keeps the original. `None` when nothing is
/// left.
pub(super) fn lenient<const N: usize>(raw: &str) -> Option<Text<N>> {
    let mended: String = raw.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    Text::truncating(&mended)
}

/// A required receipt text, read leniently; `-` when the Node sent only blanks.
pub(super) fn lenient_required<const N: usize>(raw: &str) -> Text<N> {
    lenient(raw).unwrap_or_else(dash)
}

#[allow(clippy::expect_used)]
fn dash<const N: usize>() -> Text<N> {
    "-".parse().expect("a one-character text is valid")
}

pub(super) fn receipt(element: &Element, path: &str, delivery: Delivery) -> Result<Receipt, Bad> {
    let v2 = delivery.version == PrimitiveVersion::V2;
    let mut seq = element.sequence(path)?;
    let receipt_id_raw = seq.text("receiptId")?;
    if receipt_id_raw.is_empty() {
        return Err(syntax(&seq.path_of("receiptId"), "must not be empty"));
    }
    let receipt_id = party(receipt_id_raw, &seq.path_of("receiptId"))?;
    let notice_number = notice_number(seq.text("noticeNumber")?, &seq.path_of("noticeNumber"))
        // Not one we would issue, yet it proves a payment: "other syntax", never "unknown".
        .map_err(|bad| match bad.fault {
            FaultCode::PagamentoSconosciuto => Bad {
                fault: FaultCode::SintassiExtraXsd,
                description: bad.description,
            },
            _ => bad,
        })?;
    let ente = fiscal_code_pa(seq.text("fiscalCode")?, &seq.path_of("fiscalCode"))?;
    let outcome_ok = match seq.text("outcome")? {
        "OK" => true,
        // pagoPA sends receipts only for payments made: a KO proves none, and must not settle.
        "KO" => {
            return Err(Bad {
                fault: FaultCode::Semantica,
                description: "a receipt with outcome KO proves no payment".into(),
            });
        }
        other => return Err(syntax(&seq.path_of("outcome"), format!("{other:?} is not OK or KO"))),
    };
    let reference_path = seq.path_of("creditorReferenceId");
    let creditor_reference_id = party(
        text_facet::<35>(seq.text("creditorReferenceId")?, &reference_path)?,
        &reference_path,
    )?;
    let payment_amount_path = seq.path_of("paymentAmount");
    let amount = AmountCents::new(amount_or_zero(seq.text("paymentAmount")?, &payment_amount_path)?)
        .map_err(|e| syntax(&payment_amount_path, e))?;
    let description = lenient_required(seq.text("description")?);
    let company_name = lenient_required(seq.text("companyName")?);
    let office_name = seq.optional_text("officeName")?.and_then(lenient);
    let debtor = subject(seq.required("debtor")?, &seq.path_of("debtor"), true)?;
    let list_path = seq.path_of("transferList");
    let mut list = seq.required("transferList")?.sequence(&list_path)?;
    let transfers = list
        .repeated("transfer", 1, 5)?
        .into_iter()
        .enumerate()
        .map(|(index, t)| receipt_transfer(t, &format!("{list_path}/transfer[{}]", index + 1), v2))
        .collect::<Result<Vec<_>, _>>()?;
    list.end()?;
    let psp_id = seq.text("idPSP")?;
    let psp_id = party(text_facet::<35>(psp_id, &seq.path_of("idPSP"))?, &seq.path_of("idPSP"))?;
    let psp_fiscal_code = seq.optional_text("pspFiscalCode")?.and_then(lenient);
    let psp_vat = seq.optional_text("pspPartitaIVA")?.and_then(lenient);
    let psp_name = lenient_required(seq.text("PSPCompanyName")?);
    let channel = seq.text("idChannel")?;
    let channel = party(
        text_facet::<35>(channel, &seq.path_of("idChannel"))?,
        &seq.path_of("idChannel"),
    )?;
    let channel_description = lenient_required(seq.text("channelDescription")?);
    let payer = seq
        .optional("payer")?
        .map(|p| subject(p, &seq.path_of("payer"), true))
        .transpose()?;
    let payment_method = seq.optional_text("paymentMethod")?.and_then(lenient);
    let mut payment_note = None;
    if v2 {
        payment_note = seq.optional_text("paymentNote")?.and_then(lenient);
    }
    let fee_cents = seq
        .optional_text("fee")?
        .map(|v| amount_or_zero(v, &seq.path_of("fee")))
        .transpose()?;
    let (mut primary_fee, mut bundle_id, mut ci_bundle_id) = (None, None, None);
    if v2 {
        primary_fee = seq
            .optional_text("primaryCiIncurredFee")?
            .map(|v| amount_or_zero(v, &seq.path_of("primaryCiIncurredFee")))
            .transpose()?;
        bundle_id = seq.optional_text("idBundle")?.and_then(lenient);
        ci_bundle_id = seq.optional_text("idCiBundle")?.and_then(lenient);
    }
    let payment_date_time = seq
        .optional_text("paymentDateTime")?
        .map(|v| {
            time::parse_date_time(v)
                .ok_or_else(|| syntax(&seq.path_of("paymentDateTime"), format!("{v:?} is not a date-time")))
        })
        .transpose()?;
    let application_date = seq
        .optional_text("applicationDate")?
        .map(|v| date(v, &seq.path_of("applicationDate")))
        .transpose()?;
    let transfer_date = seq
        .optional_text("transferDate")?
        .map(|v| date(v, &seq.path_of("transferDate")))
        .transpose()?;
    let metadata = optional_metadata(&mut seq)?;
    let stand_in = seq
        .optional_text("standIn")?
        .map(|v| boolean(v, &seq.path_of("standIn")))
        .transpose()?
        .unwrap_or(false);
    seq.end()?;
    Ok(Receipt {
        receipt_id,
        notice_number,
        ente,
        outcome_ok,
        creditor_reference_id,
        amount,
        description,
        company_name,
        office_name,
        debtor,
        payer,
        transfers,
        psp: Psp {
            id: psp_id,
            fiscal_code: psp_fiscal_code,
            vat_number: psp_vat,
            company_name: psp_name,
            channel_id: channel,
            channel_description,
        },
        payment_method,
        payment_note,
        fee_cents,
        primary_ci_incurred_fee_cents: primary_fee,
        bundle_id,
        ci_bundle_id,
        payment_date_time,
        application_date,
        transfer_date,
        metadata,
        stand_in,
        delivery,
    })
}

fn receipt_transfer(element: &Element, path: &str, v2: bool) -> Result<ReceiptTransfer, Bad> {
    let mut seq = element.sequence(path)?;
    let id_raw = seq.text("idTransfer")?;
    let id = match id_raw {
        "1" | "2" | "3" | "4" | "5" => id_raw.as_bytes()[0] - b'0',
        other => return Err(syntax(&seq.path_of("idTransfer"), format!("{other:?} is not 1..5"))),
    };
    let transfer_amount = amount(seq.text("transferAmount")?, &seq.path_of("transferAmount"))?;
    let ente = fiscal_code_pa(seq.text("fiscalCodePA")?, &seq.path_of("fiscalCodePA"))?;
    let mut company_name = None;
    if v2 {
        company_name = seq.optional_text("companyName")?.and_then(lenient);
    }
    let (mut iban, mut stamp_attachment) = (None, None);
    if let Some(raw) = seq.optional_text("IBAN")? {
        let path = seq.path_of("IBAN");
        iban = Some(party(text_facet::<35>(raw, &path)?, &path)?);
    } else if v2 && let Some(raw) = seq.optional_text("MBDAttachment")? {
        let path = seq.path_of("MBDAttachment");
        base64::engine::general_purpose::STANDARD
            .decode(raw.split_whitespace().collect::<String>())
            .map_err(|_| syntax(&path, "not base64"))?;
        stamp_attachment = Some(raw.to_owned());
    } else {
        let expected = if v2 { "<IBAN> or <MBDAttachment>" } else { "<IBAN>" };
        return Err(syntax(path, format!("{expected} expected")));
    }
    let remittance = lenient_required(seq.text("remittanceInformation")?);
    let category_path = seq.path_of("transferCategory");
    let category = party(
        text_facet::<140>(seq.text("transferCategory")?, &category_path)?,
        &category_path,
    )?;
    let metadata = optional_metadata(&mut seq)?;
    seq.end()?;
    Ok(ReceiptTransfer {
        id,
        amount: transfer_amount,
        ente,
        company_name,
        iban,
        stamp_attachment,
        remittance,
        category,
        metadata,
    })
}
