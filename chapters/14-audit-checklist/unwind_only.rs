// Chapter 14: a program that relies on catching panics can refuse to be
// built any other way. Wherever `panic = "abort"` comes from (a manifest, a
// workspace, .cargo/config.toml, RUSTFLAGS), this constant fails to compile.
const _: () = assert!(
    cfg!(panic = "unwind"),
    "this program catches panics: build it with panic = \"unwind\""
);

fn main() {
    let caught = std::panic::catch_unwind(|| panic!("caught"));
    assert!(caught.is_err());
}
