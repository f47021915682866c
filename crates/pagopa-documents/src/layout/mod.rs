//! Page layout: blocks are laid out into a display list at their own origin (so their height is
//! known before they are placed), then placed on pages and drawn through the PDF writer.

mod draw;
mod page;

pub(crate) use draw::draw_page;
pub(crate) use page::{PAGE_HEIGHT, PAGE_WIDTH, Paginator};

use std::sync::Arc;

use krilla::image::Image;

use crate::text::{Face, Fonts};

/// The left and right page margin.
pub(crate) const MARGIN: f32 = 28.0;
/// The width between the margins.
pub(crate) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The pagoPA blue of the wordmark.
pub(crate) const BLUE: Rgb = (0, 102, 204);

/// An RGB colour.
pub(crate) type Rgb = (u8, u8, u8);

/// The text colour (pagoPA's dark blue-grey).
pub(crate) const INK: Rgb = (23, 50, 77);
/// Secondary text.
pub(crate) const MUTED: Rgb = (92, 111, 130);
/// The band behind section titles.
pub(crate) const BAND: Rgb = (232, 235, 241);
/// Lines between sections.
pub(crate) const RULE: Rgb = (200, 205, 212);
/// Barcode modules.
pub(crate) const BLACK: Rgb = (0, 0, 0);

/// One drawing operation, in points from the top left of its sheet.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    /// A line of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Rgb,
        text: String,
    },
    /// A filled rectangle.
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    /// A barcode: dark modules of a `columns`-wide row-major matrix, `module` points each.
    Modules {
        x: f32,
        y: f32,
        module: f32,
        columns: usize,
        dark: Vec<bool>,
    },
    /// An image scaled into a box.
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: Picture,
    },
}

/// A picture to place on a page: a decoded raster image, or a parsed SVG drawn as vectors.
#[derive(Clone)]
pub(crate) enum Picture {
    /// A PNG or a JPEG.
    Raster(Image),
    /// An SVG document.
    Vector(Arc<usvg::Tree>),
}

impl Picture {
    /// Its natural size, in its own units (pixels or SVG user units).
    pub(crate) fn size(&self) -> (f32, f32) {
        match self {
            Self::Raster(image) => {
                let (w, h) = image.size();
                (w as f32, h as f32)
            }
            Self::Vector(tree) => (tree.size().width(), tree.size().height()),
        }
    }
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Raster(_) => "raster",
            Self::Vector(_) => "vector",
        };
        let (w, h) = self.size();
        write!(f, "Picture({kind} {w}x{h})")
    }
}

/// A display list with its fonts: what a block draws, at its own origin.
#[derive(Debug)]
pub(crate) struct Sheet {
    pub(crate) fonts: &'static Fonts,
    pub(crate) ops: Vec<Op>,
}

/// A line of text as [`Sheet::text`] draws it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub(crate) face: Face,
    pub(crate) size: f32,
    pub(crate) color: Rgb,
}

impl Style {
    /// A style.
    pub(crate) const fn new(face: Face, size: f32, color: Rgb) -> Self {
        Self { face, size, color }
    }

    /// The same with another size.
    pub(crate) const fn sized(self, size: f32) -> Self {
        Self { size, ..self }
    }
}

impl Sheet {
    /// An empty sheet.
    pub(crate) fn new(fonts: &'static Fonts) -> Self {
        Self {
            fonts,
            ops: Vec::with_capacity(64),
        }
    }

    /// The baseline of a line whose top is `top`.
    pub(crate) fn baseline(&self, style: Style, top: f32) -> f32 {
        top + self.fonts.face(style.face).ascent * style.size
    }

    /// One line with its top at `top`, from `x`; returns the width drawn.
    pub(crate) fn text(&mut self, style: Style, x: f32, top: f32, text: &str) -> f32 {
        let y = self.baseline(style, top);
        self.ops.push(Op::Text {
            x,
            y,
            face: style.face,
            size: style.size,
            color: style.color,
            text: text.to_owned(),
        });
        self.fonts.width(style.face, text, style.size)
    }

    /// One line ending at `right`.
    pub(crate) fn text_right(&mut self, style: Style, right: f32, top: f32, text: &str) {
        let width = self.fonts.width(style.face, text, style.size);
        self.text(style, right - width, top, text);
    }

    /// Lines one under the other from `top`, `leading` times the size apart; returns the bottom.
    pub(crate) fn lines(&mut self, style: Style, x: f32, top: f32, leading: f32, lines: &[String]) -> f32 {
        let mut y = top;
        for line in lines {
            self.text(style, x, y, line);
            y += style.size * leading;
        }
        y
    }

    /// `text` wrapped to `width` from `top`; returns the bottom.
    pub(crate) fn paragraph(&mut self, style: Style, x: f32, top: f32, width: f32, text: &str) -> f32 {
        let lines = crate::text::wrap_lines(self.fonts, style.face, style.size, text, width);
        self.lines(style, x, top, 1.3, &lines)
    }

    /// A filled rectangle.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.ops.push(Op::Rect { x, y, w, h, color });
    }
}

impl Op {
    /// The same op moved by (`dx`, `dy`).
    pub(crate) fn moved(self, dx: f32, dy: f32) -> Self {
        match self {
            Op::Text {
                x,
                y,
                face,
                size,
                color,
                text,
            } => Op::Text {
                x: x + dx,
                y: y + dy,
                face,
                size,
                color,
                text,
            },
            Op::Rect { x, y, w, h, color } => Op::Rect {
                x: x + dx,
                y: y + dy,
                w,
                h,
                color,
            },
            Op::Modules {
                x,
                y,
                module,
                columns,
                dark,
            } => Op::Modules {
                x: x + dx,
                y: y + dy,
                module,
                columns,
                dark,
            },
            Op::Image { x, y, w, h, image } => Op::Image {
                x: x + dx,
                y: y + dy,
                w,
                h,
                image,
            },
        }
    }
}
