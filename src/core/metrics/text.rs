//! The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, one
//! sample line per series, with the escapes the format asks for.

use std::fmt::Write as _;

/// The text being written.
#[derive(Default)]
pub(crate) struct Text(pub(crate) String);

impl Text {
    /// The `# HELP` and `# TYPE` lines opening a metric family.
    pub(crate) fn family(&mut self, name: &str, kind: &str, help: &str) {
        let mut escaped = String::with_capacity(help.len());
        escape(help, false, &mut escaped);
        // Writing to a String cannot fail.
        let _ = writeln!(self.0, "# HELP {name} {escaped}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    /// One sample line: `name{label="value",…} value`.
    pub(crate) fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                self.0.push_str(k);
                self.0.push_str("=\"");
                escape(v, true, &mut self.0);
                self.0.push('"');
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }
}

/// Escapes for the text format: `\` and line feeds always (they would end a HELP line or
/// a label value), `"` in label values.
fn escape(text: &str, label_value: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if label_value => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}
