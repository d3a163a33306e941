// The job both rayon::spawn programs run. Shared with `include!`.

const FILES: [&str; 4] = ["a.txt", "b.txt", "", "d.txt"];

// ANCHOR: size
fn file_size(name: &str) -> u64 {
    let first = name.chars().next().expect("a file name is never empty");
    u64::from(first) * 100
}
// ANCHOR_END: size
