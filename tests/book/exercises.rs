//! The exercises' checks.
//!
//! Each chapter ends with an exercise: `chapters/NN-slug/exercise.rs`, run as
//! `cargo run --example chN-exercise`, which swallows a failure. Its check
//! is opt-in, because it fails until you fix the exercise:
//!
//!     cargo test --test book -- --ignored exercise_03
//!
//! The default suite runs `every_check_fails_as_shipped_and_passes_on_the_solution`
//! instead: each check fails on the exercise as shipped (so it checks
//! something) and passes on the worked solution beside it.
use crate::common;

use crate::common::{Run, root, run};
use regex::Regex;
use std::time::{Duration, Instant};

/// What a fixed program must print: every failure on stderr as a line
/// `error: INPUT: ...` that mentions each of its fragments (or whose
/// indented lines below mention them); every success
/// on stdout; none of the forbidden texts anywhere; exit status 1 when
/// anything failed, 0 otherwise; and whatever `twist` asks, the part of
/// the exercise that its chapter's fixed program does not show.
struct Exercise {
    number: u32,
    dir: &'static str,
    failures: &'static [(&'static str, &'static [&'static str])],
    successes: &'static [&'static str],
    forbidden: &'static [&'static str],
    twist: fn(&Run) -> Result<(), String>,
}

/// For an exercise whose fragments already check its twist.
fn in_the_fragments(_: &Run) -> Result<(), String> {
    Ok(())
}

/// Exercise 2: every thumbnail was made on the program's own pool of two
/// threads, named `thumb-0` and `thumb-1`, and says which.
fn on_a_pool_of_two(run: &Run) -> Result<(), String> {
    for line in run.stdout.lines().filter(|line| line.contains(" -> ")) {
        if !(line.ends_with(" (thumb-0)") || line.ends_with(" (thumb-1)")) {
            return Err(format!(
                "{line:?} does not end with the thread that made it, \
                 \" (thumb-0)\" or \" (thumb-1)\""
            ));
        }
    }
    Ok(())
}

/// Exercise 13: one file killed its worker, and only that file is blamed.
fn exactly_one_file_blamed(run: &Run) -> Result<(), String> {
    match run.error_lines()[..] {
        [_] => Ok(()),
        ref lines => Err(format!(
            "one file killed a worker, and {} lines blame files: {lines:?}",
            lines.len()
        )),
    }
}

