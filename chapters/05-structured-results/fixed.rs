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
    // `None` once the sum no longer fits: an overflow is a failure to
    // report, not a reason to panic and lose every row.
    let mut total = Some(0u32);
    for (row, outcome) in outcomes.iter().enumerate() {
        match &outcome.result {
            Ok((symbol, cents)) => {
                total = total.and_then(|total| total.checked_add(*cents));
                println!("row {row}: {symbol} at {cents} cents");
            }
            // `Failure`'s Display names the kind (returned, panicked, ...),
            // then the details: the error's source chain, or the panic's
            // location and message.
            Err(failure) => eprintln!("error: row {row} {:?}: {failure}", outcome.input),
        }
    }
    let tally = Tally::of(&outcomes);
    match total {
        Some(total) => println!("total {total} cents; {tally}"),
        None => {
            println!("total unknown; {tally}");
            eprintln!(
                "error: total: the prices add up to more than {} cents",
                u32::MAX
            );
        }
    }
    // ANCHOR_END: report
    if tally.failed == 0 && total.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
