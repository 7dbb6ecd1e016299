//! Readers of what the reporters write, each with the CI system's own rules. Shared by the
//! unit tests (`src/report/ci_tests.rs` includes this file) and the integration tests.
//!
//! - GitLab dotenv: `Ci::ParseDotenvArtifactService` — size below 5 KB, UTF-8, each line
//!   must match `/^(.*?)=(.*)$/` (else "Invalid Format"), key and value stripped, keys
//!   `/\A[a-zA-Z0-9_]+\z/`, at most 20 variables (self-managed default), last duplicate wins.
//! - Azure Pipelines: the agent's `Command.TryParse` — `##vso[` anywhere in a line, command
//!   info up to the first `]`, `area.event` then `;`-separated `key=value` properties (keys
//!   case-insensitive), the rest is data; `CommandStringConvertor.Unescape` on values and
//!   data (`%3B` `%0D` `%0A` `%5D`, then `%AZP25`).
//! - JUnit: parsed with quick-xml and checked against the elements and attributes the
//!   Ant/Jenkins `JUnit.xsd` requires, and the counts against the test cases.

#![allow(dead_code)]

use std::collections::HashMap;

/// GitLab's dotenv parser. `Err` carries GitLab's error message.
pub fn parse_gitlab_dotenv(bytes: &[u8]) -> Result<HashMap<String, String>, String> {
    if bytes.len() >= 5 * 1024 {
        return Err(format!(
            "Dotenv Artifact Too Big. Maximum Allowable Size: 5 KiB (got {})",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "Invalid Encoding".to_string())?;
    let mut vars = HashMap::new();
    // Ruby's each_line: lines keep their "\n"; `$` matches before it.
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        // /^(.*?)=(.*)$/ : `.` does not match "\n"; lazy key up to the first `=`.
        let Some((key, value)) = body.split_once('=') else {
            return Err("Invalid Format".into());
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!(
                "Validation failed: Key can contain only letters, digits and '_'. ({key:?})"
            ));
        }
        vars.insert(key.to_string(), value.to_string());
    }
    if vars.len() > 20 {
        return Err("Dotenv files cannot have more than 20 variables".into());
    }
    Ok(vars)
}

/// One `##vso` logging command.
#[derive(Debug, Clone, PartialEq)]
pub struct Vso {
    /// `area.event`, e.g. `task.setvariable`.
    pub command: String,
    /// Properties, keys lower-cased, values unescaped.
    pub properties: HashMap<String, String>,
    /// The data after `]`, unescaped.
    pub data: String,
}

/// The agent's `CommandStringConvertor.Unescape` (percent decoding on).
pub fn vso_unescape(s: &str) -> String {
    s.replace("%3B", ";")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
}

/// The agent's `Command.TryParse`: `None` when the line holds no command.
pub fn parse_vso_line(line: &str) -> Option<Vso> {
    const PREFIX: &str = "##vso[";
    let start = line.find(PREFIX)?;
    let rest = &line[start + PREFIX.len()..];
    let close = rest.find(']')?;
    let info = &rest[..close];
    let data = &rest[close + 1..];
    let (command, props) = match info.find(' ') {
        Some(i) => (&info[..i], &info[i + 1..]),
        None => (info, ""),
    };
    let mut properties = HashMap::new();
    for prop in props.split(';').filter(|p| !p.trim().is_empty()) {
        let mut pair = prop.splitn(2, '=');
        let key = pair.next().unwrap_or_default();
        let value = pair.next().unwrap_or_default();
        properties.insert(key.trim().to_ascii_lowercase(), vso_unescape(value));
    }
    Some(Vso {
        command: command.to_ascii_lowercase(),
        properties,
        data: vso_unescape(data),
    })
}

/// Every `##vso` command in a log.
pub fn vso_commands(log: &str) -> Vec<Vso> {
    log.lines().filter_map(parse_vso_line).collect()
}

/// The output variables a log sets (`task.setvariable` with `isOutput=true`).
pub fn vso_outputs(log: &str) -> HashMap<String, String> {
    vso_commands(log)
        .into_iter()
        .filter(|c| c.command == "task.setvariable")
        .filter(|c| c.properties.get("isoutput").map(String::as_str) == Some("true"))
        .map(|c| (c.properties["variable"].clone(), c.data))
        .collect()
}

/// An XML element with its attributes, children and text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: HashMap<String, String>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn all(&self, name: &str) -> Vec<&Element> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    pub fn one(&self, name: &str) -> &Element {
        let found = self.all(name);
        assert_eq!(
            found.len(),
            1,
            "<{}> must hold exactly one <{name}>",
            self.name
        );
        found[0]
    }

    pub fn attr(&self, name: &str) -> &str {
        self.attrs
            .get(name)
            .unwrap_or_else(|| panic!("<{}> lacks the required attribute {name}", self.name))
    }
}

