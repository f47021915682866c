//! The carts request of Checkout's `POST /checkout/ec/v{1,2}/carts`, validated as the OpenAPI
//! (`checkout_v2.json`) and the implementing service do.

use serde_json::{Map, Value};

use crate::report::PaymentReport;

/// The carts API version a request came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// `/checkout/ec/v1/carts`: `returnWaitingUrl` optional.
    V1,
    /// `/checkout/ec/v2/carts`: `returnWaitingUrl` required.
    V2,
}

/// A notice of a cart, as received (Checkout checks only the shapes; the Node checks the rest).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CartNotice {
    /// `noticeNumber`: 18 digits.
    pub notice_number: String,
    /// `fiscalCode`: 11 digits.
    pub fiscal_code: String,
    /// `amount`, in euro cents.
    pub amount: u64,
    /// `companyName`.
    pub company_name: String,
    /// `description`.
    pub description: String,
}

/// `returnUrls`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnUrls {
    /// `returnOkUrl`.
    pub ok: String,
    /// `returnCancelUrl`.
    pub cancel: String,
    /// `returnErrorUrl`.
    pub error: String,
    /// `returnWaitingUrl` (required in v2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<String>,
}

/// A valid carts request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CartRequest {
    /// `paymentNotices` (1..5).
    pub notices: Vec<CartNotice>,
    /// `returnUrls`.
    pub return_urls: ReturnUrls,
    /// `emailNotice`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `idCart`: echoed as `paymentNote` in the activations and receipts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_cart: Option<String>,
    /// `allCCP`: activations ask for `transferType` POSTAL.
    pub all_ccp: bool,
}

impl CartRequest {
    /// The total, in cents.
    pub fn total_cents(&self) -> u64 {
        self.notices.iter().map(|n| n.amount).sum()
    }
}

/// Why a carts request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CartRejection {
    /// 400: formally invalid.
    #[error("{0}")]
    Invalid(String),
    /// 422: well formed but not acceptable (the same notice twice).
    #[error("{0}")]
    Unprocessable(String),
}

impl CartRejection {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::Unprocessable(_) => 422,
        }
    }
}

fn invalid(detail: impl Into<String>) -> CartRejection {
    CartRejection::Invalid(detail.into())
}

fn digits(value: &str, count: usize) -> bool {
    value.len() == count && value.bytes().all(|b| b.is_ascii_digit())
}

fn string<'a>(object: &'a Map<String, Value>, name: &str, path: &str) -> Result<Option<&'a str>, CartRejection> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{path}{name} must be a string"))),
    }
}

fn required<'a>(object: &'a Map<String, Value>, name: &str, path: &str) -> Result<&'a str, CartRejection> {
    string(object, name, path)?.ok_or_else(|| invalid(format!("{path}{name} is required")))
}

