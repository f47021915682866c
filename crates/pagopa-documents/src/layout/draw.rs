//! Drawing a display list on a PDF page.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, FillRule};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use krilla_svg::{SurfaceExt, SvgSettings};

use super::{Op, Picture, Rgb};
use crate::text::Fonts;

fn fill(color: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// Draws `ops` on `surface`.
pub(crate) fn draw_page(surface: &mut Surface<'_>, fonts: &Fonts, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Text {
                x,
                y,
                face,
                size,
                color,
                text,
            } => {
                let loaded = fonts.face(*face);
                let glyphs: Vec<KrillaGlyph> = text
                    .char_indices()
                    .map(|(at, c)| {
                        let (glyph, advance) = loaded.glyph(c);
                        KrillaGlyph::new(
                            GlyphId::new(u32::from(glyph)),
                            advance,
                            0.0,
                            0.0,
                            0.0,
                            at..at + c.len_utf8(),
                            None,
                        )
                    })
                    .collect();
                surface.set_fill(Some(fill(*color)));
                surface.draw_glyphs(Point::from_xy(*x, *y), &glyphs, loaded.pdf.clone(), text, *size, false);
            }
            Op::Rect { x, y, w, h, color } => {
                let mut path = PathBuilder::new();
                if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                    path.push_rect(rect);
                }
                if let Some(path) = path.finish() {
                    surface.set_fill(Some(fill(*color)));
                    surface.draw_path(&path);
                }
            }
            Op::Modules {
                x,
                y,
                module,
                columns,
                dark,
            } => draw_modules(surface, *x, *y, *module, *columns, dark),
            Op::Image { x, y, w, h, image } => {
                let (pw, ph) = image.size();
                if !(pw > 0.0 && ph > 0.0) {
                    continue;
                }
                // Fit the picture in the box, keeping its proportions, centred.
                let scale = (w / pw).min(h / ph);
                let (dw, dh) = (pw * scale, ph * scale);
                let Some(size) = Size::from_wh(dw, dh) else {
                    continue;
                };
                surface.push_transform(&Transform::from_translate(x + (w - dw) / 2.0, y + (h - dh) / 2.0));
                match image {
                    Picture::Raster(image) => surface.draw_image(image.clone(), size),
                    Picture::Vector(tree) => {
                        // Text in a logo is drawn as outlines: it needs no font of ours.
                        let settings = SvgSettings {
                            embed_text: false,
                            ..SvgSettings::default()
                        };
                        let _ = surface.draw_svg(tree, size, settings);
                    }
                }
                surface.pop();
            }
        }
    }
}

/// A barcode as one path in module units (small integers keep the content stream short): each
/// row's runs of dark modules become one rectangle.
fn draw_modules(surface: &mut Surface<'_>, x: f32, y: f32, module: f32, columns: usize, dark: &[bool]) {
    if columns == 0 {
        return;
    }
    let mut path = PathBuilder::new();
    for (row, cells) in dark.chunks(columns).enumerate() {
        let mut column = 0;
        while column < cells.len() {
            if !cells[column] {
                column += 1;
                continue;
            }
            let start = column;
            while column < cells.len() && cells[column] {
                column += 1;
            }
            if let Some(rect) = Rect::from_xywh(start as f32, row as f32, (column - start) as f32, 1.0) {
                path.push_rect(rect);
            }
        }
    }
    if let Some(path) = path.finish() {
        surface.push_transform(&Transform::from_row(module, 0.0, 0.0, module, x, y));
        surface.set_fill(Some(fill(super::BLACK)));
        surface.draw_path(&path);
        surface.pop();
    }
}
