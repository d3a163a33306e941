//! Chapter 13, step 2: one owner per task. The pool keeps, for each
//! worker, the tasks it sent and has not had answered. When a worker's
//! answers end, whatever it still owes fails: no task is lost.
//!
//! Run: `cargo run --example ch13-step2 -- TASK...`
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Sender};
use std::thread;

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
}

fn start(id: usize, inputs: &[String], chunk: Vec<usize>, events: &Sender<Event>) -> Worker {
    let mut child = Command::new(std::env::current_exe().expect("this program's path"))
        .env("STEP_WORKER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
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
    let mut tasks = child.stdin.take().expect("piped");
    for &task in &chunk {
        // A worker that died early fails this write; its `Closed` says how.
        let _ = writeln!(tasks, "{}", inputs[task]);
    }
    drop(tasks); // end of the chunk: the worker exits when it is done
    Worker {
        child,
        owed: chunk.into(),
    }
}

// ANCHOR: run
fn run(inputs: &[String]) -> Vec<Option<Outcome>> {
    let mut outcomes = vec![None; inputs.len()];
    let (events_in, events) = mpsc::channel();
    // Each worker's share, round robin: tasks w, w + 2, w + 4, ...
    let mut workers: Vec<Worker> = (0..WORKERS)
        .map(|w| (w..inputs.len()).step_by(WORKERS).collect())
        .enumerate()
        .map(|(id, chunk)| start(id, inputs, chunk, &events_in))
        .collect();
    drop(events_in); // so the events end when every worker's stdout has closed
    // ANCHOR: events
    for event in events {
        match event {
            Event::Answer(id, line) => {
                let worker = &mut workers[id];
                if let Some(task) = worker.owed.pop_front() {
                    let garbled = |_| Err(format!("garbled answer {line:?}"));
                    outcomes[task] = Some(serde_json::from_str(&line).unwrap_or_else(garbled));
                }
            }
            Event::Closed(id) => {
                let worker = &mut workers[id];
                for task in worker.owed.drain(..) {
                    outcomes[task] = Some(Err("its worker died before answering".to_owned()));
                }
            }
        }
    }
    // ANCHOR_END: events
    for worker in &mut workers {
        let _ = worker.child.wait(); // how it ended is not asked
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
