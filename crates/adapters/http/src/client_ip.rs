//! The client's address, for the login throttle and the audit log. Behind a reverse proxy every
//! request comes from the proxy, so one client's failures would lock everyone out; but
//! `X-Forwarded-For` is written by whoever sends the request, so it is believed only as far as
//! it was written by proxies the operator trusts (`server.trusted_proxies`).
//!
//! Each proxy appends the address it received the request from. Read from the right, the hops
//! appended by trusted proxies can be believed, and the first address that is not a trusted
//! proxy's is the client as the outermost trusted proxy saw it; anything to its left was written
//! by the client and is ignored. A request whose peer is not a trusted proxy is answered with
//! the peer's address, whatever it says.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::{HeaderMap, HeaderName};

/// The `X-Forwarded-For` request header.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The most hops read from the right of `X-Forwarded-For`: a longer chain is no proxy path.
const MAX_HOPS: usize = 32;

/// The proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// Trusts these addresses (IPv4-mapped IPv6 addresses are their IPv4 address).
    pub fn new(addresses: impl IntoIterator<Item = IpAddr>) -> Self {
        Self(addresses.into_iter().map(|ip| ip.to_canonical()).collect())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }

    /// The client's address of a request from `peer` with `headers`: `peer` unless it is a
    /// trusted proxy; then the last hop of `X-Forwarded-For` that is not one (the leftmost hop
    /// when every hop is trusted; the nearest trusted one when a hop is not an address).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = peer?.to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        let values = headers.get_all(X_FORWARDED_FOR).map(|v| v.to_str().unwrap_or("?"));
        let hops: Vec<&str> = values.flat_map(|v| v.split(',')).map(str::trim).collect();
        let mut client = peer;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let Some(ip) = parse_hop(hop) else { return Some(client) };
            client = ip;
            if !self.trusts(ip) {
                return Some(ip);
            }
        }
        Some(client)
    }
}

/// A hop as proxies write it: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`) or in
/// brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let ip = hop
        .parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .or_else(|_| hop.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>())
        .ok()?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let none = TrustedProxies::default();
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(none.client(Some(ip("10.0.0.1")), &headers), Some(ip("10.0.0.1")));
        assert_eq!(none.client(None, &headers), None);
        let trusted = TrustedProxies::new([ip("10.0.0.1")]);
        assert_eq!(trusted.client(Some(ip("10.0.0.9")), &headers), Some(ip("10.0.0.9")), "an untrusted peer");
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_untrusted_hop() {
        let proxies = TrustedProxies::new([ip("10.0.0.1"), ip("10.0.0.2")]);
        let peer = Some(ip("10.0.0.1"));
        let one = forwarded(&["198.51.100.7"]);
        assert_eq!(proxies.client(peer, &one), Some(ip("198.51.100.7")));
        // The client wrote "1.1.1.1" itself; the proxies appended the rest.
        let forged = forwarded(&["1.1.1.1, 198.51.100.7, 10.0.0.2"]);
        assert_eq!(proxies.client(peer, &forged), Some(ip("198.51.100.7")));
        let split = forwarded(&["1.1.1.1", "198.51.100.7 , 10.0.0.2"]);
        assert_eq!(proxies.client(peer, &split), Some(ip("198.51.100.7")), "headers read as one list");
        let ports = forwarded(&["[2001:db8::7]:4711, 198.51.100.8:80"]);
        assert_eq!(proxies.client(peer, &ports), Some(ip("198.51.100.8")));
        assert_eq!(proxies.client(peer, &HeaderMap::new()), peer, "no header: the proxy itself");
        let all_trusted = forwarded(&["10.0.0.2"]);
        assert_eq!(proxies.client(peer, &all_trusted), Some(ip("10.0.0.2")));
        let garbage = forwarded(&["198.51.100.7, unknown, 10.0.0.2"]);
        assert_eq!(proxies.client(peer, &garbage), Some(ip("10.0.0.2")), "never past what is not an address");
        let mapped = TrustedProxies::new([ip("::ffff:10.0.0.1")]);
        assert_eq!(mapped.client(Some(ip("10.0.0.1")), &one), Some(ip("198.51.100.7")));
        assert_eq!(proxies.client(Some(ip("::ffff:10.0.0.1")), &one), Some(ip("198.51.100.7")));
    }
}
