//! Notices of the demo Comune: every field in its Italian print form, and the symbols decoded
//! from the rasterised pages equal to payloads computed here from the position.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pagopa_documents::{NoticeInput, render_notice};
use pagopa_domain::{DebtPosition, Ente, PaymentOption, demo};
use support::{Symbol, decode, pdf_text, position, rasterise, scratch, tool_available, tools};

/// The QR payload, written out from the protocol notes.
fn expected_qr(ente: &Ente, option: &PaymentOption) -> Symbol {
    Symbol {
        format: "QRCode".into(),
        text: format!(
            "PAGOPA|002|{}|{}|{}",
            option.notice_number.as_str(),
            ente.id.as_str(),
            option.amount.cents()
        ),
    }
}

fn pad(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    while out.chars().count() < width {
        out.push(' ');
    }
    out
}

/// The Data Matrix payload, written out field by field from the protocol notes (§11); the
/// subject is the option's own description, as the slip prints it.
fn expected_data_matrix(ente: &Ente, position: &DebtPosition, option: &PaymentOption) -> Symbol {
    let iban = ente.postal_iban.as_ref().unwrap().as_str();
    let text = [
        "codfase=NBPA;".to_owned(),
        format!("18{}", option.notice_number.as_str()),
        format!("12{}", &iban[iban.len() - 12..]),
        format!("10{:010}", option.amount.cents()),
        "3896".to_owned(),
        "1P1".to_owned(),
        ente.id.as_str().to_owned(),
        pad(position.debtor.id.value(), 16),
        pad(position.debtor.full_name.as_str(), 40),
        pad(option.description.as_str(), 110),
        " ".repeat(12),
        "A".to_owned(),
    ]
    .concat();
    assert_eq!(text.len(), 256);
    Symbol {
        format: "DataMatrix".into(),
        text,
    }
}

struct Rendered {
    text: String,
    symbols: Vec<Symbol>,
    bytes: usize,
}

fn render(name: &str, ente: &Ente, position: &DebtPosition) -> Option<Rendered> {
    let pdf = render_notice(&NoticeInput::new(ente, None, position)).unwrap();
    let dir = scratch(name);
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, &pdf).unwrap();
    if !tools() {
        return None;
    }
    let pages = rasterise(&path, &dir, 200);
    Some(Rendered {
        text: pdf_text(&path),
        symbols: decode(&pages),
        bytes: pdf.len(),
    })
}

#[test]
fn a_single_option_notice_with_the_postal_slip() {
    let ente = demo::comune();
    let position = position(demo::tari());
    let Some(rendered) = render("tari", &ente, &position) else {
        return;
    };
    let option = &position.options[0];
    let text = &rendered.text;
    for expected in [
        "AVVISO DI PAGAMENTO",
        "TARI 2026 saldo",
        "Comune di Valdesempio",
        "Settore Entrate e Tributi",
        "www.comune.valdesempio.example",
        "80012345676",
        "Giuseppe Verdi",
        "VRDGPP80A01B157X",
        "Via Roma 12",
        "25080 Valdesempio (BS)",
        "245,70 Euro",
        "16/12/2026",
        "Rata unica entro il 16/12/2026",
        "AB123",
        &option.notice_number.to_print_form(),
        "BOLLETTINO POSTALE PA",
        "000012345679",
        "AUT. DB/SISB/E 12345 DEL 01/01/2026",
        "P1",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from the notice:\n{text}");
    }
    let mut expected = vec![
        expected_qr(&ente, option),
        expected_data_matrix(&ente, &position, option),
    ];
    expected.sort();
    assert_eq!(rendered.symbols, expected);
    assert!(rendered.bytes <= 60 * 1024, "{} bytes", rendered.bytes);
}

