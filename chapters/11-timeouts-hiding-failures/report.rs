// The report both fixed ch11 programs print. Shared with `include!`.
use no_silent_failures::failure::Failure;
use no_silent_failures::outcome::Outcome;

// ANCHOR: report
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
                let kind = match failure {
                    Failure::TimedOut(_) => "hung (liveness)",
                    Failure::Panicked(_) => "crashed (a bug)",
                    _ => "failed (correctness)",
                };
                eprintln!("error: {name}: {kind}: {failure}");
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
