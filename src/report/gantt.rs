//! The job summary's picture of the wait: a Mermaid `gantt` chart, one bar per operation
//! from its start (the provider's `started_at`, else the start of the wait) to the poll that
//! saw it done or failed, or to the end of the wait when it was still pending or unreadable.
//!
//! Mermaid's gantt lexer (`gantt.jison`) is unforgiving: a task line is `TEXT :DATA`, where
//! TEXT stops at `:` (and, in the versions GitHub has shipped, at `#` and `;`), DATA stops at
//! `#` `;` or a line break, `%` starts a comment, and a TEXT that begins with a keyword
//! (`title `, `section `, `click `, `call `, `excludes `, a `YYYY-MM-DD` date, …; matched
//! case-insensitively) is lexed as that statement. So every label is built here from
//! generated parts: a status glyph first (no keyword starts with one), then the id and the
//! status word, secrets redacted first and then reduced to letters, digits, spaces and
//! `-_./+=@~*`; task ids are generated (`t1`, `t2`, …) and dates are written by us.
//! [`check`] re-reads a chart with those lexer rules; the reporter drops a chart that fails
//! it rather than send a broken diagram.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::secret::Redactor;
use crate::wait::{OperationResult, Outcome, Summary};

/// Bars drawn at most; the table lists every operation.
pub const MAX_BARS: usize = 50;

/// Characters of a label's id part at most (longer ones keep their head and tail).
const MAX_ID: usize = 48;

/// Characters of a label's status word at most.
const MAX_STATUS: usize = 24;

/// How far before the wait a provider's start time may lie and still be drawn as is
/// (anything earlier, or after the bar's end, is clamped: clocks disagree).
const MAX_LEAD: TimeDelta = TimeDelta::days(1);

/// The date format the chart declares; [`stamp`] writes it.
const DATE_FORMAT: &str = "YYYY-MM-DD HH:mm:ss.SSS";

/// The fenced Mermaid block (with a heading line before it) for the summary, or an empty
/// string when nothing was waited on. `ended` is when the wait ended (the reporter's clock);
/// the wait started `s.elapsed` before it.
pub fn section(s: &Summary, ended: DateTime<Utc>, redactor: &Redactor) -> String {
    if s.operations.is_empty() {
        return String::new();
    }
    let chart = chart(s, ended, redactor);
    if check(&chart).is_err() {
        return String::new();
    }
    let mut md = format!("\n```mermaid\n{chart}```\n");
    if s.operations.len() > MAX_BARS {
        md.push_str(&format!(
            "\nThe chart shows the first {MAX_BARS} of {} operations.\n",
            s.operations.len()
        ));
    }
    md
}

/// The chart's text (without the fence): times in UTC, drawn as the wall clock.
pub fn chart(s: &Summary, ended: DateTime<Utc>, redactor: &Redactor) -> String {
    let start = ended.checked_sub_signed(delta(s.elapsed)).unwrap_or(ended);
    let mut out = String::from("gantt\n");
    out.push_str("    title Each operation from its start to when it was seen done (UTC)\n");
    out.push_str(&format!("    dateFormat {DATE_FORMAT}\n"));
    out.push_str("    axisFormat %H:%M:%S\n");
    // The marker is drawn at the reader's local "now", which the UTC axis would misplace.
    out.push_str("    todayMarker off\n");
    for (n, r) in s.operations.iter().take(MAX_BARS).enumerate() {
        let (from, to) = bar(r, start, ended);
        out.push_str(&format!(
            "    {} :{}, t{}, {}, {}\n",
            label(r, redactor),
            tag(r.outcome),
            n + 1,
            stamp(from),
            stamp(to)
        ));
    }
    out
}

/// The bar of one operation: from its start to when it was seen done, else to the end.
fn bar(
    r: &OperationResult,
    start: DateTime<Utc>,
    ended: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = match (r.outcome, r.seen_done_after) {
        (Outcome::Pending | Outcome::Error, _) | (_, None) => ended,
        (_, Some(after)) => start.checked_add_signed(delta(after)).unwrap_or(ended),
    }
    .clamp(start, ended);
    let earliest = start.checked_sub_signed(MAX_LEAD).unwrap_or(start);
    let from = r
        .last
        .as_ref()
        .and_then(|o| o.started_at)
        .unwrap_or(start)
        .clamp(earliest, to);
    (from, to)
}

/// A std duration as a chrono one, saturating.
fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// Mermaid's tags: grey for done, red for failed or unreadable, blue for still running.
fn tag(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "done",
        Outcome::Failed | Outcome::Cancelled | Outcome::Error => "crit",
        Outcome::Pending => "active",
    }
}

fn glyph(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Succeeded => "✅",
        Outcome::Failed => "❌",
        Outcome::Cancelled => "🚫",
        Outcome::Pending => "⏳",
        Outcome::Error => "⚠️",
    }
}

