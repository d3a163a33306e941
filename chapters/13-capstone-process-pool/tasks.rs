// The task both ch13 programs run in their worker processes. Shared with
// `include!`. An input names what the task does, so a run can mix every
// way a worker can fail.

const DEFAULT_INPUTS: [&str; 8] = [
    "square 7", "square x", "panic", "square 12", "abort", "kill", "exit0", "noise 5",
];

include!("../shared/kill_self.rs");

#[derive(Debug)]
struct NotANumber(String);

impl std::fmt::Display for NotANumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a number", self.0)
    }
}

impl std::error::Error for NotANumber {}

// ANCHOR: task
fn run_task(input: String) -> Result<String, NotANumber> {
    let number = |text: &str| text.parse::<u64>().map_err(|_| NotANumber(text.to_owned()));
    match input.split_once(' ').unwrap_or((&input, "")) {
        ("square", n) => Ok(number(n)?.pow(2).to_string()),
        ("panic", _) => panic!("task {input:?} panicked"),
        ("abort", _) => {
            eprintln!("task {input:?}: out of options, aborting");
            std::process::abort()
        }
        ("kill", _) => {
            kill_self();
            Ok(String::new())
        }
        ("exit0", _) => std::process::exit(0),
        ("orphan", _) => {
            // Leaves behind a process that holds this worker's stdout and
            // stderr open, then dies.
            let shell = std::process::Command::new("sh")
                .args(["-c", "sleep 10 & echo \"started process $!\" >&2"])
                .status();
            assert!(shell.is_ok_and(|s| s.success()), "sh failed");
            kill_self();
            Ok(String::new())
        }
        ("hang", _) => loop {
            std::thread::park();
        },
        ("noise", n) => {
            // Prints on both streams, a half line first, then succeeds.
            print!("half a line");
            eprintln!("a warning on stderr");
            Ok(number(n)?.to_string())
        }
        // A result of N MiB.
        ("big", n) => Ok("x".repeat(number(n)? as usize * 1024 * 1024)),
        // What the worker's environment says.
        ("env", name) => Ok(std::env::var(name).unwrap_or_default()),
        _ => Err(NotANumber(input)),
    }
}
// ANCHOR_END: task

fn inputs_from_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        DEFAULT_INPUTS.map(String::from).to_vec()
    } else {
        args
    }
}
