//! Writes laid-out rows to a PDF with krilla: the embedded font goes in as a subset CID
//! TrueType font (Identity-H) with a ToUnicode map, so the text can be searched and copied.

use std::sync::Arc;

use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;

use crate::font::{Metrics, FONT_BYTES, PLACEHOLDER};
use crate::layout::{Piece, Placed, Row, MARGIN, PAGE_HEIGHT, PAGE_WIDTH};
use crate::text::Sanitizer;
use crate::DocumentError;

const FOOTER_SIZE: f32 = 9.0;
/// The footer's baseline, about 14 mm above the bottom edge.
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 40.0;
/// Stroke width of faux bold, as a fraction of the font size (the font has one weight).
const BOLD_STROKE: f32 = 0.03;
const RULE_WIDTH: f32 = 0.6;

pub(crate) struct Meta {
    pub title: String,
}

/// Draws `pages` (rows placed by [`crate::layout::paginate`]) with a 第 N 页 共 M 页 footer.
pub(crate) fn write(
    rows: &[Row],
    pages: &[Vec<Placed>],
    m: &Metrics<'static>,
    clean: &mut Sanitizer<'_>,
    meta: Meta,
) -> Result<Vec<u8>, DocumentError> {
    let data: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(FONT_BYTES);
    let font = Font::new(data.into(), 0)
        .ok_or_else(|| DocumentError::Font("PDF 组件无法读取内置字体".into()))?;
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| DocumentError::Pdf("页面尺寸无效".into()))?;

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(meta.title)
            .language("zh-CN".into())
            .creator("wangge".into()),
    );
    let total = pages.len();
    for (index, placed) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        for p in placed {
            let Some(row) = rows.get(p.row) else { continue };
            let baseline = MARGIN + p.y + row.baseline();
            for piece in &row.pieces {
                match piece {
                    Piece::Text {
                        x,
                        text,
                        size,
                        bold,
                        spacing,
                    } => {
                        draw_text(
                            &mut surface,
                            &font,
                            m,
                            MARGIN + x,
                            baseline,
                            text,
                            *size,
                            *bold,
                            *spacing,
                        );
                    }
                    Piece::Rule { x, width } => {
                        draw_rule(&mut surface, MARGIN + x, baseline + 2.5, *width)
                    }
                }
            }
        }
        let footer = clean.clean(&format!("第 {} 页 共 {} 页", index + 1, total));
        let width = m.width(&footer, FOOTER_SIZE, 0.0);
        let x = (PAGE_WIDTH - width) / 2.0;
        draw_text(
            &mut surface,
            &font,
            m,
            x,
            FOOTER_BASELINE,
            &footer,
            FOOTER_SIZE,
            false,
            0.0,
        );
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
}

/// Draws `text` (already cleaned: every character is in the font) as one run of glyphs
/// positioned from the font's own advances, `spacing` points apart.
#[allow(clippy::too_many_arguments)]
fn draw_text(
    surface: &mut Surface<'_>,
    font: &Font,
    m: &Metrics<'static>,
    x: f32,
    baseline: f32,
    text: &str,
    size: f32,
    bold: bool,
    spacing: f32,
) {
    if text.is_empty() || size <= 0.0 {
        return;
    }
    let count = text.chars().count();
    let glyphs: Vec<KrillaGlyph> = text
        .char_indices()
        .enumerate()
        .map(|(i, (at, c))| {
            let (gid, advance) = m
                .glyph(c)
                .or_else(|| m.glyph(PLACEHOLDER))
                .unwrap_or((0, 1.0));
            let extra = if i + 1 < count { spacing / size } else { 0.0 };
            KrillaGlyph::new(
                GlyphId::new(gid),
                advance + extra,
                0.0,
                0.0,
                0.0,
                at..at + c.len_utf8(),
                None,
            )
        })
        .collect();
    if bold {
        surface.set_stroke(Some(Stroke {
            width: BOLD_STROKE * size,
            ..Stroke::default()
        }));
    }
    surface.draw_glyphs(
        Point::from_xy(x, baseline),
        &glyphs,
        font.clone(),
        text,
        size,
        false,
    );
    if bold {
        surface.set_stroke(None);
    }
}

fn draw_rule(surface: &mut Surface<'_>, x: f32, y: f32, width: f32) {
    let mut path = PathBuilder::new();
    path.move_to(x, y);
    path.line_to(x + width, y);
    let Some(path) = path.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        width: RULE_WIDTH,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill::default()));
}
