//! How tasks and results travel between the pool and its workers.
//!
//! Both directions of a worker's private channel carry *frames*: a header,
//! then a payload of items. The header is the frame's kind (one byte), its
//! layout (one byte), the payload's length (eight bytes) and the number of
//! items (four bytes), all little-endian.
//!
//! In the usual layout, each item is a tag byte, then its bytes. A plain
//! value on the fast path of [`raw`] (at most 16 bytes) has its width in
//! its tag; anything else, in [postcard], has its length in the four bytes
//! after the tag; among results, other tags mark the report of a task that
//! failed and the report of a task the pool could not carry. A frame whose
//! items are all plain values of one width (a chunk of numbers, their
//! squares) drops the tags: its layout byte is that width, and its payload
//! the values' bytes one after another. The first item that breaks the
//! pattern turns the frame into the usual layout.
//!
//! Every item's length is known so that one item that does not decode (its
//! type's `Deserialize` refuses it, or panics) costs that item alone: the
//! next one starts where the length says, whatever the failed one read.
//!
//! Tasks carry no ids and results carry no ids: a worker answers its tasks
//! in the order it was sent them, one channel keeps that order, and the
//! pool remembers which task it sent when. Nothing else writes to the
//! channel, so nothing needs to be searched for or skipped.

use std::io::{self, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::raw;
use crate::panic::CaptureScope;
use crate::report::ErrorReport;

/// Bytes of the header: kind, layout, length, count.
const HEADER: usize = 1 + 1 + 8 + 4;

/// Bytes before an item's value, but for a plain one: tag and length.
const ITEM_HEADER: usize = 1 + 4;

/// The largest input or result, serialized, that the pool carries: 256 MiB.
/// A bigger one fails alone, as [`crate::failure::Failure::Undelivered`].
pub const MAX_ITEM_BYTES: usize = 256 << 20;

/// The payload size at which a worker sends its batch of results without
/// waiting for the end of the chunk, and at which the pool stops filling a
/// chunk. A quarter of a Linux pipe's default 64 KiB.
pub const FRAME_BYTES: usize = 16 * 1024;

/// The payload at which the pool stops filling a chunk: a chunk of big
/// inputs goes out in pieces, as results come home in pieces.
pub(super) const CHUNK_BYTES: usize = 1 << 20;

/// The largest frame either side accepts: a full chunk or batch, twice
/// over (a uniform frame that takes tags at its last item may double: a
/// tag for each value of a byte), and one more item of the largest size. A
/// header that announces more is a broken channel, found before a byte of
/// it is allocated.
pub(super) const MAX_FRAME_BYTES: u64 =
    (2 * (CHUNK_BYTES + RAW_WIDEST) + FRAME_BYTES + MAX_ITEM_BYTES + ITEM_HEADER) as u64;

/// The kinds of frame.
pub(super) mod kind {
    /// Pool to worker, first: the [`super::Setup`].
    pub const SETUP: u8 = 1;
    /// Worker to pool, first: the [`super::Hello`].
    pub const HELLO: u8 = 2;
    /// Pool to worker: a chunk of inputs.
    pub const CHUNK: u8 = 3;
    /// Pool to worker: a chunk of inputs whose results go home one by one.
    pub const EXACT_CHUNK: u8 = 4;
    /// Worker to pool: results, after a mark on the worker's stderr.
    pub const RESULTS: u8 = 5;
    /// Worker to pool: results of a batch that filled up while its chunk
    /// ran, with no mark before them (see the pool's `stderr` module).
    pub const UNMARKED_RESULTS: u8 = 6;
}

/// What each item starts with.
const POSTCARD: u8 = 0;
/// A plain value of `tag - RAW` bytes, up to [`RAW_WIDEST`].
const RAW: u8 = 16;
const RAW_WIDEST: usize = 16;
/// A task's failure (its returned error, or its panic), as a report.
const REPORT: u8 = 2;
/// A task the pool could not carry (its input or result did not cross).
const UNDELIVERED: u8 = 3;

/// What the pool tells a new worker before anything else.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Setup {
    /// What the worker writes on its stderr before a frame of results
    /// (but one sent because its batch filled up), so that the pool can
    /// tell which task wrote which lines.
    pub(super) stderr_mark: Vec<u8>,
    /// How often a busy worker sends what it has finished, in microseconds.
    pub(super) flush_us: u64,
}

/// What a worker tells the pool before its first result: what it serves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    /// Its role, as registered with [`crate::worker::guard`].
    pub role: String,
    /// The input type its task function takes (`std::any::type_name`).
    pub input: String,
    /// The value type its task function returns.
    pub output: String,
}

/// A frame being built: its header, then its items.
pub(super) struct Frame {
    /// One serializer for every item: setting one up for each would cost
    /// as much as a tiny item.
    out: postcard::Serializer<Bytes>,
    count: u32,
    layout: Layout,
}

/// How a frame's items are laid out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layout {
    /// No item yet.
    Empty,
    /// Every item a plain value of this many bytes (1 to [`RAW_WIDEST`]),
    /// without a tag.
    Uniform(u8),
    /// Every item with its tag.
    Tagged,
}

