//! Is a new case probably the same matter as an open one? Same category, close in time,
//! and close in place (within a distance, or the same grid/household node), with similar
//! text. The thresholds follow what civic systems use (about 250–500 m and 30 days).

/// What the comparison needs of a case.
#[derive(Debug, Clone)]
pub struct CaseSketch<'a> {
    pub category: &'a str,
    pub region_code: &'a str,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub created_ms: i64,
    pub text: &'a str,
}

#[derive(Debug, Clone, Copy)]
pub struct DuplicateRules {
    pub max_distance_m: f64,
    pub window_days: i64,
    /// Minimum character-bigram Jaccard similarity of title + description.
    pub min_similarity: f64,
}

impl Default for DuplicateRules {
    fn default() -> Self {
        Self {
            max_distance_m: 300.0,
            window_days: 30,
            min_similarity: 0.25,
        }
    }
}

/// Great-circle distance in metres.
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

/// Jaccard similarity of character bigrams (works for Chinese without a segmenter).
pub fn similarity(a: &str, b: &str) -> f64 {
    fn grams(s: &str) -> std::collections::HashSet<(char, char)> {
        let chars: Vec<char> = s
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
            .collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    }
    let (ga, gb) = (grams(a), grams(b));
    if ga.is_empty() || gb.is_empty() {
        return 0.0;
    }
    let inter = ga.intersection(&gb).count() as f64;
    inter / ((ga.len() + gb.len()) as f64 - inter)
}

/// A score in 0..=1 when `new` looks like a duplicate of `open`, else `None`.
pub fn duplicate_score(
    new: &CaseSketch<'_>,
    open: &CaseSketch<'_>,
    rules: &DuplicateRules,
) -> Option<f64> {
    if new.category != open.category {
        return None;
    }
    if (new.created_ms - open.created_ms).abs() > rules.window_days * 86_400_000 {
        return None;
    }
    let near = match (new.lat, new.lng, open.lat, open.lng) {
        (Some(a), Some(b), Some(c), Some(d)) => distance_m(a, b, c, d) <= rules.max_distance_m,
        // Without coordinates, the same grid or deeper node (片/组/邻, a household's place).
        _ => new.region_code.len() >= 15 && new.region_code == open.region_code,
    };
    if !near {
        return None;
    }
    let sim = similarity(new.text, open.text);
    (sim >= rules.min_similarity).then_some(sim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch<'a>(text: &'a str, lat: Option<f64>, region: &'a str, day: i64) -> CaseSketch<'a> {
        CaseSketch {
            category: "environment.river_garbage",
            region_code: region,
            lat,
            lng: lat.map(|_| 113.94),
            created_ms: day * 86_400_000,
            text,
        }
    }

    #[test]
    fn distance_is_plausible() {
        // One thousandth of a degree of latitude is about 111 m.
        let d = distance_m(25.98, 113.94, 25.981, 113.94);
        assert!((d - 111.2).abs() < 1.0, "{d}");
    }

    #[test]
    fn near_similar_recent_cases_match() {
        let r = DuplicateRules::default();
        let a = sketch(
            "沤江河道有大量垃圾漂浮",
            Some(25.980),
            "431027100001001",
            100,
        );
        let b = sketch(
            "沤江河道垃圾漂浮，气味难闻",
            Some(25.981),
            "431027100001001",
            102,
        );
        assert!(duplicate_score(&b, &a, &r).is_some());
        let far = sketch(
            "沤江河道垃圾漂浮，气味难闻",
            Some(25.99),
            "431027100001001",
            102,
        );
        assert!(duplicate_score(&far, &a, &r).is_none(), "over 1 km away");
        let late = sketch(
            "沤江河道垃圾漂浮，气味难闻",
            Some(25.981),
            "431027100001001",
            140,
        );
        assert!(duplicate_score(&late, &a, &r).is_none(), "40 days later");
        let other = sketch(
            "路灯不亮，晚上出行不便",
            Some(25.981),
            "431027100001001",
            101,
        );
        assert!(
            duplicate_score(&other, &a, &r).is_none(),
            "different matter"
        );
    }

    #[test]
    fn same_grid_without_coordinates() {
        let r = DuplicateRules::default();
        let a = sketch("河道垃圾堆积", None, "431027100001001", 1);
        let b = sketch("河道里垃圾堆积很多", None, "431027100001001", 2);
        assert!(duplicate_score(&b, &a, &r).is_some());
        let village_only = sketch("河道里垃圾堆积很多", None, "431027100001", 2);
        let a_village = sketch("河道垃圾堆积", None, "431027100001", 1);
        assert!(
            duplicate_score(&village_only, &a_village, &r).is_none(),
            "a whole village is not 'the same place'"
        );
    }
}
