//! Exercise 8, a solution: turn the error into an ErrorReport, which is
//! only strings, before it crosses.
//!
//! Run: cargo run --example ch8-solution
use std::collections::HashMap;
use std::io::BufReader;
use std::process::{ExitCode, Stdio};

use no_silent_failures::process::Exit;
use no_silent_failures::report::ErrorReport;
use no_silent_failures::worker;

const WAREHOUSES: [&str; 2] = ["north", "south"];

/// Shelves whose count does not match, by (aisle, shelf).
#[derive(Debug)]
struct Mismatch {
    shelves: HashMap<(u8, u8), i32>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} shelves miscounted", self.shelves.len())
    }
}

impl std::error::Error for Mismatch {}

fn audit(warehouse: &str) -> Result<u32, Mismatch> {
    match warehouse {
        "south" => Err(Mismatch {
            shelves: HashMap::from([((4, 2), -3), ((7, 1), 5)]),
        }),
        _ => Ok(120),
    }
}

fn work() {
    let warehouse = std::env::args().nth(1).unwrap_or_default();
    let result = audit(&warehouse).map_err(|error| ErrorReport::from_error(&error));
    worker::send(&result).expect("the parent is reading");
}

fn main() -> ExitCode {
    worker::guard(&[("audit", work)]);
    let mut failed = false;
    for warehouse in WAREHOUSES {
        let output = worker::command("audit")
            .expect("this program's path")
            .arg(warehouse)
            .stderr(Stdio::inherit())
            .output()
            .expect("running a worker");
        let mut noise = Vec::new();
        let frame = worker::read_frame(&mut BufReader::new(&output.stdout[..]), &mut noise)
            .expect("reading from memory");
        let result =
            frame.and_then(|json| serde_json::from_str::<Result<u32, ErrorReport>>(&json).ok());
        match (Exit::of(output.status), result) {
            (exit, Some(Ok(items))) if exit.is_success() => println!("{warehouse}: {items} items"),
            (exit, Some(Err(report))) if exit.is_success() => {
                failed = true;
                eprintln!("error: {warehouse}: {report}");
            }
            (exit, _) => {
                failed = true;
                eprintln!("error: {warehouse}: worker {exit} without a result");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
