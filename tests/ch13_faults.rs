//! Chapter 13's fault injection: random schedules of every way a task can
//! end, against the process pool. In a test binary of its own, so that
//! counting this process's open file descriptors means something.
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use no_silent_failures::failure::Failure;
use no_silent_failures::pool::ProcessPool;
use no_silent_failures::process::Exit;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

#[derive(Clone, Debug)]
enum Behaviour {
    Square(u32),
    NotANumber,
    Panic,
    Abort,
    Kill,
    ExitZero,
    Noise(u32),
    Big,
    Hang,
}

impl Behaviour {
    fn input(&self) -> String {
        match self {
            Behaviour::Square(n) => format!("square {n}"),
            Behaviour::NotANumber => "square many".to_owned(),
            Behaviour::Panic => "panic".to_owned(),
            Behaviour::Abort => "abort".to_owned(),
            Behaviour::Kill => "kill".to_owned(),
            Behaviour::ExitZero => "exit0".to_owned(),
            Behaviour::Noise(n) => format!("noise {n}"),
            Behaviour::Big => "big 8".to_owned(),
            Behaviour::Hang => "hang".to_owned(),
        }
    }

    fn check(
        &self,
        result: &Result<String, Failure<Box<no_silent_failures::report::ErrorReport>>>,
    ) -> bool {
        let died = |exit: Exit| matches!(result, Err(Failure::Died(death)) if death.exit == exit);
        match self {
            Behaviour::Square(n) => {
                result.as_ref().ok() == Some(&(u64::from(*n).pow(2)).to_string())
            }
            Behaviour::Noise(n) => result.as_ref().ok() == Some(&n.to_string()),
            Behaviour::Big => result.as_ref().is_ok_and(|v| v.len() == 8 << 20),
            Behaviour::NotANumber => {
                matches!(result, Err(Failure::Returned(r)) if r.message == "\"many\" is not a number")
            }
            Behaviour::Panic => {
                matches!(result, Err(Failure::Panicked(p)) if p.message == "task \"panic\" panicked" && p.location.is_some())
            }
            // Its death carries what it said on stderr, however the
            // chunk around it was split.
            Behaviour::Abort => {
                died(Exit::Signal(6))
                    && matches!(result, Err(Failure::Died(death))
                        if death.stderr_tail.contains("task \"abort\": out of options, aborting"))
            }
            Behaviour::Kill => died(Exit::Signal(9)),
            Behaviour::ExitZero => died(Exit::Code(0)),
            Behaviour::Hang => matches!(result, Err(Failure::TimedOut(_))),
        }
    }
}

fn quick_failures() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => (0u32..1000).prop_map(Behaviour::Square),
        1 => Just(Behaviour::NotANumber),
        1 => Just(Behaviour::Panic),
        1 => Just(Behaviour::Abort),
        1 => Just(Behaviour::Kill),
        1 => Just(Behaviour::ExitZero),
        1 => (0u32..1000).prop_map(Behaviour::Noise),
    ]
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |fds| fds.count())
}

fn entries(dir: &Path) -> BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default()
}

/// A pool's shape: how many workers, and how many tasks per chunk. Chunks
/// of one task, of a few, and of more than a schedule holds each take
/// their own path through the pool's blame and requeueing.
#[derive(Clone, Copy, Debug)]
struct Shape {
    workers: usize,
    chunk_size: usize,
}

fn shapes() -> impl Strategy<Value = Shape> {
    (1usize..=3, 1usize..=12).prop_map(|(workers, chunk_size)| Shape {
        workers,
        chunk_size,
    })
}

/// A pool of `shape` whose workers keep their temporary files in
/// `worker_temp`.
fn pool(shape: Shape, timeout: Duration, worker_temp: &Path) -> ProcessPool {
    let config =
        common::ch13_workers(shape.workers, shape.chunk_size, timeout).env("TMPDIR", worker_temp);
    ProcessPool::new(config).unwrap()
}

