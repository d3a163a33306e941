// Compiled by tests/book/ch8.rs, which expects it to fail: an error holding an
// `Rc` cannot leave the thread that made it.
use std::rc::Rc;
use std::thread;

#[derive(Debug)]
struct ParseError {
    line: Rc<String>,
}

fn main() {
    let worker = thread::spawn(|| -> Result<(), ParseError> {
        Err(ParseError {
            line: Rc::new("id 3".to_owned()),
        })
    });
    println!("{:?}", worker.join());
}
