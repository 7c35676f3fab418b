//! What a device is asked to do, counted: kernel launches (dispatches), host–device
//! synchronisations (readbacks) and kernels launched for the first time in the process (each one
//! a shader or kernel compilation, or a load from the compilation cache).
//!
//! The fixed cost of a GPU step is in these counts, not in its arithmetic: a launch costs
//! microseconds on the host whatever the kernel does, and a readback waits for the device to
//! drain. They are counted the same on every CubeCL device (a GPU through wgpu or CUDA, and Mesa's
//! software Vulkan, lavapipe), so they can be checked without a GPU. Burn's CPU backend launches
//! no kernels and counts none.
//!
//! - Dispatches come from CubeCL's launch observer, attributed to the [`phase`] the launching
//!   thread is in and to the kernel's name.
//! - Compilations are the kernel identities (kernel, shapes' layout, element types, launch
//!   settings) never launched before in a counted stretch of this process: the pipeline cache is
//!   keyed by them, so a new one is compiled (or loaded from the on-disk cache). Count the
//!   warm-up too (and drop its counts), so that its kernels are not new to what follows.
//! - Readbacks are counted in [`crate::readback`], which every readback of this crate goes
//!   through (Burn's own ops read nothing back).
//! - The time of each phase is summed over the threads that run it (training: `forward` and
//!   `backward` on each shard's thread, then `reduce` and `optimizer`; `shards` is the wall time
//!   of all shards' forward and backward passes together).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use burn::tensor::Device;

use serde::Serialize;

thread_local! {
    /// The phase this thread's launches are attributed to.
    static PHASE: std::cell::Cell<&'static str> = const { std::cell::Cell::new(OTHER) };
}

/// Whether phases end by handing their queued operations to the device ([`attribute_phases`]).
static FLUSH_PHASES: AtomicBool = AtomicBool::new(false);

/// Makes every phase on a device end by handing the device its queued operations: a backend
/// that queues operations to fuse them (Burn's `fusion`) launches a phase's kernels later, in
/// whatever phase runs then, unless it is flushed. Flushing fuses a little less across phases,
/// so it is for finding where launches come from, not for timing.
pub fn attribute_phases(on: bool) {
    FLUSH_PHASES.store(on, Ordering::Relaxed);
}

/// Launches on this thread are attributed to `name` until the guard drops.
pub fn phase(name: &'static str) -> PhaseGuard {
    PhaseGuard { previous: PHASE.with(|phase| phase.replace(name)), device: None, started: web_time::Instant::now() }
}

/// The phase of the last [`phase_on`] where [`attribute_phases`] is on: a fusing backend launches
/// kernels from threads of its own, which have no phase.
static PROCESS_PHASE: Mutex<&'static str> = Mutex::new(OTHER);

/// Launches outside every phase.
const OTHER: &str = "other";

/// [`phase`] for work on `device`, which is flushed when the phase ends where
/// [`attribute_phases`] asks for it.
pub fn phase_on(name: &'static str, device: &Device) -> PhaseGuard {
    let flushing = FLUSH_PHASES.load(Ordering::Relaxed);
    if flushing {
        *lock(&PROCESS_PHASE) = name;
    }
    let device = flushing.then(|| device.clone());
    PhaseGuard { previous: PHASE.with(|phase| phase.replace(name)), device, started: web_time::Instant::now() }
}

/// The phase a launch on this thread belongs to.
#[cfg_attr(not(feature = "cubecl"), allow(dead_code, reason = "only CubeCL devices launch kernels"))]
fn current_phase() -> &'static str {
    match PHASE.with(std::cell::Cell::get) {
        OTHER => *lock(&PROCESS_PHASE),
        phase => phase,
    }
}

/// Restores the phase before [`phase`] when dropped, adding the time spent in it to the phase's
/// time while something counts ([`Counting`]).
#[derive(Debug)]
#[must_use = "the phase ends as soon as the guard drops"]
pub struct PhaseGuard {
    previous: &'static str,
    /// The device to flush at the end of the phase.
    device: Option<Device>,
    started: web_time::Instant,
}

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        if let Some(device) = &self.device {
            // Synchronised, so that the phase's kernels have launched before the next phase.
            if let Err(error) = device.flush().and_then(|()| device.sync()) {
                tracing::warn!(?error, "flushing the device at the end of a phase failed");
            }
            *lock(&PROCESS_PHASE) = self.previous;
        }
        let name = PHASE.with(|phase| phase.replace(self.previous));
        if TIMING.load(Ordering::Relaxed) {
            *lock(&PHASE_SECONDS).entry(name).or_default() += self.started.elapsed().as_secs_f64();
        }
    }
}

/// Whether phases add up their time ([`Counting`] is on).
static TIMING: AtomicBool = AtomicBool::new(false);

