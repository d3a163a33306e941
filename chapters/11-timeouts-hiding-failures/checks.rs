// The health checks all four ch11 programs run. Shared with `include!`.

#[derive(Debug)]
struct CheckError(&'static str);

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for CheckError {}

/// How long a check may take before it counts as hung.
const LIMIT: std::time::Duration = std::time::Duration::from_millis(100);

// ANCHOR: checks
fn check_database() -> Result<(), CheckError> {
    Ok(())
}

fn check_cache() -> Result<(), CheckError> {
    Err(CheckError("connection refused"))
}

fn check_queue() -> Result<(), CheckError> {
    let depths: Vec<u32> = Vec::new();
    // A bug: there is no first queue. This panics at once.
    if depths[0] > 1000 {
        return Err(CheckError("queue backed up"));
    }
    Ok(())
}
// ANCHOR_END: checks
