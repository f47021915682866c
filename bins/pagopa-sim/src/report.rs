//! What a simulated payment did, step by step: for people (`Display`) and for tests (JSON).

use std::fmt;
use std::time::Duration;

use pagopa_nodo::soap::Operation;

use crate::node_client::{CallError, Exchange};

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `outcome` OK.
    Ok,
    /// `outcome` KO, with a fault.
    Ko,
    /// No answer within the timeout.
    Timeout,
    /// No usable answer: connection error, SOAP Fault, HTTP error page, wrong element.
    Error,
}

impl Outcome {
    /// `OK`, `KO`, `TIMEOUT`, `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Ko => "KO",
            Self::Timeout => "TIMEOUT",
            Self::Error => "ERROR",
        }
    }
}

/// What a step should answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// `outcome` OK.
    Ok,
    /// KO with this fault code.
    Fault(String),
    /// OK, or KO with this fault code.
    OkOrFault(String),
    /// Anything (a call made to provoke a timeout).
    Any,
}

impl Expect {
    fn describe(&self) -> String {
        match self {
            Self::Ok => "OK".into(),
            Self::Fault(code) => format!("KO {code}"),
            Self::OkOrFault(code) => format!("OK or KO {code}"),
            Self::Any => "any".into(),
        }
    }

    fn met(&self, outcome: Outcome, fault: Option<&str>) -> bool {
        match self {
            Self::Ok => outcome == Outcome::Ok,
            Self::Fault(code) => outcome == Outcome::Ko && fault == Some(code.as_str()),
            Self::OkOrFault(code) => outcome == Outcome::Ok || (outcome == Outcome::Ko && fault == Some(code.as_str())),
            Self::Any => true,
        }
    }
}

/// One call of a flow.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StepReport {
    /// What the step was for: `verify`, `activate`, `receipt`, `receipt (duplicate)`, …
    pub step: String,
    /// The operation (`SOAPAction`).
    pub operation: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The HTTP status, when an answer came.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// `faultCode` of a KO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_code: Option<String>,
    /// `fault/description` of a KO, or the error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Time from sending to the whole answer, in milliseconds.
    pub elapsed_ms: f64,
    /// What was expected, e.g. `OK` or `KO PAA_RECEIPT_DUPLICATA`.
    pub expected: String,
    /// Whether the answer was the expected one.
    pub as_expected: bool,
}

impl StepReport {
    /// The report of a call.
    pub fn of(step: &str, operation: Operation, result: &Result<Exchange, CallError>, expect: &Expect) -> Self {
        let (outcome, http_status, fault_code, detail, elapsed) = match result {
            Ok(exchange) => {
                let response = &exchange.response;
                let outcome = if response.ok { Outcome::Ok } else { Outcome::Ko };
                (
                    outcome,
                    Some(exchange.status),
                    response.fault_code.clone(),
                    response.fault_description.clone(),
                    exchange.elapsed,
                )
            }
            Err(error) => {
                let outcome = if error.is_timeout() {
                    Outcome::Timeout
                } else {
                    Outcome::Error
                };
                let status = match error {
                    CallError::BadResponse { status, .. } => Some(*status),
                    _ => None,
                };
                (outcome, status, None, Some(error.to_string()), error.elapsed())
            }
        };
        Self {
            step: step.to_owned(),
            operation: operation.name().to_owned(),
            outcome,
            http_status,
            as_expected: expect.met(outcome, fault_code.as_deref()),
            fault_code,
            detail,
            elapsed_ms: millis(elapsed),
            expected: expect.describe(),
        }
    }
}

/// A duration in milliseconds, to the microsecond.
pub fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

/// A whole flow: a payment, a demand (and its payment), a resend.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PaymentReport {
    /// What was run: `modello 3`, `modello 3 [duplicate]`, `Stand-In`, `demand 90001`, `resend`, …
    pub scenario: String,
    /// The creditor Ente.
    pub ente: String,
    /// The notice, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The calls, in order.
    pub steps: Vec<StepReport>,
    /// The receipt sent (the first one, when several were).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_id: Option<String>,
    /// The amount paid or due, in cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<u64>,
    /// What else happened: waits, abandon, ids of extra receipts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why the flow stopped or failed, beyond unexpected steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Every step answered as expected and the flow ran to its end.
    pub success: bool,
    /// The whole flow, in milliseconds.
    pub elapsed_ms: f64,
}

impl PaymentReport {
    /// An empty report for `scenario`.
    pub fn new(scenario: impl Into<String>, ente: impl Into<String>) -> Self {
        Self {
            scenario: scenario.into(),
            ente: ente.into(),
            ..Self::default()
        }
    }

    /// Records `problem` (the first one wins).
    pub fn fail(&mut self, problem: impl Into<String>) {
        if self.problem.is_none() {
            self.problem = Some(problem.into());
        }
    }

    /// Sets `success` from the steps and the problem.
    pub fn conclude(&mut self, elapsed: Duration) {
        self.elapsed_ms = millis(elapsed);
        self.success = self.problem.is_none() && self.steps.iter().all(|s| s.as_expected);
    }
}

fn amount_text(cents: u64) -> String {
    format!("{}.{:02} EUR", cents / 100, cents % 100)
}

impl fmt::Display for PaymentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}: {}",
            self.scenario,
            self.ente,
            self.notice.as_deref().unwrap_or("-"),
            if self.success { "OK" } else { "FAILED" }
        )?;
        if let Some(cents) = self.amount_cents {
            write!(f, ", {}", amount_text(cents))?;
        }
        if let Some(id) = &self.receipt_id {
            write!(f, ", receipt {id}")?;
        }
        writeln!(f, " ({:.1} ms)", self.elapsed_ms)?;
        for step in &self.steps {
            let mut answer = step.outcome.as_str().to_owned();
            if let Some(code) = &step.fault_code {
                answer = format!("{answer} {code}");
            }
            write!(
                f,
                "  {:<24} {:<36} {:<30} {:>9.1} ms",
                step.operation, step.step, answer, step.elapsed_ms
            )?;
            if !step.as_expected {
                write!(f, "  UNEXPECTED (wanted {})", step.expected)?;
            }
            writeln!(f)?;
            if let Some(detail) = step.detail.as_ref().filter(|_| step.outcome != Outcome::Ok) {
                writeln!(f, "      {detail}")?;
            }
        }
        for note in &self.notes {
            writeln!(f, "  note: {note}")?;
        }
        if let Some(problem) = &self.problem {
            writeln!(f, "  problem: {problem}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_names_the_receipt_after_the_word_receipt() {
        let mut report = PaymentReport::new("modello 3 [duplicate, second-receipt]", "80012345676");
        report.notice = Some("305260100000471130".into());
        report.receipt_id = Some("0123456789abcdef0123456789abcdef".into());
        report.amount_cents = Some(24_570);
        report.conclude(Duration::from_millis(3));
        let text = report.to_string();
        let first = text.lines().next().unwrap();
        assert!(first.contains(": OK, 245.70 EUR"), "{first}");
        let after: Vec<&str> = first
            .split_whitespace()
            .skip_while(|w| !w.eq_ignore_ascii_case("receipt"))
            .collect();
        assert_eq!(
            after.get(1).map(|w| w.trim_end_matches(',')),
            Some("0123456789abcdef0123456789abcdef")
        );
    }
}
