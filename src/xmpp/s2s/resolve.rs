//! Where a remote XMPP domain's servers are: the addresses the outgoing side tries, in order.
//!
//! - A static route for the domain wins; DNS is not asked.
//! - Otherwise the SRV records of `_xmpps-server._tcp` (direct TLS, XEP-0368 §3) and
//!   `_xmpp-server._tcp` (STARTTLS, RFC 6120 §3.2.1) are asked for together and merged: by
//!   priority, direct TLS first at equal priority, then in the weighted random order of
//!   RFC 2782. Each target host gives its AAAA and A addresses, both kept.
//! - A lone `_xmpp-server` record whose target is "." says the service is not offered
//!   (RFC 6120 §3.2.1 step 3): NotFound, with no fallback.
//! - With no SRV records at all, the domain's own addresses are tried on the configured
//!   port with STARTTLS (RFC 6120 §3.2.2).
//!
//! Every DNS query ends within `timeout × (retries + 1)`. A `targets` call makes at most two
//! rounds of concurrent queries (SRV, then addresses), so it ends within twice that.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures::future::{join, join_all};
use hickory_resolver::config::{ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError, NoRecords};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::TokioResolver;
use rand::seq::SliceRandom;
use rand::Rng;

/// SRV records whose hosts are looked up, at most (the first ones in the order to try):
/// a domain cannot make one `targets` call fan out into hundreds of queries.
const MAX_SRV_RECORDS: usize = 16;

/// How names are resolved (from the `[s2s]` config: dns.timeout, dns.retries, outgoing.port).
#[derive(Debug, Clone)]
pub(crate) struct DnsSettings {
    pub timeout: Duration,
    pub retries: usize,
    /// The port used when no SRV record exists (RFC 6120 §3.2.2 fallback, 5269 by default).
    pub port: u16,
    /// Name servers to ask instead of the system's (/etc/resolv.conf); for tests and private networks.
    pub nameservers: Option<Vec<SocketAddr>>,
}

/// A static route (`[[s2s.outgoing.address]]`: host, ip_address, port?) that bypasses DNS for one domain.
#[derive(Debug, Clone)]
pub(crate) struct StaticRoute {
    pub host: String,
    pub ip: IpAddr,
    pub port: Option<u16>,
    pub direct_tls: bool,
}

/// One place to try, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    /// The host name the SRV record named (or the domain itself): what the TLS certificate is
    /// NOT checked against (we check the XMPP domain), kept for logs.
    pub host: String,
    pub addr: SocketAddr,
    /// XEP-0368: TLS from the first byte (`_xmpps-server._tcp`), rather than STARTTLS.
    pub direct_tls: bool,
}

/// Why a domain gave no place to try.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ResolveError {
    /// The domain does not exist, has no addresses, says it offers no XMPP service (SRV
    /// target "."), or is not a name DNS can be asked about (an IP literal).
    #[error("no server found for the domain")]
    NotFound,
    /// DNS did not answer within the configured timeout and retries.
    #[error("DNS did not answer in time")]
    Timeout,
    #[error("DNS: {0}")]
    Other(String),
}

impl ResolveError {
    /// Whether the stanza error for waiting stanzas is remote-server-timeout (true) or
    /// remote-server-not-found.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }

    /// Of several failures, the one to report: a timeout says most about the way to the
    /// remote domain, then any failure other than a plain "not there".
    fn worst(errors: impl IntoIterator<Item = Self>) -> Self {
        let mut worst = Self::NotFound;
        for e in errors {
            match (&worst, e) {
                (Self::Timeout, _) => {}
                (_, Self::Timeout) => worst = Self::Timeout,
                (Self::NotFound, other) => worst = other,
                _ => {}
            }
        }
        worst
    }

    fn from_net(e: NetError) -> Self {
        match e {
            NetError::Timeout => Self::Timeout,
            // No such domain, or no records of the type; a failure code (SERVFAIL) is not that.
            NetError::Dns(DnsError::NoRecordsFound(NoRecords {
                response_code: ResponseCode::NXDomain | ResponseCode::NoError,
                ..
            })) => Self::NotFound,
            e => Self::Other(e.to_string()),
        }
    }
}

