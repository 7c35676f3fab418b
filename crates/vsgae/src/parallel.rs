//! Which backend a device is, and how many host threads work on it is worth splitting over:
//! every core for Burn's CPU backend, one for a GPU (whose kernels already use all of it).

use burn::tensor::Device;

/// The most threads work is split over.
pub const MAX_THREADS: usize = 16;

/// Every core natively (at most [`MAX_THREADS`]), one in a browser.
pub fn default_threads() -> usize {
    if cfg!(target_family = "wasm") {
        return 1;
    }
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
}

/// The items in each of the contiguous shards that `items` split into over at most `threads`
/// threads, near-equal in size (the last may be shorter); at least 1.
pub fn shard_len(items: usize, threads: usize) -> usize {
    items.div_ceil(threads.clamp(1, items.max(1))).max(1)
}

/// The threads worth splitting work over on `device`: every core for Burn's CPU backend, one
/// for a GPU.
pub fn host_threads(device: &Device) -> usize {
    if is_cpu(device) { default_threads() } else { 1 }
}

/// Whether `device` (with or without autodiff) is Burn's CPU backend, where a kernel launch
/// costs nothing and arithmetic is what to save; on a GPU it is the other way round.
pub fn is_cpu(device: &Device) -> bool {
    #[cfg(feature = "flex")]
    if device.clone().inner() == Device::flex() {
        return true;
    }
    let _ = device;
    false
}

/// Runs each job on a scoped thread of its own and gives the results in the jobs' order; a job
/// whose thread panics gives `panicked` of the panic's message.
pub fn on_threads<J: Send, T: Send, E: Send>(
    jobs: Vec<J>,
    run: impl Fn(J) -> Result<T, E> + Sync,
    panicked: impl Fn(String) -> E,
) -> Vec<Result<T, E>> {
    std::thread::scope(|scope| {
        let run = &run;
        let workers: Vec<_> = jobs.into_iter().map(|job| scope.spawn(move || run(job))).collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap_or_else(|panic| Err(panicked(panic_message(panic.as_ref())))))
            .collect()
    })
}

/// Adds `items` up pairwise, each level's pairs on threads of their own: `⌈log₂ n⌉` levels of
/// additions instead of `n − 1` one after the other. An odd item out waits for the next level.
/// The order of the additions depends only on `items.len()`. `None` for no items.
pub fn reduce_pairwise<T: Send, E: Send>(
    items: Vec<T>,
    add: impl Fn(T, T) -> Result<T, E> + Sync,
    panicked: impl Fn(String) -> E,
) -> Result<Option<T>, E> {
    let mut level = items;
    while level.len() > 1 {
        let mut pairs = Vec::with_capacity(level.len() / 2);
        let mut rest = level.into_iter();
        let mut odd = None;
        while let Some(first) = rest.next() {
            match rest.next() {
                Some(second) => pairs.push((first, second)),
                None => odd = Some(first),
            }
        }
        level = on_threads(pairs, |(first, second)| add(first, second), &panicked)
            .into_iter()
            .collect::<Result<Vec<T>, E>>()?;
        level.extend(odd);
    }
    Ok(level.pop())
}

/// What a thread panicked with, where it is text; "a thread panicked" otherwise.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a thread panicked".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{on_threads, reduce_pairwise, shard_len};

    #[test]
    fn shards_are_near_equal_and_never_empty() {
        assert_eq!(shard_len(128, 16), 8);
        assert_eq!(shard_len(10, 3), 4, "shards of 4, 4 and 2");
        assert_eq!(shard_len(5, 16), 1, "more threads than items: one item each");
        assert_eq!(shard_len(7, 0), 7, "no threads: one shard");
        assert_eq!(shard_len(0, 4), 1);
    }

    #[test]
    fn pairwise_reduction_adds_every_item_once_in_a_tree() {
        let joined = |a: String, b: String| Ok::<String, String>(format!("({a}+{b})"));
        let items = |n: usize| (0..n).map(|k| k.to_string()).collect::<Vec<_>>();
        let reduce = |n: usize| reduce_pairwise(items(n), joined, |m| m).expect("no panic");
        assert_eq!(reduce(0), None);
        assert_eq!(reduce(1).as_deref(), Some("0"));
        assert_eq!(reduce(2).as_deref(), Some("(0+1)"));
        assert_eq!(reduce(5).as_deref(), Some("(((0+1)+(2+3))+4)"));
        let failed = reduce_pairwise(items(4), |_, _| Err::<String, String>("no".into()), |m| m);
        assert_eq!(failed, Err("no".to_owned()));
    }

    #[test]
    fn jobs_come_back_in_their_order_and_a_panic_is_an_error() {
        let results = on_threads(
            vec![3, 1, 2, 0],
            |k: u32| {
                if k == 0 {
                    panic!("job zero");
                }
                Ok::<u32, String>(k * 10)
            },
            |message| format!("panicked: {message}"),
        );
        assert_eq!(results, vec![Ok(30), Ok(10), Ok(20), Err("panicked: job zero".to_owned())]);
    }
}
