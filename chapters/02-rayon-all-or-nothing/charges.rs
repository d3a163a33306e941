// The charges both panic_fuse programs make. Shared with `include!`.
use std::sync::Mutex;

/// (customer, card number, cents). Carol's card number is missing.
const CHARGES: [(&str, &str, u32); 5] = [
    ("ana", "4111", 1200),
    ("carol", "", 1500),
    ("bob", "4242", 800),
    ("dan", "5555", 300),
    ("eve", "6011", 950),
];

/// Every card the bank has charged: the side effect that cannot be undone.
static BANK: Mutex<Vec<&str>> = Mutex::new(Vec::new());

// ANCHOR: charge
fn charge((customer, card, cents): (&'static str, &str, u32)) -> u32 {
    assert!(!card.is_empty(), "card number is empty");
    BANK.lock().expect("no panic while the bank is locked").push(customer);
    cents
}
// ANCHOR_END: charge
