//! Chapter 4, a logging panic hook, swallowed: `set_hook` replaces the
//! default hook, so its report, and the backtrace `RUST_BACKTRACE=1` asks
//! for, are gone.
//!
//! Run: `RUST_BACKTRACE=1 cargo run --example ch4-chain`
include!("chain_work.rs");

fn main() -> ExitCode {
    // ANCHOR: install
    // Every panic is logged... and the default hook is dropped.
    std::panic::set_hook(Box::new(log_panic));
    // ANCHOR_END: install
    work()
}
