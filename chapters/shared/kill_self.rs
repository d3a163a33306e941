// Shared by the process chapters with `include!`: how a demo worker dies
// the way the out-of-memory killer would end it.

/// Sends this process `SIGKILL`. It cannot catch it, print anything, or
/// run a destructor. If the signal cannot be sent, the demo would go on as
/// if it had been, so it says why on stderr and aborts instead.
#[cfg(unix)]
fn kill_self() {
    let me = std::process::id().to_string();
    let sent = std::process::Command::new("sh")
        .args(["-c", "kill -KILL \"$0\"", &me])
        .status();
    match sent {
        // The signal is on its way: this process ends before it can run on.
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("kill_self: `kill -KILL {me}` failed: {status}");
            std::process::abort()
        }
        Err(error) => {
            eprintln!("kill_self: could not run `sh -c kill`: {error}");
            std::process::abort()
        }
    }
}

#[cfg(not(unix))]
fn kill_self() {
    // No signals on Windows; the closest is being terminated from outside.
    std::process::exit(1);
}
