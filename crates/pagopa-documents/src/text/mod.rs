//! The bundled fonts and text measuring: glyph ids and advances read from the font files, and
//! line breaking by those advances, so what is measured is exactly what is drawn.

mod wrap;

use std::sync::OnceLock;

use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, GlyphId, MetadataProvider};

use crate::DocumentError;

pub(crate) use wrap::{fit_lines, wrap_lines};

static TITILLIUM_REGULAR: &[u8] = include_bytes!("../../fonts/TitilliumWeb_400Regular.ttf");
static TITILLIUM_BOLD: &[u8] = include_bytes!("../../fonts/TitilliumWeb_700Bold.ttf");
static ROBOTO_MONO_BOLD: &[u8] = include_bytes!("../../fonts/RobotoMono_700Bold.ttf");

/// The bundled fonts as a font database for SVG logos: text in a logo is set in them (a logo
/// naming a font we do not bundle falls back to Titillium Web), never in the host's fonts.
pub(crate) fn svg_fonts() -> std::sync::Arc<usvg::fontdb::Database> {
    static DATABASE: OnceLock<std::sync::Arc<usvg::fontdb::Database>> = OnceLock::new();
    DATABASE
        .get_or_init(|| {
            let mut database = usvg::fontdb::Database::new();
            for bytes in [TITILLIUM_REGULAR, TITILLIUM_BOLD, ROBOTO_MONO_BOLD] {
                database.load_font_data(bytes.to_vec());
            }
            database.set_sans_serif_family("Titillium Web");
            database.set_serif_family("Titillium Web");
            database.set_monospace_family("Roboto Mono");
            std::sync::Arc::new(database)
        })
        .clone()
}

/// The faces documents are set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Face {
    /// Titillium Web Regular: running text.
    Regular,
    /// Titillium Web Bold: titles, names.
    Bold,
    /// Roboto Mono Bold: codes and amounts.
    Mono,
}

/// The characters whose glyph and advance are looked up once per process; others are looked
/// up in the font's character map when met.
const TABLE_CHARS: u32 = 0x250;

/// One font: the PDF writer's handle and its metrics.
pub(crate) struct LoadedFace {
    pub(crate) pdf: krilla::text::Font,
    font: FontRef<'static>,
    table: Vec<(u16, f32)>,
    /// Ascender in em.
    pub(crate) ascent: f32,
}

impl std::fmt::Debug for LoadedFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedFace").field("ascent", &self.ascent).finish()
    }
}

impl LoadedFace {
    fn load(name: &'static str, bytes: &'static [u8]) -> Result<Self, DocumentError> {
        let font = FontRef::new(bytes).map_err(|_| DocumentError::Font(name))?;
        let pdf = krilla::text::Font::new(krilla::Data::from(bytes), 0).ok_or(DocumentError::Font(name))?;
        let metrics = font.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(metrics.units_per_em.max(1));
        let charmap = font.charmap();
        let advances = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let table = (0..TABLE_CHARS)
            .map(|code| {
                let glyph = charmap.map(code).unwrap_or(GlyphId::NOTDEF);
                let advance = advances.advance_width(glyph).unwrap_or(0.0) / upem;
                (u16::try_from(glyph.to_u32()).unwrap_or(0), advance)
            })
            .collect();
        Ok(Self {
            pdf,
            font,
            table,
            ascent: metrics.ascent / upem,
        })
    }

    /// The glyph id and the advance (in em) of `c`; the font's missing-glyph box when it has no
    /// glyph for it, so nothing disappears silently.
    pub(crate) fn glyph(&self, c: char) -> (u16, f32) {
        let code = u32::from(c);
        if let Some(entry) = self.table.get(code as usize) {
            return *entry;
        }
        let glyph = self.font.charmap().map(code).unwrap_or(GlyphId::NOTDEF);
        let metrics = self.font.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(metrics.units_per_em.max(1));
        let advance = self
            .font
            .glyph_metrics(Size::unscaled(), LocationRef::default())
            .advance_width(glyph)
            .unwrap_or(0.0)
            / upem;
        (u16::try_from(glyph.to_u32()).unwrap_or(0), advance)
    }

    /// The width of `text` at `size` points.
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// The three faces, loaded once per process.
#[derive(Debug)]
pub(crate) struct Fonts {
    regular: LoadedFace,
    bold: LoadedFace,
    mono: LoadedFace,
}

impl Fonts {
    /// The faces, read from the bundled files on first use.
    pub(crate) fn get() -> Result<&'static Fonts, DocumentError> {
        static FONTS: OnceLock<Result<Fonts, &'static str>> = OnceLock::new();
        let loaded = FONTS.get_or_init(|| {
            let load = |name, bytes| LoadedFace::load(name, bytes).map_err(|_| name);
            Ok(Fonts {
                regular: load("TitilliumWeb-Regular", TITILLIUM_REGULAR)?,
                bold: load("TitilliumWeb-Bold", TITILLIUM_BOLD)?,
                mono: load("RobotoMono-Bold", ROBOTO_MONO_BOLD)?,
            })
        });
        loaded.as_ref().map_err(|name| DocumentError::Font(name))
    }

    /// One face.
    pub(crate) fn face(&self, face: Face) -> &LoadedFace {
        match face {
            Face::Regular => &self.regular,
            Face::Bold => &self.bold,
            Face::Mono => &self.mono,
        }
    }

    /// The width of `text` set in `face` at `size` points.
    pub(crate) fn width(&self, face: Face, text: &str, size: f32) -> f32 {
        self.face(face).width(text, size)
    }
}
