//! The one outbound HTTP client (trackers, Slack): it connects to public
//! addresses only, and to the private networks `HINDSIGHT_OUTBOUND_ALLOW` names.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use anyhow::Context;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::{
    Proxy, Url,
    dns::{Addrs, Name, Resolve, Resolving},
    redirect,
};

/// IPv4 ranges no outbound request may reach unless allow-listed: this
/// network, private (RFC 1918), CGNAT, loopback, link-local, IETF protocol
/// assignments, documentation, 6to4 relays, benchmarking, multicast, and the
/// reserved 240/4 (which holds the broadcast address).
const INTERNAL_V4: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),
    v4(10, 0, 0, 0, 8),
    v4(100, 64, 0, 0, 10),
    v4(127, 0, 0, 0, 8),
    v4(169, 254, 0, 0, 16),
    v4(172, 16, 0, 0, 12),
    v4(192, 0, 0, 0, 24),
    v4(192, 0, 2, 0, 24),
    v4(192, 88, 99, 0, 24),
    v4(192, 168, 0, 0, 16),
    v4(198, 18, 0, 0, 15),
    v4(198, 51, 100, 0, 24),
    v4(203, 0, 113, 0, 24),
    v4(224, 0, 0, 0, 4),
    v4(240, 0, 0, 0, 4),
];

/// Only global unicast IPv6 (2000::/3) is public: that leaves out unspecified,
/// loopback, unique-local fc00::/7, link-local fe80::/10, site-local and
/// multicast without naming them.
const GLOBAL_UNICAST: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// Inside 2000::/3: IETF protocol assignments (Teredo, benchmarking, ORCHID),
/// documentation (two blocks) and 6to4, which tunnels to any IPv4 address.
const INTERNAL_V6: [Ipv6Net; 4] = [
    v6(0x2001, 0, 23),
    v6(0x2001, 0x0db8, 32),
    v6(0x2002, 0, 16),
    v6(0x3fff, 0, 20),
];

/// NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
const NAT64: Ipv6Net = Ipv6Net::new_assert(Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(first: u16, second: u16, prefix: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(first, second, 0, 0, 0, 0, 0, 0), prefix)
}

/// Whether `ip` is loopback, private, link-local, CGNAT, unique-local,
/// unspecified, broadcast, multicast, documentation or otherwise reserved. An
/// IPv6 address that carries an IPv4 one (mapped, compatible, NAT64) is judged
/// by the IPv4 address, which is where it leads.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => INTERNAL_V4.iter().any(|net| net.contains(&v4)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_internal(v4.into()),
            None => !GLOBAL_UNICAST.contains(&v6) || INTERNAL_V6.iter().any(|n| n.contains(&v6)),
        },
    }
}

/// The IPv4 address an IPv6 one stands for: `::ffff:a.b.c.d`, `::a.b.c.d`
/// (which includes `::` and `::1`, judged as 0.0.0.0 and 0.0.0.1) and NAT64.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4() {
        return Some(v4);
    }
    NAT64
        .contains(&v6)
        .then(|| Ipv4Addr::from((u128::from(v6) & 0xffff_ffff) as u32))
}

/// Which addresses outbound requests may reach: public ones, and internal
/// ones inside an allow-listed network.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
}

impl AddressPolicy {
    pub fn new(allow: &[IpNet]) -> Self {
        Self {
            allow: allow.to_vec(),
        }
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        let listed = |ip: IpAddr| self.allow.iter().any(|net| net.contains(&ip));
        let embedded = match ip {
            IpAddr::V6(v6) => embedded_v4(v6).map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        listed(ip) || embedded.is_some_and(listed) || !is_internal(ip)
    }

    /// Refuses a URL whose host is an internal IP literal; a name is checked
    /// when it resolves, on the addresses it resolves to.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        match literal(url) {
            Some(ip) if !self.permits(ip) => Err(Refused::literal(ip)),
            _ => Ok(()),
        }
    }
}

/// An outbound request that was not sent: its host is, or resolves only to,
/// addresses the [`AddressPolicy`] refuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    host: Option<String>,
    addresses: Vec<IpAddr>,
}

