//! The embedded Chinese font (`data/fonts/wangge-cjk.ttf`, a subset of Noto Serif CJK SC
//! under the SIL OFL 1.1: see `data/fonts/README.md`) and the metrics the layout needs.

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use crate::DocumentError;

/// The font file, compiled into the binary: nothing is read or fetched at run time.
pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../../data/fonts/wangge-cjk.ttf");

/// Drawn in place of a character the font lacks.
pub(crate) const PLACEHOLDER: char = '□';

/// Character coverage and horizontal advances of the embedded font.
pub(crate) struct Metrics<'a> {
    charmap: Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
    units_per_em: f32,
}

impl Metrics<'static> {
    pub(crate) fn embedded() -> Result<Self, DocumentError> {
        let font = FontRef::new(FONT_BYTES).map_err(|e| DocumentError::Font(e.to_string()))?;
        let units_per_em = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        if units_per_em <= 0.0 {
            return Err(DocumentError::Font("unitsPerEm 为 0".into()));
        }
        Ok(Self {
            charmap: font.charmap(),
            glyphs: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }
}

impl Metrics<'_> {
    /// The glyph id and the advance (in em) of `c`, or `None` when the font lacks it.
    pub(crate) fn glyph(&self, c: char) -> Option<(u32, f32)> {
        let gid = self.charmap.map(c)?;
        if gid.to_u32() == 0 {
            return None;
        }
        let advance = self.glyphs.advance_width(gid).unwrap_or(self.units_per_em);
        Some((gid.to_u32(), advance / self.units_per_em))
    }

    pub(crate) fn has(&self, c: char) -> bool {
        self.glyph(c).is_some()
    }

    /// The advance of `c` in em; a character the font lacks measures as the placeholder.
    pub(crate) fn advance(&self, c: char) -> f32 {
        self.glyph(c)
            .or_else(|| self.glyph(PLACEHOLDER))
            .map_or(1.0, |(_, a)| a)
    }

    /// The width of `text` in points at `size`, with `spacing` points added between characters.
    pub(crate) fn width(&self, text: &str, size: f32, spacing: f32) -> f32 {
        let mut width = 0.0;
        let mut count = 0usize;
        for c in text.chars() {
            width += self.advance(c) * size;
            count += 1;
        }
        width + spacing * count.saturating_sub(1) as f32
    }
}