fn url(object: &Map<String, Value>, name: &str, needed: bool) -> Result<Option<String>, CartRejection> {
    let path = "returnUrls.";
    let value = if needed {
        Some(required(object, name, path)?)
    } else {
        string(object, name, path)?
    };
    match value {
        Some(v) if v.trim().is_empty() || v.chars().any(char::is_whitespace) => {
            Err(invalid(format!("{path}{name} must be a URI")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

fn notice(index: usize, value: &Value) -> Result<CartNotice, CartRejection> {
    let path = format!("paymentNotices[{index}].");
    let object = value
        .as_object()
        .ok_or_else(|| invalid(format!("paymentNotices[{index}] must be an object")))?;
    let notice_number = required(object, "noticeNumber", &path)?;
    if !digits(notice_number, 18) {
        return Err(invalid(format!("{path}noticeNumber must be 18 digits")));
    }
    let fiscal_code = required(object, "fiscalCode", &path)?;
    if !digits(fiscal_code, 11) {
        return Err(invalid(format!("{path}fiscalCode must be 11 digits")));
    }
    let amount = match object.get("amount") {
        None | Some(Value::Null) => return Err(invalid(format!("{path}amount is required"))),
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|a| *a >= 1)
            .ok_or_else(|| invalid(format!("{path}amount must be an integer number of cents, at least 1")))?,
        Some(_) => return Err(invalid(format!("{path}amount must be an integer"))),
    };
    if amount > 99_999_999_999 {
        return Err(invalid(format!("{path}amount exceeds 999999999.99 EUR")));
    }
    let company_name = required(object, "companyName", &path)?;
    let description = required(object, "description", &path)?;
    for (name, text) in [("companyName", company_name), ("description", description)] {
        if text.chars().count() > 140 {
            return Err(invalid(format!("{path}{name} is longer than 140 characters")));
        }
    }
    Ok(CartNotice {
        notice_number: notice_number.to_owned(),
        fiscal_code: fiscal_code.to_owned(),
        amount,
        company_name: company_name.to_owned(),
        description: description.to_owned(),
    })
}

/// Validates a carts request body.
pub fn validate(body: &[u8], version: ApiVersion) -> Result<CartRequest, CartRejection> {
    let value: Value = serde_json::from_slice(body).map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object"))?;
    let notices = match object.get("paymentNotices") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid("paymentNotices must be an array")),
        None => return Err(invalid("paymentNotices is required")),
    };
    if notices.is_empty() || notices.len() > 5 {
        return Err(invalid(format!(
            "paymentNotices must hold 1 to 5 notices, not {}",
            notices.len()
        )));
    }
    let notices = notices
        .iter()
        .enumerate()
        .map(|(i, v)| notice(i, v))
        .collect::<Result<Vec<_>, _>>()?;
    let urls = match object.get("returnUrls") {
        Some(Value::Object(urls)) => urls,
        Some(_) => return Err(invalid("returnUrls must be an object")),
        None => return Err(invalid("returnUrls is required")),
    };
    let return_urls = ReturnUrls {
        ok: url(urls, "returnOkUrl", true)?.unwrap_or_default(),
        cancel: url(urls, "returnCancelUrl", true)?.unwrap_or_default(),
        error: url(urls, "returnErrorUrl", true)?.unwrap_or_default(),
        waiting: url(urls, "returnWaitingUrl", version == ApiVersion::V2)?,
    };
    let email = string(object, "emailNotice", "")?;
    if let Some(email) = email {
        let well_formed = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !email.contains(' '));
        if !well_formed {
            return Err(invalid("emailNotice must be an e-mail address"));
        }
    }
    let id_cart = string(object, "idCart", "")?;
    let all_ccp = match object.get("allCCP") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        // The OpenAPI example itself writes "false": accept the string forms too.
        Some(Value::String(s)) if s == "true" || s == "false" => s == "true",
        Some(_) => return Err(invalid("allCCP must be a boolean")),
    };
    for (i, a) in notices.iter().enumerate() {
        if notices[..i]
            .iter()
            .any(|b| a.notice_number == b.notice_number && a.fiscal_code == b.fiscal_code)
        {
            return Err(CartRejection::Unprocessable(format!(
                "notice {}/{} appears more than once in the cart",
                a.fiscal_code, a.notice_number
            )));
        }
    }
    Ok(CartRequest {
        notices,
        return_urls,
        email: email.map(str::to_owned),
        id_cart: id_cart.map(str::to_owned),
        all_ccp,
    })
}

/// Where a cart is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CartState {
    /// Created, the citizen has not chosen yet.
    Pending,
    /// Being paid or cancelled right now.
    InProgress,
    /// Every notice paid and every receipt answered OK.
    Paid,
    /// A step failed (before or after the money was taken: see the reports).
    Failed,
    /// Cancelled on the Checkout page after the activations: no receipts.
    Cancelled,
}

impl CartState {
    /// The Italian label shown on the page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "in attesa di pagamento",
            Self::InProgress => "pagamento in corso",
            Self::Paid => "pagato",
            Self::Failed => "non riuscito",
            Self::Cancelled => "annullato",
        }
    }
}