/// A frame's length, count and layout at some moment: see [`Frame::cut`].
#[derive(Clone, Copy)]
pub(super) struct Checkpoint {
    len: usize,
    count: u32,
    layout: Layout,
}

/// Why an item could not be added to a frame.
pub(super) struct Refused(pub(super) Box<ErrorReport>);

impl Frame {
    /// An empty frame of `kind`.
    pub(super) fn new(kind: u8) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.push(kind);
        bytes.extend_from_slice(&[0; HEADER - 1]);
        Frame {
            out: postcard::Serializer {
                output: Bytes(bytes),
            },
            count: 0,
            layout: Layout::Empty,
        }
    }

    /// A frame of one item, in postcard.
    pub(super) fn single<T: Serialize>(kind: u8, item: &T) -> Vec<u8> {
        let mut frame = Frame::new(kind);
        frame
            .push_item(POSTCARD, |out| {
                item.serialize(out).map_err(|e| e.to_string())
            })
            .unwrap_or_else(|_| unreachable!("setup and hello are plain data"));
        frame.finish()
    }

    /// Makes room at once for `items` more plain values of up to eight
    /// bytes, or a chunk's worth of bytes, whichever is less: growing a
    /// frame to that size step by step copies it about twice over.
    pub(super) fn reserve_for(&mut self, items: u64) {
        let bytes = usize::try_from(items).map_or(CHUNK_BYTES, |n| n.saturating_mul(1 + 8));
        self.out.output.0.reserve(bytes.min(CHUNK_BYTES));
    }

    /// The bytes of its items so far.
    pub(super) fn payload_len(&self) -> usize {
        self.out.output.0.len() - HEADER
    }

    /// Whether it holds no item yet.
    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a value: a plain one (a number, say) on the fast path of
    /// [`raw`], anything else in postcard. A value that cannot be
    /// serialized, whose `Serialize` panics, or that is bigger than
    /// [`MAX_ITEM_BYTES`], leaves the frame as it was, and the report says
    /// why. `scope` turns a panic into that report.
    #[inline]
    pub(super) fn push_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        what: &str,
        scope: &CaptureScope,
    ) -> Result<(), Refused> {
        let start = self.checkpoint();
        match scope.catch_payload(|| self.push_value_uncaught(value, what)) {
            Ok(pushed) => pushed,
            Err(payload) => {
                let panic = scope.recover(payload);
                self.cut(start);
                Err(Refused(Box::new(serialize_panicked(what, panic))))
            }
        }
    }

    /// [`Frame::push_value`] for a caller that catches panics itself (and
    /// cuts the frame back with [`Frame::cut_partial`] after one): a catch
    /// per item costs more than a tiny task.
    #[inline(always)]
    pub(super) fn push_value_uncaught<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        what: &str,
    ) -> Result<(), Refused> {
        if let Layout::Uniform(width) = self.layout {
            // The fastest path: the bytes alone, if the width is the same.
            let bytes = &mut self.out.output.0;
            let start = bytes.len();
            if raw::write(value, bytes).is_ok() && bytes.len() - start == usize::from(width) {
                self.count += 1;
                return Ok(());
            }
            bytes.truncate(start);
        }
        self.push_other(value, what)
    }

    /// A value that does not keep a uniform frame uniform, or starts one:
    /// out of line, so that the fastest path above stays small enough to
    /// inline.
    #[inline(never)]
    fn push_other<T: Serialize + ?Sized>(&mut self, value: &T, what: &str) -> Result<(), Refused> {
        match self.layout {
            Layout::Uniform(_) => self.tag_every_item(),
            Layout::Empty => {
                let bytes = &mut self.out.output.0;
                let start = bytes.len();
                if raw::write(value, bytes).is_ok() {
                    let width = bytes.len() - start;
                    if (1..=RAW_WIDEST).contains(&width) {
                        self.layout = Layout::Uniform(width as u8);
                        self.count += 1;
                        return Ok(());
                    }
                }
                bytes.truncate(start);
                self.layout = Layout::Tagged;
            }
            Layout::Tagged => {}
        }
        self.push_tagged(value, what)
    }

    /// A value in the usual layout: a tag that says the width, then the
    /// bytes, or else postcard.
    #[inline]
    fn push_tagged<T: Serialize + ?Sized>(&mut self, value: &T, what: &str) -> Result<(), Refused> {
        let start = self.out.output.0.len();
        let bytes = &mut self.out.output.0;
        bytes.push(RAW);
        if raw::write(value, bytes).is_ok() {
            let width = bytes.len() - start - 1;
            if width <= RAW_WIDEST {
                bytes[start] = RAW + width as u8;
                self.count += 1;
                return Ok(());
            }
        }
        bytes.truncate(start);
        self.push_postcard(value, what)
    }

    /// Turns a uniform frame into the usual layout, when the first item
    /// that is not a plain value of the same width comes: at most once a
    /// frame, since a frame never turns uniform again until it is sent.
    #[cold]
    fn tag_every_item(&mut self) {
        let Layout::Uniform(width) = self.layout else {
            self.layout = Layout::Tagged;
            return;
        };
        let bytes = &mut self.out.output.0;
        let mut tagged = Vec::with_capacity(bytes.len() + self.count as usize + 256);
        tagged.extend_from_slice(&bytes[..HEADER]);
        for value in bytes[HEADER..].chunks(usize::from(width)) {
            tagged.push(RAW + width);
            tagged.extend_from_slice(value);
        }
        *bytes = tagged;
        self.layout = Layout::Tagged;
    }

    /// A value that is not plain, in postcard: out of line, so that the
    /// fast path above stays small enough to inline.
    #[inline(never)]
    fn push_postcard<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        what: &str,
    ) -> Result<(), Refused> {
        self.push_item(POSTCARD, |out| {
            value.serialize(out).map_err(|error| match error {
                // postcard drops the message of an error raised by the
                // value's own `Serialize`; serde_json keeps it.
                postcard::Error::SerdeSerCustom => match serde_json::to_vec(value) {
                    Err(json) => json.to_string(),
                    Ok(_) => error.to_string(),
                },
                error => error.to_string(),
            })
        })
        .map_err(|message| {
            Refused(Box::new(ErrorReport::undelivered(
                "serialization",
                what,
                message,
                None,
            )))
        })
    }

    /// Where the frame is now, for [`Frame::cut`].
    #[inline]
    pub(super) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            len: self.out.output.0.len(),
            count: self.count,
            layout: self.layout,
        }
    }

    /// Cuts off what an item that panicked half way left behind: the
    /// bytes after the last whole item (items are counted only once they
    /// are whole). Walks the items: only for the rare panic.
    #[cold]
    pub(super) fn cut_partial(&mut self) {
        let bytes = &self.out.output.0;
        let mut items = Items {
            rest: &bytes[HEADER..],
            left: self.count,
            uniform: self.uniform_width(),
        };
        while let Some(Ok(_)) = items.next_item() {}
        let whole = bytes.len() - items.rest.len();
        self.out.output.0.truncate(whole);
        if self.count == 0 {
            self.layout = Layout::Empty;
        }
    }

    /// Cuts the frame back to `checkpoint`: every item added since, whole
    /// or half written, is gone, from the bytes and from the count.
    pub(super) fn cut(&mut self, checkpoint: Checkpoint) {
        let len = match (checkpoint.layout, self.layout) {
            // The frame took the usual layout since: the whole items
            // then each have their tag now.
            (Layout::Uniform(width), Layout::Tagged) => {
                HEADER + checkpoint.count as usize * (usize::from(width) + 1)
            }
            _ => checkpoint.len,
        };
        self.out.output.0.truncate(len.max(HEADER));
        self.count = checkpoint.count;
        if checkpoint.layout == Layout::Empty {
            self.layout = Layout::Empty;
        }
    }

    /// The width of every item, in a uniform frame; 0 in the usual layout.
    fn uniform_width(&self) -> u8 {
        match self.layout {
            Layout::Uniform(width) => width,
            Layout::Empty | Layout::Tagged => 0,
        }
    }

    /// Appends a task's failure report.
    pub(super) fn push_report(&mut self, report: &ErrorReport) {
        self.push_item(REPORT, |out| {
            report.serialize(out).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| unreachable!("a report of strings serializes"));
    }

    /// Appends the report of a task that the pool could not carry.
    pub(super) fn push_undelivered(&mut self, report: &ErrorReport) {
        self.push_item(UNDELIVERED, |out| {
            report.serialize(out).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| unreachable!("a report of strings serializes"));
    }

    /// Appends one item: its tag, its length, and what `write` writes. On
    /// an error, or past [`MAX_ITEM_BYTES`], the frame is left as it was.
    #[inline]
    fn push_item(
        &mut self,
        tag: u8,
        write: impl FnOnce(&mut postcard::Serializer<Bytes>) -> Result<(), String>,
    ) -> Result<(), String> {
        if self.layout != Layout::Tagged {
            self.tag_every_item();
        }
        let start = self.out.output.0.len();
        self.out.output.0.push(tag);
        self.out.output.0.extend_from_slice(&[0; 4]);
        // Whatever `write` did before it failed (a `Serialize` impl may
        // write half a value, then refuse) is cut off again.
        let written = write(&mut self.out);
        let bytes = &mut self.out.output.0;
        let length = bytes.len() - start - ITEM_HEADER;
        let written = written.and_then(|()| {
            if length > MAX_ITEM_BYTES {
                Err(format!(
                    "it is {length} bytes, over the pool's limit of {MAX_ITEM_BYTES}"
                ))
            } else {
                Ok(())
            }
        });
        match written {
            Ok(()) => {
                bytes[start + 1..start + ITEM_HEADER]
                    .copy_from_slice(&(length as u32).to_le_bytes());
                self.count += 1;
                Ok(())
            }
            Err(error) => {
                bytes.truncate(start);
                Err(error)
            }
        }
    }

    /// Makes it a frame of `kind` (results after a mark, or without one).
    pub(super) fn set_kind(&mut self, kind: u8) {
        self.out.output.0[0] = kind;
    }

    /// Writes the frame in one `write_all`, and empties it.
    pub(super) fn send(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.seal();
        let bytes = &mut self.out.output.0;
        let sent = out.write_all(bytes).and_then(|()| out.flush());
        bytes.truncate(HEADER);
        self.count = 0;
        self.layout = Layout::Empty;
        sent
    }

    /// The frame's bytes, header included, for another thread to write.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.seal();
        self.out.output.0
    }

    /// Fills in the payload's length and the count.
    fn seal(&mut self) {
        let uniform = self.uniform_width();
        let bytes = &mut self.out.output.0;
        let length = (bytes.len() - HEADER) as u64;
        bytes[1] = uniform;
        bytes[2..10].copy_from_slice(&length.to_le_bytes());
        bytes[10..14].copy_from_slice(&self.count.to_le_bytes());
    }
}

