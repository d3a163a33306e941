// Shared by the process chapters with `include!`: how a demo worker dies
// the way the out-of-memory killer would end it.

/// Sends this process `SIGKILL`. It cannot catch it, print anything, or
/// run a destructor.
#[cfg(unix)]
fn kill_self() {
    let me = std::process::id().to_string();
    let _ = std::process::Command::new("sh")
        .args(["-c", "kill -KILL \"$0\"", &me])
        .status();
}

#[cfg(not(unix))]
fn kill_self() {
    // No signals on Windows; the closest is being terminated from outside.
    std::process::exit(1);
}
