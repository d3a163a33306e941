//! The book and the code cannot drift apart: every chapter is in the
//! summary, every program is on its chapter's page, every include resolves,
//! and every snapshot is both checked by a test and shown in the book.
mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use common::root;
use regex::Regex;

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn chapter_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root().join("chapters"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.is_dir()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.as_bytes()[0].is_ascii_digit())
        })
        .collect();
    dirs.sort();
    dirs
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("chapters/introduction.md")];
    pages.extend(chapter_dirs().into_iter().map(|dir| dir.join("README.md")));
    pages
}

/// `(page, target, range)` for every `{{#include target:range}}` in the book.
fn includes() -> Vec<(PathBuf, String, Option<String>)> {
    let pattern = Regex::new(r"\{\{#include ([^}:\s]+)(?::([^}\s]*))?\}\}").unwrap();
    let mut found = Vec::new();
    for page in pages() {
        for capture in pattern.captures_iter(&read(&page)) {
            found.push((
                page.clone(),
                capture[1].to_owned(),
                capture.get(2).map(|m| m.as_str().to_owned()),
            ));
        }
    }
    found
}

fn normalized(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn included_files() -> BTreeSet<PathBuf> {
    includes()
        .into_iter()
        .map(|(page, target, _)| normalized(&page.parent().unwrap().join(target)))
        .collect()
}

/// Lines of a snapshot's header: everything up to and including the
/// second `---`.
fn snapshot_header_lines(text: &str) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| *line == "---")
        .nth(1)
        .map(|(index, _)| index + 1)
        .expect("a snapshot starts with a header between two --- lines")
}

#[test]
fn every_chapter_folder_is_in_the_summary_and_every_summary_link_exists() {
    let summary = read(&root().join("chapters/SUMMARY.md"));
    for dir in chapter_dirs() {
        let name = dir.file_name().unwrap().to_str().unwrap();
        assert!(
            summary.contains(&format!("({name}/README.md)")),
            "chapters/{name} is not linked from SUMMARY.md"
        );
    }
    let link = Regex::new(r"\]\(([^)]+)\)").unwrap();
    for capture in link.captures_iter(&summary) {
        let target = root().join("chapters").join(&capture[1]);
        assert!(
            target.is_file(),
            "SUMMARY.md links to missing {}",
            &capture[1]
        );
    }
}

#[test]
fn every_include_resolves_to_a_file_an_anchor_or_a_line_range() {
    let includes = includes();
    assert!(!includes.is_empty());
    for (page, target, range) in includes {
        let file = page.parent().unwrap().join(&target);
        let shown = format!("{} includes {target}", page.display());
        assert!(file.is_file(), "{shown}: no such file");
        let text = read(&file);
        let lines = text.lines().count();
        match range.as_deref() {
            None => {}
            Some(range) if range.chars().all(|c| c.is_ascii_digit() || c == ':') => {
                let bounds: Vec<Option<usize>> = range.split(':').map(|n| n.parse().ok()).collect();
                let start = bounds[0].unwrap_or(1);
                let end = bounds.get(1).copied().flatten().unwrap_or(lines);
                assert!(
                    1 <= start && start <= end && end <= lines,
                    "{shown}: lines {range} out of 1..={lines}"
                );
                if target.ends_with(".snap") {
                    let body = snapshot_header_lines(&text) + 1;
                    assert_eq!(
                        start, body,
                        "{shown}: a snapshot must be shown from line {body}, right after its header"
                    );
                    assert_eq!(
                        bounds.get(1).copied().flatten(),
                        None,
                        "{shown}: show the whole snapshot"
                    );
                }
            }
            Some(anchor) => {
                assert!(
                    text.contains(&format!("ANCHOR: {anchor}\n"))
                        && text.contains(&format!("ANCHOR_END: {anchor}\n")),
                    "{shown}: no anchor {anchor:?}"
                );
            }
        }
    }
}

#[test]
fn every_example_is_shown_on_its_chapter_page_and_has_its_twin() {
    let manifest: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let examples = manifest["example"].as_array().expect("[[example]] entries");
    let names: BTreeSet<&str> = examples
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let shown = included_files();
    for example in examples {
        let name = example["name"].as_str().unwrap();
        let path = Path::new(example["path"].as_str().unwrap());
        assert!(
            path.starts_with("chapters"),
            "{name}: path must be in a chapter folder"
        );
        assert!(
            root().join(path).is_file(),
            "{name}: {} does not exist",
            path.display()
        );
        let page = root().join(path.parent().unwrap()).join("README.md");
        assert!(page.is_file(), "{name}: no chapter page beside it");
        assert!(
            shown.contains(&normalized(&root().join(path))),
            "{name}: {} is not included by its chapter page",
            path.display()
        );
        // Every swallowed program has a fixed twin, every exercise a solution.
        // A step of a build-up (`chN-stepK`) is fixed by the next step,
        // and the last step by the chapter's `chN-fixed`.
        let step = name.rsplit_once("-step").and_then(|(chapter, k)| {
            let next = format!("{chapter}-step{}", k.parse::<u32>().ok()? + 1);
            Some(if names.contains(next.as_str()) {
                next
            } else {
                format!("{chapter}-fixed")
            })
        });
        let twin = match name.strip_suffix("-exercise") {
            _ if step.is_some() => step,
            Some(chapter) => Some(format!("{chapter}-solution")),
            None if name.ends_with("-fixed") || name.ends_with("-solution") => None,
            None => Some(format!("{name}-fixed")),
        };
        if let Some(twin) = twin {
            assert!(names.contains(twin.as_str()), "{name} has no {twin}");
        }
    }
}