/// Lets postcard append to a `Vec` that stays in the frame.
pub(super) struct Bytes(Vec<u8>);

impl postcard::ser_flavors::Flavor for Bytes {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        // Most runs are a varint of a byte or two: a call to `memcpy` for
        // each would cost more than the bytes.
        if bytes.len() <= 16 {
            self.0.reserve(bytes.len());
            for &byte in bytes {
                self.0.push(byte);
            }
        } else {
            self.0.extend_from_slice(bytes);
        }
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// A frame as it arrived.
pub(super) struct Received {
    pub(super) kind: u8,
    /// The width of every item, or 0 for the usual layout.
    uniform: u8,
    count: u32,
    payload: Vec<u8>,
}

/// One item of a frame whose bytes do not hold what the reader expects.
pub(super) type ItemError = Box<ErrorReport>;

impl Received {
    /// How many items it holds.
    pub(super) fn count(&self) -> usize {
        self.count as usize
    }

    /// Reads the items, one after another.
    pub(super) fn items(&self) -> Items<'_> {
        Items {
            rest: &self.payload,
            left: self.count,
            uniform: self.uniform,
        }
    }

    /// The frame's single postcard item (a setup or a hello).
    pub(super) fn single<T: DeserializeOwned>(&self) -> io::Result<T> {
        let mut items = self.items();
        match items.next_item() {
            Some(Ok((POSTCARD, bytes))) if items.left == 0 && items.rest.is_empty() => {
                postcard::from_bytes(bytes).map_err(|e| protocol(e.to_string()))
            }
            _ => Err(protocol("a frame of one item expected".to_owned())),
        }
    }
}

