//! How tasks and results travel between the pool and its workers.
//!
//! Both directions carry *frames*: a header, then a payload of items. The
//! header is an optional marker, the payload's length (eight bytes), the
//! number of items (four bytes) and a byte of flags, all little-endian.
//! Each item is a tag byte, then a plain value on the fast path of [`raw`]
//! or anything else in [postcard]; among results, a third tag marks the
//! report of a task that failed. A binary format keeps the cost per tiny
//! task to a few bytes and nanoseconds, where JSON would spend most of the
//! task's time on text.
//!
//! Tasks carry no ids and results carry no ids: a worker answers its
//! tasks in the order it was sent them, one pipe keeps that order, and the
//! pool remembers which task it sent when.
//!
//! On a worker's stdout, frames share the pipe with whatever the tasks
//! print, so each starts with [`RESULT_MARKER`]: bytes that text cannot
//! contain. Everything outside a frame is skipped. Inside a frame nothing
//! is searched: the length says where it ends, so a payload may hold any
//! bytes. On stdin, which only the pool writes, frames have no marker.

use std::io::{self, BufRead, Read, Write};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::raw;
use crate::report::ErrorReport;

/// What starts a frame of results on a worker's stdout. `0xff` and `0xfe`
/// never occur in UTF-8, so no printed text contains it.
pub(super) const RESULT_MARKER: &[u8] = b"\x1ensf-pool\xff\xfe";

/// Bytes of the header after the marker: length, count, flags.
const HEADER: usize = 8 + 4 + 1;

/// The flag of a chunk whose results must be sent one by one.
pub(super) const EXACT: u8 = 1;

/// A frame being built: its header, then its items.
pub(super) struct Frame {
    /// One serializer for every item: setting one up for each would cost
    /// as much as a tiny item.
    out: postcard::Serializer<Bytes>,
    /// Where the payload starts.
    payload: usize,
    count: u32,
}

impl Frame {
    /// An empty frame that starts with `marker` (empty on stdin).
    pub(super) fn new(marker: &[u8], flags: u8) -> Self {
        let mut bytes = Vec::with_capacity(256);
        bytes.extend_from_slice(marker);
        bytes.extend_from_slice(&[0; HEADER]);
        let payload = bytes.len();
        bytes[payload - 1] = flags;
        Frame {
            out: postcard::Serializer {
                output: Bytes(bytes),
            },
            payload,
            count: 0,
        }
    }

    /// The bytes of its items so far.
    pub(super) fn payload_len(&self) -> usize {
        self.out.output.0.len() - self.payload
    }

    /// Whether it holds no item yet.
    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends a value: a plain one (a number, say) on the fast path of
    /// [`raw`], anything else in postcard. A value that cannot be
    /// serialized leaves the frame as it was, and the error says why.
    #[inline]
    pub(super) fn push_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), String> {
        let bytes = &mut self.out.output.0;
        bytes.push(RAW);
        if raw::write(value, bytes).is_ok() {
            self.count += 1;
            return Ok(());
        }
        bytes.pop();
        self.push(&(POSTCARD, value))
    }

    /// Appends a task's result: a value, or the report of why there is
    /// none. A value that cannot be serialized becomes a report saying so.
    pub(super) fn push_result<T: Serialize>(&mut self, result: Result<&T, &ErrorReport>) {
        let pushed = match result {
            Ok(value) => self.push_value(value),
            Err(report) => self.push(&(REPORT, report)),
        };
        if let Err(error) = pushed {
            let report = ErrorReport::serialization("the result", error);
            self.push(&(REPORT, &report))
                .expect("a report of strings serializes");
        }
    }

    /// Appends one item in postcard.
    fn push<T: Serialize + ?Sized>(&mut self, item: &T) -> Result<(), String> {
        let start = self.out.output.0.len();
        match item.serialize(&mut self.out) {
            Ok(()) => {
                self.count += 1;
                Ok(())
            }
            Err(error) => {
                self.out.output.0.truncate(start);
                // postcard drops the message of an error raised by the
                // value's own `Serialize`; serde_json keeps it.
                Err(match (error, serde_json::to_vec(item)) {
                    (postcard::Error::SerdeSerCustom, Err(json)) => json.to_string(),
                    (error, _) => error.to_string(),
                })
            }
        }
    }

    /// Writes the frame in one `write_all`, and empties it.
    pub(super) fn send(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.seal();
        let bytes = &mut self.out.output.0;
        let sent = out.write_all(bytes).and_then(|()| out.flush());
        bytes.truncate(self.payload);
        self.count = 0;
        sent
    }

    /// The frame's bytes, header included, for another thread to write.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.seal();
        self.out.output.0
    }

    /// Fills in the payload's length and the count.
    fn seal(&mut self) {
        let bytes = &mut self.out.output.0;
        let start = self.payload - HEADER;
        let length = (bytes.len() - self.payload) as u64;
        bytes[start..start + 8].copy_from_slice(&length.to_le_bytes());
        bytes[start + 8..start + 12].copy_from_slice(&self.count.to_le_bytes());
    }
}

