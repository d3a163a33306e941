// The batches and the parser the unwind-safety programs share. Shared with
// `include!`.

/// Each line is a quantity; one of tuesday's is not a number.
const BATCHES: [(&str, &[&str]); 3] = [
    ("monday", &["4", "10", "2"]),
    ("tuesday", &["5", "x", "3"]),
    ("wednesday", &["1", "6"]),
];

fn units(line: &str) -> u32 {
    line.parse().expect("a quantity is a whole number")
}

/// Running totals over every batch imported.
#[derive(Debug, Default)]
struct Totals {
    orders: usize,
    units: u32,
}
