// The jobs both ch4 programs supervise. Shared with `include!`.

/// A typed panic payload, as `std::panic::panic_any` carries it.
#[derive(Debug)]
#[allow(dead_code)] // only code that downcasts to this type can read it
struct JobAborted {
    code: u8,
}

// ANCHOR: jobs
fn resize_images() {}

fn verify_checksum() {
    // A literal message: the payload is a `&'static str`.
    panic!("checksum mismatch");
}

fn upload_report() {
    let status = 503;
    // A formatted message: the payload is a `String`.
    panic!("upload of report.pdf failed with status {status}");
}

fn rebuild_index() {
    // Any other value: the payload is a `JobAborted`.
    std::panic::panic_any(JobAborted { code: 3 });
}
// ANCHOR_END: jobs

type Job = fn();

const JOBS: [(&str, Job); 4] = [
    ("resize", resize_images),
    ("checksum", verify_checksum),
    ("upload", upload_report),
    ("index", rebuild_index),
];
