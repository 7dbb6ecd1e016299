use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::report::tests::{op, summary};
use crate::secret::Redactor;
use crate::wait::{Outcome, Status};

fn ended() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 10, 0, 30).unwrap()
}

fn tasks(chart: &str) -> Vec<&str> {
    chart.lines().skip(5).collect()
}

/// Ids and words a server or user could send, chosen against the gantt lexer, Markdown and
/// HTML.
const HOSTILE: [&str; 24] = [
    "a:b",
    "x#y",
    "semi;colon",
    "50%",
    "%%{init: {'theme':'dark'}}%%",
    "title evil",
    "TITLE shouting",
    "section x",
    "click t1 href \"javascript:alert(1)\"",
    "call cb(1)",
    "excludes weekends",
    "2024-01-01 looks like a date",
    "line\nbreak\r\n    injected :crit, t9, 2020-01-01, 1d",
    "```\n# heading\n```",
    "<script>alert(1)</script>",
    "&lt;b&gt;",
    "\u{202e}rtl\u{200b}zero-width",
    "nul\u{0}bell\u{7}",
    "",
    "   ",
    "(parens) [brackets] {braces}",
    "操作-1 café",
    "accTitle: x",
    "vert x",
];

#[test]
fn one_bar_per_operation_from_the_start_to_when_it_was_seen_done() {
    let s = summary(
        Status::Failed,
        vec![
            op("op-ok", Outcome::Succeeded, "Succeeded", None),
            op("op-bad", Outcome::Failed, "Failed", Some("edge down")),
            op("op-wait", Outcome::Pending, "Processing", None),
            op("op-err", Outcome::Error, "", None),
        ],
    );
    let chart = chart(&s, ended(), &Redactor::default());
    check(&chart).unwrap();
    // The wait took 12.345 s, so it started at 10:00:17.655; seen done 2.5 s later.
    assert_eq!(
        tasks(&chart),
        [
            "    ✅ op-ok succeeded :done, t1, 2026-03-04 10:00:17.655, 2026-03-04 10:00:20.155",
            "    ❌ op-bad failed :crit, t2, 2026-03-04 10:00:17.655, 2026-03-04 10:00:20.155",
            "    ⏳ op-wait pending · Processing :active, t3, 2026-03-04 10:00:17.655, 2026-03-04 10:00:30.000",
            "    ⚠️ op-err error :crit, t4, 2026-03-04 10:00:17.655, 2026-03-04 10:00:30.000",
        ]
    );
    let md = section(&s, ended(), &Redactor::default());
    assert!(md.starts_with("\n```mermaid\ngantt\n"), "{md}");
    assert!(md.ends_with("```\n"));
}

#[test]
fn the_provider_start_is_used_and_clamped() {
    let mut early = op("early", Outcome::Succeeded, "Succeeded", None);
    early.last.as_mut().unwrap().started_at =
        Some(Utc.with_ymd_and_hms(2026, 3, 4, 9, 59, 0).unwrap());
    let mut ancient = op("ancient", Outcome::Succeeded, "Succeeded", None);
    ancient.last.as_mut().unwrap().started_at =
        Some(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap());
    let mut future = op("future", Outcome::Succeeded, "Succeeded", None);
    future.last.as_mut().unwrap().started_at =
        Some(Utc.with_ymd_and_hms(2099, 1, 1, 0, 0, 0).unwrap());
    let mut late = op("late", Outcome::Succeeded, "Succeeded", None);
    late.seen_done_after = Some(Duration::from_secs(u64::MAX));
    let s = summary(Status::Succeeded, vec![early, ancient, future, late]);
    let chart = chart(&s, ended(), &Redactor::default());
    check(&chart).unwrap();
    let t = tasks(&chart);
    assert!(
        t[0].ends_with(":done, t1, 2026-03-04 09:59:00.000, 2026-03-04 10:00:20.155"),
        "{}",
        t[0]
    );
    // At most a day before the wait.
    assert!(
        t[1].ends_with(":done, t2, 2026-03-03 10:00:17.655, 2026-03-04 10:00:20.155"),
        "{}",
        t[1]
    );
    // Never after the bar's end; a seen-done time past the end is the end.
    assert!(
        t[2].ends_with(":done, t3, 2026-03-04 10:00:20.155, 2026-03-04 10:00:20.155"),
        "{}",
        t[2]
    );
    assert!(
        t[3].ends_with(":done, t4, 2026-03-04 10:00:17.655, 2026-03-04 10:00:30.000"),
        "{}",
        t[3]
    );
    // An elapsed time longer than the calendar still gives a chart.
    let mut s = s;
    s.elapsed = Duration::from_secs(u64::MAX);
    check(&chart_of(&s)).unwrap();
}

fn chart_of(s: &crate::wait::Summary) -> String {
    chart(s, ended(), &Redactor::default())
}

