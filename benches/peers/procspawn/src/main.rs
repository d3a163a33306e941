//! Chapter 13's pool beside procspawn's `Pool` and rayon in process, on the
//! same tiny tasks (squaring a number) with two workers. Prints one JSON
//! object: the median time per task of each, and what each reports when a
//! task's worker is killed, when a task outlives its timeout, and when
//! every task is queued at once.
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::runner::Runner;
use no_silent_failures::worker;
use serde_json::json;

const WORKERS: usize = 2;
/// The input that makes a task kill its own worker with SIGKILL.
const KILL: u64 = u64::MAX;
/// The input that makes a task sleep for a minute.
const SLEEP: u64 = u64::MAX - 1;

fn square(n: u64) -> u64 {
    if n == KILL {
        let me = std::process::id().to_string();
        let _ = std::process::Command::new("kill").args(["-KILL", &me]).status();
    }
    if n == SLEEP {
        std::thread::sleep(Duration::from_secs(60));
    }
    n.wrapping_mul(n)
}

fn square_result(n: u64) -> Result<u64, std::io::Error> {
    Ok(square(n))
}

fn serve_square() {
    pool::serve(square_result);
}

/// The median time per task of `rounds` runs of `run` on `inputs`.
fn per_task(rounds: usize, inputs: &[u64], mut run: impl FnMut(&[u64]) -> Vec<u64>) -> f64 {
    let mut times: Vec<f64> = (0..rounds + 1)
        .map(|_| {
            let start = Instant::now();
            let squares = run(inputs);
            let time = start.elapsed().as_secs_f64();
            assert!(squares.iter().zip(inputs).all(|(s, n)| *s == n.wrapping_mul(*n)));
            time / inputs.len() as f64
        })
        .skip(1) // a warm-up round
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// procspawn keeps two IPC channels open for each task spawned and not yet
/// joined; this many in flight at a time stays far below the descriptor limit.
const WINDOW: usize = 256;

fn procspawn_squares(pool: &procspawn::Pool, inputs: &[u64]) -> Vec<u64> {
    let mut squares = Vec::with_capacity(inputs.len());
    for window in inputs.chunks(WINDOW) {
        let handles: Vec<_> = window.iter().map(|&n| pool.spawn(n, square)).collect();
        for handle in handles {
            squares.push(handle.join().expect("a square"));
        }
    }
    squares
}

fn main() {
    worker::guard(&[("square", serve_square)]);
    procspawn::init();
    let number = |name: &str, default: usize| {
        std::env::var(name).map_or(default, |v| v.parse().expect("a number"))
    };
    let (tasks, rounds) = (number("TASKS", 10_000), number("ROUNDS", 5));
    let inputs: Vec<u64> = (0..tasks as u64).collect();

    let runner = Runner::new().threads(WORKERS);
    let rayon = per_task(rounds, &inputs, |inputs| {
        let outcomes = runner.run(inputs.to_vec(), |n: &u64| square_result(*n));
        outcomes.into_iter().map(|o| *o.value().expect("a square")).collect()
    });

    let mut ours = ProcessPool::new(Config::new("square").workers(WORKERS)).expect("the pool");
    let ours_time = per_task(rounds, &inputs, |inputs| {
        let outcomes = ours.run::<u64, u64>(inputs.to_vec());
        outcomes.into_iter().map(|o| *o.value().expect("a square")).collect()
    });
    let outcomes = ours.run::<u64, u64>(vec![1, KILL, 3]);
    let ours_killed = outcomes[1].result.as_ref().expect_err("a death").to_string();
    let config = Config::new("square").workers(WORKERS).timeout(Duration::from_millis(300));
    let mut timed = ProcessPool::new(config).expect("the pool");
    let outcomes = timed.run::<u64, u64>(vec![1, SLEEP, 3]);
    let ours_timeout = outcomes[1].result.as_ref().expect_err("a timeout").to_string();

    let spawned = procspawn::Pool::new(WORKERS).expect("procspawn's pool");
    let procspawn_time = per_task(rounds, &inputs, |inputs| procspawn_squares(&spawned, inputs));
    let killed = spawned.spawn(KILL, square).join().expect_err("a death").to_string();
    let after_kill = spawned.spawn(3, square).join().map_err(|e| e.to_string());
    let mut sleeper = spawned.spawn(SLEEP, square);
    let timeout = sleeper.join_timeout(Duration::from_millis(300)).expect_err("a timeout");
    // procspawn 1.0.2 ends a task when its handle is dropped, not at the timeout.
    drop(sleeper);
    let after_timeout = spawned.spawn(3, square).join().map_err(|e| e.to_string());
    // Every task queued at once, as `Pool.map` and the pool above take them.
    let all_at_once = catch_unwind(AssertUnwindSafe(|| {
        let handles: Vec<_> = inputs.iter().map(|&n| spawned.spawn(n, square)).collect();
        handles.into_iter().map(|h| h.join().is_ok()).filter(|ok| *ok).count()
    }));
    let all_at_once = match all_at_once {
        Ok(joined) => format!("{joined} of {tasks} joined"),
        Err(panic) => {
            let text = panic.downcast_ref::<String>().cloned();
            format!("panicked: {}", text.unwrap_or_else(|| "(no message)".into()))
        }
    };
    drop(spawned);

    println!(
        "{}",
        json!({
            "tasks": tasks,
            "workers": WORKERS,
            "rounds": rounds,
            "seconds_per_task": {
                "rayon": rayon,
                "this_pool": ours_time,
                "procspawn": procspawn_time,
            },
            "this_pool_sigkill": ours_killed,
            "this_pool_timeout": ours_timeout,
            "procspawn_sigkill": killed,
            "procspawn_after_sigkill": format!("{after_kill:?}"),
            "procspawn_timeout": timeout.to_string(),
            "procspawn_after_timeout": format!("{after_timeout:?}"),
            "procspawn_all_queued_at_once": all_at_once,
        })
    );
}
