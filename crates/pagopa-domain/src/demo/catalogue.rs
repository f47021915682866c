//! The demo Comune's spontaneous catalogue.

use super::{COMUNE, cents, date, lit};
use crate::model::*;

fn field(name: &str, label: &str, required: bool, kind: FieldKind) -> Field {
    Field {
        name: lit(name),
        label: lit(label),
        help: None,
        required,
        kind,
    }
}

fn text_field(name: &str, label: &str, pattern: Option<&str>) -> Field {
    field(
        name,
        label,
        true,
        FieldKind::Text {
            min_length: Some(1),
            max_length: Some(70),
            pattern: pattern.map(lit),
        },
    )
}

fn own_transfer(category: &str, remittance: &str, share: Share) -> TransferTemplate {
    TransferTemplate {
        ente: None,
        company_name: None,
        account: AccountTemplate::EnteBank,
        category: lit(category),
        remittance: lit(remittance),
        share,
    }
}

fn service(
    code: &str,
    name: &str,
    description: &str,
    fields: Vec<Field>,
    amount: AmountRule,
    transfers: Vec<TransferTemplate>,
) -> SpontaneousService {
    SpontaneousService {
        ente: lit(COMUNE),
        code: lit(code),
        name: lit(name),
        description: Some(lit(description)),
        demand_service_id: None,
        form: Form { fields },
        amount,
        transfers,
        payment_description: lit(name),
        due_in_days: 30,
        active: true,
    }
}

/// The Comune's spontaneous catalogue: a fishing licence at a fixed price, a room priced per
/// hour by formula, a certificate carrying a digital stamp, and a mushroom-picking permit priced
/// by table and offered to PSPs as `idServizio` 90001.
pub fn catalogue() -> Vec<SpontaneousService> {
    let mut fishing = service(
        "licenza-pesca",
        "Licenza di pesca sportiva",
        "Licenza annuale di pesca sportiva nelle acque interne del Comune.",
        vec![
            text_field("full_name", "Nome e cognome", None),
            field("fiscal_code", "Codice fiscale", true, FieldKind::FiscalCode),
            field(
                "year",
                "Anno di validità",
                true,
                FieldKind::Number {
                    min: Some(lit("2026")),
                    max: Some(lit("2030")),
                    decimals: 0,
                },
            ),
            field("email", "E-mail per la ricevuta", false, FieldKind::Email),
        ],
        AmountRule::Fixed { amount: cents(3_400) },
        vec![own_transfer(
            "9/0201102IM/",
            "Licenza di pesca {year} {fiscal_code}",
            Share::Remainder,
        )],
    );
    fishing.payment_description = lit("Licenza di pesca sportiva {year}");

    let mut room = service(
        "sala-civica",
        "Affitto sala civica",
        "Prenotazione della sala civica, a ore; sconto del 20% per i residenti.",
        vec![
            text_field("full_name", "Nome e cognome", None),
            field(
                "date",
                "Data",
                true,
                FieldKind::Date {
                    min: Some(date("2026-01-01")),
                    max: None,
                },
            ),
            field(
                "hours",
                "Ore",
                true,
                FieldKind::Number {
                    min: Some(lit("1")),
                    max: Some(lit("12")),
                    decimals: 1,
                },
            ),
            field("resident", "Residente nel Comune", false, FieldKind::Boolean),
        ],
        AmountRule::Formula {
            formula: lit("hours * 2500 * (1 - resident * 0.2)"),
        },
        vec![own_transfer(
            "9/0201109SP/",
            "Sala civica {date} ore {hours}",
            Share::Remainder,
        )],
    );
    room.payment_description = lit("Affitto sala civica del {date}");

    let mut certificate = service(
        "certificato-cdu",
        "Certificato di destinazione urbanistica",
        "Rilascio del CDU con marca da bollo digitale da 16,00 EUR.",
        vec![
            text_field("parcel", "Foglio e mappale", None),
            text_field(
                "document_hash",
                "Impronta SHA-256 del documento (base64)",
                Some("[A-Za-z0-9+/]{43}="),
            ),
            text_field("province", "Provincia di residenza", Some("[A-Z]{2}")),
        ],
        AmountRule::Fixed { amount: cents(6_800) },
        vec![
            own_transfer("9/0201117SP/", "Diritti di segreteria CDU {parcel}", Share::Remainder),
            TransferTemplate {
                ente: None,
                company_name: None,
                account: AccountTemplate::Stamp {
                    document_hash_field: lit("document_hash"),
                    province_field: lit("province"),
                },
                category: lit("9/0201117SP/"),
                remittance: lit("Marca da bollo CDU {parcel}"),
                share: Share::Fixed { amount: cents(1_600) },
            },
        ],
    );
    certificate.payment_description = lit("CDU - {parcel}");

    let mut mushrooms = service(
        "tesserino-funghi",
        "Tesserino raccolta funghi",
        "Autorizzazione annuale alla raccolta dei funghi epigei.",
        vec![
            field("codice_fiscale", "Codice fiscale", true, FieldKind::FiscalCode),
            text_field("cognome", "Cognome", None),
            text_field("nome", "Nome", None),
            field(
                "anno_validita",
                "Anno",
                true,
                FieldKind::Number {
                    min: Some(lit("2026")),
                    max: Some(lit("2030")),
                    decimals: 0,
                },
            ),
            field(
                "tipologia",
                "Tipologia",
                true,
                FieldKind::Choice {
                    choices: vec![
                        Choice {
                            value: lit("RESIDENTE"),
                            label: lit("Residente"),
                        },
                        Choice {
                            value: lit("NON_RESIDENTE"),
                            label: lit("Non residente"),
                        },
                    ],
                },
            ),
        ],
        AmountRule::Table {
            field: lit("tipologia"),
            prices: vec![
                PriceEntry {
                    value: lit("RESIDENTE"),
                    amount: cents(1_000),
                },
                PriceEntry {
                    value: lit("NON_RESIDENTE"),
                    amount: cents(3_000),
                },
            ],
        },
        vec![own_transfer(
            "9/0201102IM/",
            "Tesserino funghi {anno_validita} {codice_fiscale}",
            Share::Remainder,
        )],
    );
    mushrooms.demand_service_id = Some(lit("90001"));
    mushrooms.payment_description = lit("Tesserino funghi {anno_validita}");

    vec![fishing, room, certificate, mushrooms]
}
