//! `Runner::run` against plain rayon, in the same process and run.
//!
//!     cargo bench --bench runner
//!
//! Prints the median of several interleaved rounds for each case, and the
//! runner's time as a ratio of rayon's. No timing is asserted anywhere: the
//! numbers are for reading, on the machine at hand.
use std::hint::black_box;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use no_silent_failures::runner::Runner;
use rayon::prelude::*;

const TASKS: u64 = 1_000_000;
const ROUNDS: usize = 15;

fn task(n: &u64) -> Result<u64, std::io::Error> {
    Ok(n.wrapping_mul(2654435761))
}

fn task_with_panics(n: &u64) -> Result<u64, std::io::Error> {
    // One input in ten panics.
    if n % 10 == 3 {
        panic!("input {n} panicked");
    }
    task(n)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Times `baseline` and `runner` in alternating rounds so that both see the
/// same machine, and prints both medians and their ratio.
fn compare(name: &str, mut baseline: impl FnMut() -> usize, mut runner: impl FnMut() -> usize) {
    let (mut base_times, mut runner_times) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let start = Instant::now();
        black_box(baseline());
        base_times.push(start.elapsed());
        let start = Instant::now();
        black_box(runner());
        runner_times.push(start.elapsed());
    }
    let (base, ours) = (median(base_times), median(runner_times));
    println!(
        "{name:<28} rayon {:>9.3?}  runner {:>9.3?}  ratio {:.2}x",
        base,
        ours,
        ours.as_secs_f64() / base.as_secs_f64()
    );
}

fn main() {
    let inputs: Vec<u64> = (0..TASKS).collect();
    let runner = Runner::new();
    println!(
        "{TASKS} tasks, {} rayon threads, median of {ROUNDS} rounds",
        rayon::current_num_threads()
    );

    compare(
        "all succeed",
        || {
            let owned = inputs.clone();
            let results: Vec<_> = owned.into_par_iter().map(|n| task(&n)).collect();
            results.len()
        },
        || runner.run(inputs.clone(), task).len(),
    );

    // The runner also hands back each input: compare with rayon collecting
    // the same (input, result) pairs, to separate the cost of the bigger
    // output from the cost of the capture.
    compare(
        "all succeed, rayon pairs",
        || {
            let owned = inputs.clone();
            let results: Vec<_> = owned
                .into_par_iter()
                .map(|n| {
                    let result = task(&n);
                    (n, result)
                })
                .collect();
            results.len()
        },
        || runner.run(inputs.clone(), task).len(),
    );

    // Plain rayon cannot survive a panic per input; the fair baseline wraps
    // each call in catch_unwind, with a silent hook so that printing 100k
    // panic messages does not swamp the measurement.
    std::panic::set_hook(Box::new(|_| {}));
    compare(
        "10% panic",
        || {
            let owned = inputs.clone();
            let results: Vec<_> = owned
                .into_par_iter()
                .map(|n| catch_unwind(AssertUnwindSafe(|| task_with_panics(&n))))
                .collect();
            results.len()
        },
        || runner.run(inputs.clone(), task_with_panics).len(),
    );
    let _ = std::panic::take_hook();
}
