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
    let mut failed = false;
    for (task, handle) in [("returns", returns), ("panics", panics)] {
        match handle.await {
            Ok(Ok(())) => println!("{task}: ok"),
            Ok(Err(error)) => {
                failed = true;
                eprintln!("error: {task}: returned: {error}");
            }
            Err(join_error) if join_error.is_panic() => {
                failed = true;
                let payload = join_error.into_panic();
                let reason = match payload.downcast_ref::<Loud>() {
                    Some(loud) => loud.to_string(),
                    None => message(payload.as_ref()),
                };
                eprintln!("error: {task}: panicked: {reason}");
            }
            Err(join_error) => {
                failed = true;
                eprintln!("error: {task}: {join_error}");
            }
        }
        // The output, error or payload, is dropped here, on main.
    }
    println!("main: both outputs reached main");
    // ANCHOR_END: await
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
