//! Chapter 7, fixed: each worker sends one frame on its own stdout; the
//! parent accounts for every input, and names the ones that never came
//! back, with how their worker died.
//!
//! Run: `cargo run --example ch7-fixed`
use std::io::BufReader;
use std::process::{ExitCode, Stdio};

use no_silent_failures::failure::Failure;
use no_silent_failures::process::{Death, Exit, last_words};
use no_silent_failures::report::ErrorReport;
use no_silent_failures::worker;

include!("parts.rs");

// ANCHOR: message
type Message = Result<u32, ErrorReport>;

fn work() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let index: usize = args[0].parse().unwrap();
    let order = &orders_from(&args[1..])[index];
    let result: Message = boxes_needed(order).map_err(|e| ErrorReport::from_error(&e));
    worker::send(&result).expect("the parent is reading");
    after_sending(order);
}
// ANCHOR_END: message

fn main() -> ExitCode {
    worker::guard(&[("order", work)]);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let orders = orders_from(&args);

    // ANCHOR: collect
    let children: Vec<_> = (0..orders.len())
        .map(|index| {
            worker::command("order")
                .expect("the path of this program")
                .arg(index.to_string())
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawning a worker")
        })
        .collect();

    let mut failed = 0;
    let mut noise_lines = 0;
    for (order, child) in orders.iter().zip(children) {
        let output = child.wait_with_output().expect("waiting for a worker");
        let mut noise = Vec::new();
        let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
            .expect("reading from memory");
        noise_lines += noise
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        let exit = Exit::of(output.status);
        let outcome: Result<u32, Failure<ErrorReport>> =
            match frame.map(|json| serde_json::from_str::<Message>(&json)) {
                Some(Ok(Ok(boxes))) if exit.is_success() => Ok(boxes),
                Some(Ok(Err(report))) if exit.is_success() => Err(Failure::Returned(report)),
                // No frame, a torn frame, or a frame followed by a crash.
                _ => Err(Failure::Died(Box::new(Death {
                    exit,
                    stderr_tail: last_words(&output.stderr, 3),
                }))),
            };
        match outcome {
            Ok(boxes) => println!("{order}: {boxes} box{}", if boxes == 1 { "" } else { "es" }),
            Err(failure) => {
                failed += 1;
                eprintln!("error: {order}: {failure}");
                // A worker that died may have said why on its stderr: a
                // panic's message and location, for one.
                if let Failure::Died(death) = &failure {
                    for line in death.stderr_tail.lines().filter(|l| !l.is_empty()) {
                        eprintln!("  stderr: {line}");
                    }
                }
            }
        }
    }
    // ANCHOR_END: collect
    let lines = if noise_lines == 1 { "line" } else { "lines" };
    println!("{noise_lines} {lines} of worker output set aside (not results)");
    println!(
        "{} of {} orders succeeded, {failed} failed",
        orders.len() - failed,
        orders.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
