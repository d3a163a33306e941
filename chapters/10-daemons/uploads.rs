// The upload task both tokio ch10 programs run. Shared with `include!`.

const FILES: [&str; 3] = ["jan.csv", "feb.csv", "mar.csv"];

// ANCHOR: upload
async fn upload(file: &'static str) -> Result<&'static str, std::io::Error> {
    // Stands in for network I/O: gives the runtime a chance to run others.
    tokio::task::yield_now().await;
    Ok(file)
}
// ANCHOR_END: upload
