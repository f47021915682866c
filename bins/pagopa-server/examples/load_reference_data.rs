//! Loads the reference data set of `shared/bench` (`ref-server --export-csv N`) into a store, so
//! the service and the reference server answer over the same rows, and writes one citizen token
//! per debtor for the load script. Used by `tests/load/citizen-positions.sh`.
//!
//! ```sh
//! cargo run --release -p pagopa-server --example load_reference_data -- \
//!     debtors.csv sqlite://./bench-data/pagopa.db tokens.txt public-key.txt
//! ```
//! The reference notices use aux digit 3 and segregation code 01: the demo Comune is stored
//! with that layout (run the server with demo mode off). PAYABLE rows become valid positions,
//! PAID rows paid ones, EXPIRED rows expired ones. Tokens are signed with a fixed bench key and
//! live 24 hours; the server must accept that lifetime (`citizen_tokens.max_lifetime_secs`).

#![allow(clippy::print_stdout)]

use std::io::{BufRead, Write};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer;
use pagopa_domain::ports::{EnteRepository, PositionRepository};
use pagopa_domain::{
    DebtPosition, FiscalCode, NoticeLayout, NoticeNumber, OptionPayment, PositionStatus, Subject, SubjectId, demo,
};
use pagopa_storage_diesel::DieselStore;

/// The seed of the bench signing key: a test key, printed in the open on purpose.
const BENCH_KEY_SEED: [u8; 32] = [0x42; 32];

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [csv, url, tokens_path, key_path] = args.as_slice() else {
        bail!("usage: load_reference_data DEBTORS.csv DATABASE_URL TOKENS_OUT PUBLIC_KEY_OUT");
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(load(csv, url))?;
    write_tokens(csv, tokens_path, key_path)
}

async fn load(csv: &str, url: &str) -> anyhow::Result<()> {
    let store = DieselStore::connect(url, 2)?;
    store.migrate().await?;
    let mut ente = demo::comune();
    ente.notice_layout = NoticeLayout::Aux3 { segregation_code: 1 };
    ente.positions_on_demand = false;
    store.upsert(&ente).await?;
    let file = std::io::BufReader::new(std::fs::File::open(csv).context("opening the CSV")?);
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    let mut batch = Vec::with_capacity(10_000);
    let mut total = 0u64;
    for (index, line) in file.lines().enumerate().skip(1) {
        let line = line?;
        let cols: Vec<&str> = line.split(',').collect();
        let [cf, notice, _iuv, cents, due, description, status] = cols.as_slice() else {
            bail!("line {}: expected 7 columns", index + 1);
        };
        let notice: NoticeNumber = notice.parse()?;
        let mut option = demo::simple_option(notice.base(), cents.parse()?, description, due);
        option.notice_number = notice;
        let debtor = Subject::new(
            SubjectId::FiscalCode(cf.parse::<FiscalCode>()?),
            "Debitore di prova".parse()?,
        );
        let draft = demo::draft(&format!("REF-{index}"), debtor, description, vec![option]);
        let mut position = DebtPosition::create(&ente.id, ente.notice_layout, draft, now)?;
        match *status {
            "PAID" => {
                let option = &mut position.options[0];
                option.payment = Some(OptionPayment {
                    receipt_id: format!("REF-{index}").parse()?,
                    paid_at: now,
                    amount: option.amount,
                });
                position.status = PositionStatus::Paid;
            }
            "EXPIRED" => position.status = PositionStatus::Expired,
            _ => {}
        }
        batch.push(position);
        if batch.len() == 10_000 {
            total += store.insert_batch(&batch).await?;
            batch.clear();
        }
    }
    total += store.insert_batch(&batch).await?;
    println!("loaded {total} positions");
    Ok(())
}

fn write_tokens(csv: &str, tokens_path: &str, key_path: &str) -> anyhow::Result<()> {
    let key = ed25519_dalek::SigningKey::from_bytes(&BENCH_KEY_SEED);
    std::fs::write(key_path, URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"EdDSA","typ":"JWT"}"#);
    let mut out = std::io::BufWriter::new(std::fs::File::create(tokens_path)?);
    let file = std::io::BufReader::new(std::fs::File::open(csv)?);
    let mut last = String::new();
    let mut count = 0;
    for line in file.lines().skip(1) {
        let line = line?;
        let cf = line.split(',').next().unwrap_or_default();
        if cf == last {
            continue;
        }
        last = cf.to_owned();
        let claims = serde_json::json!({ "sub": cf, "iat": now, "exp": now + 86_400 });
        let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let token = format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(key.sign(signed.as_bytes()).to_bytes())
        );
        writeln!(out, "{cf} {token}")?;
        count += 1;
    }
    println!("wrote {count} tokens");
    Ok(())
}
