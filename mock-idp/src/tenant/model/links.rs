//! The lists an entry links to by name or id (a user's roles, an organization's members and
//! its members' roles, a permission map of API to permissions), edited as sets that keep their
//! order: every "assign" and "remove" of the Management API is one of these four edits, so
//! each rule (added once, removed by value, an emptied API goes) is written once.

use std::collections::BTreeMap;

/// Appends each of `items` that `list` does not hold yet, in order.
pub(crate) fn add_each(list: &mut Vec<String>, items: impl IntoIterator<Item = String>) {
    for item in items {
        if !list.contains(&item) {
            list.push(item);
        }
    }
}

/// Removes every entry of `list` that is in `items`.
pub(crate) fn remove_each(list: &mut Vec<String>, items: &[String]) {
    list.retain(|x| !items.contains(x));
}

/// Adds `(API, permission)` pairs to a permission map, each once.
pub(crate) fn add_permissions(
    map: &mut BTreeMap<String, Vec<String>>,
    permissions: &[(String, String)],
) {
    for (api, p) in permissions {
        add_each(map.entry(api.clone()).or_default(), [p.clone()]);
    }
}

/// Removes `(API, permission)` pairs from a permission map (an API left with none goes).
pub(crate) fn remove_permissions(
    map: &mut BTreeMap<String, Vec<String>>,
    permissions: &[(String, String)],
) {
    for (api, p) in permissions {
        if let Some(list) = map.get_mut(api) {
            list.retain(|x| x != p);
        }
    }
    map.retain(|_, l| !l.is_empty());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn add_each_appends_only_what_is_missing_in_order() {
        let mut list = strings(&["a", "b"]);
        add_each(&mut list, strings(&["c", "a", "c", "d"]));
        assert_eq!(list, strings(&["a", "b", "c", "d"]));
    }

    #[test]
    fn remove_each_removes_every_listed_entry_and_ignores_others() {
        let mut list = strings(&["a", "b", "c"]);
        remove_each(&mut list, &strings(&["c", "a", "x"]));
        assert_eq!(list, strings(&["b"]));
    }

    #[test]
    fn a_permission_map_keeps_pairs_once_and_drops_an_emptied_api() {
        let pair = |api: &str, p: &str| (api.to_owned(), p.to_owned());
        let mut map = BTreeMap::new();
        add_permissions(
            &mut map,
            &[pair("api", "read"), pair("api", "read"), pair("other", "x")],
        );
        assert_eq!(map["api"], strings(&["read"]));
        remove_permissions(&mut map, &[pair("other", "x"), pair("api", "none")]);
        assert_eq!(map.len(), 1);
        assert_eq!(map["api"], strings(&["read"]));
    }
}
