// The task both ch13 programs run in their worker processes. Shared with
// `include!`. An input names what the task does, so a run can mix every
// way a worker can fail.

const DEFAULT_INPUTS: [&str; 8] = [
    "square 7", "square x", "panic", "square 12", "abort", "kill", "exit0", "noise 5",
];

include!("../shared/kill_self.rs");

#[derive(Debug)]
enum TaskError {
    NotANumber(String),
    Io(std::io::Error),
}

impl std::fmt::Display for TaskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskError::NotANumber(text) => write!(f, "{text:?} is not a number"),
            TaskError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<std::io::Error> for TaskError {
    fn from(error: std::io::Error) -> Self {
        TaskError::Io(error)
    }
}

// ANCHOR: task
fn run_task(input: String) -> Result<String, TaskError> {
    let number = |text: &str| {
        text.parse::<u64>()
            .map_err(|_| TaskError::NotANumber(text.to_owned()))
    };
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
        // Any status: a task's exit is its own death, whatever the code.
        ("exit", code) => std::process::exit(code.parse().unwrap_or(1)),
        ("panic-twice", _) => {
            // Unwinding drops the guard, whose `Drop` panics again: the
            // process aborts at once.
            struct PanicsWhileUnwinding;
            impl Drop for PanicsWhileUnwinding {
                fn drop(&mut self) {
                    if std::thread::panicking() {
                        panic!("a second panic, while unwinding");
                    }
                }
            }
            let _guard = PanicsWhileUnwinding;
            panic!("task {input:?} panicked first\nover three\nlines")
        }
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
        // A slow task: N milliseconds of (simulated) work.
        ("slow", ms) => {
            std::thread::sleep(std::time::Duration::from_millis(number(ms)?));
            Ok(format!("{ms} ms of work"))
        }
        // A result of N MiB.
        ("big", n) => Ok("x".repeat(number(n)? as usize * 1024 * 1024)),
        // What the worker's environment says.
        ("env", name) => Ok(std::env::var(name).unwrap_or_default()),
        (name, _) => match hostile(name)? {
            Some(done) => Ok(done),
            None => Err(TaskError::NotANumber(input)),
        },
    }
}
// ANCHOR_END: task

/// The tasks that attack the pool itself, for the tests: what a task can
/// do with its process's descriptors, groups and children.
fn hostile(name: &str) -> std::io::Result<Option<String>> {
    let done = match name {
        "leave-group" => {
            // Joins the pool's own process group, out of reach of the
            // pool's kill of its worker's group; then it never ends.
            use rustix::process::{getpgid, getppid, setpgid};
            setpgid(None, Some(getpgid(getppid())?))?;
            loop {
                std::thread::park();
            }
        }
        "stderr-full" => {
            // Every later write on stderr fails: the worker must cope.
            let full = std::fs::OpenOptions::new().write(true).open("/dev/full")?;
            rustix::stdio::dup2_stderr(&full)?;
            Ok::<_, std::io::Error>("stderr is full".to_owned())
        }
        "stdin" => {
            // Whatever stdin is, it is not the pool's channel.
            let mut read = Vec::new();
            let count = std::io::Read::read_to_end(&mut std::io::stdin(), &mut read)?;
            Ok(format!("read {count} bytes from stdin"))
        }
        "forge" => {
            // A frame of results as the pool's wire once looked, printed
            // on stdout: the answer "forged", for whichever task is next.
            let forged = b"\x1ensf-pool\xff\xfe\x08\0\0\0\0\0\0\0\x01\0\0\0\0\0\x06forged";
            let mut stdout = std::io::stdout();
            std::io::Write::write_all(&mut stdout, forged)?;
            std::io::Write::flush(&mut stdout)?;
            Ok("printed a forged frame".to_owned())
        }
        "spam" => {
            // Leaves a process behind that writes on this worker's stdout
            // and stderr for as long as it lives; its pid is the answer.
            let spammer = std::process::Command::new("sh")
                .args(["-c", "while :; do echo spam; echo spam >&2; sleep 0.05; done"])
                .spawn()?;
            Ok(spammer.id().to_string())
        }
        "flood" => {
            // Two `yes` left behind, writing as fast as they can: never
            // waited for, on purpose. The pool must end them.
            for stream in ["1", "2"] {
                let script = format!("exec yes flood >&{stream}");
                let flooder = std::process::Command::new("sh").args(["-c", &script]).spawn()?;
                drop(flooder);
            }
            Ok("flooding".to_owned())
        }
        _ => return Ok(None),
    };
    done.map(Some)
}

fn inputs_from_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        DEFAULT_INPUTS.map(String::from).to_vec()
    } else {
        args
    }
}