/// The items of a frame, read in order.
pub(super) struct Items<'a> {
    /// The bytes after the items read so far.
    rest: &'a [u8],
    left: u32,
    /// The width of every item, or 0 for the usual layout.
    uniform: u8,
}

impl<'a> Items<'a> {
    /// The next item's tag and bytes; `None` after the last. An error
    /// means the frame itself is broken: no later item can be found.
    #[inline]
    pub(super) fn next_item(&mut self) -> Option<io::Result<(u8, &'a [u8])>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if self.uniform > 0 {
            let Some((bytes, rest)) = self.rest.split_at_checked(usize::from(self.uniform)) else {
                return Some(Err(protocol("an item is cut short".to_owned())));
            };
            self.rest = rest;
            return Some(Ok((RAW, bytes)));
        }
        let (tag, length, rest) = match *self.rest {
            [tag, ref rest @ ..] if tag >= RAW => (RAW, usize::from(tag - RAW), rest),
            [tag, a, b, c, d, ref rest @ ..] => {
                (tag, u32::from_le_bytes([a, b, c, d]) as usize, rest)
            }
            _ => return Some(Err(protocol("an item's header is cut short".to_owned()))),
        };
        if length > rest.len() {
            return Some(Err(protocol("an item is cut short".to_owned())));
        }
        let (bytes, rest) = rest.split_at(length);
        self.rest = rest;
        Some(Ok((tag, bytes)))
    }

    /// Whether every item has been read.
    pub(super) fn is_done(&self) -> bool {
        self.left == 0
    }

    /// Checks, after the last item, that nothing is left over.
    pub(super) fn finish(self) -> io::Result<()> {
        match self.rest {
            [] => Ok(()),
            _ => Err(protocol("bytes after the last item".to_owned())),
        }
    }
}

/// Decodes one value from exactly `bytes`, for a caller that catches
/// panics itself.
#[inline]
pub(super) fn decode<'a, T: Deserialize<'a>>(
    tag: u8,
    bytes: &'a [u8],
    what: &str,
) -> Result<T, ItemError> {
    if tag == RAW {
        let mut rest = bytes;
        match raw::read::<T>(&mut rest) {
            Ok(value) if rest.is_empty() => Ok(value),
            _ => Err(not_decoded::<T>(what, "not a {} on the fast path")),
        }
    } else {
        decode_postcard(tag, bytes, what)
    }
}

