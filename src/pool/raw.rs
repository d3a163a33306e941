//! The fast path for inputs and results that are one plain value: a
//! number, a `bool`, a `char`, `()`, or a newtype around one of them.
//!
//! postcard writes integers as varints, which is compact but costs a few
//! nanoseconds per number to write and as many to read: for a task that
//! squares a number, more than the task. A value of these types is written
//! here as its little-endian bytes instead, at its full width. Everything
//! else (strings, structs, enums, sequences) is refused at once, before a
//! byte is written, and travels in postcard.
//!
//! Like postcard, this is not self-describing: the reader asks for the
//! type it expects and gets that many bytes.

use std::fmt;

use serde::de::{self, Visitor};
use serde::ser::{self, Impossible, Serialize};

/// Why a value did not take the fast path, or could not be read from it.
#[derive(Debug)]
pub(super) struct NotRaw;

impl fmt::Display for NotRaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a plain value of a fixed width")
    }
}

impl std::error::Error for NotRaw {}

impl ser::Error for NotRaw {
    fn custom<M: fmt::Display>(_: M) -> Self {
        NotRaw
    }
}

impl de::Error for NotRaw {
    fn custom<M: fmt::Display>(_: M) -> Self {
        NotRaw
    }
}

/// Appends `value` to `out` if it is a plain value; otherwise leaves `out`
/// as it was. (A `Serialize` impl makes one call on the writer, which
/// either writes a whole value or refuses before writing anything.)
#[inline]
pub(super) fn write<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), NotRaw> {
    value.serialize(Writer(out))
}

/// Reads a `T` that [`write()`] wrote from the front of `bytes`, and moves
/// `bytes` past it.
#[inline]
pub(super) fn read<'de, T: de::Deserialize<'de>>(bytes: &mut &'de [u8]) -> Result<T, NotRaw> {
    T::deserialize(Reader(bytes))
}

struct Writer<'a>(&'a mut Vec<u8>);

/// Writes each listed primitive as its little-endian bytes.
macro_rules! write_le {
    ($($method:ident: $type:ty),*) => {$(
        #[inline]
        fn $method(self, value: $type) -> Result<(), NotRaw> {
            self.0.extend_from_slice(&value.to_le_bytes());
            Ok(())
        }
    )*};
}

/// Refuses each listed method, whatever its arguments.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ok, NotRaw> {
            Err(NotRaw)
        }
    )*};
}

type Refused = Impossible<(), NotRaw>;

