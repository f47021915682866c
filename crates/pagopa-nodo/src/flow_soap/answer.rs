//! Reading the Node's answers: the response element inside the envelope (or its SOAP
//! `Fault`), a `fault` bean, the list of flows and the base64 flow.

use super::*;

/// The element inside the envelope's `Body`: the response of `call`, or a SOAP `Fault` (an
/// error).
pub(super) fn response_element(call: NodoCall, envelope: &Element) -> Result<&Element, NodoError> {
    let problem = |problem: String| NodoError::Answer { call, problem };
    if envelope.name != "Envelope" || envelope.namespace.as_deref() != Some(SOAP_ENVELOPE_NS) {
        return Err(problem(format!("<{}> is not a SOAP 1.1 envelope", envelope.name)));
    }
    let body = envelope
        .children
        .iter()
        .find(|c| c.name == "Body" && c.namespace.as_deref() == Some(SOAP_ENVELOPE_NS))
        .ok_or_else(|| problem("the envelope has no Body".into()))?;
    let [element] = body.children.as_slice() else {
        return Err(problem(format!(
            "the Body holds {} elements, not one",
            body.children.len()
        )));
    };
    if element.name == "Fault" && element.namespace.as_deref() == Some(SOAP_ENVELOPE_NS) {
        let text = |name: &str| element.child(name).map(|c| c.value().to_owned()).unwrap_or_default();
        return Err(NodoError::SoapFault {
            call,
            code: text("faultcode"),
            string: text("faultstring"),
        });
    }
    if element.name != call.response_element() || element.namespace.as_deref() != Some(NODE_FOR_PA_NS) {
        let namespace = element.namespace.as_deref().unwrap_or("no namespace");
        return Err(problem(format!(
            "the Body holds <{}> in {namespace}, not <{}> in {NODE_FOR_PA_NS}",
            element.name,
            call.response_element()
        )));
    }
    let mut seq = element.sequence(call.response_element()).map_err(|e| problem(e.0))?;
    if let Some(fault) = seq.optional("fault").map_err(|e| problem(e.0))? {
        let fault = fault_bean(fault, &seq.path_of("fault")).map_err(|e| problem(e.0))?;
        return Err(NodoError::Fault { call, fault });
    }
    Ok(element)
}

/// `ctFaultBean`.
fn fault_bean(element: &Element, path: &str) -> Result<NodoFault, XmlError> {
    let mut seq = element.sequence(path)?;
    let code = seq.text("faultCode")?.to_owned();
    let string = seq.text("faultString")?.to_owned();
    seq.text("id")?;
    let description = seq.optional_text("description")?.map(str::to_owned);
    for optional in [
        "serial",
        "originalFaultCode",
        "originalFaultString",
        "originalDescription",
    ] {
        seq.optional_text(optional)?;
    }
    seq.end()?;
    Ok(NodoFault {
        code,
        string,
        description,
    })
}

/// After the (absent) `fault`: `elencoFlussiRendicontazione?` (`totRestituiti`,
/// `idRendicontazione*`, a nil one skipped).
pub(super) fn read_list(answer: &Element) -> Result<Vec<(FlowId, DateTime<Utc>)>, XmlError> {
    let root = NodoCall::ListFlows.response_element();
    let mut seq = answer.sequence(root)?;
    seq.optional("fault")?;
    let path = seq.path_of("elencoFlussiRendicontazione");
    let Some(list) = seq.optional("elencoFlussiRendicontazione")? else {
        seq.end()?;
        return Ok(Vec::new());
    };
    seq.end()?;
    let mut items = list.sequence(&path)?;
    let total_path = items.path_of("totRestituiti");
    let total = items.text("totRestituiti")?;
    total
        .parse::<i32>()
        .map_err(|_| XmlError::at(&total_path, format!("{total:?} is not an int")))?;
    let entries = items.repeated("idRendicontazione", 0, usize::MAX)?;
    let entry_path = items.path_of("idRendicontazione");
    items.end()?;
    let mut flows = Vec::with_capacity(entries.len());
    for (n, entry) in entries.into_iter().enumerate() {
        if entry.children.is_empty() && entry.value().is_empty() {
            continue; // xsi:nil
        }
        let path = format!("{entry_path}[{}]", n + 1);
        let mut fields = entry.sequence(&path)?;
        let id_path = fields.path_of("identificativoFlusso");
        let id = fields.text("identificativoFlusso")?;
        let id: FlowId = id.parse().map_err(|e| XmlError::at(&id_path, e))?;
        let date_path = fields.path_of("dataOraFlusso");
        let raw = fields.text("dataOraFlusso")?;
        let date = time::parse_date_time(raw)
            .ok_or_else(|| XmlError::at(&date_path, format!("{raw:?} is not a date and time")))?;
        fields.end()?;
        flows.push((id, date));
    }
    Ok(flows)
}

/// After the (absent) `fault`: `xmlRendicontazione`, required here (optional in the schema,
/// for the faults).
pub(super) fn read_flow(answer: &Element) -> Result<&str, XmlError> {
    let mut seq: Sequence<'_> = answer.sequence(NodoCall::Flow.response_element())?;
    seq.optional("fault")?;
    let encoded = seq.text("xmlRendicontazione")?;
    seq.end()?;
    Ok(encoded)
}