/// A value in postcard, or a tag that is no value: out of line, so that
/// the fast path above stays small enough to inline.
#[inline(never)]
fn decode_postcard<'a, T: Deserialize<'a>>(
    tag: u8,
    bytes: &'a [u8],
    what: &str,
) -> Result<T, ItemError> {
    if tag != POSTCARD {
        return Err(Box::new(ErrorReport::undelivered(
            "protocol",
            what,
            "not a value",
            None,
        )));
    }
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
        Ok(_) => Err(not_decoded::<T>(what, "bytes left over after a {}")),
        Err(error) => Err(Box::new(ErrorReport::undelivered(
            "deserialization",
            what,
            error,
            None,
        ))),
    }
}

/// The report of a value that did not decode as a `T`; `why` has a `{}`
/// for the type's name.
#[cold]
fn not_decoded<T>(what: &str, why: &str) -> ItemError {
    let why = why.replace("{}", std::any::type_name::<T>());
    Box::new(ErrorReport::undelivered("deserialization", what, why, None))
}

/// The report an item of tag `REPORT` (`Ok`) or `UNDELIVERED` (`Err`)
/// holds.
#[allow(clippy::type_complexity)]
pub(super) fn report(tag: u8, bytes: &[u8]) -> Result<Box<ErrorReport>, Box<ErrorReport>> {
    let report = postcard::from_bytes::<ErrorReport>(bytes)
        .unwrap_or_else(|e| ErrorReport::undelivered("protocol", "a report", e.to_string(), None));
    let report = Box::new(report);
    if tag == REPORT {
        Ok(report)
    } else {
        Err(report)
    }
}

/// Whether an item of `tag` is a report rather than a value.
pub(super) fn is_report(tag: u8) -> bool {
    matches!(tag, REPORT | UNDELIVERED)
}

/// The report of a `Serialize` that panicked.
pub(super) fn serialize_panicked(what: &str, panic: crate::panic::Panic) -> ErrorReport {
    let message = format!("its Serialize panicked: {}", panic.message);
    ErrorReport::undelivered("serialization", what, message, panic.location)
}

/// The report of a `Deserialize` that panicked.
pub(super) fn deserialize_panicked(what: &str, panic: crate::panic::Panic) -> ErrorReport {
    let message = format!("its Deserialize panicked: {}", panic.message);
    ErrorReport::undelivered("deserialization", what, message, panic.location)
}

fn protocol(message: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("pool protocol: {message}"),
    )
}

