// The work both ch7 programs hand to worker processes. Shared with `include!`.

include!("../shared/kill_self.rs");

const DEFAULT_ORDERS: [&str; 5] = ["gear:4", "bolt:x", "nut:0", "axle:8", "belt:huge"];

/// The orders: the arguments after the program name, or the defaults. A
/// worker gets its order's index as its first argument, then the list.
fn orders_from(args: &[String]) -> Vec<String> {
    if args.is_empty() {
        DEFAULT_ORDERS.map(String::from).to_vec()
    } else {
        args.to_vec()
    }
}

#[derive(Debug)]
struct BadQuantity(String);

impl std::fmt::Display for BadQuantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bad quantity {:?}", self.0)
    }
}

impl std::error::Error for BadQuantity {}

// ANCHOR: work
/// How many boxes of 100 an order fills: `NAME:QUANTITY`.
fn boxes_needed(order: &str) -> Result<u32, BadQuantity> {
    // A debugging print the worker's author forgot: it goes to stdout, the
    // same stdout the result is sent on.
    println!("working on {order}");
    let quantity = order.split(':').nth(1).unwrap_or_default();
    match quantity {
        // What a failed allocation does: the process aborts on the spot.
        "huge" => std::process::abort(),
        // What the out-of-memory killer does.
        "oom" => kill_self(),
        // A shortcut someone added: "nothing to do", status 0.
        "skip" => std::process::exit(0),
        // Half a line on stdout, right before the result.
        chatty if chatty.starts_with('~') => print!("no newline here"),
        // `!N` works, and crashes once its result is sent: see `after_sending`.
        _ => {}
    }
    let quantity: u32 = quantity
        .trim_start_matches(['~', '!'])
        .parse()
        .map_err(|_| BadQuantity(quantity.to_owned()))?;
    // Panics on a quantity of 0.
    Ok(100 / quantity)
}
// ANCHOR_END: work

/// What a worker does once its result is sent: an order whose quantity
/// starts with `!` (`bolt:!4`) crashes in its cleanup, so its process exits
/// with code 101 after a whole result went out.
fn after_sending(order: &str) {
    let quantity = order.split(':').nth(1).unwrap_or_default();
    if quantity.starts_with('!') {
        panic!("cleanup failed after sending the result for {order}");
    }
}
