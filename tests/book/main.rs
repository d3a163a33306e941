//! Every claim the book makes, checked: one module per chapter (`ch1` to
//! `ch14`, `ch13_steps` for chapter 13's steps), the pages themselves
//! (`pages`), the exercises (`exercises`) and the runners at their limits
//! (`limits`). One test binary rather than one per file: each binary is a
//! link of its own, and libtest runs the tests of one binary side by side.
//!
//! `cargo test --test book ch3::` runs chapter 3's checks.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod ch1;
mod ch10;
mod ch11;
mod ch12;
mod ch13;
mod ch13_steps;
mod ch14;
mod ch2;
mod ch3;
mod ch4;
mod ch5;
mod ch6;
mod ch7;
mod ch8;
mod ch9;
mod exercises;
mod limits;
mod pages;