/// Reads the next frame. `None` at the end of the stream, also when it
/// ends inside a frame (its writer died while writing). A header that
/// announces more than [`MAX_FRAME_BYTES`] is an error, found before any
/// of it is read.
pub(super) fn read_frame(reader: &mut impl Read) -> io::Result<Option<Received>> {
    let mut header = [0; HEADER];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let uniform = header[1];
    let length = u64::from_le_bytes(header[2..10].try_into().expect("eight bytes"));
    let count = u32::from_le_bytes(header[10..14].try_into().expect("four bytes"));
    if usize::from(uniform) > RAW_WIDEST {
        return Err(protocol(format!("a frame of items {uniform} bytes wide")));
    }
    if length > MAX_FRAME_BYTES {
        return Err(protocol(format!(
            "a frame of {length} bytes, over the limit of {MAX_FRAME_BYTES}"
        )));
    }
    // Every item takes a byte at least: its tag.
    if u64::from(count) > length {
        return Err(protocol(format!(
            "a frame of {length} bytes cannot hold {count} items"
        )));
    }
    // Grow with what arrives rather than trusting the length up front.
    let mut payload = Vec::with_capacity(length.min(1 << 20) as usize);
    reader.take(length).read_to_end(&mut payload)?;
    Ok((payload.len() as u64 == length).then_some(Received {
        kind: header[0],
        uniform,
        count,
        payload,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(message: &str) -> ErrorReport {
        ErrorReport {
            kind: "test".to_owned(),
            message: message.to_owned(),
            causes: Vec::new(),
            location: None,
            backtrace: None,
        }
    }

    /// The next value, decoded as the worker decodes an input.
    fn next_value<T: DeserializeOwned>(items: &mut Items<'_>) -> Option<Result<T, ItemError>> {
        let (tag, bytes) = items.next_item()?.unwrap();
        Some(decode(tag, bytes, "the input"))
    }

    /// The next result, as the pool reads one: a value, a task's report
    /// (`Err(Ok)`), or an undelivered one (`Err(Err)`).
    #[allow(clippy::type_complexity)]
    fn next_result<T: DeserializeOwned>(
        items: &mut Items<'_>,
    ) -> Option<Result<T, Result<Box<ErrorReport>, Box<ErrorReport>>>> {
        let (tag, bytes) = items.next_item()?.unwrap();
        Some(if is_report(tag) {
            Err(super::report(tag, bytes))
        } else {
            decode(tag, bytes, "the result").map_err(Err)
        })
    }

    fn received(frame: Frame) -> Received {
        let bytes = frame.finish();
        read_frame(&mut bytes.as_slice()).unwrap().unwrap()
    }

    /// Serializes half a value, then refuses.
    struct HalfThenRefused;

    impl Serialize for HalfThenRefused {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeTuple;
            let mut tuple = serializer.serialize_tuple(2)?;
            tuple.serialize_element("first half")?;
            Err(serde::ser::Error::custom("not today"))
        }
    }

    /// Panics while it is serialized.
    struct Panics;

    impl Serialize for Panics {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("serializing Panics")
        }
    }

    #[test]
    fn a_value_that_fails_to_serialize_leaves_no_trace_in_the_frame() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_value(&"one", "the result", &scope).ok().unwrap();
        let refused = frame
            .push_value(&HalfThenRefused, "the result", &scope)
            .err()
            .unwrap()
            .0;
        assert_eq!(
            refused.message,
            "the result could not be serialized: not today"
        );
        let panicked = frame
            .push_value(&Panics, "the result", &scope)
            .err()
            .unwrap()
            .0;
        assert!(
            panicked
                .message
                .ends_with("its Serialize panicked: serializing Panics"),
            "{}",
            panicked.message
        );
        assert_eq!(panicked.location.unwrap().file, file!());
        frame.push_value(&"two", "the result", &scope).ok().unwrap();
        let received = received(frame);
        let mut items = received.items();
        let mut values = Vec::new();
        while let Some(item) = next_value::<String>(&mut items) {
            values.push(item.unwrap());
        }
        items.finish().unwrap();
        assert_eq!(values, ["one", "two"]);
    }

    #[test]
    fn an_item_that_does_not_decode_fails_alone() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_value(&"text", "", &scope).ok().unwrap();
        frame.push_value(&7u64, "", &scope).ok().unwrap();
        frame.push_report(&report("failed"));
        frame.push_undelivered(&report("lost"));
        frame.push_value(&9u64, "", &scope).ok().unwrap();
        let received = received(frame);
        let mut items = received.items();
        // A string is not a u64: that item fails, the next is read.
        let first = next_result::<u64>(&mut items).unwrap();
        assert!(matches!(first, Err(Err(ref r)) if r.kind == "deserialization"));
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(7));
        let failed = next_result::<u64>(&mut items).unwrap();
        assert!(matches!(failed, Err(Ok(ref r)) if r.message == "failed"));
        let lost = next_result::<u64>(&mut items).unwrap();
        assert!(matches!(lost, Err(Err(ref r)) if r.message == "lost"));
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(9));
        assert!(next_result::<u64>(&mut items).is_none());
        items.finish().unwrap();
    }

    #[test]
    fn a_value_too_big_to_carry_is_refused_before_it_is_sent() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::RESULTS);
        let big = "x".repeat(MAX_ITEM_BYTES + 1);
        let refused = frame
            .push_value(&big, "the result", &scope)
            .err()
            .unwrap()
            .0;
        assert!(
            refused.message.contains("over the pool's limit"),
            "{}",
            refused.message
        );
        assert!(frame.is_empty() && frame.payload_len() == 0);
    }

    #[test]
    fn a_header_announcing_too_much_is_an_error_not_an_allocation() {
        let mut header = vec![kind::RESULTS, 0];
        header.extend_from_slice(&u64::MAX.to_le_bytes());
        header.extend_from_slice(&1u32.to_le_bytes());
        let error = read_frame(&mut header.as_slice()).err().unwrap();
        assert!(error.to_string().contains("over the limit"), "{error}");
        // And a frame cut short is the end of the stream, not an error.
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_report(&report("x"));
        let bytes = frame.finish();
        assert!(
            read_frame(&mut &bytes[..bytes.len() - 1])
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn plain_values_of_one_width_travel_without_tags_until_one_breaks_the_pattern() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_value(&1u64, "", &scope).ok().unwrap();
        frame.push_value(&2u64, "", &scope).ok().unwrap();
        assert_eq!(frame.payload_len(), 16, "no tags");
        // A narrower value, then a report: the frame takes tags.
        frame.push_value(&3u8, "", &scope).ok().unwrap();
        frame.push_report(&report("failed"));
        assert!(frame.payload_len() > 3 * 9);
        let arrived = received(frame);
        let mut items = arrived.items();
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(1));
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(2));
        assert_eq!(next_result::<u8>(&mut items).unwrap().ok(), Some(3));
        assert!(matches!(next_result::<u8>(&mut items), Some(Err(Ok(_)))));
        items.finish().unwrap();

        // Cut back past the change of layout: the whole items stay, tagged.
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_value(&1u64, "", &scope).ok().unwrap();
        let after_one_again = frame.checkpoint();
        frame.push_value("text", "", &scope).ok().unwrap();
        frame.cut(after_one_again);
        frame.push_value(&5u64, "", &scope).ok().unwrap();
        let arrived = received(frame);
        let mut items = arrived.items();
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(1));
        assert_eq!(next_result::<u64>(&mut items).unwrap().ok(), Some(5));
        assert!(next_result::<u64>(&mut items).is_none());
        items.finish().unwrap();

        // A uniform frame whose last value panicked half way is cut back
        // to its whole values.
        let mut frame = Frame::new(kind::CHUNK);
        frame.push_value(&7u32, "", &scope).ok().unwrap();
        frame.out.output.0.extend_from_slice(&[1, 2]);
        frame.cut_partial();
        assert_eq!(frame.payload_len(), 4);
        // A header whose layout is wider than any plain value is broken.
        let mut bytes = received_bytes_of_one_u64();
        bytes[1] = 17;
        assert!(read_frame(&mut bytes.as_slice()).is_err());
        // Values cut short in a uniform frame are a broken frame.
        let mut bytes = received_bytes_of_one_u64();
        bytes[1] = 3;
        let arrived = read_frame(&mut bytes.as_slice()).unwrap().unwrap();
        let mut items = arrived.items();
        assert!(items.next_item().unwrap().is_ok());
        assert!(items.next_item().is_none());
        assert!(items.finish().is_err(), "five bytes left over");
    }

    #[test]
    fn a_full_uniform_chunk_that_takes_tags_and_the_largest_item_still_fits_a_frame() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::CHUNK);
        // Filled the way the pool fills a chunk: until it reaches
        // CHUNK_BYTES, with values of one byte, the narrowest.
        while frame.payload_len() < CHUNK_BYTES - 1 {
            assert!(frame.push_value_uncaught(&1u8, "").is_ok());
        }
        frame.push_value("not plain", "", &scope).ok().unwrap();
        // Every value now has a tag: the payload has doubled.
        assert!(frame.payload_len() > 2 * (CHUNK_BYTES - 1));
        let largest = frame.payload_len() + MAX_ITEM_BYTES + ITEM_HEADER;
        assert!(largest as u64 <= MAX_FRAME_BYTES);
    }

    fn received_bytes_of_one_u64() -> Vec<u8> {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::RESULTS);
        frame.push_value(&9u64, "", &scope).ok().unwrap();
        frame.finish()
    }

    #[test]
    fn plain_values_take_the_fast_path_and_others_postcard() {
        let scope = CaptureScope::enter(false);
        let mut frame = Frame::new(kind::CHUNK);
        frame.push_value(&300u64, "", &scope).ok().unwrap();
        frame.push_value("text", "", &scope).ok().unwrap();
        let bytes = frame.finish();
        let payload = &bytes[HEADER..];
        // In the usual layout, a plain value's tag says its width: no
        // length after it.
        assert_eq!(payload[..9], [RAW + 8, 44, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            payload[9..],
            [POSTCARD, 5, 0, 0, 0, 4, b't', b'e', b'x', b't']
        );
    }

    mod frame_model {
        //! Random sequences of pushes, cuts and sends, against a model of
        //! what each frame must decode to: across every change of layout.
        use super::*;
        use std::cell::Cell;

        thread_local! {
            static CALLS: Cell<u64> = const { Cell::new(0) };
        }

        #[derive(Clone, Debug)]
        enum V {
            Raw(u8, u128),
            Str(String),
            Chameleon(u32),
            RawThenErr,
            RawThenPanic(u8),
            PanicSecondCall,
        }

        fn write_w<S: serde::Serializer>(s: S, w: u8, v: u128) -> Result<S::Ok, S::Error> {
            match w {
                0 => s.serialize_unit(),
                1 => s.serialize_u8(v as u8),
                2 => s.serialize_u16(v as u16),
                4 => s.serialize_u32(v as u32),
                8 => s.serialize_u64(v as u64),
                _ => s.serialize_u128(v),
            }
        }

        impl Serialize for V {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let n = CALLS.with(|c| {
                    c.set(c.get() + 1);
                    c.get()
                });
                match self {
                    V::Raw(w, v) => write_w(s, *w, *v),
                    V::Str(x) => s.serialize_str(x),
                    V::Chameleon(v) => {
                        if n.is_multiple_of(2) {
                            s.serialize_u32(*v)
                        } else {
                            s.serialize_u64(u64::from(*v))
                        }
                    }
                    V::RawThenErr => {
                        let _ = s.serialize_u64(5);
                        Err(serde::ser::Error::custom("raw then err"))
                    }
                    V::RawThenPanic(w) => {
                        let _ = write_w(s, *w, 0x0102030405060708090a0b0c0d0e0f10);
                        panic!("raw then panic")
                    }
                    V::PanicSecondCall => {
                        // Only the first call in each push writes; a repeat panics.
                        if n > 1 {
                            let _ = s.serialize_u16(1);
                            panic!("second call")
                        }
                        s.serialize_u16(0xabcd)
                    }
                }
            }
        }

        #[derive(Debug, PartialEq)]
        enum Want {
            Exact(u8, Vec<u8>),
            Chameleon(u32),
        }

        struct Rng(u64);
        impl Rng {
            fn next(&mut self) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0
            }
            fn below(&mut self, n: u64) -> u64 {
                self.next() % n
            }
        }

        fn random_value(rng: &mut Rng, fav: u8) -> V {
            match rng.below(20) {
                0..=9 => V::Raw(fav, u128::from(rng.next()) << 64 | u128::from(rng.next())),
                10..=11 => V::Raw(
                    [0, 1, 2, 4, 8, 16][rng.below(6) as usize],
                    u128::from(rng.next()),
                ),
                12 => V::Str("s".repeat(rng.below(30) as usize)),
                13 => V::Chameleon(rng.next() as u32),
                14 => V::RawThenErr,
                15 => V::RawThenPanic([0, 1, 2, 4, 8, 16][rng.below(6) as usize]),
                16 => V::PanicSecondCall,
                _ => V::Raw(fav, 7),
            }
        }

        fn want_of(v: &V) -> Want {
            match v {
                V::Raw(w, x) => Want::Exact(RAW, x.to_le_bytes()[..usize::from(*w)].to_vec()),
                V::Str(s) => Want::Exact(POSTCARD, postcard::to_allocvec(s).unwrap()),
                V::Chameleon(x) => Want::Chameleon(*x),
                V::PanicSecondCall => Want::Exact(RAW, 0xabcdu16.to_le_bytes().to_vec()),
                _ => unreachable!(),
            }
        }

        fn check(bytes: &[u8], want: &[Want], seed: u64) {
            let received = read_frame(&mut &bytes[..]).unwrap().unwrap();
            assert_eq!(received.count(), want.len(), "seed {seed}");
            let mut items = received.items();
            for (i, w) in want.iter().enumerate() {
                let (tag, b) = items.next_item().unwrap().unwrap();
                match w {
                    Want::Exact(t, wb) => {
                        assert_eq!((tag, b), (*t, &wb[..]), "seed {seed} item {i} of {want:?}")
                    }
                    Want::Chameleon(x) => {
                        assert_eq!(tag, RAW, "seed {seed} item {i}");
                        assert!(b.len() == 4 || b.len() == 8, "seed {seed} item {i}");
                        assert_eq!(&b[..4], &x.to_le_bytes(), "seed {seed} item {i}");
                        assert!(b[4..].iter().all(|&z| z == 0));
                    }
                }
            }
            assert!(items.next_item().is_none());
            items.finish().unwrap();
        }

        #[test]
        fn frames_decode_to_what_was_pushed_whatever_the_layout_changes() {
            let scope = CaptureScope::enter(false);
            for seed in 1..4_000u64 {
                let mut rng = Rng(seed.wrapping_mul(0x9E3779B97F4A7C15) | 1);
                let fav = [1u8, 2, 4, 8, 16][rng.below(5) as usize];
                let mut frame = Frame::new(kind::RESULTS);
                let mut want: Vec<Want> = Vec::new();
                let mut saved: Option<(Checkpoint, usize)> = None;
                let ops = rng.below(40);
                for _ in 0..ops {
                    CALLS.with(|c| c.set(0));
                    match rng.below(12) {
                        0..=4 => {
                            let v = random_value(&mut rng, fav);
                            CALLS.with(|c| c.set(0));
                            match frame.push_value(&v, "x", &scope) {
                                Ok(()) => want.push(want_of(&v)),
                                Err(_) => assert!(
                                    matches!(
                                        v,
                                        V::RawThenErr | V::RawThenPanic(_) | V::PanicSecondCall
                                    ),
                                    "seed {seed}: {v:?} refused"
                                ),
                            }
                        }
                        5..=7 => {
                            // Uncaught, with the serve-style or dispatch-style recovery:
                            // both cut what follows the last whole item, and the
                            // worker puts the panic's report in its place.
                            let v = random_value(&mut rng, fav);
                            CALLS.with(|c| c.set(0));
                            let dispatch_style = rng.below(2) == 0;
                            match scope.catch_payload(|| frame.push_value_uncaught(&v, "x")) {
                                Ok(Ok(())) => want.push(want_of(&v)),
                                Ok(Err(_)) => {}
                                Err(p) => {
                                    drop(scope.recover(p));
                                    frame.cut_partial();
                                    if !dispatch_style {
                                        frame.push_undelivered(&report("panicked"));
                                        want.push(Want::Exact(
                                            UNDELIVERED,
                                            postcard::to_allocvec(&report("panicked")).unwrap(),
                                        ));
                                    }
                                }
                            }
                        }
                        8 => {
                            frame.push_report(&report("r"));
                            want.push(Want::Exact(
                                REPORT,
                                postcard::to_allocvec(&report("r")).unwrap(),
                            ));
                        }
                        9 => saved = Some((frame.checkpoint(), want.len())),
                        10 => {
                            if let Some((cp, n)) = saved.take() {
                                frame.cut(cp);
                                want.truncate(n);
                            }
                        }
                        _ => {
                            let mut out = Vec::new();
                            frame.send(&mut out).unwrap();
                            check(&out, &want, seed);
                            want.clear();
                            saved = None;
                        }
                    }
                }
                let bytes = frame.finish();
                check(&bytes, &want, seed);
            }
        }
    }
}
