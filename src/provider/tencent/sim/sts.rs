//! STS 2018-08-13 `AssumeRoleWithWebIdentity` (unsigned: `Authorization: SKIP`) and the
//! GitHub Actions OIDC token service.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{
    Issued, MAX_SKEW, Params, TencentSim, error, known_fields, missing, ok, opt_int, opt_string,
    random_alnum,
};
use crate::sim::{Answer, SimRequest};

/// STS's code for a bad parameter.
const BAD: &str = "InvalidParameter.ParamError";

/// Whether `region` looks like a region (`ap-guangzhou`, `na-siliconvalley`, `ap-shanghai-fsi`).
fn region_ok(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

impl TencentSim {
    /// `AssumeRoleWithWebIdentity`: checks the region, the time, the provider, the token, the
    /// role and the session, then issues temporary credentials the CDN and EdgeOne APIs
    /// accept with their token until they expire.
    pub(super) fn sts(&self, req: &SimRequest, params: &Params) -> Answer {
        self.assume(req, params).unwrap_or_else(|a| a)
    }

    fn assume(&self, req: &SimRequest, params: &Params) -> Result<Answer, Answer> {
        let region = req.header("x-tc-region").unwrap_or_default();
        if region.is_empty() {
            return Err(missing("Region"));
        }
        if !region_ok(region) {
            return Err(error(
                "UnsupportedRegion",
                &format!("The region {region:?} is not supported."),
            ));
        }
        let Some(stamp) = req.header("x-tc-timestamp") else {
            return Err(missing("Timestamp"));
        };
        let Some(sent) = stamp
            .parse::<i64>()
            .ok()
            .filter(|_| stamp.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| DateTime::from_timestamp(t, 0))
        else {
            return Err(error(
                "InvalidParameterValue",
                "X-TC-Timestamp must be Unix seconds.",
            ));
        };
        if (self.now() - sent).num_seconds().unsigned_abs() > MAX_SKEW.as_secs() {
            return Err(error(
                "AuthFailure.SignatureExpire",
                "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
            ));
        }
        known_fields(
            params,
            &[
                "ProviderId",
                "WebIdentityToken",
                "RoleArn",
                "RoleSessionName",
                "DurationSeconds",
            ],
        )?;
        let required = |name: &str| -> Result<String, Answer> {
            opt_string(params, name, BAD)?
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| missing(name))
        };
        let provider = required("ProviderId")?;
        let token = required("WebIdentityToken")?;
        let role = required("RoleArn")?;
        let session = required("RoleSessionName")?;
        let duration = opt_int(params, "DurationSeconds", 1..=43_200, BAD)?.unwrap_or(7200);
        let session_ok = (2..=128).contains(&session.len())
            && session
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
        if !session_ok {
            return Err(error(
                BAD,
                "`RoleSessionName` must be 2 to 128 characters of letters, digits and _+=,.@-.",
            ));
        }
        if provider != self.setup.oidc_provider_id {
            return Err(error(
                BAD,
                &format!("The OIDC identity provider {provider:?} does not exist."),
            ));
        }
        if token != self.setup.oidc_token {
            return Err(error(
                "InvalidParameter.WebIdentityTokenError",
                "The WebIdentityToken is not valid for this identity provider (signature, issuer or audience).",
            ));
        }
        if role != self.setup.role_arn {
            return Err(error(
                "UnauthorizedOperation",
                "The role does not exist or its trust policy does not allow this identity provider.",
            ));
        }
        {
            let mut book = self.book.lock().expect("book lock");
            book.sts_calls = book.sts_calls.saturating_add(1);
            if book.sts_calls <= self.setup.sts_throttle {
                return Err(error(
                    "RequestLimitExceeded",
                    "The request frequency exceeds the limit. Please reduce the frequency of calls.",
                ));
            }
        }
        let lifetime = chrono::Duration::from_std(self.setup.sts_lifetime)
            .unwrap_or(chrono::Duration::hours(2))
            .min(chrono::Duration::seconds(
                i64::try_from(duration).unwrap_or(7200),
            ));
        let expires = Utc::now() + lifetime;
        let issued = Issued {
            id: format!("AKID{}", random_alnum(32)),
            key: random_alnum(32),
            token: random_alnum(240),
            expires,
        };
        let fields = json!({
            "Credentials": {
                "Token": issued.token,
                "TmpSecretId": issued.id,
                "TmpSecretKey": issued.key,
            },
            "ExpiredTime": expires.timestamp(),
            "Expiration": expires.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        });
        self.book.lock().expect("book lock").issued.push(issued);
        Ok(ok(fields, "issued".into()))
    }

    /// `GET /github-oidc-token?audience=…` with `Authorization: bearer <request token>`:
    /// `{"value": …}`, the token STS accepts only for [`super::Setup::audience`].
    pub(super) fn github(&self, req: &SimRequest) -> Answer {
        let plain = |status: u16, body: String, label: &str| Answer {
            status,
            headers: vec![("content-type", "application/json".into())],
            body,
            label: label.into(),
            reset: false,
        };
        let bearer = req
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t);
        if req.method != "GET" || bearer != Some(self.setup.github_request_token.as_str()) {
            return plain(
                401,
                r#"{"message":"Bad credentials"}"#.into(),
                "github: refused",
            );
        }
        let audience: String =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "audience")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
        let token = if audience == self.setup.audience {
            self.setup.oidc_token.clone()
        } else {
            format!(
                "token-for-audience-{}",
                url::form_urlencoded::byte_serialize(audience.as_bytes()).collect::<String>()
            )
        };
        plain(200, json!({ "value": token }).to_string(), "github: token")
    }
}
