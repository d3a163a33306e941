//! Exercise 9, a solution: the guard is the first line of main.
//!
//! Run: cargo run --example ch9-solution
use no_silent_failures::worker;

const FILES: [&str; 2] = ["report.pdf", "photo.jpg"];

/// Runs in a worker: a toy checksum of the file name given as argument.
fn checksum() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let sum: u32 = name.bytes().map(u32::from).sum();
    println!("{name} {sum}");
}

fn main() {
    worker::guard(&[("checksum", checksum)]);
    let mut started = 0;
    for file in FILES {
        let output = worker::command("checksum")
            .expect("this program's path")
            .arg(file)
            .output()
            .expect("running a worker");
        started += 1;
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }
    println!("started {started} workers");
}
