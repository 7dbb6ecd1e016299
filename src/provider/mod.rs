//! The provider boundary: a provider turns operation ids into [`Observation`]s.
//!
//! A provider owns one cloud's wire format: URLs, signing, status words and error bodies. It
//! knows nothing of schedules, deadlines or CI systems; the wait engine ([`crate::wait`])
//! knows nothing of wire formats. What crosses the boundary is small and typed:
//! an [`Observation`] per operation, or a [`ProviderError`] whose [`ErrorKind`] tells the
//! engine whether to retry.

pub mod alibaba;
pub mod aws_cloudfront;
pub mod azure_arm;
pub mod azure_china;
pub mod azure_classic;
pub mod azure_common;
pub mod cloud;
pub mod google_cloud_cdn;
pub mod oidc_common;
pub mod registry;
pub mod tencent;

use chrono::{DateTime, Utc};
use futures_util::future::LocalBoxFuture;

/// What a status call returns: one observation per id it could read.
pub use crate::error::{ErrorKind, ProviderError};

pub type PollResult = Result<Vec<Observation>, ProviderError>;

/// [`Provider::poll`] for APIs that read one operation per call: `get` each id in turn,
/// stopping at the first error.
pub fn one_by_one<'a, F, Fut>(ids: &'a [String], get: F) -> LocalBoxFuture<'a, PollResult>
where
    F: Fn(&'a str) -> Fut + 'a,
    Fut: std::future::Future<Output = Result<Observation, ProviderError>> + 'a,
{
    Box::pin(async move {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(get(id).await?);
        }
        Ok(out)
    })
}

/// An answer that names another operation than the one asked for is malformed: it must never
/// be taken for the status of `asked`.
pub fn check_same_operation(asked: &str, answered: Option<&str>) -> Result<(), ProviderError> {
    match answered {
        Some(got) if !got.eq_ignore_ascii_case(asked) => Err(ProviderError::new(
            ErrorKind::Malformed,
            format!("asked for operation {asked} but the answer is about {got}"),
        )),
        _ => Ok(()),
    }
}

/// Parses a JSON answer into `T` the strict way every provider reads status bodies: a key
/// given twice is an error (serde's derived structs refuse a duplicate field instead of
/// keeping the last one, so `{"status":"InProgress","status":"Succeeded"}` is malformed,
/// never success), and so is any top-level value but an object (a derived struct would also
/// take an array, field by field in order).
pub fn json_object<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => serde_json::from_slice(body).map_err(|e| e.to_string()),
        Some(_) => Err("the body is not a JSON object".into()),
        None => Err("the body is empty".into()),
    }
}

/// A server-sent id or word for a message: quoted and escaped (a newline shows as `\n`,
/// never as a line break) and cut to 80 characters, so that a hostile value can neither
/// forge a CI command nor flood the log.
pub fn quoted(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{:?}… ({} characters)", &text[..i], text.chars().count()),
        None => format!("{text:?}"),
    }
}

/// Characters no server text may carry into a log line, a CI command, Markdown or XML: C0
/// and C1 controls and DEL (line breaks, escape sequences), the Unicode line and paragraph
/// separators, bidirectional marks, embeddings, overrides and isolates (they reorder what a
/// reader sees), the byte-order mark, and noncharacters (XML 1.0 forbids U+FFFE and U+FFFF).
/// [`crate::report::clean`] shows them escaped; [`check_created_id`] refuses ids holding one.
pub fn is_hostile_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FDD0}'..='\u{FDEF}'
        )
        || (c as u32 & 0xFFFE) == 0xFFFE
}

/// The longest operation id a purge answer may return. Real ids are far shorter (a GUID, a
/// number, a 32-digit request id, an ARM operation name); anything longer is not an id.
pub const MAX_CREATED_ID: usize = 1024;

/// The check every id a purge answer created passes before it is shown, output or polled
/// (whatever the provider): not empty, at most [`MAX_CREATED_ID`] characters, no
/// [`is_hostile_char`], no white space and no comma (the `operation-ids` output lists ids
/// separated by commas, and the input splits on white space too, so such an id could not be
/// waited on again). Refused as malformed: such an answer is never taken for success.
/// Providers add the format checks of their own ids.
pub fn check_created_id(id: &str) -> Result<(), ProviderError> {
    let why = if id.is_empty() {
        Some("is empty")
    } else if id.chars().count() > MAX_CREATED_ID {
        Some("is longer than 1024 characters")
    } else if id.chars().any(is_hostile_char) {
        Some("holds control characters (line breaks, escape sequences or bidirectional marks)")
    } else if id.chars().any(|c| c.is_whitespace() || c == ',') {
        Some("holds white space or a comma")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => {
            let shown: String = id.chars().take(60).flat_map(char::escape_debug).collect();
            let more = if id.chars().count() > 60 { "…" } else { "" };
            Err(ProviderError::new(
                ErrorKind::Malformed,
                format!(
                    "the purge answer names an operation id that {why} (\"{shown}{more}\"); it is not shown, output or waited on"
                ),
            )
            .code("MalformedOperationId"))
        }
    }
}

