//! Page geometry, line breaking and pagination, independent of the PDF writer.
//!
//! All lengths are PDF points (1/72 inch); `y` grows downwards from the top of the body area.

use crate::font::Metrics;

/// A4.
pub(crate) const PAGE_WIDTH: f32 = 595.276;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
/// 25 mm on every side.
pub(crate) const MARGIN: f32 = 70.866;
pub(crate) const BODY_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
pub(crate) const BODY_HEIGHT: f32 = PAGE_HEIGHT - 2.0 * MARGIN;

/// Line height as a multiple of the font size.
pub(crate) const LEADING: f32 = 1.8;
/// Justification never opens gaps wider than this fraction of the font size; a line that
/// would need more (one cut short by a long ASCII word) stays ragged. Text extractors
/// (pdf-extract, poppler, PDF viewers' search) read a gap of 0.1 em or more as a space, so
/// the gaps stay below that and a justified line still reads back as unbroken Chinese.
const MAX_JUSTIFY: f32 = 0.08;
const EPSILON: f32 = 0.01;

/// Characters that may not begin a line (they stay with the character before them).
const NO_LINE_START: &str = "，。、；：？！）》】〕」』〉〗〙”’…—–％‰℃·〃々～｝］｠,.;:?!)]}%";
/// Characters that may not end a line (they move down with the character after them).
const NO_LINE_END: &str = "（《【〔「『〈〖〘“‘｛［￥＄([{";

/// One horizontal piece of a row.
#[derive(Debug, Clone)]
pub(crate) enum Piece {
    /// Text whose baseline sits on the row's baseline; `spacing` points are added after every
    /// character but the last (justification, letter-spaced titles).
    Text {
        x: f32,
        text: String,
        size: f32,
        bold: bool,
        spacing: f32,
    },
    /// A blank to sign on: a thin line just below the baseline.
    Rule { x: f32, width: f32 },
}

/// One line of the page body.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// Space above the row, dropped at the top of a page.
    pub space_before: f32,
    pub height: f32,
    /// The size the baseline is computed for.
    pub size: f32,
    pub pieces: Vec<Piece>,
    /// A heading: never left alone at the bottom of a page.
    pub keep_with_next: bool,
    /// Rows sharing a group are kept on one page when they fit on one.
    pub group: Option<u32>,
}

impl Row {
    /// The baseline's distance from the top of the row: the em box (ascent 0.88 em) centred.
    pub(crate) fn baseline(&self) -> f32 {
        (self.height - self.size) / 2.0 + 0.88 * self.size
    }
}

/// A line produced by [`break_lines`]: its text and natural width in points.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    pub width: f32,
}

/// Breaks one paragraph (no `\n` inside) into lines: `first_width` points for the first
/// line, `width` for the others.
///
/// Chinese text breaks between any two characters; a run of ASCII (and other Latin) letters,
/// digits and signs is a word that breaks only at spaces, unless it is longer than a whole
/// line. Closing punctuation never starts a line and opening punctuation never ends one
/// (标点禁则). Spaces at the ends of lines are dropped.
pub(crate) fn break_lines(
    text: &str,
    first_width: f32,
    width: f32,
    size: f32,
    m: &Metrics,
) -> Vec<Line> {
    let space = m.advance(' ') * size;
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_width = 0.0f32;
    let mut avail = first_width;
    let mut pending_space = false;

    for unit in units(text) {
        let Some(unit) = unit else {
            pending_space = !cur.is_empty();
            continue;
        };
        let unit_width = m.width(&unit, size, 0.0);
        let gap = if pending_space { space } else { 0.0 };
        pending_space = false;
        if !cur.is_empty() && cur_width + gap + unit_width <= avail + EPSILON {
            if gap > 0.0 {
                cur.push(' ');
            }
            cur.push_str(&unit);
            cur_width += gap + unit_width;
            continue;
        }
        if !cur.is_empty() {
            lines.push(Line {
                text: std::mem::take(&mut cur),
                width: cur_width,
            });
            cur_width = 0.0;
            avail = width;
        }
        if unit_width <= avail + EPSILON {
            cur = unit;
            cur_width = unit_width;
            continue;
        }
        // Longer than a whole line: cut it wherever the line is full.
        for c in unit.chars() {
            let w = m.advance(c) * size;
            if !cur.is_empty() && cur_width + w > avail + EPSILON {
                lines.push(Line {
                    text: std::mem::take(&mut cur),
                    width: cur_width,
                });
                cur_width = 0.0;
                avail = width;
            }
            cur.push(c);
            cur_width += w;
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(Line {
            text: cur,
            width: cur_width,
        });
    }
    lines
}

/// The unbreakable units of a paragraph in order; `None` stands for a run of spaces.
fn units(text: &str) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut word = String::new();
    let flush_word = |word: &mut String, out: &mut Vec<Option<String>>| {
        if !word.is_empty() {
            push_glued(out, std::mem::take(word));
        }
    };
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{00A0}' {
            flush_word(&mut word, &mut out);
            if matches!(out.last(), Some(Some(_))) {
                out.push(None);
            }
        } else if is_word_char(c) {
            word.push(c);
        } else {
            flush_word(&mut word, &mut out);
            push_glued(&mut out, c.to_string());
        }
    }
    flush_word(&mut word, &mut out);
    if matches!(out.last(), Some(None)) {
        out.pop();
    }
    out
}

