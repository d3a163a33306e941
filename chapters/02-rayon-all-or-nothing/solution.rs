//! Exercise 2, a solution: a pool of two threads of its own, one outcome
//! per spec, panics caught per spec inside the pool.
//!
//! Run: cargo run --example ch2-solution
use std::panic::catch_unwind;
use std::process::ExitCode;
use std::thread;

use no_silent_failures::panic::message;
use rayon::prelude::*;

const SPECS: [&str; 5] = ["640x480", "1920x1080", "0x600", "wide", "300x600"];

/// The thumbnail size for an image of `WxH`: 128 wide, same aspect ratio.
fn thumbnail(spec: &str) -> Result<(u32, u32), String> {
    let (width, height) = spec.split_once('x').ok_or(format!("{spec:?} is not WxH"))?;
    let width: u32 = width.parse().map_err(|e| format!("width: {e}"))?;
    let height: u32 = height.parse().map_err(|e| format!("height: {e}"))?;
    // Panics when the width is 0.
    Ok((128, 128 * height / width))
}

/// A thumbnail's size and the thread that made it, or why there is none.
type Made = Result<((u32, u32), String), String>;

fn main() -> ExitCode {
    // Two threads at most, named, instead of rayon's global pool. Building
    // a pool can fail (the threads may not start): that is reported too.
    let pool = match rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|index| format!("thumb-{index}"))
        .build()
    {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("error: pool: {error}");
            return ExitCode::FAILURE;
        }
    };
    // `install` resumes a panic on the calling thread, as `collect` does,
    // so the catch goes inside, around each spec.
    let outcomes: Vec<Made> = pool.install(|| {
        SPECS
            .par_iter()
            .map(|spec| {
                let made = catch_unwind(|| thumbnail(spec));
                let on = thread::current().name().unwrap_or("<unnamed>").to_owned();
                match made {
                    Ok(Ok(size)) => Ok((size, on)),
                    Ok(Err(why)) => Err(why),
                    Err(payload) => Err(format!("panicked: {}", message(payload.as_ref()))),
                }
            })
            .collect()
    });
    let mut failed = false;
    for (spec, outcome) in SPECS.iter().zip(&outcomes) {
        match outcome {
            Ok(((width, height), on)) => println!("{spec} -> {width}x{height} ({on})"),
            Err(why) => {
                failed = true;
                eprintln!("error: {spec}: {why}");
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
