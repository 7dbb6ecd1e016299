//! An id that several purge calls return is waited on, output and counted once.

use std::sync::Mutex;
use std::time::Duration;

use purge_wait::sim::alibaba::{AlibabaSim, Setup};
use purge_wait::sim::{Answer, Api, Scenario, SimRequest, Simulator};

use crate::alibaba::ali_env;

/// The Alibaba simulator, except that every refresh call after the first answers the first
/// call's task id again (twice), as a service that merges identical refreshes might.
struct SameId {
    api: AlibabaSim,
    first: Mutex<Option<String>>,
}

impl Api for SameId {
    fn answer(&self, request: &SimRequest) -> Answer {
        let mut answer = self.api.answer(request);
        let refresh = request
            .header("x-acs-action")
            .is_some_and(|a| a.starts_with("Refresh"));
        if refresh && answer.status == 200 {
            let mut body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            let mut first = self.first.lock().unwrap();
            match first.as_ref() {
                None => *first = Some(body["RefreshTaskId"].as_str().unwrap().to_string()),
                Some(id) => body["RefreshTaskId"] = format!("{id},{id}").into(),
            }
            answer.body = body.to_string();
        }
        answer
    }
}

#[tokio::test]
async fn an_id_returned_by_several_purge_calls_counts_once() {
    let api = SameId {
        api: AlibabaSim::new(Setup {
            purge: Scenario::succeeds_after(Duration::from_millis(200)),
            ..Setup::default()
        }),
        first: Mutex::new(None),
    };
    let sim = Simulator::start(api, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let mut env = ali_env(&sim, &[]);
    env.unset("INPUT_OPERATION-IDS")
        .set("INPUT_PROVIDER", "alibaba-cdn")
        .set("INPUT_PURGE-TYPE", "regex")
        .set(
            "INPUT_PATHS",
            "https://www.example.com/a/.*\nhttps://www.example.com/b/.*\nhttps://www.example.com/c/.*",
        );
    let run = env.run().await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.assert_all_outputs();
    assert!(run.stdout.contains("(3 calls)"), "{}", run.stdout);
    let ids: Vec<&str> = run.outputs["operation-ids"].split(',').collect();
    assert_eq!(ids.len(), 1, "one operation: {ids:?}");
    assert_eq!(run.outputs["succeeded"], "1");
    let result = run.result();
    assert_eq!(result["operations"].as_array().unwrap().len(), 1);
    assert_eq!(result["purge"]["calls"], 3);
}
