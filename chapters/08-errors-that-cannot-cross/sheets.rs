// The validation both ch8 programs run in worker processes. Shared with
// `include!`.
use std::collections::BTreeMap;

const SHEETS: [&str; 3] = ["q1", "q2", "q3"];

// ANCHOR: error
/// Cells that failed validation, by (row, column). Serde can derive
/// `Serialize` for this, and it compiles; but JSON object keys must be
/// strings, so serializing it fails at run time.
#[derive(Debug, serde::Serialize)]
struct GridError {
    bad_cells: BTreeMap<(u32, u32), String>,
}
// ANCHOR_END: error

impl std::fmt::Display for GridError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bad cells:", self.bad_cells.len())?;
        for ((row, column), problem) in &self.bad_cells {
            write!(f, " ({row}, {column}) {problem};")?;
        }
        Ok(())
    }
}

impl std::error::Error for GridError {}

/// A typed panic payload: who holds the lock on a sheet.
#[derive(Debug)]
#[allow(dead_code)] // read only by code that downcasts to it
struct SheetLocked {
    by: &'static str,
}

// ANCHOR: validate
fn validate(sheet: &str) -> Result<u32, GridError> {
    match sheet {
        "q2" => Err(GridError {
            bad_cells: BTreeMap::from([
                ((3, 4), "\"n/a\" is not a number".to_owned()),
                ((9, 1), "date before 1900".to_owned()),
            ]),
        }),
        "q3" => std::panic::panic_any(SheetLocked { by: "ana" }),
        _ => Ok(12),
    }
}
// ANCHOR_END: validate
