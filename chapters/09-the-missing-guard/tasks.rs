// The tasks both ch9 programs hand to workers. Shared with `include!`.

const TASKS: [&str; 2] = ["alpha beta gamma", "delta epsilon"];

// ANCHOR: count
/// The worker's job: count the words of its argument and send the count.
fn count_words() {
    let text = std::env::args().nth(1).unwrap_or_default();
    let words = text.split_whitespace().count();
    no_silent_failures::worker::send(&words).expect("the parent is reading");
}
// ANCHOR_END: count
