//! Placing blocks on A4 pages, with a header repeated on every page.

use super::{Op, Sheet};

/// A4 width in points, as pagoPA's notices have it.
pub(crate) const PAGE_WIDTH: f32 = 595.92;
/// A4 height in points.
pub(crate) const PAGE_HEIGHT: f32 = 842.88;
/// The bottom margin. Blocks end with their own white space, so the last one may come close to
/// the edge, as on pagoPA's notices.
const BOTTOM_MARGIN: f32 = 10.0;

/// Blocks placed one under the other, on a new page (header first) when the next does not fit.
#[derive(Debug)]
pub(crate) struct Paginator {
    header: Vec<Op>,
    header_height: f32,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Paginator {
    /// A first page with `header` (`header_height` tall) on top.
    pub(crate) fn new(header: Sheet, header_height: f32) -> Self {
        let header = header.ops;
        Self {
            pages: vec![header.clone()],
            header,
            header_height,
            y: header_height,
        }
    }

    /// Starts a new page.
    pub(crate) fn break_page(&mut self) {
        self.pages.push(self.header.clone());
        self.y = self.header_height;
    }

    /// Places `block`, `height` tall, under what is there, or on a new page if it does not fit.
    /// A block taller than a whole page still goes on a page of its own.
    pub(crate) fn place(&mut self, block: Sheet, height: f32) {
        if self.y + height > PAGE_HEIGHT - BOTTOM_MARGIN && self.y > self.header_height {
            self.break_page();
        }
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.extend(block.ops.into_iter().map(|op| op.moved(0.0, y)));
        }
        self.y += height;
    }

    /// The pages' display lists.
    pub(crate) fn into_pages(self) -> Vec<Vec<Op>> {
        self.pages
    }
}
