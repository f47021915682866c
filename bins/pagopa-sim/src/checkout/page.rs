//! The simulated Checkout page: plain HTML, no script, no external assets.

use std::fmt::Write;

use super::cart::{CartState, SimCart};

/// Escapes text for HTML content and attribute values.
pub fn html_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Euro cents in the Italian form: `1.234,50 €`.
pub fn euro(cents: u64) -> String {
    let euros = (cents / 100).to_string();
    let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
    for (index, digit) in euros.chars().enumerate() {
        if index > 0 && (euros.len() - index).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    format!("{grouped},{:02} €", cents % 100)
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f2f5f8;color:#17324d}\
main{max-width:46rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:.5rem}\
h1{font-size:1.4rem;color:#0066cc}table{width:100%;border-collapse:collapse;margin:1rem 0}\
th,td{text-align:left;padding:.4rem;border-bottom:1px solid #d9dadb}td.amount,th.amount{text-align:right}\
form{display:inline-block;margin-right:1rem}button{font-size:1rem;padding:.6rem 1.6rem;border-radius:.3rem;\
border:1px solid #0066cc;cursor:pointer}button.pay{background:#0066cc;color:#fff}button.cancel{background:#fff;\
color:#0066cc}.note{color:#5c6f82;font-size:.9rem}";

/// The page of `cart`: its notices and total, and the Paga / Annulla buttons while it is pending.
pub fn render(cart: &SimCart) -> String {
    let id = html_escape(&cart.id);
    let mut rows = String::new();
    for notice in &cart.request.notices {
        // Writing to a String cannot fail.
        let _ = write!(
            rows,
            "<tr><td>{}<br><span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
            html_escape(&notice.company_name),
            html_escape(&notice.fiscal_code),
            html_escape(&notice.notice_number),
            html_escape(&notice.description),
            euro(notice.amount),
        );
    }
    let actions = if cart.state == CartState::Pending {
        format!(
            "<form method=\"post\" action=\"/checkout/pay/{id}\"><button class=\"pay\" type=\"submit\">Paga {}</button></form>\
             <form method=\"post\" action=\"/checkout/pay/{id}/cancel\"><button class=\"cancel\" type=\"submit\">Annulla</button></form>",
            euro(cart.request.total_cents()),
        )
    } else {
        let back = cart
            .return_url
            .as_deref()
            .map(|url| format!(" <a href=\"{}\">Torna al sito dell'ente</a>", html_escape(url)))
            .unwrap_or_default();
        format!(
            "<p>Stato del carrello: <strong>{}</strong>.{back}</p>",
            cart.state.label()
        )
    };
    let email = cart
        .request
        .email
        .as_deref()
        .map(|e| format!("<p class=\"note\">La ricevuta sarà inviata a {}.</p>", html_escape(e)))
        .unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"it\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>pagoPA Checkout (simulatore) - carrello {id}</title><style>{STYLE}</style></head>\
         <body><main><h1>pagoPA Checkout <span class=\"note\">(simulatore)</span></h1>\
         <p>Carrello <code>{id}</code>: {count} avvis{plural}.</p>\
         <table><thead><tr><th>Ente</th><th>Codice avviso</th><th>Descrizione</th><th class=\"amount\">Importo</th></tr></thead>\
         <tbody>{rows}</tbody><tfoot><tr><th colspan=\"3\">Totale</th><th class=\"amount\">{total}</th></tr></tfoot></table>\
         {email}{actions}\
         <p class=\"note\">Pagamento simulato con Banca Esempio S.p.A.: nessun addebito reale.</p></main></body></html>\n",
        count = cart.request.notices.len(),
        plural = if cart.request.notices.len() == 1 { "o" } else { "i" },
        total = euro(cart.request.total_cents()),
    )
}

/// A small page for a cart that does not exist.
pub fn not_found(id: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"it\"><head><meta charset=\"utf-8\"><title>Carrello non trovato</title></head>\
         <body><main><h1>Carrello non trovato</h1><p>Il carrello <code>{}</code> non esiste.</p></main></body></html>\n",
        html_escape(id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_text_are_written_safely() {
        assert_eq!(euro(24_570), "245,70 €");
        assert_eq!(euro(123_456_789), "1.234.567,89 €");
        assert_eq!(euro(5), "0,05 €");
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
