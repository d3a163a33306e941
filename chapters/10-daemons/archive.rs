// The pieces both std ch10 programs share. Shared with `include!`.
use std::io::BufRead;

const FILES: [&str; 3] = ["jan.csv", "feb.csv", "mar.csv"];

// ANCHOR: compress
/// The compressor child: reads file names on stdin until it closes, then
/// reports on stderr. It cannot know whether its parent is still there.
fn compress() {
    let names = std::io::stdin().lock().lines().map_while(Result::ok).count();
    let files = if names == 1 { "file" } else { "files" };
    eprintln!("compressor: compressed {names} {files}");
}
// ANCHOR_END: compress
