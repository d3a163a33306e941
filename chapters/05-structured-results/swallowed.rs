//! Chapter 5, swallowed: "defensive" parallel code that keeps what worked
//! and quietly drops everything else.
//!
//! Run: `cargo run --example ch5 [SYMBOL=CENTS...]`
use std::panic::catch_unwind;

use rayon::prelude::*;

include!("quotes.rs");

fn main() {
    let feed = feed_from_args();
    // ANCHOR: load
    let quotes: Vec<(String, u32)> = feed
        .par_iter()
        // `.ok()` twice: once for the panic, once for the error. Both kinds
        // of failure turn into `None`, and `filter_map` drops every `None`.
        .filter_map(|line| catch_unwind(|| parse_quote(line)).ok()?.ok())
        .collect();
    // ANCHOR_END: load
    let total: u32 = quotes.iter().map(|(_, cents)| cents).sum();
    println!("loaded {} quotes, total {total} cents", quotes.len());
}