/// `✅ <id> succeeded`, or `❌ <id> failed · <status word>` when the provider's word says
/// more than the outcome.
fn label(r: &OperationResult, redactor: &Redactor) -> String {
    let id = shorten(&safe(&redactor.clean(&r.id)), MAX_ID);
    let id = if id.is_empty() {
        "no-id".to_string()
    } else {
        id
    };
    let mut label = format!("{} {} {}", glyph(r.outcome), id, r.outcome.as_str());
    if let Some(o) = &r.last {
        let status = shorten(&safe(&redactor.clean(&o.raw_status)), MAX_STATUS);
        if !status.is_empty() && !status.eq_ignore_ascii_case(r.outcome.as_str()) {
            label.push_str(&format!(" · {status}"));
        }
    }
    label
}

/// `text` reduced to what a task name may hold anywhere: letters, digits, single spaces and
/// `-_./+=@~*` (`***` is the redaction mark); every other run of characters becomes `_`.
pub fn safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let keep = c.is_alphanumeric() && !c.is_control() || "-_./+=@~*".contains(c);
        if keep {
            out.push(c);
        } else if c == ' ' {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim().to_string()
}

/// At most `max` characters: the head and the tail around `…` (ids differ at either end).
fn shorten(text: &str, max: usize) -> String {
    let n = text.chars().count();
    if n <= max {
        return text.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let chars: Vec<char> = text.chars().collect();
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[n - tail..]);
    out
}

/// A time in [`DATE_FORMAT`].
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// Statement keywords of the gantt lexer that a task name must not start with (lower case;
/// the lexer is case-insensitive).
const KEYWORDS: [&str; 22] = [
    "gantt",
    "dateformat",
    "inclusiveenddates",
    "topaxis",
    "axisformat",
    "tickinterval",
    "includes",
    "excludes",
    "todaymarker",
    "weekday",
    "weekend",
    "title",
    "accdescription",
    "acctitle",
    "accdescr",
    "section",
    "click",
    "call",
    "href",
    "displaymode",
    "vert",
    "%%",
];

/// Re-reads a chart with the gantt lexer's rules: the header lines this module writes,
/// then task lines `    NAME :TAGS, tN, DATE, DATE` whose NAME has none of `: # ; %`,
/// no line break, no HTML or backtick, does not start with a keyword or a date, and whose
/// ids are unique. `Err` names the first offending line.
pub fn check(chart: &str) -> Result<(), String> {
    let mut lines = chart.lines();
    let header = [
        "gantt",
        "    title Each operation from its start to when it was seen done (UTC)",
        &format!("    dateFormat {DATE_FORMAT}"),
        "    axisFormat %H:%M:%S",
        "    todayMarker off",
    ];
    for want in header {
        match lines.next() {
            Some(l) if l == want => {}
            other => return Err(format!("header line {other:?}, expected {want:?}")),
        }
    }
    let mut ids = Vec::new();
    for line in lines {
        let bad = |why: &str| Err(format!("{why}: {line:?}"));
        let Some(task) = line.strip_prefix("    ") else {
            return bad("not indented");
        };
        let Some((name, data)) = task.split_once(" :") else {
            return bad("no ' :' between name and data");
        };
        if name.trim().is_empty() || name != name.trim() {
            return bad("empty or padded name");
        }
        if name.contains([
            ':', '#', ';', '%', '(', ')', '`', '<', '>', '&', '"', '\'', '{', '}', '[', ']',
        ]) {
            return bad("name holds a character the lexer or the sanitiser treats specially");
        }
        if name.chars().any(|c| c.is_control()) {
            return bad("control character in the name");
        }
        let lower = name.to_lowercase();
        if KEYWORDS.iter().any(|k| lower.starts_with(k)) {
            return bad("name starts with a keyword");
        }
        let digits: Vec<char> = name.chars().take(5).collect();
        if digits.len() == 5 && digits[..4].iter().all(char::is_ascii_digit) && digits[4] == '-' {
            return bad("name starts with a date");
        }
        // The only colons in the data are the two of each `HH:mm:ss`.
        if data.contains(['#', ';', '%']) || data.matches(':').count() != 4 {
            return bad("data holds # ; % or a stray colon");
        }
        let parts: Vec<&str> = data.split(", ").collect();
        let [tag, id, from, to] = parts[..] else {
            return bad("data is not TAG, ID, START, END");
        };
        if !["done", "crit", "active"].contains(&tag) {
            return bad("unknown tag");
        }
        let n = id.strip_prefix('t').and_then(|n| n.parse::<usize>().ok());
        if n.is_none() || ids.contains(&id) {
            return bad("task id not tN or not unique");
        }
        ids.push(id);
        let parse = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.3f");
        match (parse(from), parse(to)) {
            (Ok(a), Ok(b)) if a <= b && from.len() == 23 && to.len() == 23 => {}
            _ => return bad("dates not in the declared format, or end before start"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
