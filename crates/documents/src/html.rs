//! The agreement as a self-contained HTML page: on-screen preview on an A4 sheet, and a print
//! stylesheet for printing from the browser. Every caller string is escaped; nothing is
//! loaded from elsewhere (no fonts, scripts or images).

use std::fmt::Write as _;

use crate::agreement::{
    confirmation_note, confirmations, copies_sentence, numbered_terms, other_confirmations,
    paragraphs, party_details, role_label, signature_label, signed_date, DISPUTED, EFFECT, FACTS,
    MEDIATOR_SIGNATURES, PARTY_SIGNATURES, PERFORMANCE, RESPONSIBILITIES, SEAL, TERMS, TITLE,
};
use crate::Agreement;

const STYLE: &str = r#"
@page { size: A4; margin: 25mm;
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; } }
html { background: #e8e8e8; }
body { margin: 0; color: #000; font-size: 12pt; line-height: 1.8;
  font-family: "Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun", "宋体", serif; }
.agreement { box-sizing: border-box; width: 210mm; min-height: 297mm; margin: 10mm auto; padding: 25mm;
  background: #fff; box-shadow: 0 0 4px rgba(0, 0, 0, .3); }
h1 { text-align: center; font-size: 22pt; letter-spacing: .08em; margin: 0; line-height: 1.6; }
h2 { font-size: 12pt; margin: .5em 0 0; break-after: avoid; page-break-after: avoid; }
p { margin: 0; text-align: justify; overflow-wrap: anywhere; }
.number { text-align: right; }
.parties { margin-top: .5em; }
.party { display: flex; text-align: left; }
.party .role { flex: none; white-space: nowrap; }
.sign .label { display: inline-block; min-width: 10em; }
.indent { text-indent: 2em; }
.closing { margin-top: .5em; break-inside: avoid; page-break-inside: avoid; }
.sign { margin-top: .6em; }
.blank { display: inline-block; width: 9em; height: 1.3em; border-bottom: 1px solid #000;
  vertical-align: bottom; margin: 0 .3em; }
.mediators .blank { width: 6em; margin-right: 1em; }
.note { font-size: 9pt; }
.seal, .date { text-align: right; }
.seal { margin-top: 2.5em; }
@media print {
  html { background: none; }
  .agreement { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
"#;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn para(out: &mut String, class: &str, text: &str) {
    let _ = writeln!(out, r#"<p class="{class}">{}</p>"#, escape(text));
}

fn section_paragraphs(out: &mut String, text: &str) {
    for p in paragraphs(text) {
        para(out, "indent", p);
    }
}

pub(crate) fn render(a: &Agreement) -> String {
    let mut out = String::with_capacity(8 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{TITLE} {}</title>", escape(a.number.trim()));
    let _ = writeln!(
        out,
        "<style>{STYLE}</style>\n</head>\n<body>\n<article class=\"agreement\">"
    );
    let _ = writeln!(out, "<h1>{TITLE}</h1>");
    para(&mut out, "number", a.number.trim());

    out.push_str("<section class=\"parties\">\n");
    for p in &a.parties {
        let _ = writeln!(
            out,
            "<p class=\"party\"><span class=\"role\">{}</span><span>{}</span></p>",
            escape(&role_label(p)),
            escape(&party_details(p))
        );
    }
    out.push_str("</section>\n");

    let _ = writeln!(out, "<section>\n<h2>{FACTS}</h2>");
    section_paragraphs(&mut out, &a.facts);
    for (i, p) in paragraphs(&a.disputed_points).enumerate() {
        let text = if i == 0 {
            format!("{DISPUTED}{p}")
        } else {
            p.to_string()
        };
        para(&mut out, "indent", &text);
    }
    out.push_str("</section>\n");

    if let Some(resp) = a
        .responsibilities
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        let _ = writeln!(out, "<section>\n<h2>{RESPONSIBILITIES}</h2>");
        section_paragraphs(&mut out, resp);
        out.push_str("</section>\n");
    }

    let _ = writeln!(out, "<section class=\"terms\">\n<h2>{TERMS}</h2>");
    for (number, term) in numbered_terms(a) {
        for (i, p) in paragraphs(term).enumerate() {
            let text = if i == 0 {
                format!("{number}{p}")
            } else {
                p.to_string()
            };
            para(&mut out, "indent term", &text);
        }
    }
    out.push_str("</section>\n");

    let _ = writeln!(out, "<section>\n<h2>{PERFORMANCE}</h2>");
    section_paragraphs(&mut out, &a.performance);
    out.push_str("</section>\n");

    out.push_str("<section class=\"closing\">\n");
    para(
        &mut out,
        "indent",
        &format!("{}{EFFECT}", copies_sentence(a)),
    );
    let _ = writeln!(out, "<h2>{PARTY_SIGNATURES}</h2>");
    let sign_line = |out: &mut String, label: &str, note: Option<String>| {
        let note = note
            .map(|n| format!("<span class=\"note\">{}</span>", escape(&n)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<p class=\"sign\"><span class=\"label\">{}</span><span class=\"blank\"></span>{note}</p>",
            escape(label)
        );
    };
    for p in &a.parties {
        sign_line(
            &mut out,
            &signature_label(p),
            confirmation_note(&confirmations(a, p)),
        );
    }
    for s in other_confirmations(a) {
        sign_line(
            &mut out,
            &format!("{}：", s.party.trim()),
            confirmation_note(&[s]),
        );
    }
    let _ = write!(
        out,
        "<p class=\"sign mediators\"><strong>{MEDIATOR_SIGNATURES}</strong>"
    );
    for name in a
        .mediators
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
    {
        let _ = write!(out, "{}<span class=\"blank\"></span>", escape(name));
    }
    out.push_str("</p>\n");
    let _ = writeln!(
        out,
        "<p class=\"seal\">{}{SEAL}</p>",
        escape(a.committee.trim())
    );
    para(&mut out, "date", &signed_date(a));
    out.push_str("</section>\n</article>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
