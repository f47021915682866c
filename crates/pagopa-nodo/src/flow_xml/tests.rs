//! [`decode`] and [`encode`] on the hand-written sample and on samples broken one way each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeZone;

use super::*;

const SAMPLE: &str = include_str!("../../tests/fixtures/samples/FlussoRiversamento.xml");

fn decoded() -> FlowRevision {
    decode(SAMPLE.as_bytes()).unwrap()
}

/// The sample with `from` replaced by `to` (once; `from` must be there).
fn with(from: &str, to: &str) -> String {
    assert!(SAMPLE.contains(from), "{from}");
    SAMPLE.replacen(from, to, 1)
}

fn error(document: &str) -> String {
    decode(document.as_bytes()).unwrap_err().to_string()
}

#[test]
fn the_sample_decodes() {
    let flow = decoded();
    assert_eq!(
        flow.key.to_string(),
        "80012345676/88888888888/2025-01-0788888888888-0001"
    );
    assert_eq!(flow.revision, 1);
    assert_eq!(flow.psp_name.as_deref(), Some("Banca di Esempio S.p.A."));
    // No offset: Italian time (CET in January).
    assert_eq!(flow.flow_date, Utc.with_ymd_and_hms(2025, 1, 8, 8, 30, 0).unwrap());
    assert_eq!(flow.published_at, None);
    assert_eq!(flow.regulation, "TRN0000123456789");
    assert_eq!(flow.regulation_date.to_string(), "2025-01-07");
    assert_eq!(flow.bic.as_deref(), Some("BCITITMM"));
    assert_eq!((flow.declared_count, flow.declared_total_cents), (3, 12025));
    let lines: Vec<_> = flow
        .lines
        .iter()
        .map(|l| (l.index, l.transfer_id, l.amount_cents, l.outcome))
        .collect();
    assert_eq!(
        lines,
        [
            (1, Some(1), 10050, LineOutcome::Executed),
            (2, None, 2975, LineOutcome::NoReceipt),
            (3, Some(2), -1000, LineOutcome::Revoked),
        ]
    );
    assert_eq!(flow.lines[1].iur, "IUR20250107000002");
    assert_eq!(flow.lines[2].outcome_date.to_string(), "2025-01-07");
    assert!(flow.totals_match());
}

#[test]
fn encode_then_decode_is_the_same_flow() {
    let flow = decoded();
    let xml = encode(&flow);
    assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?><FlussoRiversamento xmlns="http://www.digitpa.gov.it/schemas/2011/Pagamenti/">"#));
    assert!(
        xml.contains("<dataOraFlusso>2025-01-08T08:30:00Z</dataOraFlusso>"),
        "{xml}"
    );
    assert!(xml.contains("<singoloImportoPagato>10.00</singoloImportoPagato><codiceEsitoSingoloPagamento>3<"));
    assert_eq!(decode(xml.as_bytes()).unwrap(), flow);

    // Fractions of a second, every outcome, escaping, no optional element.
    let mut other = flow.clone();
    other.flow_date = Utc.with_ymd_and_hms(2025, 6, 30, 23, 59, 59).unwrap() + chrono::Duration::milliseconds(250);
    other.psp_name = Some("Rossi & Figli <PSP>".into());
    other.bic = None;
    other.lines = LineOutcome::ALL
        .into_iter()
        .enumerate()
        .map(|(n, outcome)| FlowLine {
            index: n as u32 + 1,
            iuv: format!("IUV{n}"),
            iur: format!("IUR{n}"),
            transfer_id: (n % 2 == 0).then_some(5),
            amount_cents: if outcome == LineOutcome::Revoked {
                -1
            } else {
                99_999_999_999
            },
            outcome,
            outcome_date: other.regulation_date,
        })
        .collect();
    other.declared_count = 5;
    let xml = encode(&other);
    assert!(xml.contains("Rossi &amp; Figli &lt;PSP&gt;"), "{xml}");
    assert_eq!(decode(xml.as_bytes()).unwrap(), other);

    // A name the schema cannot carry is left out.
    other.psp_name = Some("AB".into());
    assert_eq!(decode(encode(&other).as_bytes()).unwrap().psp_name, None);
}

#[test]
fn prefixes_and_a_byte_order_mark_do_not_matter() {
    let default_ns = SAMPLE.replace("pay_i:", "").replace("xmlns:pay_i=", "xmlns=");
    assert_eq!(decode(default_ns.as_bytes()).unwrap(), decoded());
    let bom = format!("\u{feff}{SAMPLE}");
    assert_eq!(decode(bom.as_bytes()).unwrap(), decoded());
}