const EXERCISES: &[Exercise] = &[
    Exercise {
        number: 1,
        dir: "01-panics-stay-in-their-thread",
        // The twist: each thread is named after its log, and the report
        // names the thread, as the hook's line does.
        failures: &[("short.log", &["every line has a level", "scan-short.log"])],
        successes: &["api.log: 2 errors", "db.log: 1 error"],
        forbidden: &["1 errors", "'<unnamed>'"],
        twist: in_the_fragments,
    },
    Exercise {
        number: 2,
        dir: "02-rayon-all-or-nothing",
        failures: &[("0x600", &["divide by zero"]), ("wide", &["not WxH"])],
        // Three sizes, all different: a solution that pairs a size with the
        // wrong spec fails.
        successes: &[
            "640x480 -> 128x96",
            "1920x1080 -> 128x72",
            "300x600 -> 128x256",
        ],
        forbidden: &[],
        twist: on_a_pool_of_two,
    },
    Exercise {
        number: 3,
        dir: "03-fire-and-forget",
        failures: &[
            ("http://legacy.example/notify", &["plain http"]),
            ("", &["webhook URL is empty"]),
            // The twist: a deadline. Waiting for this one is five seconds,
            // and then it says it was posted.
            ("https://slow.example/hook", &["timed out"]),
        ],
        successes: &["https://ci.example/build", "https://chat.example/post"],
        forbidden: &["posted https://slow.example/hook"],
        twist: in_the_fragments,
    },
    Exercise {
        number: 4,
        dir: "04-the-panic-payload",
        failures: &[
            (
                "backup",
                &["disk quota exceeded at 98%", "04-the-panic-payload/"],
            ),
            (
                "rotate",
                &["log rotation is disabled", "04-the-panic-payload/"],
            ),
        ],
        successes: &[],
        // The twist: backup's payload is no string. `catch` keeps its
        // location, but its message only as the library's placeholder.
        forbidden: &["Any { .. }", "<non-string panic payload>"],
        twist: in_the_fragments,
    },
    Exercise {
        number: 5,
        dir: "05-structured-results",
        // The twist: a bound on retries, for timeouts only.
        failures: &[
            ("/missing", &["404", "1 try"]),
            ("/crash", &["handler bug"]),
            ("/down", &["timed out", "3 tries"]),
        ],
        successes: &[
            "/index: 600 bytes",
            "/about: 600 bytes",
            "/flaky: 600 bytes",
            "/contact: 800 bytes",
        ],
        forbidden: &[],
        twist: in_the_fragments,
    },
    Exercise {
        number: 6,
        dir: "06-silent-child-death",
        failures: &[
            ("broken.png", &["signal 6"]),
            ("huge.png", &["code 3"]),
            // The twist: a deadline, and a child killed when it overruns
            // it: one left running logs "slow.png: converted" on stderr.
            ("slow.png", &["timed out"]),
        ],
        successes: &["cat.png: converted", "dog.png: converted"],
        forbidden: &[
            "broken.png: converted",
            "huge.png: converted",
            "slow.png: converted",
        ],
        twist: in_the_fragments,
    },
    Exercise {
        number: 7,
        dir: "07-results-over-pipes",
        failures: &[(
            "empty.txt",
            &[
                "101",
                "no words in empty.txt",
                "07-results-over-pipes/",
                "1 try",
            ],
        )],
        // The twist: big.txt's first worker is killed with SIGKILL, which
        // is worth one more try; a panic is not.
        successes: &["a.txt 3 words", "big.txt 4 words", "b.txt 2 words"],
        forbidden: &[],
        twist: in_the_fragments,
    },
    Exercise {
        number: 8,
        dir: "08-errors-that-cannot-cross",
        // The twist: the detail comes home too, which the library's
        // `ErrorReport` (only strings: the message) does not carry.
        failures: &[(
            "south",
            &[
                "2 shelves miscounted",
                "aisle 4 shelf 2: -3",
                "aisle 7 shelf 1: +5",
            ],
        )],
        successes: &["120"],
        forbidden: &[],
        twist: in_the_fragments,
    },
    Exercise {
        number: 9,
        dir: "09-the-missing-guard",
        failures: &[],
        // The twist: `#[tokio::main]` starts a runtime before the first
        // line of `main`, and the worker's own `block_on` panics inside it.
        successes: &["report.pdf 1028", "photo.jpg 921", "started 2 workers"],
        forbidden: &[],
        twist: in_the_fragments,
    },
    Exercise {
        number: 10,
        dir: "10-daemons",
        // The twist: a shutdown with a deadline, for an exporter stuck on
        // gpu: what it finished is out, the rest reported, and main does
        // not wait the three seconds.
        failures: &[
            ("gpu=n/a", &["not exported"]),
            ("disk=0.9", &["not exported"]),
        ],
        successes: &["exported cpu=0.7", "exported mem=512"],
        // Exported or not exported, never both.
        forbidden: &[
            "exported gpu",
            "exported disk",
            "error: cpu=0.7",
            "error: mem=512",
        ],
        twist: in_the_fragments,
    },
    Exercise {
        number: 11,
        dir: "11-timeouts-hiding-failures",
        failures: &[
            ("tue.tar", &["corrupt header"]),
            // The twist: the hung thread is stopped and waited for, which
            // the chapter's runner cannot do. Only then does its report
            // hold what the verifier said as it gave up.
            (
                "wed.tar",
                &[
                    "timed out",
                    "stopped it",
                    "gave up on wed.tar after 3 of 40 blocks",
                ],
            ),
        ],
        successes: &["mon.tar: verified"],
        forbidden: &["tue.tar: timed out"],
        twist: in_the_fragments,
    },
    Exercise {
        number: 12,
        dir: "12-rust-only-traps",
        // The twist: a stopped printer is restarted, once: letter.pdf
        // comes back from the failed send and is printed; map.png, after
        // the second stop, is not.
        failures: &[
            ("photo.raw", &["unknown format"]),
            ("scan.raw", &["unknown format"]),
            ("map.png", &["not delivered"]),
        ],
        successes: &[
            "printed invoice.pdf",
            "printed memo.txt",
            "printed letter.pdf",
        ],
        forbidden: &["printed map.png", "letter.pdf: not delivered"],
        twist: in_the_fragments,
    },
    Exercise {
        number: 13,
        dir: "13-capstone-process-pool",
        // The twist: exact blame inside a chunk, said as such, which the
        // library's pool does not print.
        failures: &[("locked.db", &["signal 6", "file 2 of 3"])],
        successes: &[
            "a.txt 291471292",
            "b.txt 292394813",
            "c.txt 293318334",
            "d.txt 294241855",
            "e.txt 295165376",
            "f.txt 296088897",
        ],
        forbidden: &[],
        twist: exactly_one_file_blamed,
    },
    Exercise {
        number: 14,
        dir: "14-audit-checklist",
        failures: &[
            ("macros", &["code 2", "macros 0.3.0 already exists"]),
            ("cli", &["signal 9", "uploading cli"]),
            // The twist: a deadline, and the whole process group killed at
            // it (`run` fails on a `sleep` left running).
            ("mirror", &["timed out", "uploading mirror"]),
        ],
        successes: &["core: uploaded core 1.2.0", "docs: uploaded docs 1.2.0"],
        forbidden: &["uploaded mirror"],
        twist: in_the_fragments,
    },
];

