//! Terminal facts and logging: whether to colour, whether stdout/stderr are terminals, verbosity.
//!
//! Owns the decisions every renderer and progress bar needs. Must not print data: commands write
//! data to stdout themselves, and logs and notices go through `tracing` to stderr.

use std::io::IsTerminal;

use crate::cli::{ColorChoice, GlobalArgs, env};

/// What a command needs to know about its terminal.
#[derive(Debug, Clone)]
pub struct Context {
    /// Colour allowed on stdout.
    pub color: bool,
    /// Colour allowed on stderr (diagnostics, progress).
    pub color_stderr: bool,
    /// stdout is a terminal (table output, prompts).
    pub stdout_tty: bool,
    /// stderr is a terminal (progress bars).
    pub stderr_tty: bool,
    /// stdin is a terminal (confirmation prompts).
    pub stdin_tty: bool,
    /// -v count (0 = warnings only).
    pub verbose: u8,
    /// -q.
    pub quiet: bool,
}

impl Context {
    /// Reads the real terminal and environment.
    #[allow(clippy::disallowed_methods, reason = "NO_COLOR is ui's own")]
    pub fn detect(args: &GlobalArgs) -> Context {
        let no_color = std::env::var_os(env::NO_COLOR).is_some_and(|v| !v.is_empty());
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        Context {
            color: use_color(args.color, no_color, stdout_tty),
            color_stderr: use_color(args.color, no_color, stderr_tty),
            stdout_tty,
            stderr_tty,
            stdin_tty: std::io::stdin().is_terminal(),
            verbose: args.verbose,
            quiet: args.quiet,
        }
    }
}

impl Context {
    /// Where diagnostics wrap: 80 columns on a terminal, never otherwise (a CI log or a file
    /// keeps URLs and flags on one line, ready to copy).
    pub fn diagnostic_width(&self) -> Option<usize> {
        self.stderr_tty.then_some(80)
    }
}

/// The colour rule: never with NO_COLOR, `always` forces, `auto` follows the terminal.
pub fn use_color(choice: ColorChoice, no_color: bool, is_tty: bool) -> bool {
    if no_color {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_tty,
    }
}

/// The `tracing` target of notices: one plain line on stderr (no time, no level) shown by
/// default and hidden by `-q`, e.g. "using the local tenant". Emit with
/// `tracing::info!(target: ui::NOTICE, "...")`.
pub const NOTICE: &str = "m2mctl::notice";

/// The default log filter: warnings by default, info at -v, request timings at -vv, debug at
/// -vvv. rustls' own log lines are off below -vvv: a refused certificate is reported once, by
/// our error with its `--ca-cert` help, not also by rustls' `ERROR failed to verify TLS
/// certificate`.
fn default_filter(quiet: bool, verbose: u8) -> &'static str {
    match (quiet, verbose) {
        (true, _) => "error,rustls=off",
        (false, 0) => "warn,rustls=off",
        (false, 1) => "m2mctl=info,warn,rustls=off",
        (false, 2) => "m2mctl=debug,warn,rustls=off",
        _ => "m2mctl=trace,info",
    }
}

/// Logs to stderr with [`default_filter`] (or `M2MCTL_LOG`); notices ([`NOTICE`]) are plain
/// lines, on unless `-q`.
pub fn init_logging(ctx: &Context) {
    use tracing_subscriber::EnvFilter;
    let notices = if ctx.quiet {
        "m2mctl::notice=off"
    } else {
        "m2mctl::notice=info"
    };
    let filter = EnvFilter::try_from_env(env::M2MCTL_LOG)
        .unwrap_or_else(|_| EnvFilter::new(default_filter(ctx.quiet, ctx.verbose)));
    let filter = match notices.parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .fmt_fields(escaped_fields())
        .with_writer(std::io::stderr)
        .with_ansi(ctx.color_stderr)
        .event_format(LogFormat(
            tracing_subscriber::fmt::format().with_target(false),
        ))
        .try_init();
    let handler = crate::diagnostic::Handler {
        color: ctx.color_stderr,
        width: ctx.diagnostic_width(),
    };
    miette::set_hook(Box::new(move |_| Box::new(handler))).ok();
}

/// Log fields as `message key=value …`, every value with its control characters escaped
/// ([`crate::sanitize::control`]): a tenant's name or error text cannot rewrite the terminal.
/// Only m2mctl's own level colours remain ANSI.
fn escaped_fields() -> impl for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt;
    tracing_subscriber::fmt::format::debug_fn(|writer, field, value| {
        let text = format!("{value:?}");
        let text = crate::sanitize::control(&text);
        match field.name() {
            "message" => write!(writer, "{text}"),
            name => write!(writer, "{name}={text}"),
        }
    })
    .delimited(" ")
}

/// The usual `time LEVEL message fields` lines, except notices: their message alone.
struct LogFormat(tracing_subscriber::fmt::format::Format);

impl<S, N> tracing_subscriber::fmt::FormatEvent<S, N> for LogFormat
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        use tracing_subscriber::fmt::FormatFields;
        if event.metadata().target() == NOTICE {
            ctx.format_fields(writer.by_ref(), event)?;
            return writeln!(writer);
        }
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer into a shared buffer, for one test subscriber.
    #[derive(Clone, Default)]
    struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_escape_control_characters_in_messages_and_fields() {
        let buffer = Buffer::default();
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(escaped_fields())
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        let hostile = "evil\u{1b}[2J\nINFO forged line\u{202e}";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(app = %hostile, "client `{hostile}` changed");
        });
        let out = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
        assert_eq!(out.lines().count(), 1, "one event, one line: {out:?}");
        assert!(
            out.contains("app=evil\\u{1b}[2J\\nINFO forged line"),
            "{out:?}"
        );
    }

    #[test]
    fn colour_rule_table() {
        let cases = [
            (ColorChoice::Auto, false, true, true),
            (ColorChoice::Auto, false, false, false),
            (ColorChoice::Auto, true, true, false),
            (ColorChoice::Always, false, false, true),
            (ColorChoice::Always, true, true, false),
            (ColorChoice::Never, false, true, false),
        ];
        for (choice, no_color, tty, want) in cases {
            assert_eq!(
                use_color(choice, no_color, tty),
                want,
                "{choice:?} {no_color} {tty}"
            );
        }
    }
}