/// Appends a unit, joining it to the previous one when the break between them is forbidden.
fn push_glued(out: &mut Vec<Option<String>>, unit: String) {
    if let Some(Some(prev)) = out.last_mut() {
        let starts_closing = unit
            .chars()
            .next()
            .is_some_and(|c| NO_LINE_START.contains(c));
        let prev_opening = prev.chars().last().is_some_and(|c| NO_LINE_END.contains(c));
        if starts_closing || prev_opening {
            prev.push_str(&unit);
            return;
        }
    }
    out.push(Some(unit));
}

/// Letters, digits and signs of alphabetic scripts, which form words; everything from
/// U+2000 on (CJK, their punctuation, symbols) stands alone, and so does the middle dot.
fn is_word_char(c: char) -> bool {
    ((c as u32) < 0x2000 && c != '·' && !c.is_whitespace()) || c == '\u{00A0}'
}

/// The extra spacing that makes a full line of `glyphs` characters reach `avail` points.
pub(crate) fn justify(line: &Line, avail: f32, size: f32) -> f32 {
    let gaps = line.text.chars().count().saturating_sub(1);
    let slack = avail - line.width;
    if gaps == 0 || slack <= 0.0 {
        return 0.0;
    }
    let spacing = slack / gaps as f32;
    if spacing > MAX_JUSTIFY * size {
        0.0
    } else {
        spacing
    }
}

/// A row placed on a page: its index in the row list and the top of the row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placed {
    pub row: usize,
    pub y: f32,
}

/// Distributes rows over pages of `BODY_HEIGHT`: a heading moves to the next page with the
/// row after it rather than stay alone at the bottom, and a group that fits on one page is
/// not split.
pub(crate) fn paginate(rows: &[Row]) -> Vec<Vec<Placed>> {
    paginate_in(rows, BODY_HEIGHT)
}

fn paginate_in(rows: &[Row], body: f32) -> Vec<Vec<Placed>> {
    let mut pages: Vec<Vec<Placed>> = vec![Vec::new()];
    let mut y = 0.0f32;
    let mut i = 0;
    while i < rows.len() {
        let end = unit_end(rows, i);
        let at_top = y <= 0.0;
        let height_here: f32 = rows[i..end]
            .iter()
            .enumerate()
            .map(|(k, r)| {
                if k == 0 && at_top {
                    r.height
                } else {
                    r.space_before + r.height
                }
            })
            .sum();
        let height_fresh = height_here - if at_top { 0.0 } else { rows[i].space_before };
        if !at_top && y + height_here > body + EPSILON && height_fresh <= body + EPSILON {
            pages.push(Vec::new());
            y = 0.0;
        }
        for (k, row) in rows[i..end].iter().enumerate() {
            let mut before = if y <= 0.0 { 0.0 } else { row.space_before };
            if y > 0.0 && y + before + row.height > body + EPSILON {
                pages.push(Vec::new());
                y = 0.0;
                before = 0.0;
            }
            if let Some(page) = pages.last_mut() {
                page.push(Placed {
                    row: i + k,
                    y: y + before,
                });
            }
            y += before + row.height;
        }
        i = end;
    }
    pages
}

