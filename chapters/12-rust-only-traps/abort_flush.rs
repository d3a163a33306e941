// Built by tests/book/ch12.rs with `rustc -C panic=abort`. A report written
// through a `BufWriter` is lost at the abort: no destructor runs, so the
// buffer is never flushed.
use std::io::{BufWriter, Write};

const RECORDS: [&str; 4] = ["id=1", "id=2", "id=x", "id=4"];

fn parse(record: &str) -> u32 {
    record["id=".len()..].parse().expect("an id is a number")
}

fn main() {
    // ANCHOR: report
    // stdout's own line buffer holds this until a newline comes.
    print!("importing {} records... ", RECORDS.len());
    let mut report = BufWriter::new(std::io::stdout());
    for record in RECORDS {
        let id = parse(record);
        writeln!(report, "stored record {id}").expect("stdout is open");
    }
    // Reached only without a panic: the buffer is written out here.
    report.flush().expect("stdout is open");
    // ANCHOR_END: report
}
