//! The address classifier, the allow-list, and the client refusing before it connects.

use std::net::{IpAddr, TcpListener};

use super::{AddressPolicy, client, is_internal, parse_allow_list, refusal};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn internal_and_reserved_addresses_are_internal_in_both_families() {
    let internal = [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.255",
        "0.0.0.0",
        "0.1.2.3",
        "255.255.255.255",
        "240.0.0.1",
        "224.0.0.251",
        "192.0.0.8",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "198.18.0.1",
        "192.88.99.1",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::7f00:1",
        "64:ff9b::7f00:1",
        "64:ff9b:1::1",
        "100::1",
        "2001::1",
        "2001:db8::1",
        "2002:7f00:1::1",
        "3fff::1",
        "5f00::1",
    ];
    for address in internal {
        assert!(is_internal(ip(address)), "{address} should be internal");
    }
}

#[test]
fn public_addresses_are_not_internal_including_their_neighbours() {
    let public = [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "172.15.255.255",
        "192.169.0.1",
        "100.128.0.1",
        "100.63.255.255",
        "11.0.0.1",
        "126.255.255.255",
        "128.0.0.1",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ];
    for address in public {
        assert!(!is_internal(ip(address)), "{address} should be public");
    }
}

#[test]
fn the_allow_list_lets_its_networks_through_in_any_ipv6_form_and_nothing_else() {
    let policy = AddressPolicy::new(&parse_allow_list("10.20.0.0/16, 127.0.0.1").unwrap());

    assert!(policy.permits(ip("10.20.3.4")));
    assert!(policy.permits(ip("::ffff:10.20.3.4")));
    assert!(policy.permits(ip("127.0.0.1")));
    assert!(policy.permits(ip("8.8.8.8")));
    assert!(!policy.permits(ip("10.21.0.1")));
    assert!(!policy.permits(ip("127.0.0.2")));
    assert!(!policy.permits(ip("::1")));
    assert!(!AddressPolicy::default().permits(ip("10.20.3.4")));
}

#[test]
fn an_allow_list_entry_that_is_not_a_network_is_refused_naming_it() {
    let error = parse_allow_list("10.0.0.0/8, intranet").unwrap_err();

    assert!(format!("{error:#}").contains("\"intranet\""), "{error:#}");
    assert!(parse_allow_list("10.0.0.0/33").is_err());
    assert!(parse_allow_list(" , ").unwrap().is_empty());
}

#[test]
fn every_spelling_of_loopback_in_a_url_is_refused_as_a_literal() {
    let policy = AddressPolicy::default();
    for url in [
        "https://127.0.0.1:8443",
        "https://2130706433",
        "https://0177.0.0.1",
        "https://127.1",
        "https://0x7f.0.0.1",
        "https://0x7f000001",
        "https://[::1]",
        "https://[::ffff:127.0.0.1]",
        "https://[::ffff:7f00:1]",
        "https://[0:0:0:0:0:0:0:1]",
    ] {
        let parsed = reqwest::Url::parse(url).unwrap();
        let refused = policy.check_url(&parsed).unwrap_err();
        assert!(
            refused.to_string().contains("not allowed"),
            "{url}: {refused}"
        );
    }
    let name = reqwest::Url::parse("https://jira.example.com").unwrap();
    assert!(
        policy.check_url(&name).is_ok(),
        "names are checked on resolving"
    );
}

/// A listener that counts nothing: the test asserts no connection reached it.
fn quiet_listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[tokio::test]
async fn the_client_refuses_literals_and_names_before_connecting() {
    let (listener, port) = quiet_listener();
    let http = client(&[]).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let error = http.get(&url).send().await.unwrap_err();
        let refused = refusal(&error).unwrap_or_else(|| panic!("{url}: {error:?}"));
        assert!(
            refused.to_string().contains("127.0.0.1"),
            "{url}: {refused}"
        );
    }
    assert!(listener.accept().is_err(), "nothing connected");
}

#[tokio::test]
async fn the_client_connects_where_the_allow_list_says() {
    let (listener, port) = quiet_listener();
    let http = client(&parse_allow_list("127.0.0.1/32").unwrap()).unwrap();
    let request = http
        .get(format!("http://127.0.0.1:{port}/"))
        .timeout(std::time::Duration::from_millis(300))
        .send();

    let error = request.await.unwrap_err();

    assert!(refusal(&error).is_none(), "{error:?}");
    assert!(listener.accept().is_ok(), "it connected");
}