/// What each item starts with: a value in postcard, a value on the fast
/// path, or (only among results) the report of a failed task in postcard.
const POSTCARD: u8 = 0;
const RAW: u8 = 1;
const REPORT: u8 = 2;

/// Lets postcard append to a `Vec` that stays in the frame.
struct Bytes(Vec<u8>);

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
    pub(super) flags: u8,
    count: u32,
    payload: Vec<u8>,
}

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
        }
    }
}

/// The items of a frame, read in order.
pub(super) struct Items<'a> {
    /// The bytes after the items read so far.
    rest: &'a [u8],
    left: u32,
}

impl<'a> Items<'a> {
    /// The next value, as [`Frame::push_value`] wrote it; `None` after the
    /// last. An error means the frame does not hold values of this type.
    #[inline]
    pub(super) fn next_value<T: Deserialize<'a>>(&mut self) -> Option<postcard::Result<T>> {
        Some(self.next_tag()?.and_then(|tag| self.value(tag)))
    }

    /// The next result, as [`Frame::push_result`] wrote it.
    #[inline]
    pub(super) fn next_result<T: DeserializeOwned>(
        &mut self,
    ) -> Option<postcard::Result<Result<T, Box<ErrorReport>>>> {
        Some(self.next_tag()?.and_then(|tag| match tag {
            REPORT => self.take().map(|report| Err(Box::new(report))),
            tag => self.value(tag).map(Ok),
        }))
    }

    /// The tag of the next item, `None` after the last.
    #[inline]
    fn next_tag(&mut self) -> Option<postcard::Result<u8>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.take())
    }

    /// The value after `tag`.
    #[inline]
    fn value<T: Deserialize<'a>>(&mut self, tag: u8) -> postcard::Result<T> {
        match tag {
            POSTCARD => self.take(),
            RAW => raw::read(&mut self.rest).map_err(|_| postcard::Error::DeserializeBadEncoding),
            _ => Err(postcard::Error::DeserializeBadEnum),
        }
    }

    /// Reads one postcard value.
    #[inline]
    fn take<T: Deserialize<'a>>(&mut self) -> postcard::Result<T> {
        let (value, rest) = postcard::take_from_bytes(self.rest)?;
        self.rest = rest;
        Ok(value)
    }

    /// Checks, after the last item, that nothing is left over: bytes left
    /// mean the items were of another type than the reader thought.
    pub(super) fn finish(self) -> postcard::Result<()> {
        match self.rest {
            [] => Ok(()),
            _ => Err(postcard::Error::DeserializeBadEncoding),
        }
    }
}

/// Reads the next frame that starts with `marker`, skipping any bytes
/// before the marker. `None` at the end of the stream, also when it ends
/// inside a frame (its writer died while writing).
pub(super) fn read_frame(reader: &mut impl BufRead, marker: &[u8]) -> io::Result<Option<Received>> {
    if !skip_to_marker(reader, marker)? {
        return Ok(None);
    }
    let mut header = [0; HEADER];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(error) => return Err(error),
    }
    let length = u64::from_le_bytes(header[..8].try_into().expect("eight bytes"));
    let count = u32::from_le_bytes(header[8..12].try_into().expect("four bytes"));
    // Grow with what arrives rather than trusting the length up front.
    let mut payload = Vec::with_capacity(length.min(1 << 20) as usize);
    reader.take(length).read_to_end(&mut payload)?;
    Ok((payload.len() as u64 == length).then_some(Received {
        flags: header[12],
        count,
        payload,
    }))
}

