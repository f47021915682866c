//! Resources as HTTP says: `HEAD` wherever `GET` is, `OPTIONS` answered with the methods, and
//! any other method a 405 problem with `Allow`. [`resource!`] builds such a resource.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::problem::ApiError;

/// The `Allow` value of a resource with `methods` (upper case; `HEAD` follows `GET`, `OPTIONS`
/// is always there).
pub(crate) fn allow(methods: &[&str]) -> String {
    let mut all: Vec<&str> = Vec::new();
    for method in methods {
        all.push(method);
        if *method == "GET" {
            all.push("HEAD");
        }
    }
    all.push("OPTIONS");
    all.join(", ")
}

/// What a resource answers to a method it has no route for: `OPTIONS` → 204, else 405.
pub(crate) async fn fallback(request: HttpRequest, allow: &'static str) -> HttpResponse {
    let mut response = if request.method() == actix_web::http::Method::OPTIONS {
        HttpResponse::NoContent().finish()
    } else {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed here; use {allow}", request.method()),
        )
        .error_response()
    };
    response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// `resource!("/path", get => handler, put => other)`: the resource with those routes, `HEAD`
/// for `GET`, and [`fallback`] for every other method.
macro_rules! resource {
    ($path:expr, $($method:ident => $handler:expr),+ $(,)?) => {{
        static ALLOW: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let allow: &'static str =
            ALLOW.get_or_init(|| $crate::routing::allow(&[$(&stringify!($method).to_uppercase()),+]));
        let resource = actix_web::web::resource($path);
        $( let resource = $crate::routing::resource!(@route resource, $method, $handler); )+
        resource.default_service(actix_web::web::to(move |request: actix_web::HttpRequest| {
            $crate::routing::fallback(request, allow)
        }))
    }};
    (@route $resource:ident, get, $handler:expr) => {
        $resource.route(actix_web::web::get().to($handler)).route(actix_web::web::head().to($handler))
    };
    (@route $resource:ident, $method:ident, $handler:expr) => {
        $resource.route(actix_web::web::$method().to($handler))
    };
}
pub(crate) use resource;
