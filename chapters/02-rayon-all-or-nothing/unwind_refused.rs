// Built by tests/book/ch2.rs with rustc, to show the error: without
// `AssertUnwindSafe`, `catch_unwind` refuses a closure that holds `&mut`.
use std::panic::catch_unwind;

#[derive(Default)]
struct Totals {
    orders: usize,
}

fn add_order(totals: &mut Totals) {
    totals.orders += 1;
}

fn main() {
    let mut totals = Totals::default();
    let _ = catch_unwind(|| add_order(&mut totals));
}
