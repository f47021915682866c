//! The settings checks of [`BizEventsClient::new`] and the mapping of an answer onto a
//! [`Receipt`].

use chrono::{TimeZone, Utc};
use pagopa_domain::model::{PrimitiveVersion, SubjectId};
use serde_json::{Value, json};

use super::dto::CtReceiptModelResponse;
use super::*;

const KEY: &str = "bizevents-test-subscription-key";

#[test]
fn settings_are_checked() {
    let settings: BizEventsSettings = serde_json::from_value(json!({
        "base_url": PRODUCTION_BASE_URL,
        "subscription_key": KEY,
    }))
    .unwrap();
    assert_eq!(settings.timeout_ms, 10_000);
    assert!(!format!("{settings:?}").contains(KEY));
    let client = BizEventsClient::new(settings.clone()).unwrap();
    assert_eq!(client.base_url().as_str(), PRODUCTION_BASE_URL);
    assert!(!format!("{client:?}").contains(KEY));
    let with = |change: fn(&mut BizEventsSettings)| {
        let mut settings = settings.clone();
        change(&mut settings);
        BizEventsClient::new(settings).unwrap_err()
    };
    assert!(matches!(
        with(|s| s.base_url = "http://api.platform.pagopa.it/bizevents/service/v1".into()),
        BizEventsConfigError::BaseUrl(_)
    ));
    assert!(matches!(with(|s| s.timeout_ms = 0), BizEventsConfigError::Timeout));
    assert!(matches!(
        with(|s| s.subscription_key = "".into()),
        BizEventsConfigError::SubscriptionKey(_)
    ));
    assert!(
        serde_json::from_value::<BizEventsSettings>(
            json!({"base_url": "https://x.it", "subscription_key": "k", "page_size": 5})
        )
        .is_err()
    );
}

fn delivery() -> Delivery {
    Delivery {
        recipient: "80012345676".parse().unwrap(),
        broker_id: "80012345676".parse().unwrap(),
        station_id: "80012345676_01".parse().unwrap(),
        version: PrimitiveVersion::V2,
        received_at: Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap(),
        raw_message: None,
        recovered: true,
    }
}

/// A receipt of two transfers, one a stamp, as the service answers it.
fn answer() -> Value {
    json!({
        "receiptId": "c8be0e5a4e9d4f8a9b1f2e3d4c5b6a79",
        "noticeNumber": "302000000000012320",
        "fiscalCode": "80012345676",
        "outcome": "OK",
        "creditorReferenceId": "02000000000012320",
        "paymentAmount": 116.0,
        "description": "TARI\t2026\nprima rata",
        "companyName": "Comune di Valdesempio",
        "debtor": {
            "entityUniqueIdentifierType": "F",
            "entityUniqueIdentifierValue": "RSSMRA80A01H501U",
            "fullName": "Mario Rossi",
            "country": "IT",
            "email": "not an e-mail"
        },
        "transferList": [
            {"idTransfer": 1, "transferAmount": 100.0, "fiscalCodePA": "80012345676",
             "iban": "IT60X0542811101000000123456", "mbdAttachment": "",
             "remittanceInformation": "TARI", "transferCategory": "9/0101108TS/",
             "metadata": [{"key": "capitolo", "value": "1400"}]},
            {"idTransfer": 2, "transferAmount": 16.0, "fiscalCodePA": "80012345676",
             "iban": "", "mbdAttachment": "UEsDBBQAAAAIAA==",
             "remittanceInformation": "Bollo", "transferCategory": "9/0301116TS/"}
        ],
        "idPSP": "ABI03069",
        "pspCompanyName": "Banca Esempio",
        "idChannel": "ABI03069_01",
        "fee": 1.5,
        "paymentDateTime": "2026-11-26T10:15:00",
        "applicationDate": "2026-11-26",
        "transferDate": "2026-11-27"
    })
}

fn read(value: Value) -> Result<Receipt, String> {
    let dto: CtReceiptModelResponse = serde_json::from_value(value).map_err(|e| e.to_string())?;
    dto.into_receipt(delivery())
}

#[test]
fn an_answer_becomes_a_receipt() {
    let receipt = read(answer()).unwrap();
    assert_eq!(receipt.receipt_id.as_str(), "c8be0e5a4e9d4f8a9b1f2e3d4c5b6a79");
    assert_eq!(receipt.creditor_reference_id.as_str(), "02000000000012320");
    assert_eq!(receipt.amount.cents(), 11_600);
    assert_eq!(
        receipt.description.as_str(),
        "TARI 2026 prima rata",
        "control characters mended"
    );
    assert!(matches!(receipt.debtor.id, SubjectId::FiscalCode(_)));
    assert_eq!(receipt.debtor.email, None, "a bad e-mail is dropped, not a refusal");
    assert_eq!(receipt.transfers.len(), 2);
    assert_eq!(receipt.transfers[0].metadata.get("capitolo"), Some("1400"));
    assert!(receipt.transfers[1].iban.is_none() && receipt.transfers[1].stamp_attachment.is_some());
    assert_eq!(receipt.fee_cents, Some(150));
    assert_eq!(receipt.psp.channel_description.as_str(), "-", "absent: a dash");
    // Local Italian time, as the SOAP receipts: 10:15 in Rome is 09:15 UTC in November.
    assert_eq!(
        receipt.payment_date_time,
        Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 15, 0).unwrap())
    );
    assert_eq!(receipt.transfer_date, Some("2026-11-27".parse().unwrap()));
    assert!(receipt.delivery.recovered);
}

#[test]
fn what_is_not_a_receipt_is_refused_by_name() {
    let with = |change: fn(&mut Value)| {
        let mut value = answer();
        change(&mut value);
        read(value).unwrap_err()
    };
    assert!(with(|v| v["outcome"] = json!("KO")).contains("outcome"));
    assert!(with(|v| v["paymentAmount"] = json!(1.005)).contains("paymentAmount"));
    assert!(with(|v| v["creditorReferenceId"] = json!("")).contains("creditorReferenceId"));
    assert!(with(|v| v["transferList"] = json!([])).contains("0 transfers"));
    assert!(with(|v| v["transferList"][0]["idTransfer"] = json!(6)).contains("idTransfer"));
    assert!(with(|v| v["transferList"][0]["iban"] = json!("")).contains("both empty"));
    assert!(with(|v| v["transferList"][1]["fiscalCodePA"] = json!("123")).contains("fiscalCodePA"));
    assert!(with(|v| v.as_object_mut().unwrap().remove("debtor").map(drop).unwrap()).contains("debtor"));
}
