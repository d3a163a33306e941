// The order format both ch2 programs parse. Included with `include!` so the
// two programs share it without making it part of the library.

/// One parsed order line: `SKU:QUANTITY:TOTAL_CENTS`.
#[derive(Debug)]
#[allow(dead_code)] // the swallowed program only counts orders
struct Order {
    sku: String,
    quantity: u32,
    unit_cents: u32,
}

#[derive(Debug)]
struct BadOrder(String);

impl std::fmt::Display for BadOrder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadOrder {}

// ANCHOR: parse
fn parse_order(line: &str) -> Result<Order, BadOrder> {
    let fields: Vec<&str> = line.split(':').collect();
    let [sku, quantity, total] = fields[..] else {
        return Err(BadOrder(format!("expected SKU:QTY:CENTS, got {line:?}")));
    };
    let quantity: u32 = quantity
        .parse()
        .map_err(|e| BadOrder(format!("quantity {quantity:?}: {e}")))?;
    let total: u32 = total
        .parse()
        .map_err(|e| BadOrder(format!("total {total:?}: {e}")))?;
    // A zero quantity is not caught above: this division panics.
    let unit_cents = total / quantity;
    Ok(Order {
        sku: sku.to_owned(),
        quantity,
        unit_cents,
    })
}
// ANCHOR_END: parse

/// The batches both programs import when given no arguments; with
/// arguments, the arguments are one batch.
fn batches_from_args() -> Vec<(String, Vec<String>)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return vec![("args".to_owned(), args)];
    }
    let owned = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect();
    vec![
        (
            "monday".to_owned(),
            owned(&[
                "gear:4:1000",
                "bolt:x:300",
                "nut:10:50",
                "axle:2:900",
                "chain:1",
                "belt:3:600",
            ]),
        ),
        (
            "tuesday".to_owned(),
            owned(&["gear:2:500", "bolt:0:300", "nut:5:25"]),
        ),
    ]
}
