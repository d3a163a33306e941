// Built by tests/book/ch12.rs with `rustc -C panic=abort`, as a crate with
// `panic = "abort"` in its profile would be.
use std::panic::catch_unwind;

fn main() {
    let caught = catch_unwind(|| panic!("a panic in a panic=abort build"));
    // Never reached: the panic hook runs, then the process aborts.
    println!("caught the panic: {}", caught.is_err());
}