/// Exercises whose twist is to end sooner than the chapter's fix would:
/// the run must end within the limit. Exercise 14: a hung upload killed
/// with its process group ends at the 1 s deadline; killing only its `sh`
/// leaves `sleep` holding the pipes for 4 s. The limit is 1.5 s from
/// either, so that neither a loaded machine nor a near miss decides.
const TIME_LIMITS: &[(u32, Duration)] = &[(14, Duration::from_millis(2500))];

impl Exercise {
    /// `Ok` when `run` reports everything it must; otherwise, what is
    /// still being swallowed.
    fn check(&self, run: &Run) -> Result<(), String> {
        for (input, fragments) in self.failures {
            let prefix = format!("error: {input}: ");
            // The failure's line, with the indented lines under it (a
            // worker's own stderr, say).
            let lines: Vec<&str> = run.stderr.lines().collect();
            let reported = lines.iter().enumerate().any(|(at, line)| {
                let continued = lines[at + 1..]
                    .iter()
                    .take_while(|l| l.starts_with(char::is_whitespace));
                let report = std::iter::once(line).chain(continued);
                let report: Vec<&str> = report.copied().collect();
                line.starts_with(&prefix)
                    && fragments
                        .iter()
                        .all(|f| report.iter().any(|l| l.contains(f)))
            });
            if !reported {
                return Err(format!(
                    "{input:?} failed, and no line on stderr says so: expected one starting \
                     with {prefix:?} that mentions {fragments:?}"
                ));
            }
        }
        for success in self.successes {
            if !run.stdout.contains(success) {
                return Err(format!("the result {success:?} is missing from stdout"));
            }
        }
        for text in self.forbidden {
            if run.stdout.contains(text) || run.stderr.contains(text) {
                return Err(format!("the output still says {text:?}"));
            }
        }
        (self.twist)(run)?;
        let expected = if self.failures.is_empty() { 0 } else { 1 };
        if run.code() != Some(expected) {
            return Err(format!(
                "the program ended with {:?}; it should exit with status {expected}",
                run.ending
            ));
        }
        Ok(())
    }

