//! The printed texts of a notice, in Italian and, for bilingual Enti, Italian with German.

use pagopa_domain::NoticeLanguage;

/// Every fixed text of a notice.
#[derive(Clone, Debug)]
pub(crate) struct Labels {
    pub(crate) title: String,
    pub(crate) creditor: String,
    pub(crate) recipient: String,
    pub(crate) how_much: String,
    pub(crate) where_to_pay: String,
    pub(crate) go_to: String,
    pub(crate) amount: String,
    pub(crate) by: String,
    pub(crate) by_capital: String,
    pub(crate) euro: String,
    pub(crate) whole_or_instalments: String,
    pub(crate) instalments_only: String,
    pub(crate) amount_may_change: String,
    pub(crate) app_title: String,
    pub(crate) app_text: String,
    pub(crate) territory_title: String,
    pub(crate) territory_text: String,
    pub(crate) payment_data: String,
    pub(crate) single_solution: String,
    pub(crate) instalment: String,
    pub(crate) of: String,
    pub(crate) recipient_short: String,
    pub(crate) creditor_short: String,
    pub(crate) subject: String,
    pub(crate) scan_beside: String,
    pub(crate) scan_above: String,
    pub(crate) cbill: String,
    pub(crate) notice_code: String,
    pub(crate) ente_fiscal_code: String,
    pub(crate) postal_title: String,
    pub(crate) postal_account: String,
    pub(crate) holder: String,
    pub(crate) postal_subject: String,
    pub(crate) postal_text: String,
    pub(crate) kind: String,
    pub(crate) creditor_fiscal_code: String,
    pub(crate) postal_too_large: String,
}

/// The labels for a notice in Italian, or Italian and `second` side by side.
pub(crate) fn labels(second: Option<NoticeLanguage>) -> Labels {
    let de = matches!(second, Some(NoticeLanguage::De));
    let l = |it: &str, german: &str| {
        if de { format!("{it} / {german}") } else { it.to_owned() }
    };
    // Running texts go one under the other rather than side by side.
    let p = |it: &str, german: &str| {
        if de { format!("{it}\n{german}") } else { it.to_owned() }
    };
    Labels {
        title: l("AVVISO DI PAGAMENTO", "ZAHLUNGSAUFFORDERUNG"),
        creditor: l("ENTE CREDITORE", "GLÄUBIGERKÖRPERSCHAFT"),
        recipient: l("DESTINATARIO", "EMPFÄNGER"),
        how_much: l("QUANTO E QUANDO PAGARE?", "WIE VIEL UND WANN ZAHLEN?"),
        where_to_pay: l("DOVE PAGARE?", "WO ZAHLEN?"),
        go_to: l("vai su", "siehe"),
        amount: l("Importo", "Betrag"),
        by: l("entro il", "bis zum"),
        by_capital: l("Entro il", "Bis zum"),
        euro: "Euro".to_owned(),
        whole_or_instalments: p(
            "Puoi pagare per intero oppure in {n} rate",
            "Sie können den Gesamtbetrag oder in {n} Raten zahlen",
        ),
        instalments_only: p("Puoi pagare in {n} rate", "Sie können in {n} Raten zahlen"),
        amount_may_change: p(
            "In fase di pagamento, se previsto dall'ente, l'importo potrebbe essere aggiornato \
             automaticamente e subire variazioni in diminuzione (per sgravi, note di credito) o in \
             aumento (per sanzioni, interessi, ecc.).",
            "Bei der Zahlung kann der Betrag, sofern von der Körperschaft vorgesehen, automatisch \
             aktualisiert werden und sich verringern (durch Erlässe, Gutschriften) oder erhöhen \
             (durch Strafen, Zinsen usw.).",
        ),
        app_title: l("PAGA CON L'APP IO", "MIT DER APP IO ZAHLEN"),
        app_text: p(
            "oppure sul sito dell'ente, dal tuo Home Banking, con la tua app di pagamento o con gli \
             altri canali abilitati.",
            "oder auf der Website der Körperschaft, über Ihr Home Banking, mit Ihrer Zahlungs-App \
             oder über die anderen zugelassenen Kanäle.",
        ),
        territory_title: l("PAGA SUL TERRITORIO", "VOR ORT ZAHLEN"),
        territory_text: p(
            "presso Banche e Sportelli ATM, negli Uffici Postali e Punti Postali, nei Bar, Edicole, \
             Ricevitorie, Supermercati, Tabaccherie e altri Esercenti Convenzionati.",
            "bei Banken und Geldautomaten, in Postämtern und Poststellen, in Bars, Zeitungskiosken, \
             Annahmestellen, Supermärkten, Tabakläden und anderen angeschlossenen Geschäften.",
        ),
        payment_data: l("DATI PER IL PAGAMENTO", "ZAHLUNGSDATEN"),
        single_solution: l("Rata unica", "Einmalzahlung"),
        instalment: l("Rata", "Rate"),
        of: l("di", "von"),
        recipient_short: l("Destinatario", "Empfänger"),
        creditor_short: l("Ente creditore", "Gläubigerkörperschaft"),
        subject: l("Oggetto del pagamento", "Zahlungsgrund"),
        scan_beside: p(
            "Inquadra il codice QR con la tua app di pagamento o usa i dati accanto.",
            "Scannen Sie den QR-Code mit Ihrer Zahlungs-App oder verwenden Sie die Daten daneben.",
        ),
        scan_above: p(
            "Inquadra il codice QR con la tua app di pagamento o usa i dati sopra",
            "Scannen Sie den QR-Code mit Ihrer Zahlungs-App oder verwenden Sie die Daten oben",
        ),
        cbill: l("Cod. CBILL", "CBILL-Kodex"),
        notice_code: l("Cod. Avviso", "Kodex der Zahlungsaufforderung"),
        ente_fiscal_code: l("Cod. Fiscale Ente", "Steuernummer der Körperschaft"),
        postal_title: l("BOLLETTINO POSTALE PA", "POSTERLAGSCHEIN PA"),
        postal_account: l("sul C/C n.", "auf das K/K Nr."),
        holder: l("Intestato a", "Lautend auf"),
        postal_subject: l("Oggetto pagamento", "Zahlungsgrund"),
        postal_text: p(
            "Bollettino Postale pagabile in tutti gli Uffici Postali e sui canali fisici o digitali \
             abilitati di Poste Italiane e dell'Ente Creditore",
            "Posterlagschein zahlbar in allen Postämtern und über die physischen oder digitalen \
             Kanäle von Poste Italiane und der Gläubigerkörperschaft",
        ),
        kind: l("Tipo", "Art"),
        creditor_fiscal_code: l("Cod. Fiscale Ente Creditore", "Steuernummer der Gläubigerkörperschaft"),
        postal_too_large: p(
            "L'importo supera il massimo del Bollettino Postale PA (99.999.999,99 Euro): paga con i \
             canali pagoPA indicati sopra.",
            "Der Betrag übersteigt das Maximum des Posterlagscheins PA (99.999.999,99 Euro): zahlen \
             Sie über die oben genannten pagoPA-Kanäle.",
        ),
    }
}
