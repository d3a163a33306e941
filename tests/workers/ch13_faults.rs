//! Chapter 13's fault injection: random schedules of every way a task can
//! end, against the process pool, on pools of random shape. Besides the
//! chapter's tasks (`tasks.rs`: values, errors, panics, aborts, SIGKILLs,
//! exits of any status, noise, forged frames, processes left writing on
//! stdout and stderr, 8 MiB results, hangs), an input or a result can fail
//! in each of the four places its serde impls run: the input in the parent
//! and in the worker, the result in the worker and in the parent.
//!
//! The property runs in a process of its own (see [`ROLES`]), so that
//! counting that process's open file descriptors means something.
#![allow(dead_code)] // tasks.rs has more than this file uses
use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use no_silent_failures::failure::Failure;
use no_silent_failures::pool::{self, Config, ProcessPool};
use no_silent_failures::process::Exit;
use no_silent_failures::report::ErrorReport;
use no_silent_failures::worker;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence, TestRunner};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// The chapter's task; its programs use the rest of the file.
include!("../../chapters/13-capstone-process-pool/tasks.rs");

/// Where a serde impl of an input or a result goes wrong, and how.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
enum Fault {
    /// The input's `Serialize`, in the parent.
    InputSerializeError,
    InputSerializePanic,
    /// The input's `Deserialize`, in the worker.
    InputDeserializeError,
    InputDeserializePanic,
    InputDeserializeExit,
    InputDeserializeAbort,
    /// The result's `Serialize`, in the worker.
    ResultSerializeError,
    ResultSerializePanic,
    ResultSerializeExit,
    ResultSerializeAbort,
    /// The result's `Deserialize`, in the parent.
    ResultDeserializeError,
    ResultDeserializePanic,
    /// The result's `Drop`, in the worker, after it was sent on its way.
    ResultDropPanic,
}

/// What travels: one of the chapter's task inputs, or a fault.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum Wire {
    Task(String),
    Fault(Fault),
}

/// An input whose serde impls fail as its fault says.
#[derive(Debug)]
struct Job(Wire);

impl Serialize for Job {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Wire::Fault(Fault::InputSerializeError) => Err(serde::ser::Error::custom(
                "this input refuses to be written",
            )),
            Wire::Fault(Fault::InputSerializePanic) => panic!("this input panics when written"),
            _ => self.0.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Job {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        match wire {
            Wire::Fault(Fault::InputDeserializeError) => {
                Err(serde::de::Error::custom("this input refuses to be read"))
            }
            Wire::Fault(Fault::InputDeserializePanic) => panic!("this input panics when read"),
            Wire::Fault(Fault::InputDeserializeExit) => std::process::exit(3),
            Wire::Fault(Fault::InputDeserializeAbort) => std::process::abort(),
            wire => Ok(Job(wire)),
        }
    }
}

/// A result whose serde impls (and `Drop`) fail as its fault says.
#[derive(Debug)]
struct Reply(Wire);