/// The end (exclusive) of the unit starting at row `i`: its whole group, or a chain of
/// headings with the row that follows them, or the row alone.
fn unit_end(rows: &[Row], i: usize) -> usize {
    let mut end = i;
    loop {
        if let Some(g) = rows[end].group {
            while end < rows.len() && rows[end].group == Some(g) {
                end += 1;
            }
        } else {
            end += 1;
        }
        if end >= rows.len() || !rows[end - 1].keep_with_next {
            return end.min(rows.len());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics<'static> {
        Metrics::embedded().unwrap()
    }

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn chinese_breaks_anywhere_by_width() {
        let m = metrics();
        // 10 ideographs of 1 em at 10 pt in 40 pt lines: 4 + 4 + 2.
        let lines = break_lines("一二三四五六七八九十", 40.0, 40.0, 10.0, &m);
        assert_eq!(texts(&lines), ["一二三四", "五六七八", "九十"]);
        assert!((lines[0].width - 40.0).abs() < 0.01);
        // A first-line indent of two characters.
        let lines = break_lines("一二三四五六七八九十", 20.0, 40.0, 10.0, &m);
        assert_eq!(texts(&lines), ["一二", "三四五六", "七八九十"]);
    }

    #[test]
    fn ascii_words_are_not_split() {
        let m = metrics();
        let size = 10.0;
        let text = "退还 deposit 押金 ABCDEFG";
        let width = m.width("退还 deposit", size, 0.0) + 1.0;
        let lines = break_lines(text, width, width, size, &m);
        for line in &lines {
            assert!(line.width <= width + 0.01, "{line:?}");
        }
        let joined: Vec<&str> = texts(&lines);
        assert_eq!(joined[0], "退还 deposit");
        assert!(joined.iter().any(|l| l.contains("ABCDEFG")), "{joined:?}");
        // No line ends or starts inside "deposit" or "ABCDEFG".
        assert!(joined
            .iter()
            .all(|l| !l.ends_with("depo") && !l.starts_with("sit")));

        // Digits glued to Chinese are words too: "150.5" stays whole.
        let lines = break_lines("面积共计150.5平方米", 65.0, 65.0, size, &m);
        assert!(
            texts(&lines).iter().any(|l| l.contains("150.5")),
            "{lines:?}"
        );
    }

    #[test]
    fn overlong_words_are_cut() {
        let m = metrics();
        let lines = break_lines(
            "https://example.invalid/a/very/long/path/that/cannot/fit",
            60.0,
            60.0,
            10.0,
            &m,
        );
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| l.width <= 60.01));
        let joined: String = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            joined,
            "https://example.invalid/a/very/long/path/that/cannot/fit"
        );
    }

    #[test]
    fn punctuation_rules() {
        let m = metrics();
        // The comma would start line 2: it takes "四" down with it.
        let lines = break_lines("一二三四，五六七八", 40.0, 40.0, 10.0, &m);
        assert_eq!(texts(&lines), ["一二三", "四，五六", "七八"]);
        // The opening quote would end line 1: it moves down.
        let lines = break_lines("一二三“四五”六", 40.0, 40.0, 10.0, &m);
        assert_eq!(texts(&lines), ["一二三", "“四五”", "六"]);
    }

    #[test]
    fn spaces_at_line_ends_are_dropped() {
        let m = metrics();
        let lines = break_lines("  ab   cd  ", 1000.0, 1000.0, 10.0, &m);
        assert_eq!(texts(&lines), ["ab cd"]);
        assert_eq!(
            break_lines("", 10.0, 10.0, 10.0, &m),
            vec![Line {
                text: String::new(),
                width: 0.0
            }]
        );
    }

    #[test]
    fn justification() {
        let line = Line {
            text: "一二三".into(),
            width: 30.0,
        };
        assert!((justify(&line, 31.0, 10.0) - 0.5).abs() < 1e-6);
        assert_eq!(justify(&line, 30.0, 10.0), 0.0);
        assert_eq!(
            justify(&line, 32.0, 10.0),
            0.0,
            "1 pt gaps at 10 pt would read as spaces: left ragged"
        );
    }

    fn row(h: f32, keep: bool, group: Option<u32>) -> Row {
        Row {
            space_before: 2.0,
            height: h,
            size: 10.0,
            pieces: vec![],
            keep_with_next: keep,
            group,
        }
    }

    #[test]
    fn pagination_keeps_headings_and_groups() {
        // Page of 100: rows of 20 with 2 before each.
        let mut rows: Vec<Row> = (0..4).map(|_| row(20.0, false, None)).collect();
        rows.push(row(20.0, true, None)); // heading at y=88: would end the page alone
        rows.push(row(20.0, false, None));
        let pages = paginate_in(&rows, 100.0);
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].len(), 4);
        assert_eq!(pages[1][0], Placed { row: 4, y: 0.0 });
        assert_eq!(pages[1][1], Placed { row: 5, y: 22.0 });

        // A group of three that does not fit in what is left moves whole.
        let mut rows: Vec<Row> = (0..3).map(|_| row(20.0, false, None)).collect();
        rows.extend((0..3).map(|_| row(20.0, false, Some(1))));
        let pages = paginate_in(&rows, 100.0);
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3]);

        // A group taller than a page flows.
        let rows: Vec<Row> = (0..10).map(|_| row(20.0, false, Some(7))).collect();
        let pages = paginate_in(&rows, 100.0);
        assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), 10);
        assert!(pages.len() >= 3);
        for page in &pages {
            assert_eq!(page[0].y, 0.0);
            assert!(page.iter().all(|p| p.y + 20.0 <= 100.01));
        }
    }
}