#[test]
fn structure_errors_name_the_element() {
    // Missing.
    let missing = with("<pay_i:dataRegolamento>2025-01-07</pay_i:dataRegolamento>", "");
    let text = error(&missing);
    assert!(
        text.contains("FlussoRiversamento: <dataRegolamento> expected, found <istitutoMittente>"),
        "{text}"
    );
    // Unknown.
    let unknown = with(
        "<pay_i:numeroTotalePagamenti>",
        "<pay_i:note>x</pay_i:note><pay_i:numeroTotalePagamenti>",
    );
    let text = error(&unknown);
    assert!(
        text.contains("<numeroTotalePagamenti> expected, found <note>"),
        "{text}"
    );
    let unknown_at_end = with(
        "</pay_i:FlussoRiversamento>",
        "<pay_i:note>x</pay_i:note></pay_i:FlussoRiversamento>",
    );
    assert!(error(&unknown_at_end).contains("FlussoRiversamento: unexpected element <note>"));
    // Misordered.
    let misordered = with(
        "<pay_i:codiceBicBancaDiRiversamento>BCITITMM</pay_i:codiceBicBancaDiRiversamento>",
        "",
    )
    .replacen(
        "<pay_i:numeroTotalePagamenti>",
        "<pay_i:codiceBicBancaDiRiversamento>BCITITMM</pay_i:codiceBicBancaDiRiversamento><pay_i:numeroTotalePagamenti>",
        1,
    );
    let text = error(&misordered);
    assert!(
        text.contains("FlussoRiversamento: <numeroTotalePagamenti> expected, found <codiceBicBancaDiRiversamento>"),
        "{text}"
    );
    // Inside a payment.
    let in_line = with(
        "<pay_i:identificativoUnivocoRiscossione>IUR20250107000002</pay_i:identificativoUnivocoRiscossione>",
        "",
    );
    let text = error(&in_line);
    assert!(
        text.contains("FlussoRiversamento/datiSingoliPagamenti[2]: <identificativoUnivocoRiscossione> expected"),
        "{text}"
    );
    // Unqualified, or in another namespace.
    let unqualified = with(
        "<pay_i:dataRegolamento>2025-01-07</pay_i:dataRegolamento>",
        "<dataRegolamento>2025-01-07</dataRegolamento>",
    );
    assert!(error(&unqualified).contains("FlussoRiversamento/dataRegolamento: must be in namespace"));
    let root = SAMPLE.replace("http://www.digitpa.gov.it/schemas/2011/Pagamenti/", "urn:other");
    assert!(error(&root).contains("not <FlussoRiversamento> in http://www.digitpa.gov.it"));
    // No payment at all.
    let start = SAMPLE.find("<pay_i:datiSingoliPagamenti>").unwrap();
    let end = SAMPLE.rfind("</pay_i:datiSingoliPagamenti>").unwrap() + "</pay_i:datiSingoliPagamenti>".len();
    let none = format!("{}{}", &SAMPLE[..start], &SAMPLE[end..]);
    assert!(error(&none).contains("datiSingoliPagamenti: 1.."), "{}", error(&none));
}

