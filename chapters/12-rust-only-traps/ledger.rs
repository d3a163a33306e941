// The ledger both poisoning programs share. Shared with `include!`.

/// (from, to, amount): account indexes into `Ledger::balances`.
type Transfer = (usize, usize, i64);

/// Transfer 2 names an account that does not exist.
const TRANSFERS: [Transfer; 4] = [(0, 1, 10), (1, 2, 20), (2, 7, 30), (0, 2, 5)];

struct Ledger {
    balances: Vec<i64>,
}

impl Ledger {
    fn new() -> Self {
        Ledger {
            balances: vec![100, 100, 100],
        }
    }

    // ANCHOR: apply
    /// Moves money. The debit happens before the credit, so a panic in
    /// between leaves the money debited and never credited.
    fn apply(&mut self, (from, to, amount): Transfer) {
        self.balances[from] -= amount;
        self.balances[to] += amount;
    }
    // ANCHOR_END: apply
}