/// Runs `behaviours` on a fresh pool of `shape` and checks every outcome,
/// then that the pool's workers are gone once it is dropped.
fn run_schedule(
    behaviours: &[Behaviour],
    shape: Shape,
    timeout: Duration,
    worker_temp: &Path,
) -> Result<(), TestCaseError> {
    let mut pool = pool(shape, timeout, worker_temp);
    let inputs: Vec<String> = behaviours.iter().map(Behaviour::input).collect();
    let sent = inputs.clone();
    let (outcomes, pool) = common::within("a schedule of faults", move || {
        (pool.run::<String, String>(sent), pool)
    });
    let pids = pool.worker_pids();
    drop(pool);
    prop_assert_eq!(outcomes.len(), behaviours.len());
    for ((outcome, behaviour), input) in outcomes.iter().zip(behaviours).zip(&inputs) {
        prop_assert_eq!(&outcome.input, input);
        prop_assert!(
            behaviour.check(&outcome.result),
            "{:?} gave {:?}",
            behaviour,
            outcome.result.as_ref().map(|v| v.len())
        );
    }
    for pid in pids {
        // Reaped: not even a zombie keeps a /proc entry.
        prop_assert!(common::gone(pid), "worker {} survived", pid);
    }
    // Nor did any worker that died or was replaced during the run: this
    // test process has no children left at all, zombies included.
    prop_assert_eq!(
        common::children(),
        Vec::<u32>::new(),
        "children left behind"
    );
    Ok(())
}

#[cfg(target_os = "linux")]
#[test]
fn every_schedule_of_faults_gives_exactly_one_correct_outcome_per_input() {
    let fds_before = open_fds();
    let root_before = entries(common::root());
    // The workers' temporary directory is one of their own, so that what
    // other programs on the machine do in /tmp meanwhile cannot count
    // against them. (The pool itself writes no file anywhere.)
    let worker_temp =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ch13-faults-{}", std::process::id()));
    std::fs::create_dir_all(&worker_temp).unwrap();
    let shape = Shape {
        workers: 2,
        chunk_size: 1,
    };
    let told = pool(shape, Duration::from_secs(30), &worker_temp)
        .run::<String, String>(vec!["env TMPDIR".to_owned(); 2]);
    assert!(
        told.iter()
            .all(|o| o.value().map(Path::new) == Some(&worker_temp)),
        "the workers were not given their temp dir: {told:?}"
    );

    // Crashes, errors, noise and the occasional 8 MiB result: no hangs, so
    // a generous timeout that no task reaches.
    let mut runner = TestRunner::new(ProptestConfig {
        cases: common::cases(8),
        // A failing case is saved beside this file, and tried first next time.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    let schedule = prop::collection::vec(
        prop_oneof![20 => quick_failures(), 1 => Just(Behaviour::Big)],
        1..12,
    );
    runner
        .run(&(schedule, shapes()), |(behaviours, shape)| {
            run_schedule(&behaviours, shape, Duration::from_secs(30), &worker_temp)?;
            prop_assert_eq!(open_fds(), fds_before, "file descriptors leaked");
            Ok(())
        })
        .unwrap();

    // The same with hangs, which cost a timeout or two each: a short
    // timeout, fewer cases, and at least one hang in every case.
    let mut runner = TestRunner::new(ProptestConfig {
        cases: common::cases(4),
        // A failing case is saved beside this file, and tried first next time.
        source_file: Some(file!()),
        ..ProptestConfig::default()
    });
    let schedule = (
        prop::collection::vec(
            prop_oneof![12 => quick_failures(), 1 => Just(Behaviour::Hang)],
            0..7,
        ),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut behaviours, at)| {
            behaviours.insert(at.index(behaviours.len() + 1), Behaviour::Hang);
            behaviours
        });
    runner
        .run(&(schedule, shapes()), |(behaviours, shape)| {
            run_schedule(&behaviours, shape, Duration::from_millis(200), &worker_temp)?;
            prop_assert_eq!(open_fds(), fds_before, "file descriptors leaked");
            Ok(())
        })
        .unwrap();

    assert_eq!(
        entries(&worker_temp),
        BTreeSet::new(),
        "files left in the workers' temp dir"
    );
    std::fs::remove_dir(&worker_temp).unwrap();
    // Only new entries count: an editor may remove its own files meanwhile.
    let new_in_root: Vec<_> = entries(common::root())
        .difference(&root_before)
        .cloned()
        .collect();
    assert_eq!(
        new_in_root,
        Vec::<std::ffi::OsString>::new(),
        "files left in the repository"
    );
}
