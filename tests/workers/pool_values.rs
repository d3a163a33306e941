//! Chapter 13's pool with plain values, end to end. Numbers, floats, chars,
//! bools and newtypes around them cross to the workers and back as their
//! little-endian bytes; other types as postcard; both directions can mix.
//! Every value must come back exact, bit for bit, beside returned errors
//! and panics.

use std::convert::Infallible;
use std::fmt::Debug;
use std::time::Duration;

use no_silent_failures::failure::Failure;
use no_silent_failures::pool::{self, Config, ProcessPool};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The input that makes `square` return an error, and the one that makes
/// it panic.
const UNLUCKY: u64 = 13;
const CURSED: u64 = 666;

fn square(n: u64) -> Result<u64, std::io::Error> {
    match n {
        UNLUCKY => Err(std::io::Error::other(format!("{n} is unlucky"))),
        CURSED => panic!("{n} is cursed"),
        // Wrapping on purpose: large inputs test every byte of the width.
        n => Ok(n.wrapping_mul(n)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Celsius(f64);

/// Negation flips the sign bit and nothing else: what comes back shows
/// every bit of what went, the sign of a zero and a NaN's payload too.
fn below_zero(celsius: Celsius) -> Result<f64, Infallible> {
    Ok(-celsius.0)
}

/// A plain value in, a value postcard carries out.
fn next_char(c: char) -> Result<Option<char>, Infallible> {
    Ok(char::from_u32(u32::from(c) + 1))
}

/// And the other way round.
fn is_empty(text: String) -> Result<bool, Infallible> {
    Ok(text.is_empty())
}

/// An error whose `Drop` panics.
#[derive(Debug)]
struct DropsBadly;

impl std::fmt::Display for DropsBadly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an error that panics when dropped")
    }
}

impl std::error::Error for DropsBadly {}

impl Drop for DropsBadly {
    fn drop(&mut self) {
        panic!("dropping the error of input 1");
    }
}

fn fails_on_one(n: u64) -> Result<u64, DropsBadly> {
    if n == 1 { Err(DropsBadly) } else { Ok(n) }
}

fn an_error_whose_drop_panics_fails_its_own_input_alone() {
    let outcomes = pool_of("fails_on_one", 4).run::<u64, u64>((0..4).collect());
    let values: Vec<Option<u64>> = outcomes.iter().map(|o| o.value().copied()).collect();
    assert_eq!(values, [Some(0), None, Some(2), Some(3)], "{outcomes:?}");
    let panic = outcomes[1].failure().and_then(Failure::panic).unwrap();
    assert_eq!(panic.message, "dropping the error of input 1");
}

/// A result whose `Serialize` writes part of itself, then panics: after a
/// plain value's bytes (in a frame of plain values, untagged) when it ends
/// in 3, after part of a postcard tuple (which turns the frame tagged)
/// when it ends in 7.
#[derive(Debug)]
struct HalfWritten(u64);

impl Serialize for HalfWritten {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        match self.0 % 10 {
            3 => {
                let _ = serializer.serialize_u64(self.0);
                panic!("{} half written, plain", self.0)
            }
            7 => {
                let mut tuple = serializer.serialize_tuple(2)?;
                tuple.serialize_element(&self.0)?;
                panic!("{} half written, in postcard", self.0)
            }
            _ => serializer.serialize_u64(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for HalfWritten {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u64::deserialize(deserializer).map(HalfWritten)
    }
}

/// An error whose `Display` panics.
#[derive(Debug)]
struct ShowsBadly(u64);

impl std::fmt::Display for ShowsBadly {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        panic!("showing the error of {}", self.0)
    }
}

impl std::error::Error for ShowsBadly {}

/// Values, half-written results, errors that panic when shown, and
/// panics, by the last digit.
fn half_written(n: u64) -> Result<HalfWritten, ShowsBadly> {
    match n % 10 {
        5 => Err(ShowsBadly(n)),
        9 => panic!("{n} panicked"),
        _ => Ok(HalfWritten(n)),
    }
}

fn a_result_that_panics_half_written_fails_alone_in_every_layout() {
    let inputs: Vec<u64> = (0..20_000).collect();
    for chunk_size in [1, 4, 7, 5000] {
        let outcomes = pool_of("half_written", chunk_size).run::<u64, HalfWritten>(inputs.clone());
        assert_eq!(outcomes.len(), inputs.len());
        for (n, outcome) in inputs.iter().zip(&outcomes) {
            let ok = match (n % 10, &outcome.result) {
                (3 | 7, Err(Failure::Undelivered(report))) => {
                    report.kind == "serialization"
                        && report.message.contains(&format!("{n} half written"))
                        && report.location.is_some()
                }
                (5, Err(Failure::Panicked(panic))) => {
                    panic.message == format!("showing the error of {n}")
                }
                (9, Err(Failure::Panicked(panic))) => panic.message == format!("{n} panicked"),
                (_, Ok(HalfWritten(value))) => value == n,
                _ => false,
            };
            assert!(ok, "chunks of {chunk_size}: {n} gave {:?}", outcome.result);
        }
    }
}

fn pool_of(role: &str, chunk_size: usize) -> ProcessPool {
    let config = Config::new(role)
        .workers(2)
        .chunk_size(chunk_size)
        .timeout(Duration::from_secs(30));
    ProcessPool::new(config).expect("this program's path")
}

/// Runs `inputs` through a pool of `role` and returns the values, failing
/// on any failure.
fn values<I, T>(role: &str, chunk_size: usize, inputs: Vec<I>) -> Vec<T>
where
    I: Serialize + Debug,
    T: DeserializeOwned + Send + Clone + 'static,
{
    pool_of(role, chunk_size)
        .run::<I, T>(inputs)
        .into_iter()
        .map(|outcome| match outcome.result {
            Ok(value) => value,
            Err(failure) => panic!("{role} {:?} failed: {failure}", outcome.input),
        })
        .collect()
}

fn numbers_come_back_exact_at_every_chunk_size() {
    let mut inputs: Vec<u64> = (0..20_000)
        .filter(|&n| n != UNLUCKY && n != CURSED)
        .collect();
    inputs.extend([u64::MAX, u64::MAX - 1, 1 << 32, 0x0102_0304_0506_0708]);
    let expected: Vec<u64> = inputs.iter().map(|n| n.wrapping_mul(*n)).collect();
    for chunk_size in [1, 7, 5000] {
        let got: Vec<u64> = values("square", chunk_size, inputs.clone());
        assert_eq!(got, expected, "chunks of {chunk_size}");
    }
}

fn errors_and_panics_travel_beside_plain_values() {
    let outcomes = pool_of("square", 4).run::<u64, u64>(vec![3, UNLUCKY, CURSED, u64::MAX]);
    assert_eq!(outcomes[0].value(), Some(&9));
    let returned = outcomes[1].failure().and_then(Failure::returned);
    assert_eq!(
        returned.map(|report| report.message.as_str()),
        Some("13 is unlucky")
    );
    let panic = outcomes[2].failure().and_then(Failure::panic);
    assert_eq!(panic.map(|p| p.message.as_str()), Some("666 is cursed"));
    let location = panic.and_then(|p| p.location.as_ref());
    assert!(
        location.is_some_and(|l| l.file.ends_with("workers/pool_values.rs")),
        "{location:?}"
    );
    assert_eq!(outcomes[3].value(), Some(&1));
}

fn floats_come_back_bit_for_bit() {
    let nan_with_payload = f64::from_bits(0x7ff8_0000_0000_0001);
    let inputs = [
        -40.0,
        0.0,
        -0.0,
        36.6,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        nan_with_payload,
    ];
    let got: Vec<f64> = values("below_zero", 3, inputs.map(Celsius).to_vec());
    let bits: Vec<u64> = got.iter().map(|f| f.to_bits()).collect();
    let expected: Vec<u64> = inputs.iter().map(|f| f.to_bits() ^ (1 << 63)).collect();
    assert_eq!(bits, expected);
    assert_eq!(got[0], 40.0);
    assert!(got[1].is_sign_negative() && got[2].is_sign_positive());
}

fn plain_and_postcard_values_mix_in_both_directions() {
    let got: Vec<Option<char>> = values("next_char", 2, vec!['a', 'z', '\u{D7FF}', char::MAX]);
    assert_eq!(got, [Some('b'), Some('{'), None, None]);
    let got: Vec<bool> = values("is_empty", 2, vec![String::new(), "x".to_owned()]);
    assert_eq!(got, [true, false]);
}

/// The roles this file's pools start their workers in.
pub const ROLES: &[(&str, fn())] = &[
    ("square", || pool::serve(square)),
    ("below_zero", || pool::serve(below_zero)),
    ("next_char", || pool::serve(next_char)),
    ("is_empty", || pool::serve(is_empty)),
    ("fails_on_one", || pool::serve(fails_on_one)),
    ("half_written", || pool::serve(half_written)),
];

pub const CHECKS: &[(&str, fn())] = &[
    (
        "numbers_come_back_exact_at_every_chunk_size",
        numbers_come_back_exact_at_every_chunk_size,
    ),
    (
        "errors_and_panics_travel_beside_plain_values",
        errors_and_panics_travel_beside_plain_values,
    ),
    ("floats_come_back_bit_for_bit", floats_come_back_bit_for_bit),
    (
        "plain_and_postcard_values_mix_in_both_directions",
        plain_and_postcard_values_mix_in_both_directions,
    ),
    (
        "an_error_whose_drop_panics_fails_its_own_input_alone",
        an_error_whose_drop_panics_fails_its_own_input_alone,
    ),
    (
        "a_result_that_panics_half_written_fails_alone_in_every_layout",
        a_result_that_panics_half_written_fails_alone_in_every_layout,
    ),
];
