//! The SSRF rule: which URLs a client ID metadata document may come from, and which addresses
//! the tenant may connect to for one. A `client_id` is a URL anyone can send, so without this
//! rule the tenant would fetch from its own loopback, the cloud metadata service
//! (169.254.169.254) or the operator's private network on a stranger's behalf.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::DocumentError;

/// Longest `client_id` URL accepted.
const MAX_URL_LEN: usize = 2048;

/// A `client_id` that is a URL the draft allows (§3): `https`, a host, a path, no fragment,
/// no userinfo, no `.` or `..` segments. Anything else is refused before any network use.
pub(crate) fn parse(raw: &str) -> Result<url::Url, DocumentError> {
    let bad = DocumentError::Url;
    if raw.len() > MAX_URL_LEN {
        return Err(bad("is too long"));
    }
    // Checked on the raw text: the URL parser removes dot segments, and the document must
    // name the URL exactly as sent.
    let path_and_more = raw
        .strip_prefix("https://")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]));
    let u = url::Url::parse(raw).map_err(|_| bad("is not an absolute URL"))?;
    if u.scheme() != "https" {
        return Err(bad("must use https"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("must not contain userinfo"));
    }
    if u.fragment().is_some() || raw.contains('#') {
        return Err(bad("must not contain a fragment"));
    }
    let Some(path) = path_and_more else {
        return Err(bad("must contain a path"));
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    if path == "/" {
        return Err(bad("must contain a path"));
    }
    let dot = |s: &str| {
        let s = s.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    };
    if path.split('/').any(dot) {
        return Err(bad("must not contain . or .. path segments"));
    }
    if u.host().is_none() {
        return Err(bad("must name a host"));
    }
    Ok(u)
}

/// Whether the tenant may connect to `ip` for a document (unless the operator allowed the
/// host): loopback, private (RFC 1918, ULA), link-local, CGNAT, multicast, broadcast,
/// unspecified, documentation and benchmarking ranges, and IPv4-mapped or -compatible IPv6
/// forms of those are refused.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_is_public(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_is_public(v4);
            }
            v6_is_public(v6)
        }
    }
}

fn v4_is_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // CGNAT, RFC 6598.
        || (a == 100 && (64..128).contains(&b))
        // IETF protocol assignments, RFC 6890.
        || (a == 192 && b == 0 && c == 0)
        // Benchmarking, RFC 2544.
        || (a == 198 && (18..20).contains(&b))
        // Reserved (240/4).
        || a >= 240)
}

fn v6_is_public(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local, fc00::/7.
        || (seg[0] & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (seg[0] & 0xffc0) == 0xfe80
        // Site-local (deprecated), fec0::/10.
        || (seg[0] & 0xffc0) == 0xfec0
        // Documentation, 2001:db8::/32 and 3fff::/20.
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)
        || (seg[0] & 0xfff0) == 0x3ff0
        // Discard-only, 100::/64 (RFC 6666).
        || seg[..4] == [0x100, 0, 0, 0]
        // Teredo, 2001::/32 (RFC 4380): a tunnel whose far end the address only obfuscates.
        || (seg[0] == 0x2001 && seg[1] == 0)
        // IPv4-compatible (deprecated), NAT64 well-known and IPv4-translated (::ffff:0:0:0/96,
        // RFC 2765) forms: judged as the IPv4 inside.
        || (seg[..6] == [0, 0, 0, 0, 0, 0])
        || (seg[0] == 0x64 && seg[1] == 0xff9b && !v4_is_public(v4_in(seg[6], seg[7])))
        || (seg[..6] == [0, 0, 0, 0, 0xffff, 0] && !v4_is_public(v4_in(seg[6], seg[7])))
        // 6to4, 2002::/16 (RFC 3056): the IPv4 is in the second and third groups.
        || (seg[0] == 0x2002 && !v4_is_public(v4_in(seg[1], seg[2]))))
}

/// The IPv4 address two IPv6 groups carry.
fn v4_in(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
            "2001:4860:4860::8888",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_outside_the_draft_are_refused() {
        for (raw, why) in [
            ("http://app.example/c.json", "must use https"),
            ("https://app.example", "must contain a path"),
            ("https://app.example/", "must contain a path"),
            (
                "https://app.example/c.json#x",
                "must not contain a fragment",
            ),
            (
                "https://u:p@app.example/c.json",
                "must not contain userinfo",
            ),
            (
                "https://app.example/a/../c.json",
                "must not contain . or .. path segments",
            ),
            (
                "https://app.example/./c.json",
                "must not contain . or .. path segments",
            ),
            (
                "https://app.example/a/%2E%2E/c.json",
                "must not contain . or .. path segments",
            ),
            ("not a url", "is not an absolute URL"),
        ] {
            assert_eq!(parse(raw).unwrap_err(), DocumentError::Url(why), "{raw}");
        }
        assert!(parse("https://app.example/oauth/client.json").is_ok());
    }
}
