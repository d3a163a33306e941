// The report both fixed ch11 programs print. Shared with `include!`.
use no_silent_failures::failure::Failure;
use no_silent_failures::outcome::Outcome;

// ANCHOR: report
/// Each kind of failure in words of its own: a hang is not a crash, and
/// neither is a task that was cancelled or never delivered.
fn kind<E>(failure: &Failure<E>) -> &'static str {
    match failure {
        Failure::TimedOut(_) => "hung (liveness)",
        Failure::Panicked(_) => "crashed (a bug)",
        Failure::Returned(_) => "failed (correctness)",
        Failure::Cancelled => "cancelled (never finished)",
        Failure::Died(_) => "died (its process ended)",
        Failure::Undelivered(_) => "undelivered (lost on the way)",
        // `Failure` may gain kinds: name none of them wrongly.
        _ => "failed (a kind this report does not know)",
    }
}

/// One line per check, a failure on stderr naming its kind; exit status 1
/// if any check failed.
fn report(outcomes: &[Outcome<&str, (), CheckError>]) -> std::process::ExitCode {
    let mut unhealthy = 0;
    for outcome in outcomes {
        let name = outcome.input;
        match &outcome.result {
            Ok(()) => println!("{name}: healthy"),
            Err(failure) => {
                unhealthy += 1;
                eprintln!("error: {name}: {}: {failure}", kind(failure));
            }
        }
    }
    println!("{} of {} checks healthy", outcomes.len() - unhealthy, outcomes.len());
    if unhealthy == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
// ANCHOR_END: report
