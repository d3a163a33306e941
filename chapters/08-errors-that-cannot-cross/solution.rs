//! Exercise 8, a solution: the error crosses as a type of its own that
//! serde can carry, with the shelves as a list rather than a map with tuple
//! keys, so the parent can say which shelves are off, not only how many.
//!
//! Run: cargo run --example ch8-solution
use std::collections::HashMap;
use std::io::BufReader;
use std::process::{ExitCode, Stdio};

use no_silent_failures::process::Exit;
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

/// What crosses the process boundary for a miscount: its message, and
/// each shelf with its difference, sorted, as plain data JSON can carry.
#[derive(serde::Serialize, serde::Deserialize)]
struct MiscountReport {
    message: String,
    shelves: Vec<((u8, u8), i32)>,
}

impl From<&Mismatch> for MiscountReport {
    fn from(mismatch: &Mismatch) -> Self {
        let mut shelves: Vec<_> = mismatch
            .shelves
            .iter()
            .map(|(&at, &off)| (at, off))
            .collect();
        // A map's order is not fixed; a report's should be.
        shelves.sort_unstable();
        MiscountReport {
            message: mismatch.to_string(),
            shelves,
        }
    }
}

fn work() {
    let warehouse = std::env::args().nth(1).unwrap_or_default();
    let result = audit(&warehouse).map_err(|error| MiscountReport::from(&error));
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
            frame.and_then(|json| serde_json::from_str::<Result<u32, MiscountReport>>(&json).ok());
        match (Exit::of(output.status), result) {
            (exit, Some(Ok(items))) if exit.is_success() => println!("{warehouse}: {items} items"),
            (exit, Some(Err(report))) if exit.is_success() => {
                failed = true;
                eprintln!("error: {warehouse}: {}", report.message);
                for ((aisle, shelf), off) in report.shelves {
                    eprintln!("  aisle {aisle} shelf {shelf}: {off:+}");
                }
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
