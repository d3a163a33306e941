//! Chapter 13, step 3: reaping. The pool waits for a worker whose answers
//! stopped, and says how it ended (its exit code or signal) and the last
//! line it wrote on stderr.
//!
//! Run: `cargo run --example ch13-step3 -- TASK...`
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

use no_silent_failures::process::Exit;

include!("step_task.rs");

const WORKERS: usize = 2;

type Outcome = Result<String, String>;

fn main() -> ExitCode {
    if std::env::var_os("STEP_WORKER").is_some() {
        worker();
        return ExitCode::SUCCESS;
    }
    let inputs: Vec<String> = std::env::args().skip(1).collect();
    let outcomes = run(&inputs);
    report(&inputs, outcomes)
}

// ANCHOR: worker
/// One task per line in, one JSON `Result` per line out.
fn worker() {
    // Answers wait in the buffer until it fills or the tasks run out.
    let mut answers = BufWriter::new(std::io::stdout());
    for input in std::io::stdin().lines().map_while(Result::ok) {
        let answer = serde_json::to_string(&run_task(&input)).expect("strings serialize");
        writeln!(answers, "{answer}").expect("the pool reads answers");
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
}

fn start(id: usize, inputs: &[String], chunk: Vec<usize>, events: &Sender<Event>) -> Worker {
    let mut child = Command::new(std::env::current_exe().expect("this program's path"))
        .env("STEP_WORKER", "1")
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
    Worker {
        child,
        owed: chunk.into(),
        stderr,
    }
}

// ANCHOR: end
impl Worker {
    /// Reaps the worker: how it ended, and what it still owed.
    fn end(mut self) -> (String, VecDeque<usize>) {
        let status = self.child.wait().expect("reaping a worker");
        // Chapter 6's classification: "killed by signal 9 (SIGKILL)".
        let mut reason = format!("worker {}", Exit::of(status));
        let stderr = self.stderr.join().unwrap_or_default();
        if let Some(last) = String::from_utf8_lossy(&stderr).lines().last() {
            reason += &format!("; its stderr: {last}");
        }
        (reason, self.owed)
    }
}
// ANCHOR_END: end

// ANCHOR: run
fn run(inputs: &[String]) -> Vec<Option<Outcome>> {
    let mut outcomes = vec![None; inputs.len()];
    let (events_in, events) = mpsc::channel();
    // Each worker's share, round robin: tasks w, w + 2, w + 4, ...
    let mut workers: Vec<Option<Worker>> = (0..WORKERS)
        .map(|w| (w..inputs.len()).step_by(WORKERS).collect())
        .enumerate()
        .map(|(id, chunk)| Some(start(id, inputs, chunk, &events_in)))
        .collect();
    drop(events_in); // so the events end when every worker's stdout has closed
    for event in events {
        match event {
            Event::Answer(id, line) => {
                let worker = workers[id].as_mut().expect("answers come before `Closed`");
                if let Some(task) = worker.owed.pop_front() {
                    let garbled = |_| Err(format!("garbled answer {line:?}"));
                    outcomes[task] = Some(serde_json::from_str(&line).unwrap_or_else(garbled));
                }
            }
            Event::Closed(id) => {
                let worker = workers[id].take().expect("a worker closes once");
                let (reason, owed) = worker.end();
                for task in owed {
                    outcomes[task] = Some(Err(reason.clone()));
                }
            }
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
