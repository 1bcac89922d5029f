//! Side-by-side timing that interleaves two engines.
//!
//! Criterion times one function, then the next. On this 2-core virtual machine the
//! background load drifts over a run by more than the differences we measure, so a ratio
//! of two criterion medians can move by ±15% between runs of the same code. Here the two
//! engines alternate round by round (and swap which goes first every round), each round
//! gives a ratio, and the median and quartiles of those ratios are reported.

use std::time::Instant;

/// Runs `a` and `b` alternately for `rounds` rounds and prints their median times and
/// the quartiles of the per-round ratio a / b.
pub fn interleaved(label: &str, rounds: usize, mut a: impl FnMut(), mut b: impl FnMut()) {
    let (mut a_s, mut b_s, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let time = |f: &mut dyn FnMut()| {
            let started = Instant::now();
            f();
            started.elapsed().as_secs_f64()
        };
        let (ta, tb) = if round % 2 == 0 {
            let ta = time(&mut a);
            (ta, time(&mut b))
        } else {
            let tb = time(&mut b);
            (time(&mut a), tb)
        };
        a_s.push(ta);
        b_s.push(tb);
        ratios.push(ta / tb);
    }
    let quartiles = |mut v: Vec<f64>| -> [f64; 3] {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        [at(0.25), at(0.5), at(0.75)]
    };
    let ratio = quartiles(ratios);
    println!(
        "interleaved {label}: {rounds} rounds, medians {:.3} ms / {:.3} ms, ratio median {:.3} (quartiles {:.3}-{:.3})",
        quartiles(a_s)[1] * 1e3,
        quartiles(b_s)[1] * 1e3,
        ratio[1],
        ratio[0],
        ratio[2]
    );
}
