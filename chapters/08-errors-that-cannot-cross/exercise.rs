//! Exercise 8: an inventory audit in worker processes. Each worker sends
//! its result home as JSON.
//!
//! Run:   cargo run --example ch8-exercise
//! Check: cargo test --test book -- --ignored exercise_08
use std::collections::HashMap;

use no_silent_failures::worker;

const WAREHOUSES: [&str; 2] = ["north", "south"];

/// Shelves whose count does not match, by (aisle, shelf).
#[derive(Debug, serde::Serialize)]
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
    let json = serde_json::to_string(&audit(&warehouse)).expect("results serialize");
    println!("{json}");
}

fn main() {
    worker::guard(&[("audit", work)]);
    for warehouse in WAREHOUSES {
        let output = worker::command("audit")
            .unwrap()
            .arg(warehouse)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        println!("{warehouse}: {}", text.trim());
    }
}
