//! Panics as data.
//!
//! A panic that ends a thread leaves the parent a `Box<dyn Any + Send>`:
//! the payload, nothing else. The location only ever reaches the panic
//! hook, and not even the hook is handed a backtrace: `PanicHookInfo` has
//! none, so a hook that wants one captures it, on the panicking thread.
//!
//! ```compile_fail,E0599
//! std::panic::set_hook(Box::new(|info: &std::panic::PanicHookInfo<'_>| {
//!     let _ = info.backtrace(); // no such method
//! }));
//! ```
//!
//! [`catch`] runs a closure, and if it panics, hands back a
//! [`Panic`] holding the message, the location, the thread's name and (with
//! [`catch_with_backtrace`]) a backtrace, without printing anything.
//!
//! How it works: the first call installs one process-wide hook, chained to
//! the hook that was there before. The hook checks a *thread-local* capture
//! slot. A thread inside [`catch`] gets its panic recorded in its own slot and
//! nothing printed; any other thread's panic goes to the previous hook as
//! usual. Two runners on different threads never share a slot, so they cannot
//! corrupt each other's captures.
//!
//! If other code replaces the hook after the first call, captures still work
//! but fall back to the payload alone: the message survives, the location
//! and the thread do not, and the new hook prints the panic. Code that sets
//! a hook of its own should do it before the first capture; this hook then
//! chains to it.

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::Write;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::{Arc, Once, OnceLock};

/// What [`message`] returns for a payload that is neither `&str` nor `String`
/// (a `std::panic::panic_any` of some other type).
pub const NON_STRING_PAYLOAD: &str = "<non-string panic payload>";

/// The source location a panic reported.
///
/// ```
/// use no_silent_failures::panic::Location;
/// let here = Location { file: "src/main.rs".into(), line: 3, column: 9 };
/// assert_eq!(here.to_string(), "src/main.rs:3:9");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    /// Source file, as the compiler recorded it (relative for the crate's own code).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// A captured panic: everything the hook saw, kept as data.
///
/// ```
/// use no_silent_failures::panic::catch;
/// let panic = catch(|| -> u32 { panic!("bad input {}", 7) }).unwrap_err();
/// assert_eq!(panic.message, "bad input 7");
/// assert!(panic.location.unwrap().file.ends_with(".rs"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Panic {
    /// The panic message, or [`NON_STRING_PAYLOAD`].
    pub message: String,
    /// Where the panic happened, when the hook saw it.
    pub location: Option<Location>,
    /// The name of the thread that panicked, if it had one.
    pub thread: Option<String>,
    /// The backtrace, when one was asked for.
    pub backtrace: Option<Trace>,
}

impl Panic {
    /// Builds a `Panic` from a bare payload, as `JoinHandle::join` or
    /// `catch_unwind` return it. Only the message can be recovered.
    ///
    /// ```
    /// use no_silent_failures::panic::Panic;
    /// let payload = std::thread::spawn(|| panic!("lost {}", "location"))
    ///     .join()
    ///     .unwrap_err();
    /// let panic = Panic::from_payload(payload.as_ref());
    /// assert_eq!(panic.message, "lost location");
    /// assert_eq!(panic.location, None);
    /// ```
    pub fn from_payload(payload: &(dyn Any + Send)) -> Self {
        Panic {
            message: message(payload),
            location: None,
            thread: None,
            backtrace: None,
        }
    }

    fn from_hook(info: &PanicHookInfo<'_>, with_backtrace: bool) -> Self {
        Panic {
            message: message(info.payload()),
            location: info.location().map(|l| Location {
                file: l.file().to_owned(),
                line: l.line(),
                column: l.column(),
            }),
            thread: std::thread::current().name().map(str::to_owned),
            backtrace: with_backtrace.then(Trace::capture),
        }
    }
}