#[test]
fn an_instalment_plan_has_a_card_and_a_slip_per_instalment() {
    let ente = demo::comune();
    let position = position(demo::imu_plan());
    let Some(rendered) = render("imu", &ente, &position) else {
        return;
    };
    let text = &rendered.text;
    assert!(text.contains("Puoi pagare per intero oppure in 3 rate"), "{text}");
    assert!(text.contains("600,00 Euro"), "{text}");
    for option in &position.options {
        assert!(text.contains(&option.notice_number.to_print_form()));
        assert!(text.contains(&pagopa_domain::AmountCents::to_italian(option.amount)));
    }
    for expected in ["Rata 1 di 3", "Rata 2 di 3", "Rata 3 di 3", "16/01/2027", "16/02/2027"] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    let mut expected: Vec<Symbol> = position
        .options
        .iter()
        .flat_map(|o| [expected_qr(&ente, o), expected_data_matrix(&ente, &position, o)])
        .collect();
    expected.sort();
    assert_eq!(rendered.symbols, expected);
}

#[test]
fn without_postal_account_there_is_no_slip() {
    let mut ente = demo::comune();
    ente.poste_authorisation = None;
    let position = position(demo::tari());
    let Some(rendered) = render("tari_no_poste", &ente, &position) else {
        return;
    };
    assert!(!rendered.text.contains("BOLLETTINO POSTALE PA"));
    assert_eq!(rendered.symbols, vec![expected_qr(&ente, &position.options[0])]);
}