/// A cart the simulator holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimCart {
    /// The simulator's id, in the Checkout URL.
    pub id: String,
    /// The API version it came through.
    pub version: ApiVersion,
    /// The request.
    #[serde(flatten)]
    pub request: CartRequest,
    /// Where it is.
    pub state: CartState,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// One report per notice, once paid or cancelled.
    pub reports: Vec<PaymentReport>,
    /// Where the browser was (or would be) sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body() -> Value {
        json!({
            "paymentNotices": [{
                "noticeNumber": "305260100000471130",
                "fiscalCode": "80012345676",
                "amount": 24570,
                "companyName": "Comune di Valdesempio",
                "description": "TARI 2026 saldo"
            }],
            "returnUrls": {
                "returnOkUrl": "https://fe.example.it/ok",
                "returnCancelUrl": "https://fe.example.it/cancel",
                "returnErrorUrl": "https://fe.example.it/error",
                "returnWaitingUrl": "https://fe.example.it/waiting"
            },
            "emailNotice": "giuseppe.verdi@example.it",
            "idCart": "cart-1",
            "allCCP": false
        })
    }

    fn check(value: &Value, version: ApiVersion) -> Result<CartRequest, CartRejection> {
        validate(value.to_string().as_bytes(), version)
    }

    #[test]
    fn a_good_cart_is_read() {
        let cart = check(&body(), ApiVersion::V2).unwrap();
        assert_eq!(cart.total_cents(), 24_570);
        assert_eq!(cart.id_cart.as_deref(), Some("cart-1"));
        assert_eq!(
            cart.return_urls.waiting.as_deref(),
            Some("https://fe.example.it/waiting")
        );
        let mut v1 = body();
        v1["returnUrls"].as_object_mut().unwrap().remove("returnWaitingUrl");
        v1["allCCP"] = json!("true");
        let cart = check(&v1, ApiVersion::V1).unwrap();
        assert!(cart.all_ccp);
        assert!(check(&v1, ApiVersion::V2).is_err());
    }

    #[test]
    fn bad_carts_are_refused_with_a_reason() {
        type Change = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|b| b["paymentNotices"] = json!([])), "1 to 5"),
            (
                Box::new(|b| {
                    let one = b["paymentNotices"][0].clone();
                    b["paymentNotices"] = json!([one.clone(), one.clone(), one.clone(), one.clone(), one.clone(), one]);
                }),
                "1 to 5",
            ),
            (
                Box::new(|b| b["paymentNotices"][0]["noticeNumber"] = json!("12345")),
                "noticeNumber",
            ),
            (
                Box::new(|b| b["paymentNotices"][0]["fiscalCode"] = json!("8001234567A")),
                "fiscalCode",
            ),
            (Box::new(|b| b["paymentNotices"][0]["amount"] = json!(0)), "amount"),
            (Box::new(|b| b["paymentNotices"][0]["amount"] = json!(12.5)), "amount"),
            (Box::new(|b| b["paymentNotices"][0]["amount"] = json!("100")), "amount"),
            (
                Box::new(|b| b["paymentNotices"][0]["description"] = json!("x".repeat(141))),
                "description",
            ),
            (
                Box::new(|b| {
                    b["paymentNotices"][0].as_object_mut().unwrap().remove("companyName");
                }),
                "companyName is required",
            ),
            (
                Box::new(|b| {
                    b["returnUrls"].as_object_mut().unwrap().remove("returnWaitingUrl");
                }),
                "returnWaitingUrl",
            ),
            (Box::new(|b| b["returnUrls"]["returnOkUrl"] = json!("")), "returnOkUrl"),
            (Box::new(|b| b["emailNotice"] = json!("not-an-email")), "emailNotice"),
            (Box::new(|b| b["allCCP"] = json!(3)), "allCCP"),
        ];
        for (change, expected) in cases {
            let mut b = body();
            change(&mut b);
            match check(&b, ApiVersion::V2) {
                Err(CartRejection::Invalid(detail)) => assert!(detail.contains(expected), "{detail} / {expected}"),
                other => panic!("{expected}: {other:?}"),
            }
        }
        assert!(matches!(validate(b"{", ApiVersion::V2), Err(CartRejection::Invalid(_))));
    }

    #[test]
    fn the_same_notice_twice_is_unprocessable() {
        let mut b = body();
        let one = b["paymentNotices"][0].clone();
        b["paymentNotices"] = json!([one.clone(), one]);
        let rejection = check(&b, ApiVersion::V2).unwrap_err();
        assert_eq!(rejection.status(), 422);
    }
}