impl fmt::Display for Panic {
    /// `panicked at FILE:LINE:COL: MESSAGE`, plus the thread when known.
    /// The backtrace is left out; print the field when you want it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("panicked")?;
        if let Some(thread) = &self.thread {
            write!(f, " in thread '{thread}'")?;
        }
        if let Some(location) = &self.location {
            write!(f, " at {location}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// A backtrace captured where a panic happened, turned into text the first
/// time it is read.
///
/// Capturing only walks the stack, and takes microseconds. Naming the
/// frames reads the program's debug information, which in a debug build
/// takes a few hundred milliseconds: a `Trace` leaves that to whoever reads
/// it, so the panicking thread reports its panic at once. A deadline that
/// waits for that report (chapter 4) is then not spent naming frames.
/// Clones share the text, which is made once.
///
/// ```
/// use no_silent_failures::panic::{Trace, catch_with_backtrace};
/// let panic = catch_with_backtrace(|| panic!("deep")).unwrap_err();
/// let trace = panic.backtrace.unwrap();
/// assert!(trace.as_str().contains("catch_with_backtrace"));
/// // A trace that crossed a process boundary arrives as text.
/// assert_eq!(Trace::from("   0: main".to_owned()).as_str(), "   0: main");
/// ```
#[derive(Clone)]
pub struct Trace(Arc<TraceText>);

struct TraceText {
    captured: Option<Backtrace>,
    text: OnceLock<String>,
}

impl Trace {
    fn capture() -> Self {
        Trace(Arc::new(TraceText {
            captured: Some(Backtrace::force_capture()),
            text: OnceLock::new(),
        }))
    }

    /// The backtrace as text, one frame after another, as the panic hook
    /// prints it.
    pub fn as_str(&self) -> &str {
        let TraceText { captured, text } = &*self.0;
        text.get_or_init(|| {
            captured
                .as_ref()
                .map(Backtrace::to_string)
                .unwrap_or_default()
        })
    }
}

impl From<String> for Trace {
    fn from(text: String) -> Self {
        Trace(Arc::new(TraceText {
            captured: None,
            text: OnceLock::from(text),
        }))
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Trace {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Trace {}

impl serde::Serialize for Trace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Trace {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Trace::from)
    }
}

/// The message inside a panic payload.
///
/// `panic!("literal")` carries a `&'static str`, `panic!("{x}")` a `String`,
/// and `std::panic::panic_any(v)` whatever `v` is. Checking only one of the
/// two string types is a common way to lose the message.
///
/// ```
/// use no_silent_failures::panic::{message, NON_STRING_PAYLOAD};
/// let literal = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
/// let formatted = std::panic::catch_unwind(|| panic!("{}", 1 + 1)).unwrap_err();
/// let other = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
/// assert_eq!(message(literal.as_ref()), "plain");
/// assert_eq!(message(formatted.as_ref()), "2");
/// assert_eq!(message(other.as_ref()), NON_STRING_PAYLOAD);
/// ```
pub fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        NON_STRING_PAYLOAD.to_owned()
    }
}

/// Runs `work`; if it panics, returns the panic as a [`Panic`] with message,
/// location and thread name, and prints nothing.
///
/// `work` is treated as unwind-safe: after a panic, the only thing handed
/// back is the `Panic`, so nothing half-updated inside the closure is seen.
/// State the closure shares by reference is another matter (chapter 12).
///
/// ```
/// use no_silent_failures::panic::catch;
/// assert_eq!(catch(|| 2 + 2), Ok(4));
/// let panic = catch(|| {
///     let v: Vec<u8> = Vec::new();
///     v[3]
/// })
/// .unwrap_err();
/// assert!(panic.message.contains("index out of bounds"));
/// ```
pub fn catch<T>(work: impl FnOnce() -> T) -> Result<T, Panic> {
    CaptureScope::enter(false).catch(work)
}

/// Like [`catch`], and also records a backtrace of the panicking thread,
/// whatever `RUST_BACKTRACE` says.
///
/// ```
/// use no_silent_failures::panic::catch_with_backtrace;
/// let panic = catch_with_backtrace(|| panic!("deep")).unwrap_err();
/// assert!(panic.backtrace.is_some());
/// ```
pub fn catch_with_backtrace<T>(work: impl FnOnce() -> T) -> Result<T, Panic> {
    CaptureScope::enter(true).catch(work)
}

/// While a `CaptureScope` is alive, panics on its thread are recorded for
/// [`CaptureScope::catch`] instead of being printed.
///
/// [`catch`] enters and leaves a scope around one call. A loop that catches
/// many calls on one thread can enter a scope once and call
/// [`CaptureScope::catch`] for each, which costs no more than
/// `catch_unwind` when nothing panics. Scopes nest; a scope cannot leave its
/// thread.
///
/// ```
/// use no_silent_failures::panic::CaptureScope;
/// let scope = CaptureScope::enter(false);
/// let results: Vec<_> = (0..4)
///     .map(|n| scope.catch(|| if n == 2 { panic!("two") } else { n }))
///     .collect();
/// assert_eq!(results[1], Ok(1));
/// assert_eq!(results[2].as_ref().unwrap_err().message, "two");
/// ```
pub struct CaptureScope {
    outer_backtrace: bool,
    // Thread-local state: the scope must be dropped on the thread that
    // entered it.
    _not_send: PhantomData<*const ()>,
}

impl CaptureScope {
    /// Starts capturing on this thread, with or without backtraces.
    pub fn enter(with_backtrace: bool) -> Self {
        install_hook();
        let outer_backtrace = WANT_BACKTRACE.replace(with_backtrace);
        DEPTH.set(DEPTH.get() + 1);
        CaptureScope {
            outer_backtrace,
            _not_send: PhantomData,
        }
    }

    /// Like [`CaptureScope::enter`], and every panic on this thread while
    /// the scope lives is also written to stderr, caught or not: for a
    /// process whose stderr is kept as its death report (a pool worker), so
    /// that a panic that ends the process (a panic while panicking, say)
    /// is on record.
    pub(crate) fn enter_echoing() -> Self {
        let scope = Self::enter(false);
        ECHO.set(true);
        scope
    }

    /// Runs `work`, and returns its panic, if any, as a [`Panic`].
    #[inline]
    pub fn catch<T>(&self, work: impl FnOnce() -> T) -> Result<T, Panic> {
        std::panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| self.recover(payload))
    }

    /// Like [`CaptureScope::catch`], but a panic comes back as its raw
    /// payload, for [`CaptureScope::recover`]: on a path that runs per
    /// tiny task, returning a whole `Panic` costs more than the task.
    #[inline]
    pub(crate) fn catch_payload<T>(
        &self,
        work: impl FnOnce() -> T,
    ) -> Result<T, Box<dyn Any + Send>> {
        std::panic::catch_unwind(AssertUnwindSafe(work))
    }

    /// The [`Panic`] for a payload that `catch_unwind` returned inside this
    /// scope. The payload is dropped here, under a catch of its own: a
    /// payload whose `Drop` panics must not unwind out of the catch that
    /// caught it.
    pub(crate) fn recover(&self, payload: Box<dyn Any + Send>) -> Panic {
        let panic = taken(payload.as_ref());
        drop_payload(payload);
        panic
    }
}

/// Drops a panic's payload under a catch of its own, so that a payload
/// whose `Drop` panics cannot unwind out of the code that caught it.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = std::panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // The payload of that second panic is leaked, not dropped: it
        // could panic in its turn, for ever.
        std::mem::forget(again);
    }
}