/// Seconds spent in each phase since counting started, summed over threads.
static PHASE_SECONDS: Mutex<BTreeMap<&'static str, f64>> = Mutex::new(BTreeMap::new());

/// What a device did over a counted stretch of work.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeviceCounts {
    /// Kernel launches.
    pub dispatches: u64,
    /// Host–device synchronisations that read values back.
    pub readbacks: u64,
    /// Kernels launched for the first time in the process.
    pub compilations: u64,
    /// Launches by phase, then by kernel (the kernel's short name).
    pub dispatches_by_phase: BTreeMap<String, BTreeMap<String, u64>>,
    /// Seconds spent in each phase, summed over the threads that ran it (on a GPU, the host's
    /// time to issue the phase's work, unless [`attribute_phases`] waits for it).
    pub seconds_by_phase: BTreeMap<String, f64>,
}

impl DeviceCounts {
    /// The counts divided by `steps` (each launch source's count too, rounded to the nearest
    /// launch), for counts over several equal steps.
    pub fn per_step(&self, steps: usize) -> PerStep {
        let steps = steps.max(1) as f64;
        let by_phase = self
            .dispatches_by_phase
            .iter()
            .map(|(phase, kernels)| (phase.clone(), kernels.values().sum::<u64>() as f64 / steps))
            .collect();
        PerStep {
            dispatches: self.dispatches as f64 / steps,
            readbacks: self.readbacks as f64 / steps,
            compilations: self.compilations as f64 / steps,
            dispatches_by_phase: by_phase,
            seconds_by_phase: self.seconds_by_phase.iter().map(|(phase, &s)| (phase.clone(), s / steps)).collect(),
        }
    }

    /// The `count` kernels launched most, with their phase and launches.
    pub fn top_kernels(&self, count: usize) -> Vec<(String, String, u64)> {
        let mut all: Vec<(String, String, u64)> = self
            .dispatches_by_phase
            .iter()
            .flat_map(|(phase, kernels)| kernels.iter().map(move |(k, &n)| (phase.clone(), k.clone(), n)))
            .collect();
        all.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.cmp(b)));
        all.truncate(count);
        all
    }
}

/// [`DeviceCounts`] per step.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PerStep {
    /// Kernel launches per step.
    pub dispatches: f64,
    /// Reads from the device to the host per step.
    pub readbacks: f64,
    /// Kernel compilations per step.
    pub compilations: f64,
    /// Launches per step by phase.
    pub dispatches_by_phase: BTreeMap<String, f64>,
    /// Seconds per step by phase, summed over threads.
    pub seconds_by_phase: BTreeMap<String, f64>,
}

/// Counts what the device does from [`Counting::start`] to [`Counting::finish`], on every
/// thread. One counting at a time per process: a second one started meanwhile takes over the
/// launches until it finishes.
#[derive(Debug)]
pub struct Counting {
    readbacks_before: u64,
    #[cfg(feature = "cubecl")]
    launches: cubecl::Launches,
}

impl Counting {
    /// Starts counting.
    pub fn start() -> Self {
        lock(&PHASE_SECONDS).clear();
        TIMING.store(true, Ordering::Relaxed);
        Self {
            readbacks_before: crate::readback::readbacks(),
            #[cfg(feature = "cubecl")]
            launches: cubecl::Launches::start(),
        }
    }

    /// Stops counting and returns the counts.
    pub fn finish(self) -> DeviceCounts {
        let readbacks = crate::readback::readbacks().saturating_sub(self.readbacks_before);
        TIMING.store(false, Ordering::Relaxed);
        let seconds_by_phase =
            std::mem::take(&mut *lock(&PHASE_SECONDS)).into_iter().map(|(p, s)| (p.to_owned(), s)).collect();
        #[cfg(feature = "cubecl")]
        {
            let (dispatches_by_phase, compilations) = self.launches.finish();
            let dispatches = dispatches_by_phase.values().flat_map(|kernels| kernels.values()).sum();
            DeviceCounts { dispatches, readbacks, compilations, dispatches_by_phase, seconds_by_phase }
        }
        #[cfg(not(feature = "cubecl"))]
        DeviceCounts { readbacks, seconds_by_phase, ..DeviceCounts::default() }
    }
}

/// Launches by phase and kernel.
#[cfg_attr(not(feature = "cubecl"), allow(dead_code, reason = "only CubeCL devices launch kernels"))]
type ByPhase = BTreeMap<String, BTreeMap<String, u64>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Kernel identities launched so far in this process.
#[cfg_attr(not(feature = "cubecl"), allow(dead_code, reason = "only CubeCL devices launch kernels"))]
static SEEN_KERNELS: Mutex<Option<HashSet<u128>>> = Mutex::new(None);