/// One SRV record, of either service.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Srv {
    priority: u16,
    weight: u16,
    port: u16,
    host: Name,
    direct_tls: bool,
}

/// What one SRV query said.
#[derive(Debug)]
enum SrvAnswer {
    Records(Vec<Srv>),
    /// A lone record with target ".": the service is decidedly not available.
    NotOffered,
    /// NXDOMAIN or no SRV data.
    Nothing,
}

/// Finds the servers of remote domains; built once per server and shared. Answers are
/// cached by the DNS resolver for their TTL.
#[derive(Debug)]
pub(crate) struct Resolver {
    dns: TokioResolver,
    /// Domain (lowercase) -> its static routes, in configured order.
    routes: HashMap<String, Vec<StaticRoute>>,
    port: u16,
    /// The longest one query may take: timeout × (retries + 1).
    query_bound: Duration,
}

impl Resolver {
    pub fn new(settings: DnsSettings, routes: Vec<(String, StaticRoute)>) -> Result<Self, ResolveError> {
        let name_servers = match &settings.nameservers {
            Some(addrs) => addrs.iter().map(|addr| name_server(*addr)).collect(),
            None => match hickory_resolver::system_conf::read_system_conf() {
                Ok((system, _)) => system.name_servers().to_vec(),
                // Static routes still work; every other domain is not found.
                Err(e) => {
                    tracing::warn!(error = %e, "no system DNS configuration: only [s2s.outgoing] address routes will be reached");
                    Vec::new()
                }
            },
        };
        // No search domains: every name asked is absolute.
        let config = ResolverConfig::from_parts(None, Vec::new(), name_servers);
        let mut options = ResolverOpts::default();
        options.timeout = settings.timeout;
        options.attempts = settings.retries;
        options.ip_strategy = LookupIpStrategy::Ipv6AndIpv4;
        let dns = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
            .with_options(options)
            .build()
            .map_err(|e| ResolveError::Other(e.to_string()))?;

        let tries = u32::try_from(settings.retries.saturating_add(1)).unwrap_or(u32::MAX);
        let mut by_domain: HashMap<String, Vec<StaticRoute>> = HashMap::new();
        for (domain, route) in routes {
            by_domain.entry(route_key(&domain)).or_default().push(route);
        }
        Ok(Self {
            dns,
            routes: by_domain,
            port: settings.port,
            query_bound: settings.timeout.saturating_mul(tries),
        })
    }

