//! The book and the code cannot drift apart: every chapter is in the
//! summary, every program is on its chapter's page, every include resolves,
//! and every snapshot is both checked by a test and shown in the book.
use crate::common;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::root;
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

/// The text of every Rust file under `dir` (relative to the root), in
/// its folders too, concatenated.
fn sources_under(dir: &str) -> String {
    fn walk(dir: &Path, text: &mut String) {
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, text);
            } else if path.extension().is_some_and(|x| x == "rs") {
                text.push_str(&read(&path));
            }
        }
    }
    let mut text = String::new();
    walk(&root().join(dir), &mut text);
    text
}

/// The text of every test file, concatenated.
fn test_sources() -> String {
    sources_under("tests")
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
    // Most of them wait on something (a child, a deadline): side by side.
    let runs: Vec<(&str, common::Run)> = std::thread::scope(|scope| {
        let running: Vec<_> = programs
            .iter()
            .map(|&program| (program, scope.spawn(move || common::run(program, &[]))))
            .collect();
        running
            .into_iter()
            .map(|(program, run)| (program, run.join().expect("the run of a program")))
            .collect()
    });
    let mut problems = Vec::new();
    for (program, run) in runs {
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

/// One predict-the-outcome quiz: its page, its marker's fields, and the
/// text of its answer fold.
struct Quiz {
    page: PathBuf,
    snapshot: String,
    exit: String,
    stderr_empty: bool,
    answer: String,
    /// Byte offset of the marker in its page.
    at: usize,
}

fn quizzes(page: &Path) -> Vec<Quiz> {
    let marker = Regex::new(
        r"(?s)<!-- quiz: snapshot=(\S+) exit=(\S+)( stderr=empty)? -->\n<details>\n<summary>Answer</summary>\n(.*?)</details>",
    )
    .unwrap();
    let text = read(page);
    assert_eq!(
        text.matches("<!-- quiz:").count(),
        marker.captures_iter(&text).count(),
        "{}: a quiz marker must be `<!-- quiz: snapshot=NAME exit=N [stderr=empty] -->` \
         followed by a `<details>` fold whose summary is `Answer`",
        page.display()
    );
    marker
        .captures_iter(&text)
        .map(|c| Quiz {
            page: page.to_owned(),
            snapshot: c[1].to_owned(),
            exit: c[2].to_owned(),
            stderr_empty: c.get(3).is_some(),
            answer: c[4].to_owned(),
            at: c.get(0).unwrap().start(),
        })
        .collect()
}

/// What a quiz's answer says that contradicts the snapshot it is about:
/// an exit status other than the recorded one, a quoted span (in
/// backticks) that the output does not contain, a claim of an empty
/// stderr that is not so.
fn quiz_contradictions(quiz: &Quiz, snapshot: &str) -> Vec<String> {
    let body: Vec<&str> = snapshot
        .lines()
        .skip(snapshot_header_lines(snapshot))
        .collect();
    let body = body.join("\n");
    let mut wrong = Vec::new();
    let recorded = body
        .lines()
        .find_map(|line| line.strip_prefix("exit status: "))
        .unwrap_or("none");
    if quiz.exit != recorded {
        wrong.push(format!(
            "marker says exit={}, the snapshot records {recorded}",
            quiz.exit
        ));
    }
    let said = Regex::new(r"(?i)exit status (\d+)").unwrap();
    let statuses: Vec<&str> = said
        .captures_iter(&quiz.answer)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    if statuses.is_empty() {
        wrong.push("the answer never says the exit status".into());
    }
    for status in statuses {
        if status != recorded {
            wrong.push(format!(
                "the answer says exit status {status}, the snapshot {recorded}"
            ));
        }
    }
    let span = Regex::new(r"`([^`]+)`").unwrap();
    let mut spans = 0;
    for capture in span.captures_iter(&quiz.answer) {
        spans += 1;
        // A span wrapped across two lines of the page reads as one line.
        let quoted = capture[1].split_whitespace().collect::<Vec<_>>().join(" ");
        if !body.contains(&quoted) {
            wrong.push(format!(
                "the answer quotes `{quoted}`, which the output does not contain"
            ));
        }
    }
    if spans == 0 {
        wrong.push("the answer quotes no line of the output".into());
    }
    let stderr = body.split_once("--- stderr").map_or("", |(_, e)| e);
    let empty = stderr.trim().is_empty();
    let claims_empty = Regex::new(r"(?i)nothing on stderr|stderr is empty")
        .unwrap()
        .is_match(&quiz.answer);
    if quiz.stderr_empty != empty {
        wrong.push(format!(
            "marker {} stderr=empty, but stderr is {}",
            if quiz.stderr_empty { "says" } else { "lacks" },
            if empty { "empty" } else { "not empty" }
        ));
    }
    if claims_empty && !quiz.stderr_empty {
        wrong.push("the answer says stderr is empty; the marker must say stderr=empty".into());
    }
    wrong
}

/// Every chapter with a swallowed program asks the reader to predict its
/// output before showing it, and the answer agrees with the snapshot of
/// the program's real output.
#[test]
fn every_quiz_comes_before_its_output_and_agrees_with_the_snapshot() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in chapter_dirs() {
        let page = dir.join("README.md");
        let text = read(&page);
        let number: u32 = dir.file_name().unwrap().to_str().unwrap()[..2]
            .parse()
            .unwrap();
        let quizzes = quizzes(&page);
        let main = format!("ch{number}-swallowed");
        let include = format!("{{{{#include ../../snapshots/{main}.snap:");
        if let Some(shown) = text.find(&include) {
            match quizzes.iter().find(|q| q.snapshot == main) {
                None => problems.push(format!(
                    "{}: no quiz before {main}'s output",
                    page.display()
                )),
                Some(quiz) if quiz.at > shown => problems.push(format!(
                    "{}: the quiz on {main} comes after its output",
                    page.display()
                )),
                Some(_) => {}
            }
        }
        for quiz in &quizzes {
            let path = root()
                .join("snapshots")
                .join(format!("{}.snap", quiz.snapshot));
            assert!(
                path.is_file(),
                "{}: no snapshot {}",
                quiz.page.display(),
                quiz.snapshot
            );
            checked += 1;
            problems.extend(
                quiz_contradictions(quiz, &read(&path))
                    .into_iter()
                    .map(|w| format!("{}: quiz on {}: {w}", quiz.page.display(), quiz.snapshot)),
            );
        }
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
    assert!(checked >= 14, "only {checked} quizzes found");
}

/// How many columns of a listing fit in the book's code column at 1280 px,
/// as scripts/check-book.py measures it in Chromium (101 with the book's
/// theme/wrap.css): rustfmt's line width. Output (`text`, `console`)
/// wraps instead, and diagrams scale.
const LISTING_COLUMNS: usize = 100;

/// The lines a page shows for one include: an anchor's lines, a line
/// range, or the whole file, without the anchor markers mdBook drops.
fn shown_lines(text: &str, range: Option<&str>) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let picked: Vec<&str> = match range {
        None => lines,
        Some(range) if range.chars().all(|c| c.is_ascii_digit() || c == ':') => {
            let bounds: Vec<Option<usize>> = range.split(':').map(|n| n.parse().ok()).collect();
            let start = bounds[0].unwrap_or(1);
            let end = bounds.get(1).copied().flatten().unwrap_or(lines.len());
            lines[start - 1..end].to_vec()
        }
        Some(anchor) => lines
            .iter()
            .skip_while(|l| !l.contains(&format!("ANCHOR: {anchor}")))
            .skip(1)
            .take_while(|l| !l.contains(&format!("ANCHOR_END: {anchor}")))
            .copied()
            .collect(),
    };
    picked
        .into_iter()
        .filter(|l| !l.contains("ANCHOR: ") && !l.contains("ANCHOR_END: "))
        .map(str::to_owned)
        .collect()
}

/// Lines wider than the code column, in every listing the pages include
/// and every code block written on a page, except output and diagrams.
fn lines_too_wide_for_the_column() -> Vec<String> {
    let width = |line: &str| line.replace('\t', "    ").chars().count();
    let mut wide = Vec::new();
    for (page, target, range) in includes() {
        // Output, diagrams, and Markdown, which the page flows as prose.
        if [".snap", ".mmd", ".md"]
            .iter()
            .any(|ext| target.ends_with(ext))
        {
            continue;
        }
        let file = page.parent().unwrap().join(&target);
        for line in shown_lines(&read(&file), range.as_deref()) {
            if width(&line) > LISTING_COLUMNS {
                wide.push(format!(
                    "{} ({} columns): {line}",
                    normalized(&file).strip_prefix(root()).unwrap().display(),
                    width(&line)
                ));
            }
        }
    }
    let fence = Regex::new(r"(?ms)^```(\S*)\n(.*?)^```").unwrap();
    for page in pages() {
        for block in fence.captures_iter(&read(&page)) {
            let lang = block[1].split(',').next().unwrap_or("");
            if matches!(lang, "text" | "console" | "mermaid") {
                continue;
            }
            for line in block[2].lines().filter(|l| width(l) > LISTING_COLUMNS) {
                wide.push(format!(
                    "{} ({} columns): {line}",
                    page.display(),
                    width(line)
                ));
            }
        }
    }
    wide
}

/// No listing hides the end of a line behind a scroll bar at 1280 px.
#[test]
fn every_listing_line_fits_the_code_column() {
    let wide = lines_too_wide_for_the_column();
    assert!(
        wide.is_empty(),
        "lines wider than {LISTING_COLUMNS} columns, which scroll sideways in the book:\n{}\n",
        wide.join("\n")
    );
}

/// Every chapter has a picture: a mermaid block on its page that includes
/// a diagram file of its folder, and every diagram file is on its page.
/// (scripts/check-book.py checks in Chromium that each one is drawn.)
#[test]
fn every_chapter_shows_a_diagram_from_its_own_folder() {
    let block = Regex::new(r"```mermaid\n\{\{#include ([^}/\s]+\.mmd)\}\}\n```").unwrap();
    for dir in chapter_dirs() {
        let page = dir.join("README.md");
        let shown: BTreeSet<String> = block
            .captures_iter(&read(&page))
            .map(|c| c[1].to_owned())
            .collect();
        assert!(!shown.is_empty(), "{}: no diagram", page.display());
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|x| x == "mmd") {
                let name = path.file_name().unwrap().to_str().unwrap();
                assert!(
                    shown.contains(name),
                    "{} is not on its page",
                    path.display()
                );
            }
        }
    }
}

