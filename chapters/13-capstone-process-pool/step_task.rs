// The task every step's workers run, shared with `include!`. An input
// names what the task does, so one run can mix the ways a worker fails.

include!("../shared/kill_self.rs");

// ANCHOR: task
fn run_task(input: &str) -> Result<String, String> {
    match input.split_once(' ').unwrap_or((input, "")) {
        ("square", n) => match n.parse::<u64>() {
            Ok(n) => Ok((n * n).to_string()),
            Err(_) => Err(format!("{n:?} is not a number")),
        },
        // SIGKILL, as the out-of-memory killer sends it: nothing runs after.
        ("kill", _) => {
            kill_self();
            unreachable!("SIGKILL is on its way")
        }
        ("abort", _) => {
            eprintln!("task {input:?}: out of options, aborting");
            std::process::abort()
        }
        ("hang", _) => loop {
            std::thread::park();
        },
        // What a chatty library might print, shaped like an answer.
        ("forge", _) => {
            println!(r#"{{"Ok":"forged"}}"#);
            Ok("printed a forged answer".to_owned())
        }
        _ => Err(format!("no task {input:?}")),
    }
}
// ANCHOR_END: task
