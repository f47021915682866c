//! The spontaneous catalogue: services a citizen can pay on their own initiative, each with a
//! form and a rule that prices it.

mod decimal;
mod form;
mod formula;
mod service;

pub use decimal::{Decimal, DecimalError};
pub use form::{
    Choice, Field, FieldError, FieldKind, FieldName, FieldNameError, FieldProblem, FieldValue, Form, FormValues,
    Pattern, PatternError,
};
pub use formula::{Formula, FormulaError};
pub use service::{
    AccountTemplate, AmountRule, CatalogueError, PriceEntry, PricingError, Share, SpontaneousService, TransferTemplate,
    render_template,
};