impl Drop for CaptureScope {
    fn drop(&mut self) {
        DEPTH.set(DEPTH.get() - 1);
        WANT_BACKTRACE.set(self.outer_backtrace);
    }
}

thread_local! {
    // How many `catch` calls are running on this thread. The hook records a
    // panic instead of printing it when this is above zero.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    static WANT_BACKTRACE: Cell<bool> = const { Cell::new(false) };
    // Whether a recorded panic is also written to stderr (see
    // `CaptureScope::enter_echoing`); never reset: a worker's thread.
    static ECHO: Cell<bool> = const { Cell::new(false) };
    static CAPTURED: RefCell<Option<Panic>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let capturing = DEPTH.try_with(|depth| depth.get() > 0).unwrap_or(false);
            let recorded = capturing
                && CAPTURED
                    .try_with(|slot| match slot.try_borrow_mut() {
                        Ok(mut slot) => {
                            let with_backtrace = WANT_BACKTRACE.get();
                            let panic = Panic::from_hook(info, with_backtrace);
                            if ECHO.get() {
                                // Not `eprintln!`: a panic in the hook,
                                // when stderr is broken, would abort.
                                let _ = writeln!(std::io::stderr(), "{panic}");
                            }
                            *slot = Some(panic);
                            true
                        }
                        Err(_) => false,
                    })
                    .unwrap_or(false);
            if !recorded {
                previous(info);
            }
        }));
    });
}

#[cold]
fn taken(payload: &(dyn Any + Send)) -> Panic {
    let recorded = CAPTURED.with(|slot| slot.borrow_mut().take());
    let message = message(payload);
    // A panic resumed from another thread (`resume_unwind`) never passed
    // through this thread's hook: what the slot holds, if anything, is an
    // older panic. Only trust a record whose message matches the payload.
    match recorded {
        Some(panic) if panic.message == message => panic,
        _ => Panic::from_payload(payload),
    }
}