impl Serialize for Reply {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Wire::Fault(Fault::ResultSerializeError) => Err(serde::ser::Error::custom(
                "this result refuses to be written",
            )),
            Wire::Fault(Fault::ResultSerializePanic) => panic!("this result panics when written"),
            Wire::Fault(Fault::ResultSerializeExit) => std::process::exit(3),
            Wire::Fault(Fault::ResultSerializeAbort) => std::process::abort(),
            _ => self.0.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Reply {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(deserializer)?;
        match wire {
            Wire::Fault(Fault::ResultDeserializeError) => {
                Err(serde::de::Error::custom("this result refuses to be read"))
            }
            Wire::Fault(Fault::ResultDeserializePanic) => panic!("this result panics when read"),
            wire => Ok(Reply(wire)),
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        // Only in the worker: the test's own copy drops quietly.
        if matches!(self.0, Wire::Fault(Fault::ResultDropPanic)) && worker::role().is_some() {
            panic!("this result panics when dropped");
        }
    }
}

/// The workers' task: the chapter's, or an echo of the fault.
fn task(job: Job) -> Result<Reply, TaskError> {
    match job.0 {
        Wire::Task(input) => run_task(input).map(|value| Reply(Wire::Task(value))),
        fault => Ok(Reply(fault)),
    }
}

#[derive(Clone, Debug)]
enum Behaviour {
    Square(u32),
    NotANumber,
    Panic,
    PanicTwice,
    Abort,
    Kill,
    Exit(i32),
    Noise(u32),
    Stdin,
    Forge,
    Spam,
    Big,
    Hang,
    Fault(Fault),
}

type Settled = Result<Reply, Failure<Box<ErrorReport>>>;

impl Behaviour {
    fn input(&self) -> Job {
        Job(match self {
            Behaviour::Fault(fault) => Wire::Fault(*fault),
            task => Wire::Task(match task {
                Behaviour::Square(n) => format!("square {n}"),
                Behaviour::NotANumber => "square many".to_owned(),
                Behaviour::Panic => "panic".to_owned(),
                Behaviour::PanicTwice => "panic-twice".to_owned(),
                Behaviour::Abort => "abort".to_owned(),
                Behaviour::Kill => "kill".to_owned(),
                Behaviour::Exit(code) => format!("exit {code}"),
                Behaviour::Noise(n) => format!("noise {n}"),
                Behaviour::Stdin => "stdin".to_owned(),
                Behaviour::Forge => "forge".to_owned(),
                Behaviour::Spam => "spam".to_owned(),
                Behaviour::Big => "big 8".to_owned(),
                Behaviour::Hang => "hang".to_owned(),
                Behaviour::Fault(_) => unreachable!(),
            }),
        })
    }