/// The reader's set-up command and CI install the same pinned tools.
#[test]
fn the_set_up_and_ci_pin_the_same_book_tools() {
    let ci = read(&root().join(".ci/run"));
    for (tool, variable) in [
        ("mdbook", "MDBOOK_VERSION"),
        ("mdbook-mermaid", "MDBOOK_MERMAID_VERSION"),
    ] {
        let pin = Regex::new(&format!(r"(?m)^{variable}=(\S+)$")).unwrap();
        let version = &pin
            .captures(&ci)
            .unwrap_or_else(|| panic!("no {variable} in .ci/run"))[1];
        for doc in ["README.md", "chapters/introduction.md"] {
            assert!(
                read(&root().join(doc)).contains(&format!("{tool}@{version}")),
                "{doc} does not install {tool}@{version}, as .ci/run does"
            );
        }
    }
    let book: toml::Table = read(&root().join("book.toml")).parse().unwrap();
    assert_eq!(
        book["preprocessor"]["mermaid"]["after"].as_array().unwrap()[0].as_str(),
        Some("links"),
        "the mermaid preprocessor must run after the include preprocessor"
    );
}

/// The longest paragraph a page may hold, in words: about 120, as the
/// style guide asks, with a little slack for code spans.
const MOST_WORDS: usize = 125;