    /// Every address to try for `domain` (an XMPP domain; internationalized ones are asked
    /// for in A-labels), in the order to try them. Never empty when Ok.
    pub async fn targets(&self, domain: &str) -> Result<Vec<Target>, ResolveError> {
        let domain = domain.strip_suffix('.').unwrap_or(domain);
        if let Some(routes) = self.routes.get(&route_key(domain)) {
            return Ok(routes
                .iter()
                .map(|r| Target {
                    host: r.host.clone(),
                    addr: SocketAddr::new(r.ip, r.port.unwrap_or(self.port)),
                    direct_tls: r.direct_tls,
                })
                .collect());
        }
        if domain.is_empty() || is_ip_literal(domain) {
            return Err(ResolveError::NotFound);
        }
        let mut name = Name::from_utf8(domain).map_err(|_| ResolveError::NotFound)?;
        if name.is_root() {
            return Err(ResolveError::NotFound);
        }
        name.set_fqdn(true);

        let (direct, starttls) = join(
            self.srv(&name, "_xmpps-server", true),
            self.srv(&name, "_xmpp-server", false),
        )
        .await;
        let mut records = Vec::new();
        if let Ok(SrvAnswer::Records(found)) = direct {
            records.extend(found);
        } else if let Err(e) = &direct {
            tracing::debug!(domain, error = %e, "no _xmpps-server answer");
        }
        let starttls_failure = match starttls {
            Ok(SrvAnswer::Records(found)) => {
                records.extend(found);
                None
            }
            Ok(SrvAnswer::NotOffered) if records.is_empty() => return Err(ResolveError::NotFound),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if !records.is_empty() {
            // Ordered in a statement of its own: the thread's RNG must not live across an await.
            let ordered = order_srv(records, &mut rand::thread_rng());
            return self.resolve_records(ordered).await;
        }
        // Without an answer for `_xmpp-server` there is no telling that the domain has no SRV
        // records, so no fallback.
        if let Some(e) = starttls_failure {
            return Err(e);
        }
        let ips = self.addresses(&name).await?;
        Ok(ips
            .into_iter()
            .map(|ip| Target {
                host: domain.to_owned(),
                addr: SocketAddr::new(ip, self.port),
                direct_tls: false,
            })
            .collect())
    }

    /// Asks for `<service>._tcp.<domain>` SRV records.
    async fn srv(&self, domain: &Name, service: &str, direct_tls: bool) -> Result<SrvAnswer, ResolveError> {
        let name = domain
            .prepend_label("_tcp")
            .and_then(|n| n.prepend_label(service))
            .map_err(|_| ResolveError::NotFound)?;
        let lookup = match self.bounded(self.dns.srv_lookup(name)).await {
            Err(ResolveError::NotFound) => return Ok(SrvAnswer::Nothing),
            other => other?,
        };
        let all: Vec<Srv> = lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::SRV(srv) => Some(Srv {
                    priority: srv.priority,
                    weight: srv.weight,
                    port: srv.port,
                    host: srv.target.clone(),
                    direct_tls,
                }),
                _ => None,
            })
            .collect();
        if all.len() == 1 && all[0].host.is_root() {
            return Ok(SrvAnswer::NotOffered);
        }
        // A "." among other records makes no sense; it is skipped.
        let real: Vec<Srv> = all.into_iter().filter(|r| !r.host.is_root()).collect();
        Ok(if real.is_empty() {
            SrvAnswer::Nothing
        } else {
            SrvAnswer::Records(real)
        })
    }

    /// The addresses of the (ordered) SRV records' hosts, all asked for at once.
    async fn resolve_records(&self, mut records: Vec<Srv>) -> Result<Vec<Target>, ResolveError> {
        records.truncate(MAX_SRV_RECORDS);
        let mut hosts: Vec<&Name> = Vec::new();
        for r in &records {
            if !hosts.contains(&&r.host) {
                hosts.push(&r.host);
            }
        }
        let answers = join_all(hosts.iter().map(|host| self.addresses(host))).await;
        let by_host: HashMap<&Name, Result<Vec<IpAddr>, ResolveError>> = hosts.into_iter().zip(answers).collect();

        let mut targets = Vec::new();
        let mut seen = HashSet::new();
        for r in &records {
            let Some(Ok(ips)) = by_host.get(&r.host) else { continue };
            let host = r.host.to_ascii().trim_end_matches('.').to_owned();
            for ip in ips {
                let target = Target {
                    host: host.clone(),
                    addr: SocketAddr::new(*ip, r.port),
                    direct_tls: r.direct_tls,
                };
                if seen.insert(target.clone()) {
                    targets.push(target);
                }
            }
        }
        if targets.is_empty() {
            return Err(ResolveError::worst(by_host.into_values().filter_map(Result::err)));
        }
        Ok(targets)
    }

    /// AAAA and A addresses of `host`, asked for together, IPv6 first.
    async fn addresses(&self, host: &Name) -> Result<Vec<IpAddr>, ResolveError> {
        let lookup = self.bounded(self.dns.lookup_ip(host.clone())).await?;
        let ips: Vec<IpAddr> = lookup.iter().collect();
        if ips.is_empty() {
            return Err(ResolveError::NotFound);
        }
        Ok(ips)
    }

    /// Runs one query within the bound, whatever the resolver's own timers do.
    async fn bounded<T>(&self, query: impl Future<Output = Result<T, NetError>>) -> Result<T, ResolveError> {
        match tokio::time::timeout(self.query_bound, query).await {
            Err(_) => Err(ResolveError::Timeout),
            Ok(result) => result.map_err(ResolveError::from_net),
        }
    }
}

fn name_server(addr: SocketAddr) -> NameServerConfig {
    let mut udp = ConnectionConfig::udp();
    udp.port = addr.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = addr.port();
    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
}

fn route_key(domain: &str) -> String {
    domain.strip_suffix('.').unwrap_or(domain).to_lowercase()
}