#[test]
fn a_bilingual_notice_has_italian_and_german_labels_and_the_same_symbols() {
    let mut ente = demo::comune();
    ente.second_language = Some(pagopa_domain::NoticeLanguage::De);
    let position = position(demo::imu_plan());
    let Some(rendered) = render("imu_de", &ente, &position) else {
        return;
    };
    let text = &rendered.text;
    for expected in [
        "AVVISO DI PAGAMENTO / ZAHLUNGSAUFFORDERUNG",
        "ENTE CREDITORE / GLÄUBIGERKÖRPERSCHAFT",
        "DATI PER IL PAGAMENTO / ZAHLUNGSDATEN",
        "BOLLETTINO POSTALE PA / POSTERLAGSCHEIN PA",
        "Sie können den Gesamtbetrag oder in 3 Raten zahlen",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    let mut expected: Vec<Symbol> = position
        .options
        .iter()
        .flat_map(|o| [expected_qr(&ente, o), expected_data_matrix(&ente, &position, o)])
        .collect();
    expected.sort();
    assert_eq!(rendered.symbols, expected);
}

#[test]
fn the_ente_logo_is_drawn_when_configured() {
    let ente = demo::comune();
    let position = position(demo::tari());
    // A tiny valid PNG (1 × 1 pixel); the reference logo when the shared data is there.
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/pagopa-notices/reference/logo1.png");
    let bytes = std::fs::read(&shared).unwrap_or_else(|_| {
        vec![
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0,
            1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 13, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
            0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44,
            0xAE, 0x42, 0x60, 0x82,
        ]
    });
    let logo = pagopa_domain::EnteLogo::from_bytes(bytes).unwrap();
    let without = render_notice(&NoticeInput::new(&ente, None, &position)).unwrap();
    let with = render_notice(&NoticeInput::new(&ente, Some(&logo), &position)).unwrap();
    assert!(with.len() > without.len());
}

/// The grey level of the pixel at (`x`, `y`) points on a page rasterised at 72 dpi.
fn grey_at(page: &std::path::Path, x: usize, y: usize) -> u8 {
    let data = std::fs::read(page).unwrap();
    let mut fields = data.splitn(4, |b| *b == b'\n');
    let (_magic, size, _depth, pixels) = (
        fields.next(),
        fields.next().unwrap(),
        fields.next(),
        fields.next().unwrap(),
    );
    let width: usize = std::str::from_utf8(size)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    pixels[y * width + x]
}

#[test]
fn an_svg_logo_is_drawn_as_vectors_with_its_text_in_the_bundled_fonts() {
    if !tool_available("pdftoppm", &["-v"]) {
        return;
    }
    let ente = demo::comune();
    let position = position(demo::tari());
    // A black square filling the logo box, a red stripe and a word of text.
    let svg = br##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">
        <rect width="100" height="100" fill="#000"/><rect y="80" width="100" height="20" fill="#c00"/>
        <text x="5" y="95" font-family="Helvetica" font-size="14" fill="#fff">Comune</text></svg>"##;
    let logo = pagopa_domain::EnteLogo::from_bytes(svg.to_vec()).unwrap();
    pagopa_documents::check_logo(&logo).unwrap();
    let dir = scratch("svg-logo");
    let with = render_notice(&NoticeInput::new(&ente, Some(&logo), &position)).unwrap();
    let without = render_notice(&NoticeInput::new(&ente, None, &position)).unwrap();
    std::fs::write(dir.join("with.pdf"), &with).unwrap();
    std::fs::write(dir.join("without.pdf"), &without).unwrap();
    let with_page = rasterise(&dir.join("with.pdf"), &dir, 72);
    let without_page = rasterise(&dir.join("without.pdf"), &dir, 72);
    // The logo box: 80 points square, 28 points from the right edge of an A4 page, 20 from the
    // top; its centre is black with the logo and paper without.
    let (x, y) = (595 - 28 - 40, 20 + 30);
    assert!(grey_at(&with_page[0], x, y) < 40, "the SVG logo is not drawn");
    assert!(grey_at(&without_page[0], x, y) > 200);
    // The text is drawn as outlines (a logo's words are part of its picture).
    let text = String::from_utf8_lossy(&with);
    assert!(!text.contains("Helvetica"), "the host's fonts must not be asked for");
}

#[test]
fn a_broken_or_outside_referencing_svg_logo_is_refused_or_kept_inside() {
    let broken =
        pagopa_domain::EnteLogo::from_bytes(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><rect".to_vec()).unwrap();
    let error = pagopa_documents::check_logo(&broken).unwrap_err();
    assert!(error.to_string().contains("SVG"), "{error}");
    // An image that points at a file of the host is not read: the logo is drawn without it.
    let outside = br#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10" width="10" height="10"><image width="10" height="10" xlink:href="/etc/hostname"/><image width="10" height="10" href="file:///etc/passwd"/></svg>"#;
    let logo = pagopa_domain::EnteLogo::from_bytes(outside.to_vec()).unwrap();
    let ente = demo::comune();
    let position = position(demo::tari());
    let pdf = render_notice(&NoticeInput::new(&ente, Some(&logo), &position)).unwrap();
    let plain = render_notice(&NoticeInput::new(&ente, None, &position)).unwrap();
    // Nothing of the host's files entered the document: it is about as large as without a logo.
    assert!(pdf.len() < plain.len() + 2_000, "{} vs {}", pdf.len(), plain.len());
}

#[test]
fn ten_instalments_go_in_a_grid_with_a_slip_each() {
    let ente = demo::comune();
    let options = (0..10u8)
        .map(|i| {
            let mut option = demo::simple_option(
                2_601_000_006_000 + u64::from(i),
                10_000 + u64::from(i),
                &format!("Canone 2027 rata {} di 10", i + 1),
                &format!("2027-{:02}-15", i + 1),
            );
            option.instalment = Some(pagopa_domain::Instalment { number: i + 1, of: 10 });
            option
        })
        .collect();
    let position = position(demo::draft("CANONE-2027-10", demo::debtor(), "Canone 2027", options));
    let Some(rendered) = render("ten", &ente, &position) else {
        return;
    };
    assert!(rendered.text.contains("Puoi pagare in 10 rate"), "{}", rendered.text);
    for (index, option) in position.options.iter().enumerate() {
        assert!(rendered.text.contains(&format!("Rata {} di 10", index + 1)));
        assert!(rendered.text.contains(&option.notice_number.to_print_form()));
    }
    let mut expected: Vec<Symbol> = position
        .options
        .iter()
        .flat_map(|o| [expected_qr(&ente, o), expected_data_matrix(&ente, &position, o)])
        .collect();
    expected.sort();
    assert_eq!(rendered.symbols, expected);
}