impl ser::Serializer for Writer<'_> {
    type Ok = ();
    type Error = NotRaw;
    type SerializeSeq = Refused;
    type SerializeTuple = Refused;
    type SerializeTupleStruct = Refused;
    type SerializeTupleVariant = Refused;
    type SerializeMap = Refused;
    type SerializeStruct = Refused;
    type SerializeStructVariant = Refused;

    write_le!(
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128, serialize_f32: f32, serialize_f64: f64
    );

    /// Compact, as postcard is: a type that writes itself differently for
    /// people (an IP address as text) writes what it writes to postcard.
    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, value: bool) -> Result<(), NotRaw> {
        self.serialize_u8(value.into())
    }

    fn serialize_char(self, value: char) -> Result<(), NotRaw> {
        self.serialize_u32(value.into())
    }

    fn serialize_unit(self) -> Result<(), NotRaw> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), NotRaw> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NotRaw> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotRaw> {
        Err(NotRaw)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), NotRaw> {
        Err(NotRaw)
    }

    refuse! {
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Refused;
        serialize_tuple(usize) -> Refused;
        serialize_tuple_struct(&'static str, usize) -> Refused;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Refused;
        serialize_map(Option<usize>) -> Refused;
        serialize_struct(&'static str, usize) -> Refused;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Refused;
    }
}

struct Reader<'a, 'de>(&'a mut &'de [u8]);

impl Reader<'_, '_> {
    /// The next `N` bytes.
    #[inline]
    fn take<const N: usize>(&mut self) -> Result<[u8; N], NotRaw> {
        let (taken, rest) = self.0.split_first_chunk::<N>().ok_or(NotRaw)?;
        *self.0 = rest;
        Ok(*taken)
    }
}

/// Reads each listed primitive from its little-endian bytes.
macro_rules! read_le {
    ($($method:ident: $type:ty => $visit:ident),*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, NotRaw> {
            visitor.$visit(<$type>::from_le_bytes(self.take()?))
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Reader<'_, 'de> {
    type Error = NotRaw;

    read_le!(
        deserialize_i8: i8 => visit_i8, deserialize_i16: i16 => visit_i16,
        deserialize_i32: i32 => visit_i32, deserialize_i64: i64 => visit_i64,
        deserialize_i128: i128 => visit_i128, deserialize_u8: u8 => visit_u8,
        deserialize_u16: u16 => visit_u16, deserialize_u32: u32 => visit_u32,
        deserialize_u64: u64 => visit_u64, deserialize_u128: u128 => visit_u128,
        deserialize_f32: f32 => visit_f32, deserialize_f64: f64 => visit_f64
    );

    fn is_human_readable(&self) -> bool {
        false
    }

    fn deserialize_bool<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, NotRaw> {
        match self.take::<1>()? {
            [0] => visitor.visit_bool(false),
            [1] => visitor.visit_bool(true),
            _ => Err(NotRaw),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, NotRaw> {
        let code = u32::from_le_bytes(self.take()?);
        visitor.visit_char(char::from_u32(code).ok_or(NotRaw)?)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotRaw> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotRaw> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, NotRaw> {
        visitor.visit_newtype_struct(self)
    }

    /// Everything the writer refuses.
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, NotRaw> {
        Err(NotRaw)
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf option seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Meters(u32);

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Done;

    fn round_trip<T>(value: T)
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + fmt::Debug,
    {
        let mut bytes = vec![0xaa];
        write(&value, &mut bytes).unwrap();
        bytes.push(0xbb);
        let mut rest = &bytes[1..];
        assert_eq!(read::<T>(&mut rest).unwrap(), value);
        assert_eq!(rest, [0xbb], "it reads exactly what it wrote");
    }

    #[test]
    fn plain_values_come_back_as_they_went() {
        round_trip(u64::MAX - 1);
        round_trip(-3i8);
        round_trip(i128::MIN);
        round_trip(-0.5f64);
        round_trip(true);
        round_trip('é');
        round_trip(());
        round_trip(Meters(7));
        round_trip(Done);
    }

    #[test]
    fn numbers_take_their_full_width() {
        let mut bytes = Vec::new();
        write(&1u64, &mut bytes).unwrap();
        assert_eq!(bytes, [1, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[derive(Serialize)]
    struct Point {
        x: u8,
    }

    #[derive(Serialize)]
    enum Shape {
        Dot(u8),
    }

    #[test]
    fn anything_else_is_refused_without_a_trace() {
        let mut bytes = vec![9];
        assert!(write("text", &mut bytes).is_err());
        assert!(write(&Some(1u8), &mut bytes).is_err());
        assert!(write(&(1u8, 2u8), &mut bytes).is_err());
        assert!(write(&Point { x: 1 }, &mut bytes).is_err());
        assert!(write(&Shape::Dot(1), &mut bytes).is_err());
        assert!(write(&vec![1u8], &mut bytes).is_err());
        assert_eq!(bytes, [9]);
    }

    #[test]
    fn bytes_that_are_not_the_type_asked_for_are_refused() {
        assert!(read::<u64>(&mut &[1, 2, 3][..]).is_err(), "too short");
        assert!(read::<bool>(&mut &[2][..]).is_err());
        assert!(read::<char>(&mut &0xd800u32.to_le_bytes()[..]).is_err());
        assert!(read::<String>(&mut &[0; 8][..]).is_err());
    }
}