/// One cloud's operation-status API.
///
/// `poll` is called with at most [`Provider::max_batch`] ids. An id missing from a
/// successful answer is reported by the engine as not found; it is never taken as success.
pub trait Provider {
    /// The provider's input name, e.g. `azure-china-cdn`.
    fn name(&self) -> &'static str;

    /// How many ids one status call may carry.
    fn max_batch(&self) -> usize {
        1
    }

    /// The most status calls per second the provider allows for one account, if it says.
    fn max_rate(&self) -> Option<f64> {
        None
    }

    /// Reads the current status of `ids` with one call (signed afresh).
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult>;

    /// How many paths one purge call may carry.
    fn max_purge_paths(&self) -> usize {
        usize::MAX
    }

    /// Splits `purge` into the requests of one call each. By default, chunks of at most
    /// [`Provider::max_purge_paths`] paths; a provider whose calls carry one kind of path
    /// each, or have other per-call limits, splits its own way.
    fn split_purge(&self, purge: &PurgeRequest) -> Vec<PurgeRequest> {
        purge.chunks(self.max_purge_paths())
    }

    /// Submits one purge call for `purge` (one of [`Provider::split_purge`]'s requests,
    /// already validated) and returns the ids of the operations it created. One attempt:
    /// [`crate::purge`] owns retries, because re-sending a purge is not always safe.
    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        let _ = purge;
        let name = self.name();
        Box::pin(async move {
            Err(ProviderError::new(
                ErrorKind::Invalid,
                format!("purge-wait cannot submit purges to {name} yet"),
            ))
        })
    }

    /// Whether sending the same purge call again never does it twice (CloudFront's
    /// CallerReference): then a call that failed after it may have reached the API is sent
    /// again without the warning that its paths may have been purged twice.
    fn submit_is_idempotent(&self) -> bool {
        false
    }

    /// Notes for the summary about a purge that was submitted (CloudFront: how many paths,
    /// and that paths beyond the free monthly allowance are billed).
    fn purge_notes(&self, purge: &PurgeRequest) -> Vec<String> {
        let _ = purge;
        Vec::new()
    }

    /// How long one status call may hold its answer back while the operation is not done, when
    /// the provider polls with a long-poll (Compute Engine's operations `wait`: up to about
    /// two minutes). The engine then lets each status call run this long on top of
    /// `request-timeout` (still cut to the deadline), and counts the time a call held against
    /// the delay before the next poll, so a call that already waited is followed at once.
    fn hold(&self) -> Option<std::time::Duration> {
        None
    }

    /// The earliest time the engine may first poll `id`, when the provider was told (an Azure
    /// Resource Manager purge's `Retry-After`). The engine polls it at the deadline at the
    /// latest.
    fn not_before(&self, id: &str) -> Option<tokio::time::Instant> {
        let _ = id;
        None
    }
}

/// What a purge call returns: the ids of the operations it created.
pub type SubmitResult = Result<Vec<String>, ProviderError>;

/// What to purge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeRequest {
    /// URLs or paths, deduplicated, in the order given.
    pub paths: Vec<String>,
    /// How the provider should read them.
    pub kind: PurgeKind,
}

impl PurgeRequest {
    /// The same request in chunks of at most `max` paths (at least one each), in order.
    pub fn chunks(&self, max: usize) -> Vec<PurgeRequest> {
        self.paths
            .chunks(max.max(1))
            .map(|paths| PurgeRequest {
                paths: paths.to_vec(),
                kind: self.kind,
            })
            .collect()
    }
}

