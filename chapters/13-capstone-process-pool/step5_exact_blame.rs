//! Chapter 13, step 5: exact blame. Answers travel in batches, so a dead
//! worker's first unanswered task is not always the one that killed it.
//! Its unanswered tasks run again in a new worker, in exact mode (one
//! answer per flush), where the first unanswered task is the culprit.
//!
//! Run: `cargo run --example ch13-step5 -- TASK...`
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use no_silent_failures::process::Exit;

include!("step_task.rs");

const WORKERS: usize = 2;
const TIMEOUT: Duration = Duration::from_secs(1);

type Outcome = Result<String, String>;

fn main() -> ExitCode {
    if let Ok(mode) = std::env::var("STEP_WORKER") {
        worker(mode == "exact");
        return ExitCode::SUCCESS;
    }
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    let outcomes = run(&inputs);
    report(&inputs, outcomes)
}

// ANCHOR: worker
/// One task per line in, one JSON `Result` per line out.
fn worker(exact: bool) {
    // Answers wait in the buffer until it fills or the tasks run out.
    let mut answers = BufWriter::new(std::io::stdout());
    for input in std::io::stdin().lines().map_while(Result::ok) {
        let answer = serde_json::to_string(&run_task(&input)).expect("strings serialize");
        writeln!(answers, "{answer}").expect("the pool reads answers");
        if exact {
            answers.flush().expect("the pool reads answers");
        }
    }
}
// ANCHOR_END: worker

enum Event {
    Answer(usize, String),
    Closed(usize),
}

struct Worker {
    child: Child,
    /// The tasks it was sent and has not answered, in the order it runs them.
    owed: VecDeque<usize>,
    stderr: JoinHandle<Vec<u8>>,
    last_heard: Instant,
    timed_out: bool,
    exact: bool,
}

fn start(
    id: usize,
    inputs: &[String],
    chunk: Vec<usize>,
    exact: bool,
    events: &Sender<Event>,
) -> Worker {
    let mut child = Command::new(std::env::current_exe().expect("this program's path"))
        .env("STEP_WORKER", if exact { "exact" } else { "batched" })
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting a worker");
    let answers = BufReader::new(child.stdout.take().expect("piped"));
    let events = events.clone();
    thread::spawn(move || {
        for line in answers.lines().map_while(Result::ok) {
            let _ = events.send(Event::Answer(id, line));
        }
        let _ = events.send(Event::Closed(id));
    });
    let mut stderr = child.stderr.take().expect("piped");
    let stderr = thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let mut tasks = child.stdin.take().expect("piped");
    for &task in &chunk {
        // A worker that died early fails this write; its `Closed` says how.
        let _ = writeln!(tasks, "{}", inputs[task]);
    }
    drop(tasks); // end of the chunk: the worker exits when it is done
    let (owed, last_heard, timed_out) = (chunk.into(), Instant::now(), false);
    Worker {
        child,
        owed,
        stderr,
        last_heard,
        timed_out,
        exact,
    }
}

impl Worker {
    /// Reaps the worker: how it ended, and what it still owed.
    fn end(mut self) -> (String, VecDeque<usize>) {
        let status = self.child.wait().expect("reaping a worker");
        // Chapter 6's classification: "killed by signal 9 (SIGKILL)".
        let mut reason = match self.timed_out {
            true => format!("timed out: no answer for {TIMEOUT:?}"),
            false => format!("worker {}", Exit::of(status)),
        };
        let stderr = self.stderr.join().unwrap_or_default();
        if let Some(last) = String::from_utf8_lossy(&stderr).lines().last() {
            reason += &format!("; its stderr: {last}");
        }
        (reason, self.owed)
    }
}

// ANCHOR: run
fn run(inputs: &[String]) -> Vec<Option<Outcome>> {
    let mut outcomes = vec![None; inputs.len()];
    // ANCHOR: chunks
    // Chunks waiting for a worker: first each worker's share, round robin.
    let mut chunks: VecDeque<(Vec<usize>, bool)> = (0..WORKERS)
        .map(|w| ((w..inputs.len()).step_by(WORKERS).collect(), false))
        .collect();
    // ANCHOR_END: chunks
    let (events_in, events) = mpsc::channel();
    let mut workers: Vec<Option<Worker>> = Vec::new();
    loop {
        // ANCHOR: refill
        while workers.iter().flatten().count() < WORKERS
            && let Some((chunk, exact)) = chunks.pop_front()
        {
            workers.push(Some(start(workers.len(), inputs, chunk, exact, &events_in)));
        }
        if workers.iter().all(Option::is_none) {
            break; // no worker running, no chunk waiting
        }
        // ANCHOR_END: refill
        let now = Instant::now();
        let wait = (workers.iter().flatten().filter(|w| !w.timed_out))
            .map(|w| (w.last_heard + TIMEOUT).saturating_duration_since(now))
            .min()
            .unwrap_or(TIMEOUT);
        match events.recv_timeout(wait) {
            Ok(Event::Answer(id, line)) => {
                let worker = workers[id].as_mut().expect("answers come before `Closed`");
                worker.last_heard = Instant::now();
                if let Some(task) = worker.owed.pop_front() {
                    let garbled = |_| Err(format!("garbled answer {line:?}"));
                    outcomes[task] = Some(serde_json::from_str(&line).unwrap_or_else(garbled));
                }
            }
            // ANCHOR: blame
            Ok(Event::Closed(id)) => {
                let worker = workers[id].take().expect("a worker closes once");
                let exact = worker.exact;
                let (reason, mut owed) = worker.end();
                // In exact mode every answer was flushed: the first task
                // without one is the culprit. The rest never ran.
                if exact && let Some(culprit) = owed.pop_front() {
                    outcomes[culprit] = Some(Err(reason));
                }
                if !owed.is_empty() {
                    chunks.push_back((owed.into(), true));
                }
            }
            // ANCHOR_END: blame
            Err(RecvTimeoutError::Timeout) => {
                for worker in workers.iter_mut().flatten() {
                    if !worker.timed_out && worker.last_heard.elapsed() >= TIMEOUT {
                        let _ = worker.child.kill(); // its `Closed` follows
                        worker.timed_out = true;
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => unreachable!("`events_in` is held here"),
        }
    }
    outcomes
}
// ANCHOR_END: run

// ANCHOR: report
fn report(inputs: &[String], outcomes: Vec<Option<Outcome>>) -> ExitCode {
    let mut failed = 0;
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome.expect("every task has an outcome") {
            Ok(value) => println!("#{index} {:?}: {value}", inputs[index]),
            Err(reason) => {
                failed += 1;
                eprintln!("error: {:?}: {reason}", inputs[index]);
            }
        }
    }
    println!("{} succeeded, {failed} failed", inputs.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
// ANCHOR_END: report
