// The transaction both destructor programs use. Shared with `include!`.

const BATCHES: [&str; 3] = ["monday", "tuesday", "wednesday"];

struct Transaction {
    batch: &'static str,
    committed: bool,
}

impl Transaction {
    fn begin(batch: &'static str) -> Self {
        Transaction {
            batch,
            committed: false,
        }
    }

    fn commit(mut self) {
        self.committed = true;
    }

    /// Tuesday's rollback fails: the connection dropped mid-import.
    fn roll_back(&self) -> Result<(), String> {
        match self.batch {
            "tuesday" => Err(format!("rollback of {} failed: connection lost", self.batch)),
            _ => Ok(()),
        }
    }
}

// ANCHOR: work
fn import(batch: &'static str) -> usize {
    let transaction = Transaction::begin(batch);
    if batch == "tuesday" {
        panic!("row 17 of {batch} is malformed");
    }
    transaction.commit();
    3
}
// ANCHOR_END: work