/// How paths are to be purged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeKind {
    /// A path ending in `/` is a directory, any other a file.
    Auto,
    /// Every path is a file.
    File,
    /// Every path is a directory.
    Directory,
    /// Every path is a regular expression (Alibaba).
    Regex,
    /// Files, ignoring query parameters (Alibaba).
    IgnoreParams,
    /// Every path is a host name: all of its cache (EdgeOne `purge_host`).
    Host,
    /// The whole zone; `paths` is `*` (EdgeOne `purge_all`).
    All,
    /// Every path is a cache tag (EdgeOne `purge_cache_tag`).
    CacheTag,
}

impl PurgeKind {
    /// Parses the `purge-type` input.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.to_ascii_lowercase().as_str() {
            "auto" => PurgeKind::Auto,
            "file" => PurgeKind::File,
            "directory" => PurgeKind::Directory,
            "regex" => PurgeKind::Regex,
            "ignore-params" => PurgeKind::IgnoreParams,
            "host" => PurgeKind::Host,
            "all" => PurgeKind::All,
            "cache-tag" => PurgeKind::CacheTag,
            // EdgeOne's own words for its purge types.
            "purge_url" => PurgeKind::File,
            "purge_prefix" | "prefix" => PurgeKind::Directory,
            "purge_host" => PurgeKind::Host,
            "purge_all" => PurgeKind::All,
            "purge_cache_tag" => PurgeKind::CacheTag,
            _ => return None,
        })
    }

    /// Whether `path` is purged as a directory.
    pub fn is_directory(self, path: &str) -> bool {
        match self {
            PurgeKind::Auto => path.ends_with('/'),
            PurgeKind::Directory => true,
            _ => false,
        }
    }
}

/// Where an operation stands, in purge-wait's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not finished yet (`NotSet`, `Processing`, `Refreshing`, `InProgress`, …).
    Pending,
    /// The provider says it finished successfully (`Succeeded`, `Complete`).
    Succeeded,
    /// The provider says it failed.
    Failed,
    /// The provider says it was cancelled.
    Cancelled,
    /// A status word purge-wait does not know. Never success: the engine keeps polling and
    /// reports the word if it persists to the deadline.
    Unrecognized,
}

impl State {
    /// Whether the operation will not change any more.
    pub fn is_terminal(&self) -> bool {
        matches!(self, State::Succeeded | State::Failed | State::Cancelled)
    }
}

/// One reading of one operation's status.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The id as the user gave it.
    pub id: String,
    /// The status in purge-wait's words.
    pub state: State,
    /// The provider's own status word, e.g. `Processing`.
    pub raw_status: String,
    /// The provider's message (failure reason), if any.
    pub message: Option<String>,
    /// Percent complete (0–100), when the provider says.
    pub progress: Option<f64>,
    /// When the provider says the operation started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the provider says the operation ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Extra provider facts worth showing on failure (name, value), e.g. `ObjectPath`.
    pub details: Vec<(String, String)>,
}

impl Observation {
    /// An observation with only the id, state and status word set.
    pub fn new(id: impl Into<String>, state: State, raw_status: impl Into<String>) -> Self {
        Observation {
            id: id.into(),
            state,
            raw_status: raw_status.into(),
            message: None,
            progress: None,
            started_at: None,
            finished_at: None,
            details: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_ids_with_control_characters_or_no_shape_are_malformed() {
        for ok in [
            "704224242",
            "00000000-0000-4000-8000-000000000001",
            "0123456789abcdef0123456789abcdef",
            "op-1_2.3~Ünïcode",
        ] {
            assert_eq!(check_created_id(ok), Ok(()), "{ok}");
        }
        let long = "a".repeat(MAX_CREATED_ID + 1);
        for bad in [
            "",
            "1\n::error::x",
            "1\r##[endgroup]",
            "1\u{1b}[0Ksection_end:1:x",
            "1\u{85}x",
            "1\u{7f}",
            "1\u{2028}x",
            "1\u{202e}gnp.exe",
            "1\u{2066}x",
            "1\u{feff}",
            "1\u{fffe}",
            "1\u{ffff}",
            "1 2",
            "1,2",
            "1\tx",
            long.as_str(),
        ] {
            let e = check_created_id(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{bad:?}");
            assert!(
                !e.to_string().chars().any(is_hostile_char),
                "the message shows the id escaped: {e}"
            );
            assert!(e.to_string().chars().count() < 300, "the message is short");
        }
    }

    #[test]
    fn only_provider_verdicts_are_terminal() {
        assert!(State::Succeeded.is_terminal());
        assert!(State::Failed.is_terminal());
        assert!(State::Cancelled.is_terminal());
        assert!(!State::Pending.is_terminal());
        assert!(!State::Unrecognized.is_terminal());
    }
}