#[test]
fn every_command_a_page_shows_names_a_real_example() {
    let manifest: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let names: BTreeSet<String> = manifest["example"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    let command = Regex::new(r"cargo run --example ([\w-]+)").unwrap();
    for page in pages() {
        for capture in command.captures_iter(&read(&page)) {
            let name = &capture[1];
            assert!(
                name == "chN" || name.starts_with("chN-") || names.contains(name),
                "{} runs unknown example {name}",
                page.display()
            );
        }
    }
}

/// The text of every test file, concatenated.
fn test_sources() -> String {
    fs::read_dir(root().join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .map(|p| read(&p))
        .collect()
}

#[test]
fn every_snapshot_is_checked_by_a_test_and_shown_in_the_book() {
    let tests = test_sources();
    let shown = included_files();
    for entry in fs::read_dir(root().join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(file.ends_with(".snap"), "stray file in snapshots/: {file}");
        let name = file.trim_end_matches(".snap");
        // Names are either literal, or built as `{example}-swallowed`.
        let literal = tests.contains(&format!("\"{name}\""));
        let built = name
            .strip_suffix("-swallowed")
            .is_some_and(|example| tests.contains(&format!("\"{example}\"")));
        assert!(
            literal || built,
            "snapshots/{file} is not checked by any test"
        );
        assert!(
            shown.contains(&path),
            "snapshots/{file} is not shown in the book"
        );
    }
}

#[test]
fn every_python_script_is_run_by_a_test() {
    let tests = test_sources();
    for dir in chapter_dirs() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "py") {
                let name = path.file_name().unwrap().to_str().unwrap();
                assert!(tests.contains(name), "{} is run by no test", path.display());
            }
        }
    }
}

/// Programs that do not follow the failure convention yet, and why. The
/// test below still runs them, and fails once one conforms, so that its
/// entry is removed rather than forgotten.
const NOT_YET: &[(&str, &str)] = &[];

/// Lines on a program's stderr that report no failure: a child's own
/// progress, written to the stderr it inherited.
const NOT_FAILURES: &[(&str, &str)] = &[
    ("ch10-fixed", "compressor: compressed 3 files"),
    // The application's own panic hook, which the page shows at work.
    (
        "ch4-hook-fixed",
        "app hook: panicked at chapters/04-the-panic-payload/hook_fixed.rs:12:17: \
         a reading is a whole number: ParseIntError { kind: InvalidDigit }",
    ),
];

/// What breaks the convention in one run of `program`: every failure on
/// stderr as `error: INPUT: REASON` (with any detail on indented lines
/// under it), nothing on stdout that reads like a failure, and exit status
/// 1 when something failed, 0 when nothing did. The standard panic hook's
/// lines are std's, not the program's report, and are set aside.
fn convention_breaks(program: &str, run: &common::Run) -> Vec<String> {
    let hook = Regex::new(
        r"(?m)^thread '[^']*' \(\[tid\]\) panicked at [^\n]*:\n(?:[^\n]*\n)*?note: run with `RUST_BACKTRACE=1`[^\n]*\n",
    )
    .unwrap();
    let failure_line = Regex::new(r"^error: \S(?:.*?\S)?: \S").unwrap();
    let failure_on_stdout = Regex::new(
        r"(?i)^\s*error\b|panicked|killed by signal|exited with code [1-9]|returned an error|timed out|not delivered|before delivering|without a (count|result)",
    )
    .unwrap();
    let mut breaks = Vec::new();
    let stderr = hook.replace_all(&run.stderr, "");
    let mut failures = 0;
    let mut under_a_failure = false;
    for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
        if failure_line.is_match(line) {
            failures += 1;
            under_a_failure = true;
        } else if line.starts_with(char::is_whitespace) && under_a_failure {
        } else if NOT_FAILURES.contains(&(program, line)) {
            under_a_failure = false;
        } else {
            breaks.push(format!(
                "stderr line {line:?} is neither `error: INPUT: REASON` nor indented under one"
            ));
        }
    }
    for line in run.stdout.lines() {
        if failure_on_stdout.is_match(line) {
            breaks.push(format!("stdout line {line:?} reads like a failure report"));
        }
    }
    let expected = if failures == 0 { 0 } else { 1 };
    if run.code() != Some(expected) {
        breaks.push(format!(
            "{failures} failure lines, so the exit status should be {expected}, not {:?}",
            run.ending
        ));
    }
    breaks
}

/// The one place the convention is checked: every fixed program and every
/// exercise solution, as shipped.
#[test]
fn every_fixed_program_and_solution_reports_failures_the_same_way() {
    let manifest: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let programs: Vec<&str> = manifest["example"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|example| example["name"].as_str())
        .filter(|name| name.ends_with("-fixed") || name.ends_with("-solution"))
        .collect();
    assert!(programs.len() > 20, "{programs:?}");
    let mut problems = Vec::new();
    for program in programs {
        let run = common::run(program, &[]);
        let breaks = convention_breaks(program, &run);
        match NOT_YET.iter().find(|(name, _)| *name == program) {
            Some(_) if breaks.is_empty() => problems.push(format!(
                "{program} follows the convention now: remove it from NOT_YET"
            )),
            Some((_, why)) => eprintln!("not checked yet: {program}: {why}"),
            None => problems.extend(breaks.iter().map(|b| format!("{program}: {b}"))),
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}
