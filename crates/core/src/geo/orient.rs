//! The exact orientation predicate behind the boundary rule.
//!
//! `orient2d(a, b, c)` returns a number whose *sign* is exactly the sign of the
//! determinant `(a − c) × (b − c)`: positive when `c` lies strictly to the left of the
//! directed line `a → b`, negative when strictly to the right, zero when collinear.
//! A plain floating-point evaluation can get the sign wrong for points within rounding
//! distance of the line — precisely the points on shared edges — so two grids could both
//! (or neither) claim such a point. Following Shewchuk ("Adaptive Precision
//! Floating-Point Arithmetic and Fast Robust Geometric Predicates", 1997) the fast
//! evaluation is trusted only when its error bound proves the sign; otherwise the
//! determinant is summed exactly as a floating-point expansion. The exact path is rare
//! (points within ~1e-13° of an edge line) and allocation-free.
//!
//! Exactness assumes no overflow or underflow: true for degree coordinates whose
//! differences are either zero or larger than ~1e-150.

use super::Point;

/// Unit roundoff of f64 (2^-53).
const EPSILON: f64 = f64::EPSILON * 0.5;
/// Shewchuk's `ccwerrboundA`: the fast determinant's sign is right when
/// `|det| >= CCW_ERRBOUND_A * (|detleft| + |detright|)`.
const CCW_ERRBOUND_A: f64 = (3.0 + 16.0 * EPSILON) * EPSILON;

/// The sign of `(a − c) × (b − c)`, exactly (the magnitude is approximate).
#[inline]
pub(crate) fn orient2d(a: Point, b: Point, c: Point) -> f64 {
    let detleft = (a.lng - c.lng) * (b.lat - c.lat);
    let detright = (a.lat - c.lat) * (b.lng - c.lng);
    let det = detleft - detright;
    let detsum = if detleft > 0.0 {
        if detright <= 0.0 {
            return det;
        }
        detleft + detright
    } else if detleft < 0.0 {
        if detright >= 0.0 {
            return det;
        }
        -detleft - detright
    } else {
        return det;
    };
    let errbound = CCW_ERRBOUND_A * detsum;
    if det >= errbound || -det >= errbound {
        return det;
    }
    orient2d_exact(a, b, c)
}

/// The determinant summed exactly; returns ±1.0 or 0.0.
#[cold]
fn orient2d_exact(a: Point, b: Point, c: Point) -> f64 {
    // Each difference is exactly hi + lo; the determinant expands to 8 exact products,
    // each exactly hi + lo again: 16 doubles whose exact sum is the determinant.
    let (acx, acx_lo) = two_diff(a.lng, c.lng);
    let (bcy, bcy_lo) = two_diff(b.lat, c.lat);
    let (acy, acy_lo) = two_diff(a.lat, c.lat);
    let (bcx, bcx_lo) = two_diff(b.lng, c.lng);
    let mut sum = Expansion::default();
    for (x, y) in [(acx, bcy), (acx, bcy_lo), (acx_lo, bcy), (acx_lo, bcy_lo)] {
        let (hi, lo) = two_product(x, y);
        sum.grow(lo);
        sum.grow(hi);
    }
    for (x, y) in [(acy, bcx), (acy, bcx_lo), (acy_lo, bcx), (acy_lo, bcx_lo)] {
        let (hi, lo) = two_product(x, y);
        sum.grow(-lo);
        sum.grow(-hi);
    }
    sum.sign()
}

/// `a + b` as `(rounded, error)` with `rounded + error == a + b` exactly (Knuth).
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let x = a + b;
    let b_virtual = x - a;
    let a_virtual = x - b_virtual;
    let b_roundoff = b - b_virtual;
    let a_roundoff = a - a_virtual;
    (x, a_roundoff + b_roundoff)
}

/// `a - b` as `(rounded, error)` with `rounded + error == a - b` exactly.
#[inline]
fn two_diff(a: f64, b: f64) -> (f64, f64) {
    let x = a - b;
    let b_virtual = a - x;
    let a_virtual = x + b_virtual;
    let b_roundoff = b_virtual - b;
    let a_roundoff = a - a_virtual;
    (x, a_roundoff + b_roundoff)
}

/// `a * b` as `(rounded, error)`, exact by a fused multiply-add.
#[inline]
fn two_product(a: f64, b: f64) -> (f64, f64) {
    let x = a * b;
    (x, a.mul_add(b, -x))
}

/// A nonoverlapping expansion: doubles whose exact sum is the value, in increasing
/// order of magnitude (zeros may be interspersed).
#[derive(Default)]
struct Expansion {
    parts: [f64; 16],
    len: usize,
}

impl Expansion {
    /// Adds `b` exactly (Shewchuk's Grow-Expansion). At most 16 additions.
    fn grow(&mut self, b: f64) {
        let mut q = b;
        for part in &mut self.parts[..self.len] {
            let (sum, err) = two_sum(q, *part);
            *part = err;
            q = sum;
        }
        if let Some(slot) = self.parts.get_mut(self.len) {
            *slot = q;
            self.len += 1;
        }
    }

    /// The sign of the exact sum: that of the largest (last) nonzero part.
    fn sign(&self) -> f64 {
        self.parts[..self.len]
            .iter()
            .rev()
            .find(|part| **part != 0.0)
            .map_or(0.0, |part| part.signum())
    }
}
