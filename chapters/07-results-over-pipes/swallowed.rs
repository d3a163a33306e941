//! Chapter 7, swallowed: workers write JSON results into one shared pipe;
//! the parent reads until the pipe closes. A worker that dies before
//! writing leaves a shorter stream that still looks complete.
//!
//! Run: `cargo run --example ch7`
use std::io::{BufRead, BufReader};

use no_silent_failures::worker;
use serde::{Deserialize, Serialize};

include!("parts.rs");

#[derive(Serialize, Deserialize)]
struct Message {
    index: usize,
    result: Result<u32, String>,
}

fn work() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let index: usize = args[0].parse().unwrap();
    let order = &orders_from(&args[1..])[index];
    let result = boxes_needed(order).map_err(|e| e.to_string());
    println!(
        "{}",
        serde_json::to_string(&Message { index, result }).unwrap()
    );
    after_sending(order);
}

fn main() {
    worker::guard(&[("order", work)]);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let orders = orders_from(&args);

    // ANCHOR: collect
    // One pipe shared by every worker, like a multiprocessing.Queue.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    let mut children = Vec::new();
    for index in 0..orders.len() {
        let child = worker::command("order")
            .expect("the path of this program")
            .arg(index.to_string())
            .args(&args)
            .stdout(writer.try_clone().expect("a pipe end"))
            .spawn()
            .expect("spawning a worker");
        children.push(child);
    }
    // The pipe ends once every worker has closed its copy of `writer`.
    drop(writer);

    let mut messages: Vec<Message> = BufReader::new(reader)
        .lines()
        .map_while(Result::ok)
        // Lines that are not JSON (the debugging prints) are skipped.
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect();
    for mut child in children {
        let _ = child.wait();
    }
    // ANCHOR_END: collect

    messages.sort_by_key(|message| message.index);
    for Message { index, result } in &messages {
        match result {
            Ok(boxes) => println!(
                "{}: {boxes} box{}",
                orders[*index],
                if *boxes == 1 { "" } else { "es" }
            ),
            Err(error) => println!("{}: rejected: {error}", orders[*index]),
        }
    }
    println!("all workers done");
}
