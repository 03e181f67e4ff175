//! Finding the listed words in a dispute's text: plain substrings, longest phrase first at
//! each place, each distinct word once. No word segmentation, no negation (see the module
//! documentation of [`super`]).

use super::rules::RiskRules;

/// The distinct words found, in order of first appearance.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Found<'r> {
    pub threat: Vec<&'r str>,
    pub self_harm: Vec<&'r str>,
}

#[derive(Clone, Copy)]
enum Kind {
    Threat,
    SelfHarm,
    Except,
}

/// Scans `text` left to right. At each character the longest listed phrase (a word of
/// either list or an `except` phrase) starting there is taken and skipped over, so a word
/// inside a longer phrase is not counted again ("自杀" is not also "杀").
pub(super) fn find<'r>(text: &str, rules: &'r RiskRules) -> Found<'r> {
    let t = &rules.threat_words;
    let s = &rules.self_harm_words;
    let phrases: Vec<(&'r str, Kind)> = t
        .words
        .iter()
        .map(|w| (w.as_str(), Kind::Threat))
        .chain(s.words.iter().map(|w| (w.as_str(), Kind::SelfHarm)))
        .chain(
            t.except
                .iter()
                .chain(&s.except)
                .map(|w| (w.as_str(), Kind::Except)),
        )
        .filter(|(w, _)| !w.is_empty())
        .collect();

    let mut found = Found::default();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let longest = phrases
            .iter()
            .filter(|(w, _)| rest.starts_with(w))
            .max_by_key(|(w, _)| w.len());
        match longest {
            Some(&(w, kind)) => {
                let list = match kind {
                    Kind::Threat => Some(&mut found.threat),
                    Kind::SelfHarm => Some(&mut found.self_harm),
                    Kind::Except => None,
                };
                if let Some(list) = list {
                    if !list.contains(&w) {
                        list.push(w);
                    }
                }
                i += w.len();
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    found
}