/// Parses XML with quick-xml into a tree.
pub fn parse_xml(xml: &str) -> Element {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = vec![Element::default()];
    let element = |e: &quick_xml::events::BytesStart<'_>| {
        let mut el = Element {
            name: e.name().as_ref().to_string(),
            ..Default::default()
        };
        for a in e.attributes() {
            let a = a.expect("well-formed attribute");
            let key = a.key.as_ref().to_string();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("attribute value unescapes")
                .into_owned();
            assert!(el.attrs.insert(key, value).is_none(), "duplicate attribute");
        }
        el
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(e) => {
                let el = stack.pop().unwrap();
                assert_eq!(el.name.as_str(), e.name().as_ref(), "tags balance");
                stack.last_mut().unwrap().children.push(el);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .unwrap_or_else(|| panic!("undefined entity &{};", &*r))
                        .to_string(),
                };
                stack.last_mut().unwrap().text.push_str(&text);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) => {}
            other => panic!("unexpected XML event {other:?}"),
        }
    }
    assert_eq!(stack.len(), 1, "every element is closed");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

/// One test case as the CI system sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct JunitCase {
    pub name: String,
    pub classname: String,
    /// `pass`, `failure`, `error` or `skipped`.
    pub verdict: String,
    /// The `type` of a failure or error.
    pub kind: String,
    /// The `message` (and for failure/error also the text).
    pub message: String,
}

fn is_decimal(s: &str) -> bool {
    s.parse::<f64>().is_ok_and(|v| v >= 0.0 && v.is_finite())
}

/// Parses a JUnit report and checks it against `JUnit.xsd`: `<testsuites>` of `<testsuite>`
/// with `name tests failures errors time timestamp hostname id package`, `<properties>`,
/// `<testcase name classname time>`, at most one of `<failure type>`, `<error type>`,
/// `<skipped>` per case, `<system-out>`, `<system-err>`; the counts match the cases.
pub fn parse_junit(xml: &str) -> Vec<JunitCase> {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let root = parse_xml(xml);
    assert_eq!(root.name, "testsuites");
    assert!(
        root.attrs.is_empty(),
        "JUnit.xsd declares no attributes on <testsuites>"
    );
    let mut cases = Vec::new();
    let suites = root.all("testsuite");
    assert!(!suites.is_empty(), "at least one testsuite");
    for suite in suites {
        let allowed = [
            "name",
            "tests",
            "failures",
            "errors",
            "skipped",
            "time",
            "timestamp",
            "hostname",
            "id",
            "package",
        ];
        for attr in allowed.iter().filter(|a| **a != "skipped") {
            suite.attr(attr);
        }
        for attr in suite.attrs.keys() {
            assert!(
                allowed.contains(&attr.as_str()),
                "JUnit.xsd has no testsuite/@{attr}"
            );
        }
        let order: Vec<&str> = suite.children.iter().map(|c| c.name.as_str()).collect();
        let n_cases = order.iter().filter(|n| **n == "testcase").count();
        assert_eq!(order.first(), Some(&"properties"), "{order:?}");
        assert_eq!(
            &order[order.len() - 2..],
            ["system-out", "system-err"],
            "{order:?}"
        );
        assert_eq!(
            order.len(),
            n_cases + 3,
            "only properties, testcases, system-out, system-err"
        );
        assert!(is_decimal(suite.attr("time")));
        let ts = suite.attr("timestamp");
        assert!(
            chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S").is_ok(),
            "timestamp {ts} is an ISO 8601 date-time without zone"
        );
        suite.one("properties");
        suite.one("system-out");
        suite.one("system-err");
        for p in suite.one("properties").all("property") {
            p.attr("name");
            p.attr("value");
        }
        let (mut failures, mut errors, mut skipped) = (0, 0, 0);
        let testcases = suite.all("testcase");
        for case in &testcases {
            assert!(is_decimal(case.attr("time")));
            let outcomes: Vec<&Element> = case
                .children
                .iter()
                .filter(|c| ["failure", "error", "skipped"].contains(&c.name.as_str()))
                .collect();
            assert!(outcomes.len() <= 1, "one outcome per case");
            let (verdict, kind, message) = match outcomes.first() {
                None => ("pass", String::new(), String::new()),
                Some(o) if o.name == "skipped" => {
                    skipped += 1;
                    (
                        "skipped",
                        String::new(),
                        o.attrs.get("message").cloned().unwrap_or_default(),
                    )
                }
                Some(o) => {
                    if o.name == "failure" {
                        failures += 1;
                    } else {
                        errors += 1;
                    }
                    let message = o.attrs.get("message").cloned().unwrap_or_default();
                    assert_eq!(o.text, message, "text repeats the message");
                    (o.name.as_str(), o.attr("type").to_string(), message)
                }
            };
            cases.push(JunitCase {
                name: case.attr("name").to_string(),
                classname: case.attr("classname").to_string(),
                verdict: verdict.to_string(),
                kind,
                message,
            });
        }
        assert_eq!(suite.attr("tests"), testcases.len().to_string());
        assert_eq!(suite.attr("failures"), failures.to_string());
        assert_eq!(suite.attr("errors"), errors.to_string());
        if let Some(s) = suite.attrs.get("skipped") {
            assert_eq!(s, &skipped.to_string());
        }
    }
    cases
}