/// `192.0.2.1`, `::1` or `[::1]`: no DNS name, so no SRV records to find.
fn is_ip_literal(domain: &str) -> bool {
    let bare = domain
        .strip_prefix('[')
        .and_then(|d| d.strip_suffix(']'))
        .unwrap_or(domain);
    bare.parse::<IpAddr>().is_ok()
}

/// The order to try SRV records in: priority ascending; at equal priority direct TLS first;
/// within each such group, RFC 2782's weighted random selection.
fn order_srv(mut records: Vec<Srv>, rng: &mut impl Rng) -> Vec<Srv> {
    records.sort_by_key(|r| (r.priority, !r.direct_tls));
    let mut ordered = Vec::with_capacity(records.len());
    for group in records.chunk_by(|a, b| a.priority == b.priority && a.direct_tls == b.direct_tls) {
        let mut group = group.to_vec();
        // RFC 2782 leaves the order free but for the weight-0 records, which go first.
        group.shuffle(rng);
        group.sort_by_key(|r| r.weight != 0);
        while !group.is_empty() {
            let total: u64 = group.iter().map(|r| u64::from(r.weight)).sum();
            let pick = rng.gen_range(0..=total);
            let mut running = 0;
            // The last running sum is the total, so some record is always picked.
            let chosen = group
                .iter()
                .position(|r| {
                    running += u64::from(r.weight);
                    running >= pick
                })
                .unwrap_or(0);
            ordered.push(group.remove(chosen));
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Message, OpCode};
    use hickory_resolver::proto::rr::rdata::{A, AAAA, SRV};
    use hickory_resolver::proto::rr::{Record, RecordType};
    use rand::SeedableRng;
    use std::net::Ipv4Addr;
    use std::sync::{Arc, Mutex};
    use std::time::Instant;
    use tokio::net::UdpSocket;
    use tokio::task::JoinHandle;

    /// What the fake name server knows: records by (absolute name, type); a known name
    /// without the asked type gets an empty answer, an unknown name NXDOMAIN.
    #[derive(Default)]
    struct Zone {
        records: HashMap<(String, RecordType), Vec<RData>>,
        /// Types asked for that get no answer at all.
        silent: Vec<RecordType>,
    }

    fn absolute(name: &str) -> String {
        let name = name.to_ascii_lowercase();
        if name.ends_with('.') {
            name
        } else {
            format!("{name}.")
        }
    }

    impl Zone {
        fn srv(mut self, service: &str, domain: &str, priority: u16, weight: u16, port: u16, target: &str) -> Self {
            let target = Name::from_ascii(absolute(target)).expect("a valid target name");
            self.records
                .entry((absolute(&format!("{service}._tcp.{domain}")), RecordType::SRV))
                .or_default()
                .push(RData::SRV(SRV::new(priority, weight, port, target)));
            self
        }

        fn host(mut self, name: &str, ips: &[&str]) -> Self {
            for ip in ips {
                let (record_type, data) = match ip.parse::<IpAddr>().expect("an IP address") {
                    IpAddr::V4(v4) => (RecordType::A, RData::A(A(v4))),
                    IpAddr::V6(v6) => (RecordType::AAAA, RData::AAAA(AAAA(v6))),
                };
                self.records
                    .entry((absolute(name), record_type))
                    .or_default()
                    .push(data);
            }
            self
        }

        fn silent_for(mut self, types: &[RecordType]) -> Self {
            self.silent.extend_from_slice(types);
            self
        }
    }

    /// A name server on a loopback UDP port that answers from a `Zone` and notes each query.
    struct FakeDns {
        addr: SocketAddr,
        queries: Arc<Mutex<Vec<(String, RecordType)>>>,
        task: JoinHandle<()>,
    }

    impl Drop for FakeDns {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl FakeDns {
        async fn serve(zone: Zone) -> Self {
            let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .expect("a loopback UDP port");
            let addr = socket.local_addr().expect("the bound address");
            let queries: Arc<Mutex<Vec<(String, RecordType)>>> = Arc::default();
            let seen = Arc::clone(&queries);
            let task = tokio::spawn(async move {
                let mut buf = vec![0; 4096];
                while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                    let Ok(request) = Message::from_vec(&buf[..n]) else {
                        continue;
                    };
                    let Some(query) = request.queries.first().cloned() else {
                        continue;
                    };
                    let name = query.name.to_ascii().to_ascii_lowercase();
                    seen.lock()
                        .expect("the query log")
                        .push((name.clone(), query.query_type));
                    if zone.silent.contains(&query.query_type) {
                        continue;
                    }
                    let mut response = Message::response(request.metadata.id, OpCode::Query);
                    response.metadata.recursion_desired = request.metadata.recursion_desired;
                    response.metadata.recursion_available = true;
                    response.add_query(query.clone());
                    match zone.records.get(&(name.clone(), query.query_type)) {
                        Some(found) => {
                            for data in found {
                                response.add_answer(Record::from_rdata(query.name.clone(), 60, data.clone()));
                            }
                        }
                        None if zone.records.keys().any(|(known, _)| *known == name) => {}
                        None => response.metadata.response_code = ResponseCode::NXDomain,
                    }
                    let bytes = response.to_vec().expect("an encodable response");
                    let _ = socket.send_to(&bytes, from).await;
                }
            });
            Self { addr, queries, task }
        }

        fn queries(&self) -> Vec<(String, RecordType)> {
            self.queries.lock().expect("the query log").clone()
        }

        fn settings(&self, timeout: Duration, retries: usize) -> DnsSettings {
            DnsSettings {
                timeout,
                retries,
                port: 5269,
                nameservers: Some(vec![self.addr]),
            }
        }

        fn resolver(&self) -> Resolver {
            Resolver::new(self.settings(Duration::from_secs(2), 1), Vec::new()).expect("a resolver")
        }
    }

    fn target(host: &str, addr: &str, direct_tls: bool) -> Target {
        Target {
            host: host.to_owned(),
            addr: addr.parse().expect("a socket address"),
            direct_tls,
        }
    }

    #[test]
    fn a_lookup_can_be_spawned_on_any_worker() {
        fn spawnable<T: Send + 'static>(_: T) {}
        fn check(resolver: std::sync::Arc<Resolver>) {
            spawnable(async move { resolver.targets("example.test").await });
        }
        let _ = check;
    }

    #[tokio::test]
    async fn srv_records_are_tried_by_priority_with_ipv6_and_ipv4_kept() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "example.test", 20, 0, 5270, "b.example.test")
                .srv("_xmpp-server", "example.test", 10, 0, 5269, "a.example.test")
                .host("a.example.test", &["192.0.2.1", "2001:db8::1"])
                .host("b.example.test", &["192.0.2.2"]),
        )
        .await;
        let targets = dns.resolver().targets("example.test").await.expect("targets");
        assert_eq!(
            targets,
            vec![
                target("a.example.test", "[2001:db8::1]:5269", false),
                target("a.example.test", "192.0.2.1:5269", false),
                target("b.example.test", "192.0.2.2:5270", false),
            ]
        );
    }

    #[tokio::test]
    async fn weights_spread_the_first_choice_in_proportion() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "example.test", 10, 60, 5269, "heavy.example.test")
                .srv("_xmpp-server", "example.test", 10, 30, 5269, "middle.example.test")
                .srv("_xmpp-server", "example.test", 10, 10, 5269, "light.example.test")
                .host("heavy.example.test", &["192.0.2.1"])
                .host("middle.example.test", &["192.0.2.2"])
                .host("light.example.test", &["192.0.2.3"]),
        )
        .await;
        let resolver = dns.resolver();
        let mut first: HashMap<String, usize> = HashMap::new();
        for _ in 0..1000 {
            let targets = resolver.targets("example.test").await.expect("targets");
            assert_eq!(targets.len(), 3, "every record is kept: {targets:?}");
            *first.entry(targets[0].host.clone()).or_default() += 1;
        }
        // Expected 600 / 300 / 100; the bounds are more than six standard deviations wide.
        let count = |host: &str| first.get(host).copied().unwrap_or(0);
        assert!((500..=700).contains(&count("heavy.example.test")), "{first:?}");
        assert!((200..=400).contains(&count("middle.example.test")), "{first:?}");
        assert!((40..=160).contains(&count("light.example.test")), "{first:?}");
    }

    #[test]
    fn weight_zero_records_are_kept_and_rarely_first_beside_weighted_ones() {
        let record = |host: &str, weight: u16| Srv {
            priority: 0,
            weight,
            port: 5269,
            host: Name::from_ascii(absolute(host)).expect("a name"),
            direct_tls: false,
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(2782);
        let (mut zero_first, mut both_zero_swapped) = (0, 0);
        for _ in 0..1000 {
            let ordered = order_srv(vec![record("weighted.test", 10), record("zero.test", 0)], &mut rng);
            assert_eq!(ordered.len(), 2);
            if ordered[0].weight == 0 {
                zero_first += 1;
            }
            let ordered = order_srv(vec![record("one.test", 0), record("two.test", 0)], &mut rng);
            if ordered[0].host.to_ascii() == "two.test." {
                both_zero_swapped += 1;
            }
        }
        // Weight 0 wins only when the draw is 0: 1 in 11.
        assert!((40..=160).contains(&zero_first), "{zero_first}");
        // All weights 0: any order, both seen.
        assert!((350..=650).contains(&both_zero_swapped), "{both_zero_swapped}");
    }

    #[tokio::test]
    async fn direct_tls_comes_first_at_equal_priority_but_priority_comes_before_it() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpps-server", "example.test", 10, 5, 5223, "tls.example.test")
                .srv("_xmpp-server", "example.test", 10, 5, 5269, "plain.example.test")
                .srv("_xmpp-server", "example.test", 5, 5, 5269, "best.example.test")
                .host("tls.example.test", &["192.0.2.1"])
                .host("plain.example.test", &["192.0.2.2"])
                .host("best.example.test", &["192.0.2.3"]),
        )
        .await;
        let targets = dns.resolver().targets("example.test").await.expect("targets");
        assert_eq!(
            targets,
            vec![
                target("best.example.test", "192.0.2.3:5269", false),
                target("tls.example.test", "192.0.2.1:5223", true),
                target("plain.example.test", "192.0.2.2:5269", false),
            ]
        );
    }

    #[tokio::test]
    async fn a_dot_target_means_the_service_is_not_offered_and_nothing_else_is_asked() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "example.test", 0, 0, 0, ".")
                .host("example.test", &["192.0.2.1"]),
        )
        .await;
        let error = dns.resolver().targets("example.test").await.expect_err("no service");
        assert_eq!(error, ResolveError::NotFound);
        assert!(!error.is_timeout());
        let asked: Vec<RecordType> = dns.queries().into_iter().map(|(_, t)| t).collect();
        assert!(
            asked.iter().all(|t| *t == RecordType::SRV),
            "no address fallback: {asked:?}"
        );
    }

    #[tokio::test]
    async fn direct_tls_records_stand_when_starttls_says_dot() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "example.test", 0, 0, 0, ".")
                .srv("_xmpps-server", "example.test", 0, 0, 5223, "tls.example.test")
                .host("tls.example.test", &["192.0.2.1"]),
        )
        .await;
        let targets = dns.resolver().targets("example.test").await.expect("targets");
        assert_eq!(targets, vec![target("tls.example.test", "192.0.2.1:5223", true)]);
    }

    #[tokio::test]
    async fn without_srv_records_the_domain_itself_is_tried_on_the_configured_port() {
        let dns = FakeDns::serve(Zone::default().host("example.test", &["192.0.2.1", "2001:db8::1"])).await;
        let mut settings = dns.settings(Duration::from_secs(2), 1);
        settings.port = 15269;
        let resolver = Resolver::new(settings, Vec::new()).expect("a resolver");
        let targets = resolver.targets("example.test").await.expect("targets");
        assert_eq!(
            targets,
            vec![
                target("example.test", "[2001:db8::1]:15269", false),
                target("example.test", "192.0.2.1:15269", false),
            ]
        );
    }

    #[tokio::test]
    async fn a_domain_that_does_not_exist_is_not_found_without_waiting() {
        let dns = FakeDns::serve(Zone::default()).await;
        let resolver = Resolver::new(dns.settings(Duration::from_secs(5), 2), Vec::new()).expect("a resolver");
        let started = Instant::now();
        let error = resolver.targets("nowhere.test").await.expect_err("no such domain");
        assert_eq!(error, ResolveError::NotFound);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert!(!dns.queries().is_empty());
    }

    #[tokio::test]
    async fn a_name_server_that_never_answers_times_out_within_the_bound() {
        let dns = FakeDns::serve(Zone::default().silent_for(&[RecordType::SRV, RecordType::A, RecordType::AAAA])).await;
        let timeout = Duration::from_millis(200);
        let resolver = Resolver::new(dns.settings(timeout, 2), Vec::new()).expect("a resolver");
        let started = Instant::now();
        let error = resolver.targets("example.test").await.expect_err("no answer");
        let took = started.elapsed();
        assert_eq!(error, ResolveError::Timeout);
        assert!(error.is_timeout());
        // One round of queries (SRV): within timeout × (retries + 1) = 600 ms, with slack for a busy machine.
        assert!(took >= timeout, "gave up early: {took:?}");
        assert!(took < Duration::from_millis(600 + 400), "took {took:?}");
    }

    #[tokio::test]
    async fn addresses_that_never_come_still_end_within_two_rounds() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "example.test", 0, 0, 5269, "slow.example.test")
                .silent_for(&[RecordType::A, RecordType::AAAA]),
        )
        .await;
        let resolver = Resolver::new(dns.settings(Duration::from_millis(200), 1), Vec::new()).expect("a resolver");
        let started = Instant::now();
        let error = resolver.targets("example.test").await.expect_err("no address");
        let took = started.elapsed();
        assert_eq!(error, ResolveError::Timeout);
        assert!(took < Duration::from_millis(2 * 400 + 400), "took {took:?}");
    }

    #[tokio::test]
    async fn a_static_route_bypasses_dns() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv("_xmpp-server", "remote.test", 0, 0, 5269, "public.remote.test")
                .host("public.remote.test", &["192.0.2.1"]),
        )
        .await;
        let route = |ip: &str, port, direct_tls| StaticRoute {
            host: "relay.internal".to_owned(),
            ip: ip.parse().expect("an IP address"),
            port,
            direct_tls,
        };
        let routes = vec![
            ("Remote.test".to_owned(), route("10.0.0.7", None, false)),
            ("remote.test".to_owned(), route("fd00::7", Some(5223), true)),
        ];
        let resolver = Resolver::new(dns.settings(Duration::from_secs(2), 1), routes).expect("a resolver");
        let targets = resolver.targets("remote.test").await.expect("targets");
        assert_eq!(
            targets,
            vec![
                target("relay.internal", "10.0.0.7:5269", false),
                target("relay.internal", "[fd00::7]:5223", true),
            ]
        );
        assert_eq!(dns.queries(), Vec::new(), "the name server was asked");
    }

    #[tokio::test]
    async fn ip_literals_and_non_names_are_not_resolved() {
        let dns = FakeDns::serve(Zone::default()).await;
        let resolver = dns.resolver();
        for literal in ["192.0.2.1", "2001:db8::1", "[2001:db8::1]", "", ".", "two words.test"] {
            assert_eq!(
                resolver.targets(literal).await,
                Err(ResolveError::NotFound),
                "{literal}"
            );
        }
        assert_eq!(dns.queries(), Vec::new());
    }

    #[tokio::test]
    async fn an_internationalized_domain_is_asked_for_in_a_labels() {
        let dns = FakeDns::serve(
            Zone::default()
                .srv(
                    "_xmpp-server",
                    "xn--bcher-kva.test",
                    0,
                    0,
                    5269,
                    "xmpp.xn--bcher-kva.test",
                )
                .host("xmpp.xn--bcher-kva.test", &["192.0.2.1"]),
        )
        .await;
        let targets = dns.resolver().targets("bücher.test").await.expect("targets");
        assert_eq!(
            targets,
            vec![target("xmpp.xn--bcher-kva.test", "192.0.2.1:5269", false)]
        );
        assert!(dns
            .queries()
            .contains(&("_xmpp-server._tcp.xn--bcher-kva.test.".to_owned(), RecordType::SRV)));
    }
}
