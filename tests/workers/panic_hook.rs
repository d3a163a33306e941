//! The capture hook chains to the hook installed before it: panics outside
//! `catch` still reach it. The check runs in a process of its own, because
//! panic hooks are process-wide.
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use no_silent_failures::panic::catch;

use crate::common;

pub const ROLES: &[(&str, fn())] = &[(
    "panic-hook",
    panics_outside_catch_still_reach_the_previous_hook,
)];

pub const CHECKS: &[(&str, fn())] =
    &[("panics_outside_catch_still_reach_the_previous_hook", || {
        common::in_own_process("panic-hook")
    })];

fn panics_outside_catch_still_reach_the_previous_hook() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    std::panic::set_hook(Box::new(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    }));

    // Inside `catch`: recorded, and the previous hook is not called.
    let caught = catch(|| panic!("captured"));
    assert_eq!(caught.unwrap_err().message, "captured");
    assert_eq!(seen.load(Ordering::SeqCst), 0);

    // Outside `catch`, on another thread: the previous hook runs as before.
    let outside = thread::spawn(|| panic!("not captured")).join();
    assert!(outside.is_err());
    assert_eq!(seen.load(Ordering::SeqCst), 1);

    // And a capture running at the same time on another thread changes nothing.
    let other = thread::spawn(|| catch(|| panic!("captured elsewhere")))
        .join()
        .unwrap();
    assert_eq!(other.unwrap_err().message, "captured elsewhere");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let _ = std::panic::take_hook();
}
