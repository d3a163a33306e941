//! The process pool (chapter 13), measured against Python's pools and the
//! in-process thread runner, in one run on this machine.
//!
//!     cargo bench --bench pool
//!     CHUNK=5000 cargo bench --bench pool    # another chunk size (default 1000)
//!     ROUNDS=31 cargo bench --bench pool     # more rounds per median (default 11)
//!     BENCH_SKIP_PYTHON=1 cargo bench --bench pool   # the Rust side only
//!
//! Prints medians and ratios; asserts nothing about time. Needs `python3`
//! for the Python columns (they are skipped without it). The
//! ProcessPoolExecutor column with its default chunk size of 1 takes tens
//! of seconds on its own.
use std::process::Command;
use std::time::{Duration, Instant};

use no_silent_failures::failure::Failure;
use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::runner::Runner;
use no_silent_failures::worker;

include!("../chapters/shared/kill_self.rs");

const TASKS: u64 = 100_000;
const WORKERS: usize = 2;
/// The input that makes a task kill its own worker.
const KILL: u64 = u64::MAX;

fn square(n: u64) -> Result<u64, std::io::Error> {
    if n == KILL {
        kill_self();
    }
    Ok(n.wrapping_mul(n))
}

fn serve_square() {
    pool::serve(square);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn timed(rounds: usize, mut run: impl FnMut()) -> Duration {
    median(
        (0..rounds)
            .map(|_| {
                let start = Instant::now();
                run();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    worker::guard(&[("square", serve_square)]);
    let inputs: Vec<u64> = (0..TASKS).collect();
    let chunk: usize =
        std::env::var("CHUNK").map_or(1000, |c| c.parse().expect("CHUNK is a number"));
    let rounds: usize =
        std::env::var("ROUNDS").map_or(11, |r| r.parse().expect("ROUNDS is a number"));
    let config = Config::new("square").workers(WORKERS).chunk_size(chunk);
    let mut pool = ProcessPool::new(config).expect("this program's path");
    pool.run::<u64, u64>(vec![1, 2]); // start the workers

    let pool_time = timed(rounds, || {
        let outcomes = pool.run::<u64, u64>(inputs.clone());
        assert!(outcomes.iter().all(|o| o.is_ok()));
    });
    let runner = Runner::new().threads(WORKERS);
    let runner_time = timed(rounds, || {
        let outcomes = runner.run(inputs.clone(), |n: &u64| square(*n));
        assert!(outcomes.iter().all(|o| o.is_ok()));
    });

    // Recovery: the same 10k tasks with and without one that kills its
    // worker. The killer sits mid-chunk, so that the tasks run before it in
    // its chunk must be run again to find it.
    let small: Vec<u64> = (0..10_000).collect();
    let mut with_kill = small.clone();
    let killer = (5_000 + chunk / 2).min(small.len() - 1);
    with_kill[killer] = KILL;
    let clean_time = timed(rounds, || {
        pool.run::<u64, u64>(small.clone());
    });
    let kill_time = timed(rounds, || {
        let outcomes = pool.run::<u64, u64>(with_kill.clone());
        assert_eq!(outcomes.len(), with_kill.len(), "an outcome was lost");
        assert!(matches!(outcomes[killer].result, Err(Failure::Died(_))));
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 9_999);
    });

    println!("{TASKS} tiny tasks, {WORKERS} worker processes, median of {rounds} rounds");
    println!("process pool (chunks of {chunk:<5})  {pool_time:>10.3?}");
    println!(
        "thread runner, {WORKERS} threads        {runner_time:>10.3?}   pool overhead per task: {:.2?}",
        (pool_time.saturating_sub(runner_time)) / TASKS as u32
    );
    println!(
        "one SIGKILLed worker in 10k tasks: {kill_time:.3?} vs {clean_time:.3?} clean: recovery costs {:.3?}, no outcome lost",
        kill_time.saturating_sub(clean_time)
    );

    if std::env::var_os("BENCH_SKIP_PYTHON").is_some() {
        return;
    }
    let python = Command::new("python3")
        .args([
            "scripts/bench_pool.py",
            &TASKS.to_string(),
            &WORKERS.to_string(),
            &rounds.to_string(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let Ok(python) = python.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else {
        println!("python3 not found: Python comparison skipped");
        return;
    };
    let Ok(times) = serde_json::from_str::<serde_json::Value>(&python) else {
        println!("the Python benchmark printed no result: {python:?}");
        return;
    };
    for (name, key) in [
        ("Python Pool.map", "pool_map"),
        ("Python ProcessPoolExecutor.map", "executor_map"),
        ("  ... with chunksize=1000", "executor_map_chunksize_1000"),
    ] {
        let seconds = times[key].as_f64().unwrap_or(f64::NAN);
        println!(
            "{name:<32} {:>10.3?}   process pool is {:.1}x its throughput",
            Duration::from_secs_f64(seconds),
            seconds / pool_time.as_secs_f64()
        );
    }
}
