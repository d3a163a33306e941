//! Exercise 2, a solution: one outcome per spec, panics caught per spec.
//!
//! Run: cargo run --example ch2-solution
use std::process::ExitCode;

use no_silent_failures::runner::Runner;

const SPECS: [&str; 5] = ["640x480", "1920x1080", "0x600", "wide", "300x600"];

/// The thumbnail size for an image of `WxH`: 128 wide, same aspect ratio.
fn thumbnail(spec: &str) -> Result<(u32, u32), String> {
    let (width, height) = spec.split_once('x').ok_or(format!("{spec:?} is not WxH"))?;
    let width: u32 = width.parse().map_err(|e| format!("width: {e}"))?;
    let height: u32 = height.parse().map_err(|e| format!("height: {e}"))?;
    // Panics when the width is 0.
    Ok((128, 128 * height / width))
}

fn main() -> ExitCode {
    // The runner wants an error type that implements Error.
    let outcomes = Runner::new().run(SPECS.to_vec(), |spec| {
        thumbnail(spec).map_err(std::io::Error::other)
    });
    let mut failed = false;
    for outcome in &outcomes {
        match &outcome.result {
            Ok((width, height)) => println!("{} -> {width}x{height}", outcome.input),
            Err(failure) => {
                failed = true;
                eprintln!("error: {}: {failure}", outcome.input);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
