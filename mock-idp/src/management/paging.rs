//! Auth0's two ways of paging a Management API list, in one place so every list answers alike:
//! offset paging (`page`, `per_page`, `include_totals`: the bare array or
//! `{start, limit, total, <key>}`) and checkpoint paging (`from`, `take`: `{<key>, next}`),
//! which some lists also accept (the SDKs page organizations and a role's users with `take`).

use std::collections::HashMap;

use axum::Json;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::error::{ApiError, Res};

/// A list that accepts both pagings: checkpoint paging when `from` or `take` is given, else
/// offset paging.
pub(crate) fn answer_either(q: &HashMap<String, String>, key: &str, items: Vec<Value>) -> Res {
    if q.contains_key("from") || q.contains_key("take") {
        return Ok(Json(checkpoint(q, key, items)?).into_response());
    }
    Page::from_query(q)?.answer(key, items)
}

/// A list in Auth0's checkpoint paging (`from`, `take`): `{KEY: [...], "next": "..."}`, the
/// shape Auth0's SDKs read when they page with `take` (the Deploy CLI lists organizations so).
fn checkpoint(
    q: &HashMap<String, String>,
    key: &str,
    items: Vec<Value>,
) -> Result<Value, ApiError> {
    let take: usize = match q.get("take") {
        None => 50,
        Some(t) => t
            .parse()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| ApiError::Query("take must be between 1 and 100".into()))?,
    };
    let from: usize = match q.get("from").filter(|f| !f.is_empty()) {
        None => 0,
        Some(f) => f
            .parse()
            .map_err(|_| ApiError::Query("Invalid checkpoint: from".into()))?,
    };
    let more = items.len() > from.saturating_add(take);
    let page: Vec<Value> = items.into_iter().skip(from).take(take).collect();
    let mut out = json!({ key: page });
    if more {
        out["next"] = json!((from + take).to_string());
    }
    Ok(out)
}

/// Auth0's list parameters: `page`, `per_page` (at most 100), `include_totals`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub(crate) page: usize,
    pub(crate) per_page: usize,
    pub(crate) include_totals: bool,
    /// Whether `page` or `per_page` was given (some lists are unpaged without them).
    #[allow(dead_code)] // read by the lists that are unpaged without page parameters
    pub(crate) paged: bool,
}

impl Page {
    /// Reads the parameters from a query string's pairs.
    pub(crate) fn from_query(q: &HashMap<String, String>) -> Result<Self, ApiError> {
        let num = |name: &str, default: usize, max: usize| -> Result<usize, ApiError> {
            match q.get(name) {
                None => Ok(default),
                Some(v) => {
                    let n: usize = v.parse().map_err(|_| {
                        ApiError::Query(format!(
                            "Expected type integer but found type string on property {name}"
                        ))
                    })?;
                    if n > max {
                        return Err(ApiError::Query(format!(
                            "Value {n} is greater than maximum {max} on property {name}"
                        )));
                    }
                    Ok(n)
                }
            }
        };
        let include_totals = match q.get("include_totals").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(ApiError::Query(
                    "Expected type boolean but found type string on property include_totals".into(),
                ));
            }
        };
        Ok(Page {
            page: num("page", 0, 100_000)?,
            per_page: num("per_page", 50, 100)?,
            include_totals,
            paged: q.contains_key("page") || q.contains_key("per_page"),
        })
    }

    /// This page of `items`, as Auth0 answers a list: the bare array, or with
    /// `include_totals` `{start, limit, total, <key>: [...]}`.
    pub(crate) fn answer(&self, key: &str, items: Vec<Value>) -> Res {
        Ok(Json(self.body(key, items)).into_response())
    }

    fn body(&self, key: &str, items: Vec<Value>) -> Value {
        let total = items.len();
        let start = self.page.saturating_mul(self.per_page);
        let page: Vec<Value> = items.into_iter().skip(start).take(self.per_page).collect();
        if !self.include_totals {
            return Value::Array(page);
        }
        let mut out = Map::new();
        out.insert("start".into(), start.into());
        out.insert("limit".into(), self.per_page.into());
        if key == "users" {
            out.insert("length".into(), page.len().into());
        }
        out.insert("total".into(), total.into());
        out.insert(key.into(), Value::Array(page));
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!(i)).collect()
    }

    #[test]
    fn checkpoint_pages_name_the_next_one_until_the_last() {
        let q = query(&[("take", "2")]);
        assert_eq!(
            checkpoint(&q, "users", items(5)).unwrap(),
            json!({"users": [0, 1], "next": "2"})
        );
        let q = query(&[("take", "2"), ("from", "4")]);
        assert_eq!(
            checkpoint(&q, "users", items(5)).unwrap(),
            json!({"users": [4]})
        );
        let q = query(&[("take", "2"), ("from", "2")]);
        assert_eq!(
            checkpoint(&q, "users", items(4)).unwrap(),
            json!({"users": [2, 3]})
        );
    }

    #[test]
    fn checkpoint_refuses_take_out_of_range_and_a_bad_from() {
        for take in ["0", "101", "x"] {
            let e = checkpoint(&query(&[("take", take)]), "users", items(1)).unwrap_err();
            assert_eq!(
                e.to_string(),
                "Query validation error: 'take must be between 1 and 100'."
            );
        }
        let e = checkpoint(&query(&[("from", "x")]), "users", items(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Query validation error: 'Invalid checkpoint: from'."
        );
        let far = usize::MAX.to_string();
        let q = query(&[("from", far.as_str())]);
        assert_eq!(
            checkpoint(&q, "users", items(3)).unwrap(),
            json!({"users": []})
        );
    }

    #[test]
    fn offset_pages_count_users_length_only_for_users() {
        let q = query(&[("per_page", "2"), ("page", "1"), ("include_totals", "true")]);
        let page = Page::from_query(&q).unwrap();
        assert_eq!(
            page.body("users", items(5)),
            json!({"start": 2, "limit": 2, "length": 2, "total": 5, "users": [2, 3]})
        );
        assert_eq!(
            page.body("roles", items(5)),
            json!({"start": 2, "limit": 2, "total": 5, "roles": [2, 3]})
        );
        let bare = Page::from_query(&query(&[("per_page", "2")])).unwrap();
        assert_eq!(bare.body("roles", items(5)), json!([0, 1]));
    }
}
