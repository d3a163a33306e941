//! Chapter 4, a logging panic hook, fixed: take the default hook first and
//! call it after logging, so its report and backtrace still come out.
//!
//! Run: `RUST_BACKTRACE=1 cargo run --example ch4-chain-fixed`
include!("chain_work.rs");

fn main() -> ExitCode {
    // ANCHOR: install
    // Keep the hook that was there (here the default one) and chain to it.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        log_panic(info);
        previous(info);
    }));
    // ANCHOR_END: install
    work()
}