#[test]
fn hostile_ids_and_status_words_stay_one_well_formed_task_each() {
    let ops: Vec<_> = HOSTILE
        .iter()
        .enumerate()
        .map(|(n, h)| {
            let outcome = [Outcome::Succeeded, Outcome::Failed, Outcome::Pending][n % 3];
            op(h, outcome, HOSTILE[HOSTILE.len() - 1 - n], Some(h))
        })
        .collect();
    let s = summary(Status::Failed, ops);
    let chart = chart_of(&s);
    check(&chart).unwrap_or_else(|e| panic!("{e}\n{chart}"));
    let tasks = tasks(&chart);
    assert_eq!(tasks.len(), HOSTILE.len(), "{chart}");
    for (n, line) in tasks.iter().enumerate() {
        let (name, data) = line.trim_start().split_once(" :").unwrap();
        assert!(
            ["✅ ", "❌ ", "⏳ "].iter().any(|g| name.starts_with(g)),
            "{name}"
        );
        assert!(data.contains(&format!(", t{}, ", n + 1)), "{line}");
        for c in [
            ':', '#', ';', '%', '\n', '\r', '`', '<', '>', '"', '(', '{', '\u{202e}', '\u{0}',
        ] {
            assert!(!name.contains(c), "{c:?} in {name:?}");
        }
    }
    let md = section(&s, ended(), &Redactor::default());
    assert_eq!(md.matches("```").count(), 2, "one fence, opened and closed");
}

#[test]
fn sanitising_keeps_letters_digits_and_a_few_marks() {
    assert_eq!(safe("3f2b8c1e-6d4a-4e8b"), "3f2b8c1e-6d4a-4e8b");
    assert_eq!(safe("a:b;#c"), "a_b_c");
    assert_eq!(safe("  two   spaces\n\tand tab "), "two spaces_and tab");
    assert_eq!(safe("操作-1 café"), "操作-1 café");
    assert_eq!(safe("x\u{202e}y\u{0}z"), "x_y_z");
    assert_eq!(safe("v1.2/a+b=c@d~e*"), "v1.2/a+b=c@d~e*");
    assert_eq!(safe(" \n "), "_");
    let id = "https://management.azure.com/subscriptions/x/providers/Microsoft.Cdn/operationResults/abc-123?api-version=2024-02-01";
    let short = shorten(&safe(id), MAX_ID);
    assert_eq!(short.chars().count(), MAX_ID);
    assert!(short.starts_with("https_//management.az"), "{short}");
    assert!(short.ends_with("api-version=2024-02-01"), "{short}");
    assert!(short.contains('…'));
}

#[test]
fn secrets_are_redacted_before_they_are_sanitised() {
    let redactor = Redactor::default();
    redactor.add("s3:cr#t-value");
    let s = summary(
        Status::Failed,
        vec![op(
            "id-s3:cr#t-value",
            Outcome::Failed,
            "bad s3:cr#t-value",
            None,
        )],
    );
    let chart = chart(&s, ended(), &redactor);
    check(&chart).unwrap();
    assert!(chart.contains("❌ id-*** failed · bad ***"), "{chart}");
    assert!(!chart.contains("s3"), "{chart}");
}

#[test]
fn many_operations_draw_the_first_fifty_and_say_so() {
    let ops = (0..60)
        .map(|n| op(&format!("op-{n}"), Outcome::Succeeded, "Succeeded", None))
        .collect();
    let s = summary(Status::Succeeded, ops);
    let md = section(&s, ended(), &Redactor::default());
    assert_eq!(md.matches(":done, t").count(), MAX_BARS);
    assert!(md.contains("The chart shows the first 50 of 60 operations."));
    assert_eq!(
        section(
            &summary(Status::Succeeded, vec![]),
            ended(),
            &Redactor::default()
        ),
        ""
    );
}

#[test]
fn the_checker_refuses_what_would_break_the_lexer() {
    let good = chart_of(&summary(
        Status::Succeeded,
        vec![op("a", Outcome::Succeeded, "Succeeded", None)],
    ));
    check(&good).unwrap();
    let task = tasks(&good)[0].to_string();
    for bad in [
        task.replace("✅ a", "a:b"),
        task.replace("✅ a", "title x"),
        task.replace("✅ a", "Section x"),
        task.replace("✅ a", "2024-01-01 x"),
        task.replace("✅ a", "50% x"),
        task.replace("✅ a", "x # y"),
        task.replace(":done", ":milestone"),
        task.replace("t1", "x1"),
        task.replace(", 2026-03-04 10:00:17.655", ", 2026-03-04"),
        task.replace("10:00:20.155", "10:00:10.000"),
        format!("{task}\n{task}"),
        format!("{task} # comment"),
        task.trim_start().to_string(),
    ] {
        let chart = good.replace(&task, &bad);
        assert!(check(&chart).is_err(), "accepted {bad:?}");
    }
    assert!(check("gantt\n").is_err());
}
