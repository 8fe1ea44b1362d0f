//! Reading the samples out of a markdown document for `docs_samples.rs`: ```console blocks (at any
//! fence length and indentation) with their `$ …` commands and expected output, the
//! `<!-- sample: … -->` markers, and sample command lines. Must not run anything.

/// One `$ …` line of a console block, or a hidden setup command.
#[derive(Debug)]
pub(crate) struct Step {
    /// 1-based line of the command in the document.
    pub(crate) line: usize,
    /// The command line (continuations joined).
    pub(crate) command: String,
    /// The expected output; `None` for a setup command.
    pub(crate) expected: Option<String>,
    /// Lines `[start, end)` of the expected output in the document (for overwriting).
    pub(crate) output_lines: (usize, usize),
    /// The indentation of the block (inside a list item).
    pub(crate) indent: String,
}

/// The samples of one document.
#[derive(Debug, Default)]
pub(crate) struct Samples {
    pub(crate) steps: Vec<Step>,
    /// Console blocks run.
    pub(crate) blocks_run: usize,
    /// `(line, reason)` of the samples marked not run.
    pub(crate) not_run: Vec<(usize, String)>,
}

const MARK: &str = "<!-- sample:";

pub(crate) fn parse(text: &str) -> Samples {
    let lines: Vec<&str> = text.lines().collect();
    let mut samples = Samples::default();
    let mut pending_skip: Option<(usize, String)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(rest) = line.trim().strip_prefix(MARK) {
            let body = rest.trim_end_matches("-->").trim();
            if let Some(reason) = body.strip_prefix("not run:") {
                pending_skip = Some((i + 1, reason.trim().to_string()));
            } else if let Some(command) = body.strip_prefix("before:") {
                samples.steps.push(Step {
                    line: i + 1,
                    command: command.trim().to_string(),
                    expected: None,
                    output_lines: (i, i),
                    indent: String::new(),
                });
            } else {
                panic!("line {}: unknown sample marker `{line}`", i + 1);
            }
            i += 1;
            continue;
        }
        let Some(fence) = fence_of(line) else {
            i += 1;
            continue;
        };
        let info = line.trim_start()[fence.len()..].trim();
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].trim() == fence)
            .unwrap_or(lines.len());
        if let Some((marked, reason)) = pending_skip.take() {
            assert!(
                marked == i,
                "line {marked}: a `not run` marker must be right before a fence"
            );
            assert!(!reason.is_empty(), "line {marked}: say why it is not run");
            samples.not_run.push((i + 1, reason));
        } else if info == "console" {
            samples.blocks_run += 1;
            let indent = &line[..line.len() - line.trim_start().len()];
            console_steps(&lines, (i + 1, end), indent, &mut samples.steps);
        }
        i = end + 1;
    }
    assert!(pending_skip.is_none(), "a `not run` marker without a block");
    samples
}

/// The backticks opening a fence (```, ````…), if `line` opens one.
fn fence_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let n = trimmed.chars().take_while(|&c| c == '`').count();
    (n >= 3).then(|| &trimmed[..n])
}

fn console_steps(
    lines: &[&str],
    (start, end): (usize, usize),
    indent: &str,
    steps: &mut Vec<Step>,
) {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.strip_prefix(indent).unwrap_or(l))
        .collect();
    let mut j = start;
    while j < end {
        let Some(first) = lines[j].strip_prefix("$ ") else {
            panic!(
                "line {}: a console block starts with `$ command` (or mark it not run)",
                j + 1
            );
        };
        let line = j + 1;
        let mut command = first.to_string();
        while command.ends_with('\\') && j + 1 < end {
            command.pop();
            j += 1;
            command.push_str(lines[j].trim());
        }
        j += 1;
        let out_start = j;
        while j < end && !lines[j].starts_with("$ ") {
            j += 1;
        }
        let expected: String = lines[out_start..j]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        steps.push(Step {
            line,
            command,
            expected: Some(expected),
            output_lines: (out_start, j),
            indent: indent.to_string(),
        });
    }
}