    /// [`Exercise::check`], and the time limit, if the exercise has one.
    fn check_timed(&self, run: &Run, took: Duration) -> Result<(), String> {
        self.check(run)?;
        match TIME_LIMITS
            .iter()
            .find(|(number, _)| *number == self.number)
        {
            Some(&(_, limit)) if took > limit => Err(format!(
                "the program took {took:?}; it should end within {limit:?}"
            )),
            _ => Ok(()),
        }
    }

    fn exercise_file(&self) -> String {
        format!("chapters/{}/exercise.rs", self.dir)
    }
}

fn exercise(number: u32) -> &'static Exercise {
    EXERCISES
        .iter()
        .find(|e| e.number == number)
        .expect("a known exercise")
}

/// Runs an example, and says how long it took.
fn timed_run(example: &str) -> (Run, Duration) {
    // Built first, so that the clock times the program, not cargo.
    common::example_binary(example);
    let started = Instant::now();
    let run = run(example, &[]);
    (run, started.elapsed())
}

/// The check a reader runs. It fails, saying what is still swallowed,
/// until the exercise is fixed.
fn check_exercise(number: u32) {
    let exercise = exercise(number);
    let (run, took) = timed_run(&format!("ch{number}-exercise"));
    if let Err(swallowed) = exercise.check_timed(&run, took) {
        panic!(
            "\n\nExercise {number} is not solved yet: {swallowed}.\n\
             Edit {} and run this check again.\n\nWhat the program printed:\n{}\n",
            exercise.exercise_file(),
            run.render()
        );
    }
}

macro_rules! exercise_checks {
    ($($name:ident = $number:expr),* $(,)?) => {$(
        #[test]
        #[ignore = "an exercise: run it with `cargo test --test book -- --ignored`"]
        fn $name() {
            check_exercise($number);
        }
    )*};
}

exercise_checks!(
    exercise_01 = 1,
    exercise_02 = 2,
    exercise_03 = 3,
    exercise_04 = 4,
    exercise_05 = 5,
    exercise_06 = 6,
    exercise_07 = 7,
    exercise_08 = 8,
    exercise_09 = 9,
    exercise_10 = 10,
    exercise_11 = 11,
    exercise_12 = 12,
    exercise_13 = 13,
    exercise_14 = 14,
);

/// Whether `file` is as committed: a reader working on an exercise has
/// changed it, and then the as-shipped half of the meta-test stands aside.
/// Outside a git checkout, files count as shipped.
fn as_shipped(file: &str) -> bool {
    std::process::Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", file])
        .current_dir(root())
        .status()
        .map_or(true, |status| status.code() != Some(1))
}

#[test]
fn every_check_fails_as_shipped_and_passes_on_the_solution() {
    std::thread::scope(|scope| {
        // The programs mostly wait (on a slow child, a hung upload, a
        // deadline): run side by side. A solution's time limit is far
        // beyond its own deadline, so running beside others cannot break it.
        let shipped: Vec<_> = EXERCISES
            .iter()
            .filter(|exercise| as_shipped(&exercise.exercise_file()))
            .map(|exercise| {
                let number = exercise.number;
                (
                    exercise,
                    scope.spawn(move || run(&format!("ch{number}-exercise"), &[])),
                )
            })
            .collect();
        let solutions: Vec<_> = EXERCISES
            .iter()
            .map(|exercise| {
                let number = exercise.number;
                let solution = scope.spawn(move || timed_run(&format!("ch{number}-solution")));
                (exercise, solution)
            })
            .collect();
        for (exercise, solution) in solutions {
            let number = exercise.number;
            let (solution, took) = solution.join().expect("the run of a solution");
            if let Err(problem) = exercise.check_timed(&solution, took) {
                panic!(
                    "the solution to exercise {number} fails its check: {problem}\n{}",
                    solution.render()
                );
            }
            if !as_shipped(&exercise.exercise_file()) {
                eprintln!("exercise {number} has been edited: checked only against its solution");
            }
        }
        for (exercise, run) in shipped {
            let number = exercise.number;
            let shipped = run.join().expect("the run of an exercise as shipped");
            assert!(
                exercise.check(&shipped).is_err(),
                "exercise {number}'s check passes on the exercise as shipped: it checks nothing"
            );
            // What each page says of its exercise: it swallows, so it
            // exits 0.
            assert_eq!(
                shipped.code(),
                Some(0),
                "exercise {number} as shipped:\n{}",
                shipped.render()
            );
        }
    });
}

