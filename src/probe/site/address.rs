//! Which addresses a probe may reach, and the resolver that enforces it on every hop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address may be probed under the default policy: not private, loopback,
/// link-local, unique-local, shared (CGNAT), unspecified, broadcast, reserved, multicast,
/// documentation or benchmarking, and not a cloud metadata service. An IPv4-mapped (or NAT64)
/// IPv6 address is judged by the IPv4 address inside it.
pub fn is_public(ip: IpAddr) -> bool {
    kind_refused(ip).is_none()
}

/// Why `ip` is refused, worded to follow "127.0.0.1 is ...", or `None` when it is public.
pub(super) fn kind_refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_refused(v4),
        IpAddr::V6(v6) => v6_refused(v6),
    }
}

fn v4_refused(ip: Ipv4Addr) -> Option<&'static str> {
    const METADATA: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip == METADATA => "a cloud metadata address",
        _ if ip == Ipv4Addr::BROADCAST => "the broadcast address",
        (0, ..) => "an unspecified address",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "a private address",
        (100, 64..=127, _) => "a shared (CGNAT) address",
        (127, ..) => "a loopback address",
        (169, 254, _) => "a link-local address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        // IETF protocol assignments, 192.0.0.192 among them (a cloud metadata address).
        (192, 0, 0) => "a special-purpose address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, ..) => "a multicast address",
        (240..=255, ..) => "a reserved address",
        _ => return None,
    })
}

fn v6_refused(ip: Ipv6Addr) -> Option<&'static str> {
    const METADATA: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_refused(v4);
    }
    Some(match ip.segments() {
        _ if ip == METADATA => "a cloud metadata address",
        _ if ip.is_unspecified() => "an unspecified address",
        _ if ip.is_loopback() => "a loopback address",
        [0, 0, 0, 0, 0, 0, _, _] => "a deprecated IPv4-compatible address",
        // NAT64 (RFC 6052): the gateway would connect to the IPv4 address in the last 32 bits.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => {
            return v4_refused(Ipv4Addr::from_bits(u32::from(high) << 16 | u32::from(low)));
        }
        // Local-use NAT64 (RFC 8215) and IPv4-translated addresses: judged as what they reach.
        [0x64, 0xff9b, 1, ..] => "a local NAT64 address",
        [0, 0, 0, 0, 0xffff, 0, high, low] => {
            return v4_refused(Ipv4Addr::from_bits(u32::from(high) << 16 | u32::from(low)));
        }
        // 6to4: the relay would reach the IPv4 address in bits 16-47.
        [0x2002, high, low, ..] => {
            return v4_refused(Ipv4Addr::from_bits(u32::from(high) << 16 | u32::from(low)));
        }
        [0xfe80..=0xfebf, ..] => "a link-local address",
        [0xfec0..=0xfeff, ..] => "a site-local address",
        [0xfc00..=0xfdff, ..] => "a unique local address",
        [0xff00..=0xffff, ..] => "a multicast address",
        [0x2001, 0xdb8, ..] => "a documentation address",
        [0x2001, 0x2, 0, ..] => "a benchmarking address",
        _ => return None,
    })
}

/// The refusal of an address the URL names directly (reqwest does not resolve IP literals).
pub(super) fn refused_literal(ip: IpAddr) -> Option<String> {
    kind_refused(ip).map(|kind| format!("{ip} is {kind}; {HOW_TO_ALLOW}"))
}

const HOW_TO_ALLOW: &str = "Jarvis does not probe those unless JARVIS_PROBE_ALLOW_PRIVATE is on";

/// Why a name could not be turned into addresses the probe may connect to.
#[derive(Debug, thiserror::Error)]
pub(super) enum ResolveError {
    /// Every address the name resolves to is refused by the policy.
    #[error("{host} resolves to {ip}, {kind}; {HOW_TO_ALLOW}")]
    Refused { host: String, ip: IpAddr, kind: &'static str },
    #[error("{host} could not be resolved: {source}")]
    Lookup { host: String, source: std::io::Error },
    #[error("{host} has no addresses")]
    Empty { host: String },
}

/// Resolves names for reqwest and drops the addresses the policy refuses, so no connection (first
/// hop or redirect) reaches one, whatever the name resolves to at that moment.
#[derive(Debug)]
pub(super) struct GuardedResolver {
    pub(super) allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
                .await
                .map_err(|source| ResolveError::Lookup { host: host.to_owned(), source })?
                .collect();
            let first = found.first().ok_or_else(|| ResolveError::Empty { host: host.to_owned() })?.ip();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if allowed.is_empty() {
                let kind = kind_refused(first).unwrap_or("a refused address");
                return Err(ResolveError::Refused { host: host.to_owned(), ip: first, kind }.into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(ip: &str, expected: Option<&str>) {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(kind_refused(ip), expected, "{ip}");
        assert_eq!(is_public(ip), expected.is_none(), "{ip}");
    }

    #[test]
    fn address_policy() {
        check("10.1.2.3", Some("a private address"));
        check("172.16.0.1", Some("a private address"));
        check("172.31.255.255", Some("a private address"));
        check("192.168.1.1", Some("a private address"));
        check("127.0.0.1", Some("a loopback address"));
        check("127.8.9.10", Some("a loopback address"));
        check("169.254.169.254", Some("a cloud metadata address"));
        check("169.254.1.1", Some("a link-local address"));
        check("100.64.0.1", Some("a shared (CGNAT) address"));
        check("100.127.255.255", Some("a shared (CGNAT) address"));
        check("0.0.0.0", Some("an unspecified address"));
        check("255.255.255.255", Some("the broadcast address"));
        check("240.0.0.1", Some("a reserved address"));
        check("224.0.0.251", Some("a multicast address"));
        check("192.0.2.10", Some("a documentation address"));
        check("198.18.0.1", Some("a benchmarking address"));
        check("::", Some("an unspecified address"));
        check("::1", Some("a loopback address"));
        check("fe80::1", Some("a link-local address"));
        check("fc00::1", Some("a unique local address"));
        check("fd12:3456::1", Some("a unique local address"));
        check("fd00:ec2::254", Some("a cloud metadata address"));
        check("ff02::1", Some("a multicast address"));
        check("2001:db8::1", Some("a documentation address"));
        check("::ffff:127.0.0.1", Some("a loopback address"));
        check("::127.0.0.1", Some("a deprecated IPv4-compatible address"));
        check("::ffff:169.254.169.254", Some("a cloud metadata address"));
        check("64:ff9b::a00:1", Some("a private address"));
        check("192.0.0.192", Some("a special-purpose address"));
        check("64:ff9b:1::1", Some("a local NAT64 address"));
        check("::ffff:0:7f00:1", Some("a loopback address"));
        check("2002:a9fe:a9fe::1", Some("a cloud metadata address"));
        check("2002:7f00:1::", Some("a loopback address"));
        check("fec0::1", Some("a site-local address"));

        check("8.8.8.8", None);
        check("1.1.1.1", None);
        check("172.32.0.1", None);
        check("100.128.0.1", None);
        check("::ffff:8.8.8.8", None);
        check("64:ff9b::808:808", None);
        check("2002:808:808::1", None);
        check("2606:4700::", None);
        check("2a00:1450:4001::200e", None);
    }
}
