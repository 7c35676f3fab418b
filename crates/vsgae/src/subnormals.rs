//! Subnormal floats flushed to zero on the CPU.
//!
//! A trained model's weights, gradients and Adam's moments hold values below `f32::MIN_POSITIVE`,
//! and x86-64 cores compute with such subnormal values on a slow path. Measured on an Intel Xeon
//! (2 threads, release build, 200 VS-GAE training steps warm-started from `data/vsgae`): 84.8 s
//! as they are, 46.9 s flushed (1.81×; 45.8 s from freshly initialised weights; docs/speed.md),
//! with the mean training loss equal to 3 parts in 10⁷. The native binaries flush them from the
//! start, unless `VSGAE_KEEP_SUBNORMALS=1` keeps IEEE arithmetic (what PyTorch does by default).
//!
//! ```ignore
//! fn main() {
//!     vsgae::subnormals::flush_unless_kept();
//! }
//! ```

/// The environment variable that keeps subnormal arithmetic.
pub const KEEP_SUBNORMALS: &str = "VSGAE_KEEP_SUBNORMALS";

/// Flushes subnormals to zero on this thread ([`flush_to_zero`]) unless [`KEEP_SUBNORMALS`] is
/// set to `1`; whether it did. Call it first thing in `main`: on Linux threads started later
/// inherit the mode.
pub fn flush_unless_kept() -> bool {
    if std::env::var(KEEP_SUBNORMALS).is_ok_and(|value| value == "1") {
        return false;
    }
    flush_to_zero()
}

/// Makes this thread treat subnormal `f32`/`f64` inputs as zero and round subnormal results to
/// zero (x86-64's DAZ and FTZ bits of MXCSR); whether the target has them (elsewhere nothing
/// changes).
pub fn flush_to_zero() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        /// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6).
        const FTZ_DAZ: u32 = 0x8040;
        let mut csr: u32 = 0;
        // SAFETY: `stmxcsr` stores the 32-bit MXCSR into `csr`, and `ldmxcsr` loads it back with
        // two mode bits set; neither touches other memory, and both bits only change how
        // subnormal values round, never raise an exception.
        #[allow(unsafe_code)]
        unsafe {
            core::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
            csr |= FTZ_DAZ;
            core::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly));
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
mod tests {
    use std::hint::black_box;

    use super::*;

    #[test]
    fn subnormal_results_become_zero_on_the_thread_that_flushes() {
        let halve = || black_box(f32::MIN_POSITIVE) / black_box(2.0f32);
        // A fresh thread computes in IEEE arithmetic, whatever the test harness's thread does.
        let (before, after) = std::thread::spawn(move || {
            let before = halve();
            let flushed = flush_to_zero();
            (before, flushed.then(halve))
        })
        .join()
        .unwrap();
        assert!(before > 0.0 && before.is_subnormal(), "{before}");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(after, Some(0.0));
        }
    }
}
