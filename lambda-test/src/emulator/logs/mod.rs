//! Function output capture and the platform log lines (lambda-api.md section 6).
//!
//! An invocation's log is the function's output with platform events between it, assembled by
//! [`InvocationLog`]; a [`LogFormat`] picks the [`Renderer`] of the events.

mod application;
mod capture;
mod json;
mod platform;
mod text;

pub use capture::LogCapture;
pub use json::Json;
pub use platform::{
    InvocationReport, PlatformEvent, Renderer, ReportStatus, error_message, timeout_message,
};
pub use text::Text;

/// The tail of an invocation log that `X-Amz-Log-Result` carries.
pub const TAIL_BYTES: usize = 4096;

/// The last [`TAIL_BYTES`] of a log, cut from the front.
pub fn tail(log: &[u8]) -> &[u8] {
    &log[log.len().saturating_sub(TAIL_BYTES)..]
}

/// A function's log format (`LoggingConfig.LogFormat`). A new format is a variant here and a
/// [`Renderer`] in a file of its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `START`/`END`/`REPORT` text lines.
    #[default]
    Text,
    /// `platform.*` JSON records, filtered by the system log level; the function's lines
    /// filtered by the application log level.
    Json {
        /// The least severe platform record kept.
        system: crate::config::SystemLogLevel,
        /// The least severe line of the function's kept.
        application: crate::config::ApplicationLogLevel,
    },
}

impl LogFormat {
    /// The format a function's logging controls choose.
    pub fn of(logging: &crate::config::Logging) -> LogFormat {
        match logging.format {
            crate::config::LogFormat::Text => LogFormat::Text,
            crate::config::LogFormat::Json => LogFormat::Json {
                system: logging.system_level,
                application: logging.application_level,
            },
        }
    }

    /// The renderer of this format's platform events.
    pub fn renderer(self) -> &'static dyn Renderer {
        use crate::config::SystemLogLevel;
        match self {
            LogFormat::Text => &Text,
            LogFormat::Json { system, .. } => match system {
                SystemLogLevel::Debug => &Json::DEBUG,
                SystemLogLevel::Info => &Json::INFO,
                SystemLogLevel::Warn => &Json::WARN,
            },
        }
    }
}

/// One invocation's log, in order: the function's output and the platform events.
pub struct InvocationLog {
    bytes: Vec<u8>,
    /// Its renderer and, in JSON, the application log level: two bytes where a renderer
    /// pointer took sixteen (an invocation's state moves through `Result`s). `None` for a log
    /// nobody reads.
    format: Option<LogFormat>,
}

impl InvocationLog {
    /// An empty log whose events `format` renders.
    pub fn new(format: LogFormat) -> Self {
        Self {
            bytes: Vec::new(),
            format: Some(format),
        }
    }

    /// A log nobody reads (the caller asked for no tail): what it is given is dropped, and
    /// no event is rendered.
    pub fn unread() -> Self {
        Self {
            bytes: Vec::new(),
            format: None,
        }
    }

    /// Appends output of the function, verbatim; in the JSON format only the lines its
    /// application log level keeps.
    pub fn output(&mut self, output: &[u8]) {
        match self.format {
            None => {}
            Some(LogFormat::Text) => self.bytes.extend_from_slice(output),
            Some(LogFormat::Json { application, .. }) => {
                application::filter_into(output, application, &mut self.bytes);
            }
        }
    }

    /// Appends a platform event, on a line of its own even when the function's output before
    /// it did not end its last line.
    pub fn event(&mut self, event: PlatformEvent<'_>) {
        let Some(format) = self.format else {
            return;
        };
        if !self.bytes.is_empty() && !self.bytes.ends_with(b"\n") {
            self.bytes.push(b'\n');
        }
        format.renderer().render(&event, &mut self.bytes);
    }

    /// The log's bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_last_4096_bytes() {
        let log = vec![b'x'; 5000];
        assert_eq!(tail(&log).len(), 4096);
        assert_eq!(tail(b"short"), b"short");
    }

    #[test]
    fn events_start_on_a_line_of_their_own() {
        let mut log = InvocationLog::new(LogFormat::Text);
        log.event(PlatformEvent::Start {
            request_id: "id",
            version: "1",
        });
        log.output(b"no newline");
        log.event(PlatformEvent::End { request_id: "id" });
        log.output(b"with newline\n");
        log.event(PlatformEvent::End { request_id: "id" });
        assert_eq!(
            String::from_utf8(log.into_bytes()).unwrap(),
            "START RequestId: id Version: 1\nno newline\nEND RequestId: id\nwith newline\nEND RequestId: id\n"
        );
    }

    #[test]
    fn json_filters_the_functions_lines_not_the_platform_records() {
        use crate::config::{ApplicationLogLevel, SystemLogLevel};
        let mut log = InvocationLog::new(LogFormat::Json {
            system: SystemLogLevel::Info,
            application: ApplicationLogLevel::Warn,
        });
        log.event(PlatformEvent::Start {
            request_id: "id",
            version: "1",
        });
        log.output(
            b"{\"level\":\"INFO\",\"msg\":\"dropped\"}\n{\"level\":\"WARN\",\"msg\":\"kept\"}\n",
        );
        let text = String::from_utf8(log.into_bytes()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].contains("platform.start"), "{text}");
        assert_eq!(lines[1], "{\"level\":\"WARN\",\"msg\":\"kept\"}");
        // Text keeps every line, whatever the levels say.
        let mut text_log = InvocationLog::new(LogFormat::Text);
        text_log.output(b"{\"level\":\"DEBUG\"}\n");
        assert_eq!(text_log.into_bytes(), b"{\"level\":\"DEBUG\"}\n");
    }

    #[test]
    fn an_unread_log_stays_empty() {
        let mut log = InvocationLog::unread();
        log.event(PlatformEvent::Start {
            request_id: "id",
            version: "1",
        });
        log.output(b"output\n");
        log.event(PlatformEvent::End { request_id: "id" });
        assert!(log.into_bytes().is_empty());
    }

    #[test]
    fn an_event_first_in_the_log_gets_no_blank_line() {
        let mut log = InvocationLog::new(LogFormat::Text);
        log.output(b"");
        log.event(PlatformEvent::End { request_id: "id" });
        assert_eq!(log.into_bytes(), b"END RequestId: id\n");
    }
}
