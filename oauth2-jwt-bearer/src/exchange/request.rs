//! What a token-exchange call sends, and the input checks auth0-api-python makes before
//! sending anything: a subject token that is blank, has surrounding whitespace or a `Bearer `
//! prefix is refused; `extra` parameters may not override a reserved OAuth parameter
//! (case-insensitively) and carry at most [`MAX_EXTRA_VALUES`] values each.

use super::error::ExchangeError;

/// RFC 8693's grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 8693's access-token type (On-Behalf-Of uses it on both sides).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Auth0's Token Vault grant.
pub const FEDERATED_CONNECTION_GRANT: &str =
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token";
/// The token type a Token Vault exchange asks for.
pub const FEDERATED_CONNECTION_TOKEN_TYPE: &str =
    "http://auth0.com/oauth/token-type/federated-connection-access-token";

/// Most values one `extra` parameter may carry (auth0-api-python's `MAX_ARRAY_VALUES_PER_KEY`).
pub const MAX_EXTRA_VALUES: usize = 20;

/// Parameters `extra` may not set (auth0-api-python's `RESERVED_PARAMS`), compared
/// case-insensitively.
pub const RESERVED_PARAMETERS: [&str; 21] = [
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "subject_token",
    "subject_token_type",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
    "subject_issuer",
    "audience",
    "aud",
    "resource",
    "resources",
    "resource_indicator",
    "scope",
    "connection",
    "login_hint",
    "organization",
    "assertion",
];

/// A Custom Token Exchange request (auth0-api-python's `get_token_by_exchange_profile`
/// arguments). Consuming builder.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProfileExchange {
    pub(crate) subject_token: String,
    pub(crate) subject_token_type: String,
    pub(crate) audience: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) requested_token_type: Option<String>,
    pub(crate) extra: Vec<(String, Vec<String>)>,
}

impl ProfileExchange {
    /// Exchange `subject_token`, whose type selects the tenant's exchange profile.
    pub fn new(subject_token: impl Into<String>, subject_token_type: impl Into<String>) -> Self {
        ProfileExchange {
            subject_token: subject_token.into(),
            subject_token_type: subject_token_type.into(),
            audience: None,
            scope: None,
            requested_token_type: None,
            extra: Vec::new(),
        }
    }
    /// The API the new token is for (else the tenant's default audience).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }
    /// Space-separated scopes to request.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }
    /// The token type to issue (default: an access token).
    pub fn requested_token_type(mut self, t: impl Into<String>) -> Self {
        self.requested_token_type = Some(t.into());
        self
    }
    /// One more form parameter for the profile's Action.
    pub fn extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), vec![value.into()]));
        self
    }
    /// One more form parameter with several values (sent repeated; at most
    /// [`MAX_EXTRA_VALUES`]).
    pub fn extra_values<I, S>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.extra
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// The form body, after the input checks.
    pub(crate) fn form(&self) -> Result<Vec<(String, String)>, ExchangeError> {
        check_subject_token(&self.subject_token)?;
        if self.subject_token_type.is_empty() {
            return Err(ExchangeError::MissingArgument("subject_token_type"));
        }
        let mut form = vec![
            pair("grant_type", TOKEN_EXCHANGE_GRANT),
            pair("subject_token", &self.subject_token),
            pair("subject_token_type", &self.subject_token_type),
        ];
        let optional = [
            ("audience", &self.audience),
            ("scope", &self.scope),
            ("requested_token_type", &self.requested_token_type),
        ];
        for (name, value) in optional {
            if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                form.push(pair(name, v));
            }
        }
        for (name, values) in &self.extra {
            if RESERVED_PARAMETERS
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name))
            {
                return Err(ExchangeError::ReservedParameter(name.clone()));
            }
            if values.len() > MAX_EXTRA_VALUES {
                return Err(ExchangeError::TooManyValues {
                    param: name.clone(),
                    max: MAX_EXTRA_VALUES,
                });
            }
            form.extend(values.iter().map(|v| pair(name, v)));
        }
        Ok(form)
    }
}

/// auth0-api-python's checks, in its order: empty, blank, surrounding whitespace, `Bearer `.
pub(crate) fn check_subject_token(token: &str) -> Result<(), ExchangeError> {
    if token.is_empty() {
        return Err(ExchangeError::MissingArgument("subject_token"));
    }
    if token.trim().is_empty() {
        return Err(ExchangeError::BlankSubjectToken);
    }
    if token.trim() != token {
        return Err(ExchangeError::SubjectTokenWhitespace);
    }
    if token
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
    {
        return Err(ExchangeError::BearerPrefix);
    }
    Ok(())
}

pub(crate) fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_token_checks_in_pythons_order() {
        let e = |t: &str| check_subject_token(t).unwrap_err().to_string();
        assert_eq!(e(""), "Missing required argument: subject_token");
        assert_eq!(e(" \t\n"), "subject_token cannot be blank or whitespace");
        assert_eq!(
            e(" abc"),
            "subject_token must not include leading or trailing whitespace"
        );
        assert_eq!(
            e("abc\n"),
            "subject_token must not include leading or trailing whitespace"
        );
        assert_eq!(
            e("bEaReR abc"),
            "subject_token must not include the 'Bearer ' prefix (case-insensitive check)"
        );
        assert!(check_subject_token("Bearerabc").is_ok());
        assert!(check_subject_token("é").is_ok());
        assert!(check_subject_token("a.b.c").is_ok());
    }

    #[test]
    fn extra_cannot_override_reserved_parameters_and_is_capped() {
        for name in ["scope", "Audience", "CLIENT_ID", "login_hint", "Resource"] {
            let e = ProfileExchange::new("t", "urn:x")
                .extra(name, "v")
                .form()
                .unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("Parameter '{name}' is reserved and cannot be overridden")
            );
            assert_eq!(e.status(), 400);
        }
        let twenty = (0..20).map(|i| i.to_string());
        let form = ProfileExchange::new("t", "urn:x")
            .extra_values("device", twenty)
            .extra("region", "eu")
            .form()
            .unwrap();
        assert_eq!(form.iter().filter(|(k, _)| k == "device").count(), 20);
        assert!(form.contains(&pair("region", "eu")));
        let e = ProfileExchange::new("t", "urn:x")
            .extra_values("device", (0..21).map(|i| i.to_string()))
            .form()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Parameter 'device' exceeds maximum array size of 20"
        );
        let e = ProfileExchange::new("t", "").form().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Missing required argument: subject_token_type"
        );
    }
}
