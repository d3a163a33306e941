//! The process pool (chapter 13), measured against Python's pools and the
//! in-process thread runner, in one run on this machine.
//!
//!     cargo bench --bench pool               # chunks of 1000, and the default (Pool.map's size)
//!     CHUNK=5000 cargo bench --bench pool    # one chunk size of your own
//!     ROUNDS=51 cargo bench --bench pool     # more rounds per median (default 21)
//!     BENCH_SKIP_PYTHON=1 cargo bench --bench pool   # the Rust side only
//!
//! Prints medians and ratios; asserts nothing about time. Needs `python3`
//! for the Python rows (they are skipped without it). The
//! ProcessPoolExecutor row, with its default chunk size of 1, takes tens
//! of seconds on its own, so it is timed once, without a warm-up.
use std::process::Command;
use std::time::{Duration, Instant};

use no_silent_failures::failure::Failure;
use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::runner::Runner;
use no_silent_failures::worker;
use postcard::ser_flavors::Flavor;
use serde::{Deserialize, Serialize};

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

/// Rounds run, untimed, before the timed ones, on both sides: the first
/// rounds pay for cold caches and for memory the allocator has yet to ask for.
const WARM_UP: usize = 3;

/// The median time of `run`, on inputs made by `setup` and results checked
/// by `check`, neither of them timed (the Python side times only the call
/// as well).
fn timed<S, R>(
    rounds: usize,
    mut setup: impl FnMut() -> S,
    mut run: impl FnMut(S) -> R,
    mut check: impl FnMut(R),
) -> Duration {
    let mut round = || {
        let inputs = setup();
        let start = Instant::now();
        let result = run(inputs);
        let time = start.elapsed();
        check(result);
        time
    };
    for _ in 0..WARM_UP {
        round();
    }
    median((0..rounds).map(|_| round()).collect())
}

/// What one chunk size gave.
struct PoolTimes {
    /// The chunk size, and whether it is the one the pool picks itself.
    chunk: usize,
    default: bool,
    run: Duration,
    killed: Duration,
}

impl PoolTimes {
    fn label(&self) -> String {
        let default = if self.default { "default " } else { "" };
        format!("{default}chunks of {}", self.chunk)
    }
}

/// Times the pool at one chunk size (`None`: the pool's own choice):
/// `inputs` as they are, and again with one task that kills its worker.
/// The killer sits in the middle of a chunk in the middle of the run, so
/// the tasks before it in its chunk must run again, one result at a time,
/// to find it.
fn time_pool(chunk: Option<usize>, rounds: usize, inputs: &[u64]) -> PoolTimes {
    let mut config = Config::new("square").workers(WORKERS);
    if let Some(chunk) = chunk {
        config = config.chunk_size(chunk);
    }
    let default = chunk.is_none();
    let chunk = config.chunk_size_for(inputs.len());
    let mut pool = ProcessPool::new(config).expect("this program's path");
    // Starts the workers; a pool whose workers cannot serve ends here.
    let started = pool.run::<u64, u64>(vec![1, 2]);
    assert!(started.iter().all(|o| o.is_ok()), "{started:?}");

    let run = timed(
        rounds,
        || inputs.to_vec(),
        |inputs| pool.run::<u64, u64>(inputs),
        |outcomes| {
            assert_eq!(outcomes.len(), inputs.len(), "an outcome was lost");
            for (outcome, input) in outcomes.iter().zip(inputs) {
                assert_eq!(outcome.input, *input);
                assert_eq!(outcome.value(), Some(&input.wrapping_mul(*input)));
            }
        },
    );
    let mut with_kill = inputs.to_vec();
    let killer = (inputs.len() / 2 / chunk * chunk + chunk / 2).min(inputs.len() - 1);
    with_kill[killer] = KILL;
    let killed = timed(
        rounds,
        || with_kill.clone(),
        |inputs| pool.run::<u64, u64>(inputs),
        |outcomes| {
            assert_eq!(outcomes.len(), with_kill.len(), "an outcome was lost");
            assert!(matches!(outcomes[killer].result, Err(Failure::Died(_))));
            assert_eq!(
                outcomes.iter().filter(|o| o.is_ok()).count(),
                inputs.len() - 1
            );
        },
    );
    PoolTimes {
        chunk,
        default,
        run,
        killed,
    }
}

