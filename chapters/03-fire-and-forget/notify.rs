// The delivery job all four ch3 programs run. Shared with `include!`.

#[derive(Debug)]
struct DeliveryError {
    recipient: String,
    reason: &'static str,
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot deliver to {:?}: {}", self.recipient, self.reason)
    }
}

impl std::error::Error for DeliveryError {}

// ANCHOR: deliver
/// Pretends to deliver a notification. An address without `@` is refused
/// with an error; an empty one trips an assertion, which panics.
fn deliver(recipient: &str) -> Result<(), DeliveryError> {
    assert!(!recipient.is_empty(), "recipient must not be empty");
    if !recipient.contains('@') {
        return Err(DeliveryError {
            recipient: recipient.to_owned(),
            reason: "no @ in address",
        });
    }
    Ok(())
}
// ANCHOR_END: deliver

fn recipients_from_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return args;
    }
    ["ana@example.org", "bob.example.org", "", "eve@example.org"]
        .map(String::from)
        .to_vec()
}
