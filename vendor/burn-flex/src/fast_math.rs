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
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    // `n` as an integer, from the shifted float's low bits: integer arithmetic that vectorises,
    // where a float-to-integer cast (saturating in Rust) does not.
    let whole = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = (((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5.0e-1)
        * (r * r)
        + r
        + 1.0;
    let scale = f32::from_bits((whole.wrapping_add(127) as u32) << 23);
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

/// `f` applied to every element of a contiguous `f32` tensor, with the widest vector
/// instructions the CPU has (AVX-512 or AVX2 on x86-64, detected at run time): in place where the
/// tensor owns its storage alone, into a new buffer otherwise. Other tensors come back as
/// `Err`, for the caller to map element by element.
pub(crate) fn map_contiguous_f32(
    mut tensor: crate::FlexTensor,
    f: impl Fn(f32) -> f32 + Copy,
) -> Result<crate::FlexTensor, crate::FlexTensor> {
    let layout = tensor.layout();
    if tensor.dtype() != burn_backend::DType::F32 || !layout.is_contiguous() {
        return Err(tensor);
    }
    let (start, n) = (layout.start_offset(), layout.num_elements());
    if tensor.is_unique() && start == 0 {
        map_in_place(&mut tensor.storage_mut::<f32>()[..n], f);
        return Ok(tensor);
    }
    let mut values = tensor.storage::<f32>()[start..start + n].to_vec();
    map_in_place(&mut values, f);
    let layout = crate::Layout::contiguous(tensor.layout().shape().clone());
    Ok(crate::FlexTensor::new(burn_std::Bytes::from_elems(values), layout, burn_backend::DType::F32))
}

/// `f` applied to every value, with AVX-512 or AVX2 where the CPU has them.
fn map_in_place(values: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { map_avx512(values, f) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { map_avx2(values, f) };
        }
    }
    map_portable(values, f);
}

#[inline(always)]
fn map_portable(values: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    for value in values.iter_mut() {
        *value = f(*value);
    }
}

/// The same loop compiled for AVX-512 (no fused multiply-adds: the values equal the portable
/// loop's bit for bit).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512(values: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    map_portable(values, f)
}

/// The same loop compiled for AVX2.
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2(values: &mut [f32], f: impl Fn(f32) -> f32 + Copy) {
    map_portable(values, f)
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
    fn the_vector_loop_equals_the_element_loop_bit_for_bit() {
        let range = if cfg!(miri) { 40 } else { 3000 };
        let values: Vec<f32> = (-range..range).map(|k| k as f32 * 0.007).chain([f32::NAN, 1e30, -1e30]).collect();
        for f in [sigmoid_f32 as fn(f32) -> f32, tanh_f32, exp_f32] {
            let mut vector = values.clone();
            map_in_place(&mut vector, f);
            for (&x, &y) in values.iter().zip(&vector) {
                // A NaN stays a NaN; its payload is not compared (Miri draws it at random).
                let same = f(x).to_bits() == y.to_bits() || (f(x).is_nan() && y.is_nan());
                assert!(same, "at {x}: {} against {y}", f(x));
            }
        }
        let shape = burn_std::Shape::from(alloc::vec![2, 3]);
        let tensor = crate::FlexTensor::new(
            burn_std::Bytes::from_elems(alloc::vec![0.0f32, 1.0, -1.0, 2.0, -2.0, 30.0]),
            crate::Layout::contiguous(shape),
            burn_backend::DType::F32,
        );
        let shared = tensor.clone();
        let mapped = map_contiguous_f32(tensor, tanh_f32).expect("contiguous f32");
        assert_eq!(shared.storage::<f32>()[1], 1.0, "a shared tensor is left as it was");
        let expected: Vec<f32> = [0.0f32, 1.0, -1.0, 2.0, -2.0, 30.0].map(tanh_f32).to_vec();
        assert_eq!(mapped.storage::<f32>(), &expected[..]);
    }

    #[test]
    fn the_vector_loop_handles_every_length_and_misaligned_start() {
        // Lengths around the vector widths (8 and 16 lanes) and starts off the 32- and 64-byte
        // boundaries: the vector body, its scalar tail, and nothing written outside the slice.
        let values: Vec<f32> = (0..200).map(|k| (k as f32 - 100.0) * 0.173).collect();
        for start in 0..4 {
            // Miri interprets every element: the lengths around one vector width there.
            for len in if cfg!(miri) { 0..=18 } else { 0..=70 } {
                let mut buffer = values.clone();
                map_in_place(&mut buffer[start..start + len], tanh_f32);
                for (i, (&x, &y)) in values.iter().zip(&buffer).enumerate() {
                    let expected = if (start..start + len).contains(&i) { tanh_f32(x) } else { x };
                    assert_eq!(y.to_bits(), expected.to_bits(), "start {start}, length {len}, element {i}");
                }
            }
        }
    }

    #[test]
    fn a_view_into_a_larger_buffer_maps_only_its_own_elements() {
        // A contiguous view that starts inside its storage is copied out, not mapped in place.
        let storage = alloc::vec![0.5f32, 1.0, -1.0, 2.0, -2.0, 30.0, 7.0];
        let whole = crate::FlexTensor::new(
            burn_std::Bytes::from_elems(storage.clone()),
            crate::Layout::contiguous(burn_std::Shape::from(alloc::vec![7])),
            burn_backend::DType::F32,
        );
        let view = whole.narrow(0, 2, 3);
        let mapped = map_contiguous_f32(view, sigmoid_f32).expect("contiguous f32");
        let expected: Vec<f32> = storage[2..5].iter().map(|&x| sigmoid_f32(x)).collect();
        assert_eq!(mapped.storage::<f32>(), &expected[..]);
        assert_eq!(whole.storage::<f32>(), &storage[..], "the storage is left as it was");
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri perturbs libm's results on purpose, and the dense grid is slow there")]
    fn exp_is_within_a_few_ulp_of_libm() {
        assert!(worst(exp_f32, f32::exp, -87.0, 88.0) < 4.0 * f32::EPSILON);
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert_eq!(exp_f32(1000.0), exp_f32(EXP_HIGH));
        assert!(exp_f32(-1000.0) > 0.0 && exp_f32(-1000.0).is_normal());
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri perturbs libm's results on purpose, and the dense grid is slow there")]
    fn sigmoid_is_within_a_few_ulp_of_the_exact_formula() {
        let exact = |x: f32| (1.0 / (1.0 + (-(x as f64)).exp())) as f32;
        assert!(worst(sigmoid_f32, exact, -80.0, 30.0) < 4.0 * f32::EPSILON);
        assert_eq!(sigmoid_f32(0.0), 0.5);
        assert_eq!(sigmoid_f32(50.0), 1.0);
        assert!(sigmoid_f32(-1000.0) >= 0.0 && sigmoid_f32(-1000.0) < 1e-37);
        assert!(sigmoid_f32(f32::NAN).is_nan());
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri perturbs libm's results on purpose, and the dense grid is slow there")]
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