impl Refused {
    fn literal(ip: IpAddr) -> Self {
        Self {
            host: None,
            addresses: vec![ip],
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addresses: Vec<String> = self.addresses.iter().map(IpAddr::to_string).collect();
        let addresses = addresses.join(", ");
        match &self.host {
            Some(host) => write!(f, "{host} resolves to {addresses}, which is")?,
            None => write!(f, "{addresses} is")?,
        }
        write!(
            f,
            " an internal or reserved address and not allowed \
             (HINDSIGHT_OUTBOUND_ALLOW can let a private network through)"
        )
    }
}

impl std::error::Error for Refused {}

/// The [`Refused`] behind a failed request, if that is why it failed.
pub fn refusal(error: &reqwest::Error) -> Option<&Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(refused) = current.downcast_ref::<Refused>() {
            return Some(refused);
        }
        // io::Error hides the error it wraps from `source()`.
        let wrapped = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<Refused>());
        if wrapped.is_some() {
            return wrapped;
        }
        source = current.source();
    }
    None
}

/// The client every outbound request goes through: the policy is checked on
/// the addresses actually connected to (resolved once, checked, then used, so
/// a name cannot be rebound between check and connect); redirects are never
/// followed; system proxies, which would resolve names out of our sight, are
/// never used.
pub fn client(allow: &[IpNet]) -> anyhow::Result<reqwest::Client> {
    let policy = Arc::new(AddressPolicy::new(allow));
    reqwest::Client::builder()
        .dns_resolver(Arc::new(CheckedResolver(policy.clone())))
        .proxy(literal_guard(policy))
        .redirect(redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("hindsight/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")
}

/// Resolves names and keeps only the addresses the policy permits.
struct CheckedResolver(Arc<AddressPolicy>);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str();
            if let Some(ip) = guarded_literal(host) {
                return Err(Box::new(Refused::literal(ip)) as _);
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
            let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) =
                found.into_iter().partition(|a| policy.permits(a.ip()));
            if allowed.is_empty() && !refused.is_empty() {
                return Err(Box::new(Refused {
                    host: Some(host.to_owned()),
                    addresses: refused.iter().map(SocketAddr::ip).collect(),
                }) as _);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Where refused IP literals are sent instead; `.invalid` never resolves.
const GUARDED: &str = ".refused-address.invalid";

/// reqwest asks a custom resolver about names only: a URL whose host is an IP
/// literal connects without it. The proxy hook sees every URL before any
/// connection, so a refused literal is pointed at a proxy named after it,
/// which [`CheckedResolver`] refuses: nothing is ever connected to.
fn literal_guard(policy: Arc<AddressPolicy>) -> Proxy {
    Proxy::custom(move |url| {
        let ip = literal(url).filter(|ip| !policy.permits(*ip))?;
        let encoded = match ip {
            IpAddr::V4(v4) => format!("{:08x}", u32::from(v4)),
            IpAddr::V6(v6) => format!("{:032x}", u128::from(v6)),
        };
        Some(format!("http://{encoded}{GUARDED}"))
    })
}

/// The address a [`literal_guard`] proxy name stands for.
fn guarded_literal(host: &str) -> Option<IpAddr> {
    let encoded = host.strip_suffix(GUARDED)?;
    match encoded.len() {
        8 => u32::from_str_radix(encoded, 16)
            .ok()
            .map(|n| Ipv4Addr::from(n).into()),
        32 => u128::from_str_radix(encoded, 16)
            .ok()
            .map(|n| Ipv6Addr::from(n).into()),
        _ => None,
    }
}

/// The host of `url` when it is an IP address. The URL parser has already
/// turned every IPv4 spelling (`2130706433`, `0177.0.0.1`, `127.1`, `0x7f.0.0.1`)
/// into dotted decimal.
fn literal(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.parse().ok()
}

/// Parses `HINDSIGHT_OUTBOUND_ALLOW`: comma-separated CIDRs; a bare address is
/// a network of one.
pub fn parse_allow_list(text: &str) -> anyhow::Result<Vec<IpNet>> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .with_context(|| format!("{entry:?} is not a CIDR such as 10.20.0.0/16"))
        })
        .collect()
}

#[cfg(test)]
mod tests;