#[test]
fn exercise_02_check_fails_when_sizes_are_paired_with_the_wrong_specs() {
    let exercise = exercise(2);
    let mut solved = run("ch2-solution", &[]);
    assert_eq!(exercise.check(&solved), Ok(()));
    // The solution's own lines, with each size moved to the next spec: what
    // a solution prints when it zips outcomes with the wrong inputs.
    let lines: Vec<(&str, &str)> = solved
        .stdout
        .lines()
        .map(|line| line.split_once(" -> ").expect("SPEC -> WxH"))
        .collect();
    let mispaired: String = (0..lines.len())
        .map(|i| format!("{} -> {}\n", lines[i].0, lines[(i + 1) % lines.len()].1))
        .collect();
    solved.stdout = mispaired;
    assert!(
        exercise.check(&solved).is_err(),
        "the check passes sizes paired with the wrong specs:\n{}",
        solved.stdout
    );
}

#[test]
fn every_chapter_with_programs_has_an_exercise_and_its_page_explains_it() {
    for exercise in EXERCISES {
        let page =
            std::fs::read_to_string(root().join("chapters").join(exercise.dir).join("README.md"))
                .unwrap();
        let command = format!(
            "cargo test --test book -- --ignored exercise_{:02}",
            exercise.number
        );
        assert!(
            page.contains(&command),
            "chapter {} does not show {command:?}",
            exercise.dir
        );
        assert!(
            page.contains("{{#include exercise.rs}}"),
            "chapter {} does not show its exercise",
            exercise.dir
        );
        assert!(
            page.contains("<details>"),
            "chapter {} has no hint",
            exercise.dir
        );
    }
}

#[test]
fn exercise_02_check_fails_when_the_thumbnails_were_not_made_on_a_pool_of_two() {
    let exercise = exercise(2);
    let mut solved = run("ch2-solution", &[]);
    assert_eq!(exercise.check(&solved), Ok(()));
    // What the chapter's fixed program prints: rayon's global pool, whose
    // threads have no name.
    let on = Regex::new(r"\(thumb-[01]\)").unwrap();
    let global = on.replace_all(&solved.stdout, "(<unnamed>)").into_owned();
    // And a pool of three threads.
    let three = on.replace(&solved.stdout, "(thumb-2)").into_owned();
    for stdout in [global, three] {
        solved.stdout = stdout;
        assert!(
            exercise.check(&solved).is_err(),
            "the check passes thumbnails made elsewhere:\n{}",
            solved.stdout
        );
    }
}

#[test]
fn exercise_13_check_fails_when_more_than_the_culprit_is_blamed() {
    let exercise = exercise(13);
    let mut solved = run("ch13-solution", &[]);
    assert_eq!(exercise.check(&solved), Ok(()));
    // Blame for the whole chunk, on top of every hash: the culprit is
    // among the files blamed, and still the check fails.
    solved
        .stderr
        .push_str("error: a.txt: chunk 1: worker killed by signal 6 (SIGABRT)\n");
    assert!(
        exercise.check(&solved).is_err(),
        "the check passes blame for a file that did nothing:\n{}",
        solved.stderr
    );
}
