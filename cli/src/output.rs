//! Writing to stdout: JSON for scripts, plain tables for people. A closed pipe (`| head`) is not
//! an error worth a panic: what cannot be written is dropped.

use std::io::Write;

use serde::Serialize;

use crate::exit::Failure;

/// Prints `v` as pretty JSON on stdout.
pub fn json<T: Serialize>(v: &T) -> Result<(), Failure> {
    let s = serde_json::to_string_pretty(v)
        .map_err(|e| Failure::could_not_run(format!("cannot write the answer as JSON: {e}")))?;
    line(&s);
    Ok(())
}

/// Prints one line (or several) on stdout.
pub fn line(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{s}");
    let _ = out.flush();
}

/// A plain-text table: a header row, then the rows, columns padded to their widest cell.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let render = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            s.push_str(c);
            if i < last {
                let width = widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(c.chars().count()) + 2;
                s.extend(std::iter::repeat_n(' ', pad));
            }
        }
        s.trim_end().to_string()
    };
    let mut out = vec![render(headers.to_vec())];
    for r in rows {
        out.push(render(r.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// Shortens `s` to at most `max` characters, marking the cut with `…`.
pub fn clip(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut t: String = one_line.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns() {
        let t = table(
            &["KEY", "OUTCOME"],
            &[
                vec!["a".into(), "done".into()],
                vec!["long-key".into(), "failed".into()],
            ],
        );
        assert_eq!(t, "KEY       OUTCOME\na         done\nlong-key  failed");
        assert_eq!(clip("abc\ndef", 5), "abc …");
        assert_eq!(clip("abc", 5), "abc");
    }
}
