//! Branch-free `f32` exponential, sigmoid and tanh (Cephes' polynomials), written so that a loop
//! applying one of them to a slice vectorises: no calls into libm, selects instead of branches.
//! Relative error within a few ulp of libm's; NaN propagates; `tanh` is exactly `±1` from
//! `|x| ≈ 9.01` on, as libm's is.

const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// `ln 2` split in two for an exact range reduction: `C1` has few mantissa bits.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// Adding and subtracting `1.5 · 2^23` rounds a float of magnitude below `2^22` to an integer.
const ROUND: f32 = 12_582_912.0;
/// The arguments at which `exp` is held: its result stays a normal float (`2^n`, `n` in −126‥127).
const EXP_LOW: f32 = -87.3;
const EXP_HIGH: f32 = 88.0;

/// `e^x`, held to `e^-87.3 ‥ e^88` for arguments beyond them (both ends are normal floats).
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    // Comparisons rather than `min`/`max`, so that NaN passes through.
    let x = if x > EXP_HIGH { EXP_HIGH } else { x };
    let x = if x < EXP_LOW { EXP_LOW } else { x };
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = (((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5.0e-1)
        * (r * r)
        + r
        + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    p * scale
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub(crate) fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// `tanh x`: an odd polynomial below `|x| = 0.625`, `1 − 2 / (e^{2|x|} + 1)` with `x`'s sign above.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let z = x * x;
    // `x · (1 + z·P(z))` rather than `x + x·z·P(z)`, so that `tanh(−0) = −0`.
    let small = x
        * (1.0
            + ((((-5.704_988_7e-3 * z + 2.063_908_9e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
                - 3.333_328_2e-1)
                * z);
    let a = x.abs();
    let large = (1.0 - 2.0 / (exp_f32(2.0 * a) + 1.0)).copysign(x);
    if a < 0.625 { small } else { large }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The largest relative difference from libm over a dense grid of `[-lo, hi]`.
    fn worst(f: impl Fn(f32) -> f32, g: impl Fn(f32) -> f32, lo: f32, hi: f32) -> f32 {
        let steps = 200_000;
        (0..=steps)
            .map(|k| lo + (hi - lo) * k as f32 / steps as f32)
            .map(|x| {
                let (a, b) = (f(x), g(x));
                (a - b).abs() / b.abs().max(f32::MIN_POSITIVE)
            })
            .fold(0.0, f32::max)
    }

    #[test]
    fn exp_is_within_a_few_ulp_of_libm() {
        assert!(worst(exp_f32, f32::exp, -87.0, 88.0) < 4.0 * f32::EPSILON);
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(1000.0), exp_f32(EXP_HIGH));
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(-1000.0).is_normal());
    }

    #[test]
    fn sigmoid_is_within_a_few_ulp_of_the_exact_formula() {
        let exact = |x: f32| (1.0 / (1.0 + (-(x as f64)).exp())) as f32;
        assert!(worst(sigmoid_f32, exact, -80.0, 30.0) < 4.0 * f32::EPSILON);
        assert_eq!(sigmoid_f32(0.0), 0.5);
        assert_eq!(sigmoid_f32(50.0), 1.0);
        assert!(sigmoid_f32(-1000.0) >= 0.0 && sigmoid_f32(-1000.0) < 1e-37);
        assert!(sigmoid_f32(f32::NAN).is_nan());
    }

    #[test]
    fn tanh_is_within_a_few_ulp_of_libm_and_saturates_as_it_does() {
        assert!(worst(tanh_f32, f32::tanh, -12.0, 12.0) < 4.0 * f32::EPSILON);
        assert!(worst(tanh_f32, f32::tanh, -1e-3, 1e-3) < 2.0 * f32::EPSILON);
        for x in [9.1f32, 10.0, 20.0, 100.0, 1e30, f32::INFINITY] {
            assert_eq!(tanh_f32(x), 1.0, "tanh({x})");
            assert_eq!(tanh_f32(-x), -1.0, "tanh(-{x})");
        }
        assert_eq!(tanh_f32(0.0).to_bits(), 0.0f32.to_bits());
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert!(tanh_f32(f32::NAN).is_nan());
    }
}
