// The records and the collector both send programs use. Shared with `include!`.
use std::sync::mpsc::Receiver;

const RECORDS: [&str; 5] = ["id=1", "id=2", "id 3", "id=4", "id=5"];

// ANCHOR: collect
/// Stores records until one is malformed, then stops, dropping `received`.
fn store_all(received: Receiver<&str>) -> Result<Vec<u32>, String> {
    let mut stored = Vec::new();
    for record in received {
        let id = record
            .strip_prefix("id=")
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| format!("malformed record {record:?}"))?;
        stored.push(id);
    }
    Ok(stored)
}
// ANCHOR_END: collect