/// `(first line, words)` for every paragraph of prose in `page`: lines
/// between blank lines, outside fenced blocks, tables, headings and HTML.
/// A list item is a paragraph of its own.
fn paragraphs(page: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut in_fence = false;
    let mut current: Option<(usize, usize)> = None;
    let close = |current: &mut Option<(usize, usize)>, found: &mut Vec<(usize, usize)>| {
        if let Some(paragraph) = current.take() {
            found.push(paragraph);
        }
    };
    for (index, line) in page.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            close(&mut current, &mut found);
            in_fence = !in_fence;
            continue;
        }
        let not_prose = ["#", "|", "<", "{{"].iter().any(|p| trimmed.starts_with(p));
        if in_fence || trimmed.is_empty() || not_prose {
            close(&mut current, &mut found);
            continue;
        }
        let item = trimmed.starts_with("- ")
            || trimmed.starts_with("* ")
            || trimmed
                .split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
        if item {
            close(&mut current, &mut found);
        }
        let words = trimmed.split_whitespace().count();
        match &mut current {
            Some((_, count)) => *count += words,
            None => current = Some((index + 1, words)),
        }
    }
    close(&mut current, &mut found);
    found
}

#[test]
fn no_paragraph_runs_past_about_120_words() {
    let sample = "One two.\n\n```\nnot prose at all, however long\n```\n- an item\n- another item here\n\nthree\nfour five\n";
    assert_eq!(paragraphs(sample), [(1, 2), (6, 3), (7, 4), (9, 3)]);
    let mut long = Vec::new();
    for page in pages() {
        for (line, words) in paragraphs(&read(&page)) {
            if words > MOST_WORDS {
                let page = page
                    .strip_prefix(root())
                    .unwrap_or(&page)
                    .display()
                    .to_string();
                long.push(format!("{page}:{line}: {words} words"));
            }
        }
    }
    assert!(
        long.is_empty(),
        "paragraphs over {MOST_WORDS} words:\n{}",
        long.join("\n")
    );
}

