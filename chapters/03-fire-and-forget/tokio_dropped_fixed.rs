//! Chapter 3, tokio, fixed: keep the `JoinHandle`s and await them. Tokio
//! keeps each output for the handle, and `main` receives it, reports it and
//! drops it itself.
//!
//! Run: `cargo run --example ch3-tokio-dropped-fixed`
use std::process::ExitCode;

use no_silent_failures::panic::message;
use tokio::sync::mpsc;

/// A task's output that prints when, and on which thread, it is dropped.
#[derive(Debug)]
struct Loud {
    what: &'static str,
    gone: mpsc::UnboundedSender<()>,
}

impl Drop for Loud {
    fn drop(&mut self) {
        let thread = std::thread::current();
        let on = thread.name().unwrap_or("<unnamed>");
        println!("dropped on thread '{on}': {}", self.what);
        self.gone.send(()).expect("main is still running");
    }
}

impl std::fmt::Display for Loud {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let (gone, _dropped) = mpsc::unbounded_channel();
    let returns = tokio::spawn({
        let gone = gone.clone();
        async move {
            Err::<(), Loud>(Loud {
                what: "the error the task returned",
                gone,
            })
        }
    });
    let panics = tokio::spawn(async move {
        std::panic::panic_any(Loud {
            what: "the task's panic payload",
            gone,
        })
    });
    // ANCHOR: await
    let mut failures = Vec::new();
    for (task, handle) in [("returns", returns), ("panics", panics)] {
        match handle.await {
            Ok(Ok(())) => println!("{task}: ok"),
            Ok(Err(error)) => failures.push(format!("{task}: returned: {error}")),
            Err(join_error) if join_error.is_panic() => {
                let payload = join_error.into_panic();
                let reason = match payload.downcast_ref::<Loud>() {
                    Some(loud) => loud.to_string(),
                    None => message(payload.as_ref()),
                };
                failures.push(format!("{task}: panicked: {reason}"));
            }
            Err(join_error) => failures.push(format!("{task}: {join_error}")),
        }
        // The output, error or payload, is dropped here, on main.
    }
    println!("main: both outputs reached main");
    // Printed once every task has ended, so never inside a hook's line.
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    // ANCHOR_END: await
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
