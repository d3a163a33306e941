// Built by tests/book/ch12.rs with `rustc -C panic=abort`. The panic hook is the
// last code that runs before the abort: it writes the crash report,
// unbuffered, naming the record in hand. The report flushes each record
// as it is stored, so nothing stored is lost.
use std::io::{BufWriter, Write};
use std::sync::Mutex;

const RECORDS: [&str; 4] = ["id=1", "id=2", "id=x", "id=4"];

/// The record being worked on, for the crash report.
static IN_HAND: Mutex<&str> = Mutex::new("");

fn parse(record: &str) -> u32 {
    record["id=".len()..].parse().expect("an id is a number")
}

fn main() {
    // ANCHOR: hook
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // `try_lock`: the panicking thread may hold the lock itself.
        let record = IN_HAND.try_lock().map(|r| *r).unwrap_or("?");
        let at = info.location().map(|l| l.to_string()).unwrap_or_default();
        let what = info.payload_as_str().unwrap_or("a non-string payload");
        // stderr is unbuffered: this line is out before the abort.
        let _ = writeln!(std::io::stderr(), "error: {record:?}: panicked at {at}: {what}");
        default(info);
    }));
    // ANCHOR_END: hook
    // ANCHOR: report
    let mut report = BufWriter::new(std::io::stdout());
    for record in RECORDS {
        *IN_HAND.lock().expect("never held across a panic") = record;
        let id = parse(record);
        writeln!(report, "stored record {id}").expect("stdout is open");
        // Flushed per record: an abort cannot take back what was stored.
        report.flush().expect("stdout is open");
    }
    // ANCHOR_END: report
}