/// Consumes bytes up to and including `marker`; false if the stream ends
/// first.
fn skip_to_marker(reader: &mut impl BufRead, marker: &[u8]) -> io::Result<bool> {
    // The marker's first byte occurs nowhere else in it, so a mismatch can
    // only restart a match at that byte.
    let mut matched = 0;
    while matched < marker.len() {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(false);
        }
        let mut used = 0;
        for &byte in buffer {
            used += 1;
            if byte == marker[matched] {
                matched += 1;
                if matched == marker.len() {
                    break;
                }
            } else {
                matched = usize::from(byte == marker[0]);
            }
        }
        reader.consume(used);
    }
    Ok(true)
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

    #[test]
    fn frames_survive_noise_and_split_markers() {
        let mut stream = b"printed\n\x1ensf-po".to_vec();
        let mut frame = Frame::new(RESULT_MARKER, 0);
        frame.push_result(Ok(&"one"));
        frame.push_result::<&str>(Err(&report("two failed")));
        frame.send(&mut stream).unwrap();
        stream.extend_from_slice(b"half a line \x1e\x1e");
        frame.push_result(Ok(&"three"));
        frame.send(&mut stream).unwrap();
        // A frame cut short by its writer's death.
        let mut torn = Frame::new(RESULT_MARKER, 0);
        torn.push_result(Ok(&"four"));
        let torn = torn.finish();
        stream.extend_from_slice(&torn[..torn.len() - 2]);

        // A one-byte buffer splits every marker.
        let mut reader = io::BufReader::with_capacity(1, stream.as_slice());
        let mut results = Vec::new();
        while let Some(frame) = read_frame(&mut reader, RESULT_MARKER).unwrap() {
            let mut items = frame.items();
            while let Some(result) = items.next_result::<String>() {
                results.push(result.unwrap().map_err(|report| report.message));
            }
            items.finish().unwrap();
        }
        assert_eq!(
            results,
            [
                Ok("one".to_owned()),
                Err("two failed".to_owned()),
                Ok("three".to_owned())
            ]
        );
    }

    /// A result that serde refuses to write.
    struct Refused;

    impl Serialize for Refused {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("not today"))
        }
    }

    #[test]
    fn a_result_that_cannot_be_serialized_arrives_as_a_report_saying_why() {
        let mut frame = Frame::new(b"", 0);
        frame.push_result(Ok(&Refused));
        frame.push_result(Ok(&"fine"));
        let bytes = frame.finish();
        let received = read_frame(&mut bytes.as_slice(), b"").unwrap().unwrap();
        let mut items = received.items();
        let refused = items.next_result::<String>().unwrap().unwrap().unwrap_err();
        assert_eq!(refused.kind, "serialization");
        assert_eq!(
            refused.message,
            "the result could not be serialized: not today"
        );
        assert_eq!(
            items.next_result::<String>().unwrap().unwrap().unwrap(),
            "fine"
        );
        items.finish().unwrap();
    }

    #[test]
    fn a_payload_may_contain_the_marker() {
        let mut frame = Frame::new(b"", EXACT);
        frame.push_value(RESULT_MARKER).unwrap();
        let bytes = frame.finish();
        let received = read_frame(&mut bytes.as_slice(), b"").unwrap().unwrap();
        assert_eq!(received.flags, EXACT);
        let mut items = received.items();
        let back: Vec<u8> = items.next_value().unwrap().unwrap();
        assert_eq!(back, RESULT_MARKER);
        assert!(items.next_value::<Vec<u8>>().is_none());
        items.finish().unwrap();
    }

    #[test]
    fn items_of_another_type_are_noticed() {
        let mut frame = Frame::new(b"", 0);
        frame.push_value(&(1u8, 2u8)).unwrap(); // in postcard
        frame.push_value(&7u64).unwrap(); // on the fast path
        let bytes = frame.finish();
        let received = read_frame(&mut bytes.as_slice(), b"").unwrap().unwrap();
        let mut items = received.items();
        let _: u8 = items.next_value().unwrap().unwrap();
        assert!(items.next_value::<u32>().unwrap().is_err());

        let mut items = received.items();
        let _: (u8, u8) = items.next_value().unwrap().unwrap();
        let _: u32 = items.next_value().unwrap().unwrap();
        assert!(items.finish().is_err(), "half of a u64 is left over");
    }

    #[test]
    fn plain_values_take_the_fast_path_and_others_postcard() {
        let mut frame = Frame::new(b"", 0);
        frame.push_value(&300u64).unwrap();
        frame.push_value("text").unwrap();
        let bytes = frame.finish();
        let payload = &bytes[HEADER..];
        assert_eq!(payload[..9], [RAW, 44, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(payload[9..], [POSTCARD, 4, b't', b'e', b'x', b't']);
    }
}
