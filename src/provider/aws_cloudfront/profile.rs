//! The AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`): just
//! enough of their INI dialect to find one profile's settings.
//!
//! A section is `[name]` in the credentials file; in the config file `[default]` or
//! `[profile name]` (other kinds of section, `[sso-session …]`, `[services …]`, are not
//! profiles). Lines are `key = value`; `#` and `;` start comments (at the start of a line,
//! or after white space in a value); indented lines continue a nested setting and are
//! skipped. Keys are compared in lower case.

/// The `key = value` pairs of profile `name`, in file order; `None` when the file has no
/// such section. `config` says which file it is (its sections say `profile`).
pub fn section(text: &str, name: &str, config: bool) -> Option<Vec<(String, String)>> {
    let mut found: Option<Vec<(String, String)>> = None;
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(header) = trimmed.strip_prefix('[') {
            let Some(header) = header.split(']').next() else {
                continue;
            };
            inside = section_name(header.trim(), config).is_some_and(|n| n == name);
            if inside {
                found.get_or_insert_with(Vec::new);
            }
            continue;
        }
        if !inside || line.starts_with([' ', '\t']) {
            continue;
        }
        if let Some((key, value)) = trimmed.split_once('=') {
            let value = strip_comment(value.trim());
            if let Some(pairs) = found.as_mut() {
                pairs.push((key.trim().to_ascii_lowercase(), value.to_string()));
            }
        }
    }
    found
}

/// The profile a section header names, if it names one.
fn section_name(header: &str, config: bool) -> Option<&str> {
    if !config {
        return Some(header);
    }
    if header == "default" {
        return Some("default");
    }
    let rest = header.strip_prefix("profile")?;
    rest.starts_with([' ', '\t']).then(|| rest.trim())
}

/// A value without a trailing ` # comment` or ` ; comment`.
fn strip_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if (b == b'#' || b == b';') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}
