//! The common input machinery: the command line, shared checks. Provider-free: the table
//! comes from the registry, the inputs used are common ones.

use url::Url;

use super::*;

const SUB: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

#[test]
fn guid_shape() {
    assert!(is_guid(SUB));
    assert!(is_guid(&SUB.to_ascii_uppercase()));
    assert!(!is_guid("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee"));
    assert!(!is_guid("gaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"));
    assert!(!is_guid("aaaaaaaabbbbccccddddeeeeeeeeeeee"));
}

#[test]
fn any_user_name_or_password_in_a_url_counts_as_userinfo() {
    let u = |s: &str| Url::parse(s).unwrap();
    for with in [
        "http://:pw@127.0.0.1:9",
        "http://user@127.0.0.1:9",
        "http://user:@127.0.0.1:9",
        "https://user:pw@example.com/x",
    ] {
        assert!(has_userinfo(&u(with)), "{with}");
    }
    // An empty userinfo is dropped by the URL parser: nothing to send.
    for without in [
        "http://@127.0.0.1:9",
        "http://:@127.0.0.1:9",
        "https://example.com",
    ] {
        assert!(!has_userinfo(&u(without)), "{without}");
        assert!(!u(without).as_str().contains('@'), "{without}");
    }
}
