//! Double-double arithmetic with the qd package's semantics, as in xsf's `dd_real.h`: a value is
//! an unevaluated sum `hi + lo` of two `f64`, about 32 significant digits, for the Smirnov sum.

use std::ops::{Add, Div, Mul, Neg, Sub};

use crate::drift::stats::primitives::{frexp, ldexp};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

fn quick_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    (s, b - c)
}

fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let c = s - a;
    let d = b - c;
    let e = s - c;
    (s, (a - e) + d)
}

fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

impl Dd {
    pub(super) const fn new(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
    pub(super) fn eq_f(self, x: f64) -> bool {
        self.hi == x && self.lo == 0.0
    }
    pub(super) fn is_finite(self) -> bool {
        self.hi.is_finite()
    }
    pub(super) fn frexp(self) -> (Dd, i32) {
        let (mut man, mut exponent) = frexp(self.hi);
        let mut b1 = ldexp(self.lo, -exponent);
        if man.abs() == 0.5 && man * b1 < 0.0 {
            man *= 2.0;
            b1 *= 2.0;
            exponent -= 1;
        }
        (Dd { hi: man, lo: b1 }, exponent)
    }
    pub(super) fn ldexp(self, e: i32) -> Dd {
        Dd {
            hi: ldexp(self.hi, e),
            lo: ldexp(self.lo, e),
        }
    }
    pub(super) fn floor(self) -> Dd {
        let hi = self.hi.floor();
        if hi == self.hi {
            let lo = self.lo.floor();
            let (h, l) = quick_two_sum(hi, lo);
            Dd { hi: h, lo: l }
        } else {
            Dd { hi, lo: 0.0 }
        }
    }
}

impl Neg for Dd {
    type Output = Dd;
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Add for Dd {
    type Output = Dd;
    fn add(self, r: Dd) -> Dd {
        let (s1, s2) = two_sum(self.hi, r.hi);
        let (t1, t2) = two_sum(self.lo, r.lo);
        let s2 = s2 + t1;
        let (s1, s2) = quick_two_sum(s1, s2);
        let s2 = s2 + t2;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Add<f64> for Dd {
    type Output = Dd;
    fn add(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, r);
        let s2 = s2 + self.lo;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, r: Dd) -> Dd {
        self + (-r)
    }
}

impl Sub<f64> for Dd {
    type Output = Dd;
    fn sub(self, r: f64) -> Dd {
        let (s1, s2) = two_sum(self.hi, -r);
        let s2 = s2 + self.lo;
        let (s1, s2) = quick_two_sum(s1, s2);
        Dd { hi: s1, lo: s2 }
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, r: Dd) -> Dd {
        let (p1, p2) = two_prod(self.hi, r.hi);
        let p2 = p2 + (self.hi * r.lo + self.lo * r.hi);
        let (p1, p2) = quick_two_sum(p1, p2);
        Dd { hi: p1, lo: p2 }
    }
}

impl Mul<f64> for Dd {
    type Output = Dd;
    fn mul(self, r: f64) -> Dd {
        let (p1, e1) = two_prod(self.hi, r);
        let (p2, e2) = two_prod(self.lo, r);
        let (p1, e1) = quick_two_sum(p1, e2 + p2 + e1);
        Dd { hi: p1, lo: e1 }
    }
}

impl Mul<Dd> for f64 {
    type Output = Dd;
    fn mul(self, r: Dd) -> Dd {
        r * self
    }
}

impl Div for Dd {
    type Output = Dd;
    fn div(self, r: Dd) -> Dd {
        let q1 = self.hi / r.hi;
        let rem = self - r * q1;
        let q2 = rem.hi / r.hi;
        let rem = rem - r * q2;
        let q3 = rem.hi / r.hi;
        let (q1, q2) = quick_two_sum(q1, q2);
        Dd { hi: q1, lo: q2 } + q3
    }
}

impl Div<f64> for Dd {
    type Output = Dd;
    fn div(self, r: f64) -> Dd {
        self / Dd::new(r)
    }
}

impl Div<Dd> for f64 {
    type Output = Dd;
    fn div(self, r: Dd) -> Dd {
        Dd::new(self) / r
    }
}
