//! The simulator's own checks.

use super::*;

#[test]
fn the_demo_key_file_holds_the_demo_key() {
    let v: serde_json::Value = serde_json::from_str(DEMO_SERVICE_ACCOUNT_KEY_JSON).unwrap();
    assert_eq!(v["private_key"], DEMO_PRIVATE_KEY_PEM);
    assert_eq!(v["private_key_id"], DEMO_PRIVATE_KEY_ID);
    assert_eq!(v["client_email"], DEMO_SERVICE_ACCOUNT);
    assert_eq!(v["project_id"], DEMO_PROJECT);
    assert_eq!(
        DEMO_STS_AUDIENCE,
        format!("//iam.googleapis.com/{DEMO_WORKLOAD_IDENTITY_PROVIDER}")
    );
    assert_eq!(
        DEMO_OIDC_AUDIENCE,
        format!("https://iam.googleapis.com/{DEMO_WORKLOAD_IDENTITY_PROVIDER}")
    );
    let v: serde_json::Value =
        serde_json::from_str(&service_account_key_json("http://127.0.0.1:1/token")).unwrap();
    assert_eq!(v["token_uri"], "http://127.0.0.1:1/token");
}
