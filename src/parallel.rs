//! Work spread over the machine's cores, results in the order of the input.
//!
//! A hand-written queue rather than rayon: the few places that fan out (loading layers,
//! building their generalisations) hand out a handful of large, uneven items, for which
//! an atomic counter over scoped threads is all the scheduling needed, and the crate
//! stays free of a global thread pool beside tokio's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` over `items` on up to as many threads as the machine has cores, each thread
/// taking the next item as it finishes one (so uneven items balance); the results in
/// the order of `items`. For a few large items (layers); a panic in `f` is raised
/// again here.
pub fn map_in_order<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(items.len());
    if workers < 2 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    done.lock().unwrap_or_else(|e| e.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// `f` over `items` on two threads, each taking one half; results in order. For many
/// small items (features, tiles), where handing them out one by one would cost more
/// than the work.
pub fn in_halves<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let mid = items.len() / 2;
    let (a, b) = items.split_at(mid);
    std::thread::scope(|s| {
        let second = s.spawn(|| b.iter().map(&f).collect::<Vec<R>>());
        let mut out: Vec<R> = a.iter().map(&f).collect();
        out.extend(second.join().expect("a worker thread panicked"));
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order_whatever_finishes_first() {
        // Early items take longest, so they finish last.
        let items: Vec<u64> = (0..40).collect();
        let out = map_in_order(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_millis((40 - i) / 4));
            i * i
        });
        assert_eq!(out, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert!(map_in_order(&Vec::<u8>::new(), |_| 0).is_empty());
    }
}