    fn check(&self, result: &Settled) -> bool {
        let died = |exit: Exit| matches!(result, Err(Failure::Died(death)) if death.exit == exit);
        let said = |text: &str| matches!(result, Err(Failure::Died(death)) if death.stderr_tail.contains(text));
        let value = |expected: &dyn Fn(&str) -> bool| matches!(result, Ok(Reply(Wire::Task(value))) if expected(value));
        let undelivered = |kind: &str, message: &str, located: bool| {
            matches!(result, Err(Failure::Undelivered(report))
                if report.kind == kind
                    && report.message.contains(message)
                    && report.location.as_ref().map(|l| l.file.as_str()) == located.then_some(file!()))
        };
        match self {
            Behaviour::Square(n) => value(&|v| v == (u64::from(*n).pow(2)).to_string()),
            Behaviour::Noise(n) => value(&|v| v == n.to_string()),
            Behaviour::Big => value(&|v| v.len() == 8 << 20 && v.bytes().all(|b| b == b'x')),
            Behaviour::Stdin => value(&|v| v == "read 0 bytes from stdin"),
            Behaviour::Forge => value(&|v| v == "printed a forged frame"),
            Behaviour::Spam => value(&|v| v.parse::<u32>().is_ok()),
            Behaviour::NotANumber => {
                matches!(result, Err(Failure::Returned(r)) if r.message == "\"many\" is not a number")
            }
            Behaviour::Panic => {
                matches!(result, Err(Failure::Panicked(p)) if p.message == "task \"panic\" panicked" && p.location.is_some())
            }
            // Its death carries what it said on stderr, however the chunk
            // around it was split, and nothing that other tasks said.
            Behaviour::Abort => {
                died(Exit::Signal(6))
                    && said("task \"abort\": out of options, aborting")
                    && !said("a warning on stderr")
            }
            // The first panic's message and location reach the report.
            Behaviour::PanicTwice => {
                died(Exit::Signal(6))
                    && said("task \"panic-twice\" panicked first")
                    && said("tasks.rs:")
                    && !said("a warning on stderr")
            }
            Behaviour::Kill => died(Exit::Signal(9)),
            Behaviour::Exit(code) => died(Exit::Code(*code)),
            Behaviour::Hang => matches!(result, Err(Failure::TimedOut(_))),
            Behaviour::Fault(fault) => match fault {
                Fault::InputSerializeError => undelivered(
                    "serialization",
                    "the input could not be serialized: this input refuses to be written",
                    false,
                ),
                Fault::InputSerializePanic => {
                    undelivered("serialization", "this input panics when written", true)
                }
                // postcard keeps no message of a `Deserialize` error.
                Fault::InputDeserializeError => undelivered(
                    "deserialization",
                    "the input could not be deserialized",
                    false,
                ),
                Fault::InputDeserializePanic => {
                    undelivered("deserialization", "this input panics when read", true)
                }
                Fault::ResultSerializeError => undelivered(
                    "serialization",
                    "the result could not be serialized: this result refuses to be written",
                    false,
                ),
                Fault::ResultSerializePanic => {
                    undelivered("serialization", "this result panics when written", true)
                }
                Fault::ResultDeserializeError => undelivered(
                    "deserialization",
                    "the result could not be deserialized",
                    false,
                ),
                Fault::ResultDeserializePanic => {
                    undelivered("deserialization", "this result panics when read", true)
                }
                Fault::InputDeserializeExit | Fault::ResultSerializeExit => died(Exit::Code(3)),
                Fault::InputDeserializeAbort | Fault::ResultSerializeAbort => died(Exit::Signal(6)),
                Fault::ResultDropPanic => {
                    died(Exit::Code(101)) && said("this result panics when dropped")
                }
            },
        }
    }
}

fn faults() -> impl Strategy<Value = Fault> {
    prop::sample::select(vec![
        Fault::InputSerializeError,
        Fault::InputSerializePanic,
        Fault::InputDeserializeError,
        Fault::InputDeserializePanic,
        Fault::InputDeserializeExit,
        Fault::InputDeserializeAbort,
        Fault::ResultSerializeError,
        Fault::ResultSerializePanic,
        Fault::ResultSerializeExit,
        Fault::ResultSerializeAbort,
        Fault::ResultDeserializeError,
        Fault::ResultDeserializePanic,
        Fault::ResultDropPanic,
    ])
}

fn quick_failures() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        6 => (0u32..1000).prop_map(Behaviour::Square),
        1 => Just(Behaviour::NotANumber),
        1 => Just(Behaviour::Panic),
        1 => Just(Behaviour::PanicTwice),
        1 => Just(Behaviour::Abort),
        1 => Just(Behaviour::Kill),
        // 0, and the statuses a worker once used to say it cannot serve.
        1 => prop::sample::select(vec![0, 3, 64, 65, 70, 101]).prop_map(Behaviour::Exit),
        1 => (0u32..1000).prop_map(Behaviour::Noise),
        1 => Just(Behaviour::Stdin),
        1 => Just(Behaviour::Forge),
        1 => Just(Behaviour::Spam),
        3 => faults().prop_map(Behaviour::Fault),
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

/// A pool of `shape` whose workers, this program, keep their temporary
/// files in `worker_temp`.
fn pool(shape: Shape, timeout: Duration, worker_temp: &Path) -> ProcessPool {
    let config = Config::new("faults")
        .workers(shape.workers)
        .chunk_size(shape.chunk_size)
        .timeout(timeout)
        .env("TMPDIR", worker_temp);
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
    let inputs: Vec<Job> = behaviours.iter().map(Behaviour::input).collect();
    let (outcomes, pool) = common::within("a schedule of faults", move || {
        (pool.run::<Job, Reply>(inputs), pool)
    });
    let pids = pool.worker_pids();
    drop(pool);
    prop_assert_eq!(outcomes.len(), behaviours.len());
    let mut spammers = Vec::new();
    for (outcome, behaviour) in outcomes.iter().zip(behaviours) {
        prop_assert_eq!(
            format!("{:?}", outcome.input),
            format!("{:?}", behaviour.input())
        );
        prop_assert!(
            behaviour.check(&outcome.result),
            "{:?} gave {:?}",
            behaviour,
            outcome.result.as_ref().map(|Reply(wire)| match wire {
                Wire::Task(value) => value.len(),
                Wire::Fault(_) => 0,
            })
        );
        if let (Behaviour::Spam, Ok(Reply(Wire::Task(pid)))) = (behaviour, &outcome.result) {
            spammers.push(pid.parse::<u32>().unwrap());
        }
    }
    // The processes the tasks left behind ended with their workers.
    for pid in spammers {
        prop_assert!(
            common::ends_soon(pid),
            "a spammer {} outlived the pool",
            pid
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

/// The property without hangs, in its own process.
fn every_schedule_of_faults_gives_exactly_one_correct_outcome_per_input() {
    // First, and not as a check of its own: checks run in parallel, and
    // its pool's pipes would count against the descriptors below.
    an_input_that_panics_when_written_costs_no_worker();
    faults_property(false);
}

/// The property with a hang in every schedule, in its own process.
fn every_schedule_of_faults_with_hangs_gives_exactly_one_correct_outcome_per_input() {
    faults_property(true);
}

/// Random schedules of faults, with a hang in each (`hangs`) or none.
fn faults_property(hangs: bool) {
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
    let told = pool(shape, Duration::from_secs(30), &worker_temp).run::<Job, Reply>(vec![
        Job(Wire::Task("env TMPDIR".to_owned())),
        Job(Wire::Task("env TMPDIR".to_owned())),
    ]);
    assert!(
        told.iter().all(|o| matches!(o.value(),
            Some(Reply(Wire::Task(dir))) if Path::new(dir) == worker_temp)),
        "the workers were not given their temp dir: {told:?}"
    );

    if hangs {
        hang_schedules(fds_before, &worker_temp);
    } else {
        quick_schedules(fds_before, &worker_temp);
    }

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

/// Crashes, errors, noise, serde faults and the occasional 8 MiB result:
/// no hangs, so a generous timeout that no task reaches.
fn quick_schedules(fds_before: usize, worker_temp: &Path) {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: common::cases(8),
        // A failing case is saved beside this file, and tried first next time.
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    });
    let schedule = prop::collection::vec(
        prop_oneof![20 => quick_failures(), 1 => Just(Behaviour::Big)],
        1..12,
    );
    runner
        .run(&(schedule, shapes()), |(behaviours, shape)| {
            run_schedule(&behaviours, shape, Duration::from_secs(30), worker_temp)?;
            prop_assert_eq!(open_fds(), fds_before, "file descriptors leaked");
            Ok(())
        })
        .unwrap();
}

/// The same with hangs, which cost a timeout or two each: a short timeout,
/// fewer cases, and at least one hang in every case.
fn hang_schedules(fds_before: usize, worker_temp: &Path) {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: common::cases(4),
        // A failing case is saved beside this file, and tried first next time.
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
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
            run_schedule(&behaviours, shape, Duration::from_millis(200), worker_temp)?;
            prop_assert_eq!(open_fds(), fds_before, "file descriptors leaked");
            Ok(())
        })
        .unwrap();
}

/// A panicking `Serialize` in the middle of a chunk costs its own input
/// and nothing else: the chunk goes out whole, and no worker dies of it.
fn an_input_that_panics_when_written_costs_no_worker() {
    let config = Config::new("faults")
        .workers(1)
        .chunk_size(8)
        .timeout(Duration::from_secs(30));
    let mut pool = ProcessPool::new(config).unwrap();
    let behaviours = [
        Behaviour::Square(1),
        Behaviour::Fault(Fault::InputSerializePanic),
        Behaviour::Square(2),
        Behaviour::Square(3),
    ];
    let outcomes = pool.run::<Job, Reply>(behaviours.iter().map(Behaviour::input).collect());
    for (outcome, behaviour) in outcomes.iter().zip(&behaviours) {
        assert!(
            behaviour.check(&outcome.result),
            "{behaviour:?}: {:?}",
            outcome.result
        );
    }
    assert_eq!(pool.workers_started(), 1, "a worker died of a broken chunk");
}

/// The pool's workers, and the property in a process of its own: it
/// counts its process's open file descriptors and children, which tests
/// running beside it would change.
pub const ROLES: &[(&str, fn())] = &[
    ("faults", || pool::serve(task)),
    (
        "faults-property",
        every_schedule_of_faults_gives_exactly_one_correct_outcome_per_input,
    ),
    (
        "faults-property-with-hangs",
        every_schedule_of_faults_with_hangs_gives_exactly_one_correct_outcome_per_input,
    ),
];

pub const CHECKS: &[(&str, fn())] = &[
    (
        "every_schedule_of_faults_gives_exactly_one_correct_outcome_per_input",
        || common::in_own_process("faults-property"),
    ),
    (
        "every_schedule_of_faults_with_hangs_gives_exactly_one_correct_outcome_per_input",
        || common::in_own_process("faults-property-with-hangs"),
    ),
];