/// The words of the `m2mctl` command on a shell line (`m2mctl …`, `VAR=x m2mctl …`,
/// `eval "$(m2mctl …)"`), up to a comment, pipe, redirection or line continuation; `None` for a
/// line that runs no m2mctl and for synopses (`[-f FILE]`, `A|B`, `…`).
pub(crate) fn m2mctl_words(line: &str) -> Option<Vec<&str>> {
    let at = line.find("m2mctl ")?;
    let prefix_ok = line[..at]
        .trim_end_matches(['"', '$', '('])
        .split_whitespace()
        .all(|w| w == "eval" || w.contains('='));
    if !prefix_ok {
        return None;
    }
    let command = line[at..].split(")\"").next().unwrap_or_default();
    let words: Vec<&str> = command
        .split_whitespace()
        .take_while(|w| !w.starts_with(['#', '|', '>', '&', ')', '"']) && *w != "\\")
        .collect();
    (!words.iter().any(|w| w.contains(['[', '…', '|']))).then_some(words)
}

/// Splits a command line into words: spaces separate, '…' and "…" quote, nothing else is special.
fn words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    assert!(quote.is_none(), "`{command}`: unclosed quote");
    words.extend(word);
    words
}

/// A sample command line: `VAR=value` words, then `m2mctl` and its arguments.
pub(crate) struct CommandLine {
    pub(crate) env: Vec<(String, String)>,
    /// Without `m2mctl`.
    pub(crate) args: Vec<String>,
}

/// Parses a sample command line; refuses what the runner cannot run here.
pub(crate) fn command_line(command: &str) -> Result<CommandLine, String> {
    let mut words = words(command).into_iter().peekable();
    let mut env = Vec::new();
    while let Some((k, v)) = words.peek().and_then(|w| w.split_once('=')) {
        if k.starts_with("AUTH0_") {
            return Err(format!("`{command}` would reach a real tenant"));
        }
        env.push((k.to_string(), v.to_string()));
        words.next();
    }
    let mut args: Vec<String> = words.collect();
    if args.first().is_none_or(|p| p != "m2mctl") {
        return Err(format!("`{command}` is not an m2mctl command"));
    }
    if args
        .iter()
        .any(|a| ["|", ">", "<", "&&", "||", ";"].contains(&a.as_str()))
    {
        return Err(format!("`{command}`: pipes and redirections are not run"));
    }
    args.remove(0);
    Ok(CommandLine { env, args })
}

#[test]
fn the_runner_reads_blocks_markers_and_continuations() {
    let doc = "\
text\n\
```console\n\
$ m2mctl validate \\\n\
    -f a.yaml\n\
a.yaml is valid\n\
$ NO_COLOR=1 m2mctl plan\n\
```\n\
<!-- sample: before: m2mctl apply --auto-approve -->\n\
<!-- sample: not run: needs a real tenant -->\n\
```console\n\
$ m2mctl export\n\
```\n\
````markdown\n\
```console\n\
$ inside another fence\n\
```\n\
````\n";
    let samples = parse(doc);
    assert_eq!(samples.blocks_run, 1);
    assert_eq!(
        samples.not_run,
        vec![(10, "needs a real tenant".to_string())]
    );
    let steps: Vec<(&str, Option<&str>)> = samples
        .steps
        .iter()
        .map(|s| (s.command.as_str(), s.expected.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("m2mctl validate -f a.yaml", Some("a.yaml is valid\n")),
            ("NO_COLOR=1 m2mctl plan", Some("")),
            ("m2mctl apply --auto-approve", None),
        ]
    );
    assert_eq!(
        words(r#"m2mctl api -d '{"name": "x"}' "a b""#),
        ["m2mctl", "api", "-d", r#"{"name": "x"}"#, "a b"]
    );
}
