//! Modello 1: starting a Checkout cart and following it to its outcome.

use chrono::Duration;

use crate::error::DomainError;
use crate::model::{Cart, CartId, CartItem, CartStatus, Email, ReturnUrls};
use crate::ports::{CheckoutCart, CheckoutNotice, Ports, StorageError};
use crate::value::{EnteId, FiscalCode, NoticeNumber};

/// A request to pay 1..5 notices through Checkout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartCart {
    /// The notices, each with its Ente.
    pub notices: Vec<(EnteId, NoticeNumber)>,
    /// The authenticated citizen, if any: only they can read the cart later.
    pub citizen: Option<FiscalCode>,
    /// Receipt e-mail for Checkout.
    pub email: Option<Email>,
    /// Where the browser returns.
    pub return_urls: ReturnUrls,
}

/// Checkout carts.
#[derive(Clone, Debug)]
pub struct CartPayments {
    ports: Ports,
    session_lifetime: Duration,
}

impl CartPayments {
    /// The Node's default payment-token lifetime, after which an unpaid cart is uncertain.
    pub const DEFAULT_SESSION_LIFETIME: Duration = Duration::minutes(30);

    /// The use case over `ports`, with the given payment-session lifetime.
    pub fn new(ports: Ports, session_lifetime: Duration) -> Self {
        Self {
            ports,
            session_lifetime,
        }
    }

    /// Checks every notice is payable and held by no open cart, stores the cart, asks Checkout to
    /// start it and returns it with the Checkout URL. If Checkout fails the cart is stored as
    /// `Failed` and the error returned.
    pub async fn start(&self, request: StartCart) -> Result<Cart, DomainError> {
        crate::model::cart::check_items(request.notices.iter().map(|(e, n)| (e, n)))?;
        let now = self.ports.clock.now();
        let mut items = Vec::with_capacity(request.notices.len());
        let mut all_ccp = true;
        for (ente_id, notice) in &request.notices {
            let ente = super::served_ente(&self.ports, ente_id).await?;
            let position = self
                .ports
                .positions
                .find_by_notice(ente_id, notice)
                .await?
                .ok_or_else(|| DomainError::UnknownNotice(notice.clone()))?;
            let option = position
                .payable_option_on(notice, now, self.ports.clock.today())
                .map_err(|e| DomainError::not_payable(notice, e))?;
            for holder in self.ports.carts.holding(ente_id, notice).await? {
                if self.refresh(holder).await?.status.holds_notices() {
                    return Err(DomainError::PaymentInProgress(notice.clone()));
                }
            }
            all_ccp &= option.all_postal();
            items.push(CartItem {
                ente: ente.id.clone(),
                notice_number: notice.clone(),
                amount: option.amount,
                company_name: ente.name.clone(),
                description: option.description.clone(),
            });
        }
        let cart = Cart::new(
            self.ports.ids.cart_id(),
            items,
            request.citizen,
            request.email,
            request.return_urls,
            now,
        )?;
        let mut cart = match self.ports.carts.insert(&cart).await {
            Ok(cart) => cart,
            // Another start took one of the notices between our check and our insert.
            Err(StorageError::Duplicate(_)) => {
                let mut held = None;
                for (ente, notice) in &request.notices {
                    if held.is_none() && !self.ports.carts.holding(ente, notice).await?.is_empty() {
                        held = Some(notice.clone());
                    }
                }
                let notice = held.or_else(|| request.notices.first().map(|(_, n)| n.clone()));
                return Err(match notice {
                    Some(notice) => DomainError::PaymentInProgress(notice),
                    None => DomainError::Conflict(format!("cart {}", cart.id)),
                });
            }
            Err(other) => return Err(other.into()),
        };
        let checkout = CheckoutCart {
            cart_id: cart.id.clone(),
            notices: cart
                .items
                .iter()
                .map(|i| CheckoutNotice {
                    notice_number: i.notice_number.clone(),
                    ente: i.ente.clone(),
                    amount: i.amount,
                    company_name: i.company_name.clone(),
                    description: i.description.clone(),
                })
                .collect(),
            return_urls: cart.return_urls.clone(),
            email: cart.email.clone(),
            all_ccp,
        };
        let result = self.ports.checkout.start_cart(&checkout).await;
        let now = self.ports.clock.now();
        match result {
            Ok(redirect) => {
                cart.checkout_url = Some(redirect.url);
                cart.transition(CartStatus::InProgress, now)?;
                Ok(self.ports.carts.update(&cart).await?)
            }
            Err(error) => {
                cart.failure = Some(error.to_string());
                cart.transition(CartStatus::Failed, now)?;
                self.ports.carts.update(&cart).await?;
                Err(error.into())
            }
        }
    }

    /// A cart's status, brought up to date from the receipts (the browser's return never decides
    /// it). With `citizen`, a cart started by someone else is reported as not found.
    pub async fn status(&self, id: &CartId, citizen: Option<&FiscalCode>) -> Result<Cart, DomainError> {
        let cart = self
            .ports
            .carts
            .get(id)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("cart {id}")))?;
        if citizen.is_some() && cart.citizen.as_ref() != citizen {
            return Err(DomainError::NotFound(format!("cart {id}")));
        }
        self.refresh(cart).await
    }

    /// Re-evaluates a cart and stores a changed status; retries once on a concurrent change.
    async fn refresh(&self, mut cart: Cart) -> Result<Cart, DomainError> {
        for _ in 0..2 {
            let mut paid = Vec::with_capacity(cart.items.len());
            for item in &cart.items {
                let position = self
                    .ports
                    .positions
                    .find_by_notice(&item.ente, &item.notice_number)
                    .await?;
                paid.push(
                    position
                        .and_then(|p| p.option(&item.notice_number).map(|o| o.is_paid()))
                        .unwrap_or(false),
                );
            }
            let now = self.ports.clock.now();
            let next = cart.evaluate(&paid, now, self.session_lifetime);
            if next == cart.status {
                return Ok(cart);
            }
            cart.transition(next, now)?;
            match self.ports.carts.update(&cart).await {
                Ok(updated) => return Ok(updated),
                Err(StorageError::Conflict(_)) => {
                    cart = self
                        .ports
                        .carts
                        .get(&cart.id)
                        .await?
                        .ok_or_else(|| DomainError::NotFound(format!("cart {}", cart.id)))?;
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(cart)
    }
}
