//! The flows over the Node's SOAP interface for stations not yet on REST (`nodeForPa.wsdl`):
//! `nodoChiediElencoFlussiRendicontazione` lists the latest revision of each flow of the
//! `identificativoDominio`, `nodoChiediFlussoRendicontazione` gives one as the base64
//! `FlussoRiversamento` (`pagopa_nodo::flow_xml::encode`). Served at [`SOAP_PATH`]; the
//! operation is the `SOAPAction`, or the request element when the header is absent. A flow
//! not published is the fault `PPT_ID_FLUSSO_SCONOSCIUTO`; a request without a password is
//! `PPT_AUTENTICAZIONE`.

use std::fmt::Write as _;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

use super::FlowDesk;

/// Where the SOAP interface is served: point the back end's `reconciliation.soap.base_url` at
/// `http://<sim address>/nodo-auth/node-for-pa/v1`.
pub const SOAP_PATH: &str = "/nodo-auth/node-for-pa/v1";

const SOAP_ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
const NODE_FOR_PA_NS: &str = "http://ws.pagamenti.telematici.gov/";
const LIST: &str = "nodoChiediElencoFlussiRendicontazione";
const FETCH: &str = "nodoChiediFlussoRendicontazione";

/// Mounts the SOAP interface.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(SOAP_PATH, web::post().to(answer));
}

/// The text of the first element named `name` (any prefix), if any.
fn leaf<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let end = rest.find('>')?;
        let tag = &rest[..end];
        let local = tag.rsplit(':').next().unwrap_or(tag);
        if local == name {
            let text = &rest[end + 1..];
            let close = text.find("</")?;
            return Some(text[..close].trim());
        }
    }
    None
}

fn envelope(element: &str, content: &str) -> HttpResponse {
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENVELOPE_NS}" xmlns:ppt="{NODE_FOR_PA_NS}"><soapenv:Header/><soapenv:Body><ppt:{element}>{content}</ppt:{element}></soapenv:Body></soapenv:Envelope>"#
    ))
}

fn fault(element: &str, code: &str, description: &str) -> HttpResponse {
    envelope(
        element,
        &format!(
            "<fault><faultCode>{code}</faultCode><faultString>{code}</faultString><id>NodoDeiPagamentiSPC</id><description>{}</description></fault>",
            escape(description)
        ),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

async fn answer(request: HttpRequest, body: web::Bytes, desk: web::Data<FlowDesk>) -> HttpResponse {
    let body = String::from_utf8_lossy(&body);
    let action = request
        .headers()
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| {
            if body.contains(FETCH) {
                FETCH.into()
            } else {
                LIST.into()
            }
        });
    let response = format!("{action}Risposta");
    if action != LIST && action != FETCH {
        return HttpResponse::BadRequest().body(format!("unknown SOAPAction {action:?}"));
    }
    if leaf(&body, "password").is_none_or(str::is_empty) {
        return fault(&response, "PPT_AUTENTICAZIONE", "password mancante");
    }
    let Some(ente) = leaf(&body, "identificativoDominio") else {
        return fault(&response, "PPT_SINTASSI_EXTRAXSD", "identificativoDominio mancante");
    };
    let flows = desk.latest(ente);
    if action == LIST {
        let mut content = format!(
            "<elencoFlussiRendicontazione><totRestituiti>{}</totRestituiti>",
            flows.len()
        );
        for published in &flows {
            let _ = write!(
                content,
                "<idRendicontazione><identificativoFlusso>{}</identificativoFlusso><dataOraFlusso>{}</dataOraFlusso></idRendicontazione>",
                published.flow.key.flow_id,
                published
                    .flow
                    .flow_date
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
        }
        content.push_str("</elencoFlussiRendicontazione>");
        return envelope(&response, &content);
    }
    let Some(flow_id) = leaf(&body, "identificativoFlusso") else {
        return fault(&response, "PPT_SINTASSI_EXTRAXSD", "identificativoFlusso mancante");
    };
    match flows.iter().find(|p| p.flow.key.flow_id.as_str() == flow_id) {
        Some(published) => {
            let xml = pagopa_nodo::flow_xml::encode(&published.flow);
            let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
            envelope(
                &response,
                &format!("<xmlRendicontazione>{encoded}</xmlRendicontazione>"),
            )
        }
        None => fault(
            &response,
            "PPT_ID_FLUSSO_SCONOSCIUTO",
            &format!("flusso {flow_id} sconosciuto"),
        ),
    }
}
