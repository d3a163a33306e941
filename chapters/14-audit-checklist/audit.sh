#!/bin/sh
# The checklist's searches, as one script: `sh audit.sh [DIR]` searches the
# project in DIR (default: the current directory). Each search lists places
# to read, not verdicts. tests/ch14.rs runs it on this book.
dir=${1:-.}
search() { grep -rn --exclude-dir=target --exclude-dir=.git "$@"; }

# ANCHOR: children
echo "== every child process: waited for? status read? stderr read?"
search --include='*.rs' -E 'Command::new|\.(spawn|status|output)\(\)|tokio::process' "$dir"
# ANCHOR_END: children

# ANCHOR: kinds
echo "== catch-all arms around timeouts and joins?"
search --include='*.rs' -E 'recv_timeout|time::timeout|\.join\(\)' "$dir"
# ANCHOR_END: kinds

# ANCHOR: panic
echo "== panic = \"abort\" in any manifest (workspace members too) or cargo config"
search --include=Cargo.toml --include=config.toml --include=config \
    -E 'panic *= *"abort"|panic=abort' "$dir"
env | grep -E '^(RUSTFLAGS|CARGO_ENCODED_RUSTFLAGS|CARGO_PROFILE_[A-Z_]+_PANIC)=.*abort'
# ANCHOR_END: panic

# ANCHOR: poison
echo "== a poisoned lock stepped around, and destructors that might panic"
search --include='*.rs' \
    -E -e 'PoisonError|is_poisoned|clear_poison|lock\(\).*unwrap_or_else' \
    -e 'impl( *<[^>]*>)? *Drop for' "$dir"
# ANCHOR_END: poison
exit 0
