//! Progress of an apply on stderr: a bar on a terminal for longer runs, else one line per change.
//!
//! Owns the choice between an indicatif bar (stderr is a terminal and the plan has more than
//! [`BAR_THRESHOLD`] changes) and plain lines, and what `-q` hides (everything but failures).
//! Failures are always printed, above the bar when there is one. Must not print to stdout (data
//! only) and never prints a secret: it only sees [`Entry`] lines.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::report::Entry;

/// Plans with more changes than this get a bar on a terminal.
pub const BAR_THRESHOLD: usize = 5;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An indicatif bar on stderr (failures printed above it).
    Bar,
    /// One line per change on stderr.
    Lines,
    /// Only failures (`-q`).
    Quiet,
}

impl Mode {
    /// The rule: quiet wins; a bar only on a terminal and for more than a few changes.
    pub fn choose(changes: usize, stderr_tty: bool, quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if stderr_tty && changes > BAR_THRESHOLD {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// The progress display of one apply.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display for `total` changes.
    pub fn new(total: usize, mode: Mode) -> Progress {
        let bar = (mode == Mode::Bar).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} applying [{bar:30}] {pos}/{len} {elapsed_precise} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar
        });
        Progress { mode, bar }
    }

    /// A display that prints nothing but failures (tests).
    #[cfg(test)]
    pub fn quiet() -> Progress {
        Progress::new(0, Mode::Quiet)
    }

    /// Reports one finished change.
    pub fn done(&self, entry: &Entry) {
        // Addresses and ids can come from the tenant: never raw to a terminal or CI log.
        let line = crate::sanitize::control(&entry.line()).into_owned();
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                if !entry.succeeded() {
                    bar.println(line);
                }
                bar.set_message(crate::sanitize::control(&entry.address).into_owned());
                bar.inc(1);
            }
            (None, Mode::Quiet) if entry.succeeded() => {}
            (None, _) => eprintln!("{line}"),
        }
    }

    /// Removes the bar (lines stay).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_table() {
        let cases = [
            (10, true, false, Mode::Bar),
            (5, true, false, Mode::Lines),
            (10, false, false, Mode::Lines),
            (10, true, true, Mode::Quiet),
            (1, false, true, Mode::Quiet),
        ];
        for (changes, tty, quiet, want) in cases {
            assert_eq!(
                Mode::choose(changes, tty, quiet),
                want,
                "{changes} {tty} {quiet}"
            );
        }
    }
}
