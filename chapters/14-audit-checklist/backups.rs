// The nightly backup both ch14 programs run. Shared with `include!`.
use std::fmt;

/// The most one entry may hold, in MiB.
const QUOTA_MIB: u64 = 1024;

#[derive(Debug)]
struct OverQuota {
    name: String,
    mib: u64,
}

impl fmt::Display for OverQuota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} holds {} MiB, over the {QUOTA_MIB} MiB quota",
            self.name, self.mib
        )
    }
}

impl std::error::Error for OverQuota {}

// ANCHOR: back_up
/// Backs up one `NAME:MIB` entry and returns how many MiB it copied.
fn back_up(entry: &str) -> Result<u64, OverQuota> {
    let (name, size) = entry.split_once(':').unwrap_or((entry, ""));
    // A bug left in on purpose: a size that is not a number panics.
    let mib: u64 = size.parse().expect("the size is a number of MiB");
    if mib > QUOTA_MIB {
        return Err(OverQuota {
            name: name.to_owned(),
            mib,
        });
    }
    Ok(mib)
}
// ANCHOR_END: back_up

fn entries_from_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return args;
    }
    ["mail:120", "photos:lots", "code:300", "videos:4096", "notes:2"]
        .map(String::from)
        .to_vec()
}
