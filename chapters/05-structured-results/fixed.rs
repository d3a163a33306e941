//! Chapter 5, fixed: the library's runner returns one outcome per line,
//! and the report accounts for every one of them.
//!
//! Run: `cargo run --example ch5-fixed [SYMBOL=CENTS...]`
use std::process::ExitCode;

use no_silent_failures::outcome::Tally;
use no_silent_failures::runner::Runner;

include!("quotes.rs");

fn main() -> ExitCode {
    let feed = feed_from_args();
    // ANCHOR: load
    let outcomes = Runner::new().run(feed, |line| parse_quote(line));
    // ANCHOR_END: load

    // ANCHOR: report
    let mut total = 0;
    for (row, outcome) in outcomes.iter().enumerate() {
        match &outcome.result {
            Ok((symbol, cents)) => {
                total += cents;
                println!("row {row}: {symbol} at {cents} cents");
            }
            // `Failure`'s Display names the kind (returned, panicked, ...),
            // then the details: the error's source chain, or the panic's
            // location and message.
            Err(failure) => eprintln!("row {row} {:?}: {failure}", outcome.input),
        }
    }
    let tally = Tally::of(&outcomes);
    println!("total {total} cents; {tally}");
    // ANCHOR_END: report
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