#[test]
fn value_errors_name_the_element() {
    let cases = [
        (
            "<pay_i:versioneOggetto>1.0<",
            "<pay_i:versioneOggetto>2.0<",
            "versioneOggetto",
        ),
        ("-0001<", "-00.1<", "identificativoFlusso"),
        ("T09:30:00<", " 09:30:00<", "dataOraFlusso"),
        (
            "<pay_i:dataOraFlusso>2025-01-08",
            "<pay_i:dataOraFlusso>2025-02-30",
            "dataOraFlusso",
        ),
        (
            ">2025-01-07</pay_i:dataRegolamento>",
            ">07/01/2025</pay_i:dataRegolamento>",
            "dataRegolamento",
        ),
        (
            ">TRN0000123456789<",
            ">TRN0000123456789TRN0000123456789TRN0<",
            "identificativoUnivocoRegolamento",
        ),
        (
            "<pay_i:tipoIdentificativoUnivoco>G</pay_i:tipoIdentificativoUnivoco>\n      <pay_i:codiceIdentificativoUnivoco>88888888888",
            "<pay_i:tipoIdentificativoUnivoco>X</pay_i:tipoIdentificativoUnivoco>\n      <pay_i:codiceIdentificativoUnivoco>88888888888",
            "istitutoMittente/identificativoUnivocoMittente/tipoIdentificativoUnivoco",
        ),
        (
            "<pay_i:tipoIdentificativoUnivoco>G</pay_i:tipoIdentificativoUnivoco>\n      <pay_i:codiceIdentificativoUnivoco>80012345676",
            "<pay_i:tipoIdentificativoUnivoco>A</pay_i:tipoIdentificativoUnivoco>\n      <pay_i:codiceIdentificativoUnivoco>80012345676",
            "istitutoRicevente/identificativoUnivocoRicevente/tipoIdentificativoUnivoco",
        ),
        (
            ">80012345676<",
            ">8001234567<",
            "identificativoUnivocoRicevente/codiceIdentificativoUnivoco",
        ),
        (">Banca di Esempio S.p.A.<", ">BE<", "denominazioneMittente"),
        (
            ">3</pay_i:numeroTotalePagamenti>",
            ">0</pay_i:numeroTotalePagamenti>",
            "numeroTotalePagamenti",
        ),
        (
            ">3</pay_i:numeroTotalePagamenti>",
            ">3.5</pay_i:numeroTotalePagamenti>",
            "numeroTotalePagamenti",
        ),
        (
            ">3</pay_i:numeroTotalePagamenti>",
            ">1234567890123456</pay_i:numeroTotalePagamenti>",
            "numeroTotalePagamenti",
        ),
        (">120.25<", ">120.2<", "importoTotalePagamenti"),
        (">120.25<", ">120,25<", "importoTotalePagamenti"),
        (">120.25<", ">-120.25<", "importoTotalePagamenti"),
        (">120.25<", ">1e2<", "importoTotalePagamenti"),
        (">120.25<", ">1000000000.00<", "importoTotalePagamenti"),
        (">100.50<", ">100.505<", "datiSingoliPagamenti[1]/singoloImportoPagato"),
        (">100.50<", ">0.00<", "datiSingoliPagamenti[1]/singoloImportoPagato"),
        (">100.50<", ">-100.50<", "datiSingoliPagamenti[1]/singoloImportoPagato"),
        (
            ">1</pay_i:indiceDatiSingoloPagamento>",
            ">6</pay_i:indiceDatiSingoloPagamento>",
            "datiSingoliPagamenti[1]/indiceDatiSingoloPagamento",
        ),
        (
            ">1</pay_i:indiceDatiSingoloPagamento>",
            ">0</pay_i:indiceDatiSingoloPagamento>",
            "datiSingoliPagamenti[1]/indiceDatiSingoloPagamento",
        ),
        (
            ">0</pay_i:codiceEsitoSingoloPagamento>",
            ">1</pay_i:codiceEsitoSingoloPagamento>",
            "datiSingoliPagamenti[1]/codiceEsitoSingoloPagamento",
        ),
        (
            ">9</pay_i:codiceEsitoSingoloPagamento>",
            ">09</pay_i:codiceEsitoSingoloPagamento>",
            "datiSingoliPagamenti[2]/codiceEsitoSingoloPagamento",
        ),
        (
            ">2025-01-06</pay_i:dataEsitoSingoloPagamento>",
            ">2025-13-06</pay_i:dataEsitoSingoloPagamento>",
            "datiSingoliPagamenti[1]/dataEsitoSingoloPagamento",
        ),
        (
            ">01000000000000123<",
            "><",
            "datiSingoliPagamenti[1]/identificativoUnivocoVersamento",
        ),
    ];
    for (from, to, element) in cases {
        let text = error(&with(from, to));
        assert!(text.contains(&format!("{element}:")), "{to}: {text}");
    }
}

#[test]
fn lenient_only_where_the_schema_is() {
    // xsd:decimal and xsd:integer forms the schema allows.
    let flow = decode(
        with(
            ">3</pay_i:numeroTotalePagamenti>",
            ">003.0</pay_i:numeroTotalePagamenti>",
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(flow.declared_count, 3);
    let flow = decode(with(">120.25<", ">0000120.25<").as_bytes()).unwrap();
    assert_eq!(flow.declared_total_cents, 12025);
    let flow = decode(
        with(
            ">1</pay_i:indiceDatiSingoloPagamento>",
            ">+01</pay_i:indiceDatiSingoloPagamento>",
        )
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(flow.lines[0].transfer_id, Some(1));
    // An offset is taken as written.
    let flow = decode(with("T09:30:00<", "T09:30:00+02:00<").as_bytes()).unwrap();
    assert_eq!(flow.flow_date, Utc.with_ymd_and_hms(2025, 1, 8, 7, 30, 0).unwrap());
    let flow = decode(with("<pay_i:versioneOggetto>1.0<", "<pay_i:versioneOggetto>1.1<").as_bytes()).unwrap();
    assert_eq!(flow, decoded());
}

#[test]
fn documents_that_cannot_be_read() {
    assert!(matches!(decode(b"<a><b></a>"), Err(FlowXmlError::Malformed(_))));
    assert!(matches!(
        decode(b"\xff\xfe<"),
        Err(FlowXmlError::NotUtf8 { valid_up_to: 0 })
    ));
    let bomb = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]>{}"#,
        &SAMPLE[38..]
    );
    assert!(error(&bomb).contains("DOCTYPE"), "{}", error(&bomb));
    let large = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    assert!(matches!(decode(&large), Err(FlowXmlError::TooLarge { .. })));
    let not_flow = decode(b"<r/>").unwrap_err();
    assert!(matches!(not_flow, FlowXmlError::Schema(_)));
    assert!(matches!(FlowError::from(not_flow), FlowError::Document(_)));
}