/// The median time to write every square in `results` and read it back:
/// as postcard's varints, and at full width as the pool sends numbers.
fn time_codecs(rounds: usize, results: &[u64]) -> (Duration, Duration) {
    let expected = results.iter().fold(0u64, |sum, n| sum.wrapping_add(*n));
    let postcard = timed(
        rounds,
        || (),
        |()| {
            // One serializer and one deserializer for every number.
            let mut writer = postcard::Serializer {
                output: postcard::ser_flavors::StdVec::new(),
            };
            for result in results {
                result.serialize(&mut writer).expect("a u64 serializes");
            }
            let bytes = writer.output.finalize().expect("a Vec has room");
            let mut reader = postcard::Deserializer::from_bytes(&bytes);
            (0..results.len()).fold(0u64, |sum, _| {
                sum.wrapping_add(u64::deserialize(&mut reader).expect("a u64"))
            })
        },
        |sum| assert_eq!(sum, expected),
    );
    let full_width = timed(
        rounds,
        || (),
        |()| {
            // Grown as it goes, as postcard's Vec is.
            let mut bytes = Vec::new();
            for result in results {
                bytes.extend_from_slice(&result.to_le_bytes());
            }
            let (words, _) = bytes.as_chunks::<8>();
            words.iter().fold(0u64, |sum, word| {
                sum.wrapping_add(u64::from_le_bytes(*word))
            })
        },
        |sum| assert_eq!(sum, expected),
    );
    (postcard, full_width)
}

fn main() {
    worker::guard(&[("square", serve_square)]);
    let inputs: Vec<u64> = (0..TASKS).collect();
    // Pool.map's own chunk size for this many tasks and workers (CPython's
    // `Pool._map_async`: the tasks over four times the workers, rounded up),
    // which is the pool's default too: one line compares like with like.
    let python_chunk = (TASKS as usize).div_ceil(WORKERS * 4);
    let chunks: Vec<Option<usize>> = match std::env::var("CHUNK") {
        Ok(chunk) => vec![Some(chunk.parse().expect("CHUNK is a number"))],
        Err(_) => vec![Some(1000), None],
    };
    let rounds: usize =
        std::env::var("ROUNDS").map_or(21, |r| r.parse().expect("ROUNDS is a number"));

    let runner = Runner::new().threads(WORKERS);
    let runner_time = timed(
        rounds,
        || inputs.clone(),
        |inputs| runner.run(inputs, |n: &u64| square(*n)),
        |outcomes| assert!(outcomes.iter().all(|o| o.is_ok())),
    );
    let squares: Vec<u64> = inputs.iter().map(|n| n * n).collect();
    let (postcard_time, full_width_time) = time_codecs(rounds, &squares);
    let pools: Vec<PoolTimes> = chunks
        .iter()
        .map(|&chunk| time_pool(chunk, rounds, &inputs))
        .collect();
    // The default row is the like-for-like row only if the pool picks
    // what Pool.map picks.
    if let Some(default) = pools.iter().find(|pool| pool.default) {
        assert_eq!(default.chunk, python_chunk, "the pool's default chunks");
    }

    println!("{TASKS} tiny tasks, {WORKERS} workers, median of {rounds} rounds");
    let row = |label: &str, time: Duration, note: String| {
        let line = format!("{label:<46} {time:>10.3?}   {note}");
        println!("{}", line.trim_end());
    };
    row(
        &format!("thread runner, {WORKERS} threads"),
        runner_time,
        String::new(),
    );
    row(
        &format!("{TASKS} results, varints (postcard)"),
        postcard_time,
        "written and read back, one thread".to_owned(),
    );
    row(
        "  ... at full width, as the pool does",
        full_width_time,
        format!(
            "{:.1}x faster",
            postcard_time.as_secs_f64() / full_width_time.as_secs_f64()
        ),
    );
    for pool in &pools {
        row(
            &format!("process pool, {}", pool.label()),
            pool.run,
            format!(
                "overhead per task: {:.1?} over the thread runner",
                pool.run.saturating_sub(runner_time) / TASKS as u32
            ),
        );
        row(
            "  one worker SIGKILLed mid-chunk",
            pool.killed,
            format!(
                "recovery costs {:.3?}; no outcome lost",
                pool.killed.saturating_sub(pool.run)
            ),
        );
    }

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
    let python = match python {
        Ok(python) => python,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            println!("python3 not found: Python comparison skipped");
            return;
        }
        Err(error) => {
            println!("could not run python3: {error}");
            std::process::exit(1);
        }
    };
    let Ok(times) = serde_json::from_slice::<serde_json::Value>(&python.stdout) else {
        // Its own failure, not a missing row, is what the reader needs.
        let stderr = String::from_utf8_lossy(&python.stderr);
        println!(
            "the Python benchmark failed ({}): {}",
            python.status,
            stderr.lines().last().unwrap_or("nothing on stderr")
        );
        std::process::exit(1);
    };
    for (name, key) in [
        (
            format!("Python Pool.map (chunks of {python_chunk})"),
            "pool_map",
        ),
        (
            "Python ProcessPoolExecutor.map (one round)".to_owned(),
            "executor_map",
        ),
        (
            "  ... with chunksize=1000".to_owned(),
            "executor_map_chunksize_1000",
        ),
    ] {
        let seconds = times[key].as_f64().unwrap_or(f64::NAN);
        let ratios: Vec<String> = pools
            .iter()
            .map(|pool| {
                let ratio = seconds / pool.run.as_secs_f64();
                format!("{ratio:.1}x ({})", pool.label())
            })
            .collect();
        row(
            &name,
            Duration::from_secs_f64(seconds),
            format!("the process pool is {}", ratios.join(", ")),
        );
    }
}
