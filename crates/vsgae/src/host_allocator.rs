//! The allocator of the native binaries (the `vsgae` CLI and the desktop app).
//!
//! Burn's CPU backend allocates a fresh buffer for every tensor of every operation. With
//! glibc's allocator, large blocks go back to the kernel when freed and every new one costs page
//! faults: a third of a training step. mimalloc reuses freed blocks, and [`keep_freed_memory`]
//! stops it from returning them to the kernel a second later (measured with `vsgae bench`:
//! VS-GAE training 1.12× on top of mimalloc's defaults).
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOCATOR: vsgae::host_allocator::HostAllocator = vsgae::host_allocator::HostAllocator;
//!
//! fn main() {
//!     vsgae::host_allocator::keep_freed_memory();
//! }
//! ```

pub use mimalloc::MiMalloc as HostAllocator;

/// mimalloc's `mi_option_purge_delay`, which `libmimalloc-sys` does not name: in `mimalloc.h` it
/// is the option just before `mi_option_use_numa_nodes`.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;

/// Keeps memory the process frees for its own reuse instead of handing it back to the kernel
/// (mimalloc's purge delay −1). The process's footprint stays at its peak.
pub fn keep_freed_memory() {
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table; any value is valid
    // for the purge delay, and mimalloc reads options atomically from every thread.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reads an integer from mimalloc's option table.
        #[allow(unsafe_code)]
        let delay = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        // mimalloc 3's default purge delay, unless the environment sets one.
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(delay(), 1000, "the option before use_numa_nodes is not the purge delay");
        }
        keep_freed_memory();
        assert_eq!(delay(), -1);
    }
}
