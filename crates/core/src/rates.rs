//! The 接诉即办 figures: 响应率, 解决率, 满意率, on-time rate and average handling time,
//! from counters the store keeps per region and month. Numerators and denominators are
//! reported with each rate, so any jurisdiction's weights can be applied downstream.

use serde::Serialize;
use utoipa::ToSchema;

/// Summed counters for one region subtree and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counters {
    pub created: i64,
    pub dispatched: i64,
    pub responded_on_time: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub handling_ms: i64,
    pub rated: i64,
    pub satisfied: i64,
    pub basic_satisfied: i64,
    pub unsatisfied: i64,
    pub solved: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rate {
    /// `None` when the denominator is zero (no rate, rather than a misleading 0 or 100%).
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: i64,
}

impl Rate {
    fn of(numerator: f64, denominator: i64) -> Self {
        Rate {
            value: (denominator > 0).then(|| numerator / denominator as f64),
            numerator,
            denominator,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rates {
    /// Orders signed for within the dispatch limit / orders dispatched.
    pub response_rate: Rate,
    /// Orders rated solved / orders rated.
    pub resolution_rate: Rate,
    /// (满意 + k·基本满意) / orders rated.
    pub satisfaction_rate: Rate,
    /// Closed within the time limit / closed.
    pub on_time_rate: Rate,
    /// Mean hours from creation to closing, over closed cases.
    pub average_handling_hours: Option<f64>,
    /// The weight k given to 基本满意.
    pub basic_satisfied_weight: f64,
    /// Σ wᵢ·rateᵢ with the configured weights (response, resolution, satisfaction), when all three exist.
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Copy)]
pub struct RateWeights {
    pub basic_satisfied: f64,
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for RateWeights {
    /// 30/35/35 as one county weights the trio; k = 0.8 for 基本满意. Both are configuration.
    fn default() -> Self {
        Self {
            basic_satisfied: 0.8,
            response: 0.30,
            resolution: 0.35,
            satisfaction: 0.35,
        }
    }
}

pub fn compute(c: &Counters, w: &RateWeights) -> Rates {
    let response_rate = Rate::of(c.responded_on_time as f64, c.dispatched);
    let resolution_rate = Rate::of(c.solved as f64, c.rated);
    let satisfaction_rate = Rate::of(
        c.satisfied as f64 + w.basic_satisfied * c.basic_satisfied as f64,
        c.rated,
    );
    let on_time_rate = Rate::of(c.closed_on_time as f64, c.closed);
    let score = match (
        response_rate.value,
        resolution_rate.value,
        satisfaction_rate.value,
    ) {
        (Some(a), Some(b), Some(s)) => Some(w.response * a + w.resolution * b + w.satisfaction * s),
        _ => None,
    };
    Rates {
        response_rate,
        resolution_rate,
        satisfaction_rate,
        on_time_rate,
        average_handling_hours: (c.closed > 0)
            .then(|| c.handling_ms as f64 / c.closed as f64 / 3_600_000.0),
        basic_satisfied_weight: w.basic_satisfied,
        score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_from_counters() {
        let c = Counters {
            dispatched: 10,
            responded_on_time: 9,
            rated: 5,
            satisfied: 3,
            basic_satisfied: 1,
            unsatisfied: 1,
            solved: 4,
            closed: 4,
            closed_on_time: 3,
            handling_ms: 4 * 2 * 3_600_000,
            ..Default::default()
        };
        let r = compute(&c, &RateWeights::default());
        assert_eq!(r.response_rate.value, Some(0.9));
        assert_eq!(r.resolution_rate.value, Some(0.8));
        assert!((r.satisfaction_rate.value.unwrap() - 0.76).abs() < 1e-9);
        assert_eq!(r.on_time_rate.value, Some(0.75));
        assert_eq!(r.average_handling_hours, Some(2.0));
        assert!((r.score.unwrap() - (0.3 * 0.9 + 0.35 * 0.8 + 0.35 * 0.76)).abs() < 1e-9);
    }

    #[test]
    fn no_denominator_no_rate() {
        let r = compute(&Counters::default(), &RateWeights::default());
        assert_eq!(r.response_rate.value, None);
        assert_eq!(r.score, None);
        assert_eq!(r.average_handling_hours, None);
    }
}