/// Adds `launched` to the kernels seen so far; how many were new.
#[cfg_attr(not(feature = "cubecl"), allow(dead_code, reason = "only CubeCL devices launch kernels"))]
fn count_new_kernels(launched: impl IntoIterator<Item = u128>) -> u64 {
    let mut seen = lock(&SEEN_KERNELS);
    let seen = seen.get_or_insert_with(HashSet::new);
    launched.into_iter().filter(|&kernel| seen.insert(kernel)).count() as u64
}

#[cfg(feature = "cubecl")]
mod cubecl {
    use std::sync::Arc;

    use super::*;
    use cubecl_runtime::config::{TypeNameFormatLevel, type_name_format};
    use cubecl_runtime::launched::LaunchedKernels;
    use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};

    /// The kernel's name with its generic arguments' names (the operation of an element-wise
    /// kernel), cut to [`KERNEL_NAME_CHARS`].
    fn kernel_name(kernel: &str) -> String {
        let name = type_name_format(kernel, TypeNameFormatLevel::Balanced);
        match name.char_indices().nth(KERNEL_NAME_CHARS) {
            Some((cut, _)) => format!("{}…", &name[..cut]),
            None => name,
        }
    }

    /// The longest kernel name kept.
    const KERNEL_NAME_CHARS: usize = 72;

    /// Counts launches by the launching thread's phase and the kernel's name.
    #[derive(Default)]
    struct ByPhaseObserver(Mutex<BTreeMap<(&'static str, &'static str), u64>>);

    impl LaunchObserver for ByPhaseObserver {
        fn launched(&self, kernel: &'static str) {
            *lock(&self.0).entry((current_phase(), kernel)).or_default() += 1;
        }
    }

    pub(super) struct Launches {
        observer: Arc<ByPhaseObserver>,
        observation: LaunchObservation,
        kernels: LaunchedKernels,
    }

    impl std::fmt::Debug for Launches {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Launches").finish_non_exhaustive()
        }
    }

    impl Launches {
        pub(super) fn start() -> Self {
            let observer = Arc::new(ByPhaseObserver::default());
            let observation = LaunchObservation::new(observer.clone());
            Self { observer, observation, kernels: LaunchedKernels::new() }
        }

        /// Launches by phase and kernel, and how many kernels were launched for the first time.
        pub(super) fn finish(self) -> (ByPhase, u64) {
            let Self { observer, observation, kernels } = self;
            drop(observation);
            let compilations = count_new_kernels(kernels.finish());
            let mut by_phase = ByPhase::new();
            for ((phase, kernel), count) in std::mem::take(&mut *lock(&observer.0)) {
                let name = kernel_name(kernel);
                *by_phase.entry(phase.to_owned()).or_default().entry(name).or_default() += count;
            }
            (by_phase, compilations)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_nest_and_restore() {
        let outer = phase("outer");
        {
            let _inner = phase("inner");
            assert_eq!(PHASE.with(std::cell::Cell::get), "inner");
        }
        assert_eq!(PHASE.with(std::cell::Cell::get), "outer");
        drop(outer);
        assert_eq!(PHASE.with(std::cell::Cell::get), "other");
    }

    #[test]
    fn new_kernels_are_counted_once() {
        let unique = u128::from(std::process::id()) << 64 | 0xfeed;
        assert_eq!(count_new_kernels([unique, unique + 1]), 2);
        assert_eq!(count_new_kernels([unique + 1, unique + 2]), 1);
    }

    #[test]
    fn per_step_divides_every_count() {
        let mut counts = DeviceCounts { dispatches: 30, readbacks: 3, compilations: 0, ..DeviceCounts::default() };
        counts.dispatches_by_phase.entry("forward".into()).or_default().insert("matmul".into(), 20);
        counts.dispatches_by_phase.entry("optimizer".into()).or_default().insert("adam".into(), 10);
        let per_step = counts.per_step(10);
        assert_eq!((per_step.dispatches, per_step.readbacks), (3.0, 0.3));
        assert_eq!(per_step.dispatches_by_phase["forward"], 2.0);
        assert_eq!(counts.top_kernels(1), vec![("forward".to_owned(), "matmul".to_owned(), 20)]);
    }

    #[test]
    fn readbacks_are_counted_on_the_cpu() {
        let device = burn::tensor::Device::flex();
        let counting = Counting::start();
        let tensor = burn::tensor::Tensor::<1>::ones([3], &device);
        let values = crate::readback::floats(tensor).expect("read");
        assert_eq!(values, vec![1.0; 3]);
        // Other tests read back on other threads meanwhile: at least this one was counted.
        assert!(counting.finish().readbacks >= 1);
    }
}
