//! The thread runner and the tokio runner at their limits: timeouts that
//! abandon threads, limits no `Instant` can hold, a task closure that
//! panics before it returns its future.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use no_silent_failures::runner::Runner;
use no_silent_failures::tasks::run_tasks;

/// A flag threads can wait on.
#[derive(Default)]
struct Latch {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Latch {
    fn add(&self) {
        *self.count.lock().unwrap() += 1;
        self.changed.notify_all();
    }

    fn wait_for(&self, count: usize) {
        let mut seen = self.count.lock().unwrap();
        while *seen < count {
            seen = self.changed.wait(seen).unwrap();
        }
    }
}

#[test]
fn a_thread_abandoned_at_a_timeout_takes_no_new_input() {
    // Inputs 0 and 1 block both threads until they time out. A new thread
    // starts only when a stuck one is abandoned, so once inputs 2 and 3
    // have both started, both stuck threads are; input 2 then lets them
    // go. Every later input waits until both have finished, so that an
    // abandoned thread that takes inputs again finds many left, and runs
    // beside the live threads.
    let replacements = Arc::new(Latch::default());
    let opened = Arc::new(Latch::default());
    let stuck_done = Arc::new(Latch::default());
    let ran_on: Arc<Mutex<Vec<(usize, ThreadId)>>> = Arc::default();
    let running = Arc::new(AtomicUsize::new(0));
    let most_at_once = Arc::new(AtomicUsize::new(0));
    let task = {
        let (opened, stuck_done) = (Arc::clone(&opened), Arc::clone(&stuck_done));
        let replacements = Arc::clone(&replacements);
        let (ran_on, running, most) = (
            Arc::clone(&ran_on),
            Arc::clone(&running),
            Arc::clone(&most_at_once),
        );
        move |&input: &usize| -> Result<usize, String> {
            ran_on
                .lock()
                .unwrap()
                .push((input, std::thread::current().id()));
            if input < 2 {
                opened.wait_for(1);
                stuck_done.add();
                return Ok(input);
            }
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            if input <= 3 {
                replacements.add();
            }
            if input == 2 {
                replacements.wait_for(2);
                opened.add();
            }
            stuck_done.wait_for(2);
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(input)
        }
    };
    // Inputs 0 and 1 time out whatever the limit, since nothing lets them
    // go until they have; inputs 2 and 3 wait only for a few threads to
    // wake, which the limit leaves ample room for on a loaded machine.
    let outcomes = Runner::new().threads(2).run_with_timeout(
        (0..20).collect(),
        Duration::from_millis(250),
        task,
    );
    assert!(
        outcomes[..2]
            .iter()
            .all(|o| o.failure().is_some_and(|f| f.is_timeout()))
    );
    assert!(outcomes[2..].iter().all(|o| o.value() == Some(&o.input)));
    let ran_on = ran_on.lock().unwrap();
    let abandoned: HashSet<ThreadId> = ran_on
        .iter()
        .filter(|(input, _)| *input < 2)
        .map(|&(_, thread)| thread)
        .collect();
    let taken_again: Vec<usize> = ran_on
        .iter()
        .filter(|(input, thread)| *input >= 2 && abandoned.contains(thread))
        .map(|&(input, _)| input)
        .collect();
    assert_eq!(
        taken_again,
        Vec::<usize>::new(),
        "abandoned threads took inputs"
    );
    assert!(most_at_once.load(Ordering::SeqCst) <= 2);
}

#[test]
fn a_limit_too_long_for_an_instant_is_no_limit() {
    let outcomes =
        Runner::new()
            .threads(2)
            .run_with_timeout(vec![1, 2, 3], Duration::MAX, |&n: &u32| {
                if n == 2 { Err("two") } else { Ok(n * 10) }
            });
    assert_eq!(outcomes[0].value(), Some(&10));
    assert_eq!(
        outcomes[1].failure().and_then(|f| f.returned()),
        Some(&"two")
    );
    assert_eq!(outcomes[2].value(), Some(&30));
}

/// A panic payload whose `Drop` panics too.
struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        panic!("the payload went off when dropped");
    }
}

#[test]
fn a_panic_payload_whose_drop_panics_is_still_one_outcome() {
    // On a thread of its own with a limit, since the failure this guards
    // against is a run that waits for ever.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcomes =
            Runner::new()
                .threads(2)
                .run_with_timeout(vec![1u32, 2], Duration::MAX, |&n| {
                    if n == 1 {
                        std::panic::panic_any(Bomb);
                    }
                    Ok::<_, String>(n)
                });
        let _ = done.send(outcomes);
    });
    let outcomes = finished
        .recv_timeout(Duration::from_secs(30))
        .expect("the run hung");
    assert!(outcomes[0].failure().and_then(|f| f.panic()).is_some());
    assert_eq!(outcomes[1].value(), Some(&2));
}

#[tokio::test]
async fn a_task_closure_that_panics_before_its_future_fails_that_input_alone() {
    let outcomes = run_tasks(vec![1u32, 2, 3], Some(Duration::MAX), |n| {
        assert_ne!(n, 2, "no future for two");
        async move { Ok::<_, std::io::Error>(n * 10) }
    })
    .await;
    assert_eq!(outcomes[0].value(), Some(&10));
    let panic = outcomes[1].failure().and_then(|f| f.panic()).unwrap();
    assert!(
        panic.message.contains("no future for two"),
        "{}",
        panic.message
    );
    assert_eq!(panic.location.as_ref().unwrap().file, file!());
    assert_eq!(outcomes[2].value(), Some(&30));
}
