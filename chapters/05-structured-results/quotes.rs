// The price-feed parser both ch5 programs run. Shared with `include!`.
use std::num::ParseIntError;

#[derive(Debug)]
enum QuoteError {
    NoEquals(String),
    BadPrice {
        line: String,
        source: ParseIntError,
    },
}

impl std::fmt::Display for QuoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QuoteError::NoEquals(line) => write!(f, "no '=' in {line:?}"),
            QuoteError::BadPrice { line, .. } => write!(f, "bad price in {line:?}"),
        }
    }
}

impl std::error::Error for QuoteError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            QuoteError::NoEquals(_) => None,
            QuoteError::BadPrice { source, .. } => Some(source),
        }
    }
}

// ANCHOR: parse
/// Parses `SYMBOL=CENTS`.
fn parse_quote(line: &str) -> Result<(String, u32), QuoteError> {
    let (symbol, price) = line
        .split_once('=')
        .ok_or_else(|| QuoteError::NoEquals(line.to_owned()))?;
    assert!(!symbol.is_empty(), "empty symbol in {line:?}");
    let cents = price.parse().map_err(|source| QuoteError::BadPrice {
        line: line.to_owned(),
        source,
    })?;
    Ok((symbol.to_owned(), cents))
}
// ANCHOR_END: parse

fn feed_from_args() -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return args;
    }
    ["ACME=1250", "BOLT=abc", "=300", "ZINC=990", "GEAR 410"]
        .map(String::from)
        .to_vec()
}