/// Every test chapter 13's contract table names exists: a promise must not
/// point at a test that was renamed or removed. A name cut short with `…`
/// must begin exactly one test's name.
#[test]
fn every_test_the_contract_table_names_exists() {
    let chapter = root().join("chapters/13-capstone-process-pool");
    // The library's rows are in a file of their own, which the page and
    // the pool's rustdoc both include.
    let rows = read(&chapter.join("contract-rows.md"));
    let page = read(&chapter.join("README.md")).replace("{{#include contract-rows.md}}\n", &rows);
    let start = page
        .find("## The contract")
        .expect("chapter 13 has its contract table");
    let table: String = page[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with("## "))
        .filter(|line| line.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    let sources = sources_under("tests") + &sources_under("src");
    let defined: Vec<&str> = Regex::new(r"fn ([a-z0-9_]+)\(")
        .unwrap()
        .captures_iter(&sources)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let named = Regex::new(r"`([a-z0-9_]+)(…)?`").unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for capture in named.captures_iter(&table) {
        let name = &capture[1];
        if name.matches('_').count() < 2 {
            continue;
        }
        checked += 1;
        let found = if capture.get(2).is_some() {
            defined.iter().filter(|d| d.starts_with(name)).count() == 1
        } else {
            defined.contains(&name)
        };
        if !found {
            missing.push(name.to_owned());
        }
    }
    assert!(checked > 20, "only {checked} test names found in the table");
    assert!(
        missing.is_empty(),
        "the contract table names tests that do not exist: {missing:?}"
    );
}

/// mdBook renders a chapter's `README.md` as `index.html` but leaves a
/// link to `README.md` pointing at `README.html`, which does not exist:
/// the browser check in CI finds such links; this finds them sooner.
#[test]
fn no_page_links_to_a_readme_that_the_book_renames() {
    let link = Regex::new(r"\]\([^)\s]*README\.md[^)]*\)").unwrap();
    assert!(link.is_match("see [chapter 6](../06-silent-child-death/README.md)"));
    let found: Vec<String> = pages()
        .iter()
        .flat_map(|page| {
            let text = read(page);
            link.find_iter(&text)
                .map(|m| format!("{}: {}", page.display(), m.as_str()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        found.is_empty(),
        "links that break in the built book: {found:?}"
    );
}
