//! Domains on the in-memory core: names, adding and removing, and a removal that a stop
//! interrupted finishing when the core follows the stored domains again.

use super::*;
use crate::core::testkit::Harness;

#[test]
fn domain_names_are_dns_names_in_any_script() {
    assert_eq!(domain_name("Tenant.Example.").unwrap(), "tenant.example");
    assert_eq!(domain_name("пример.рф").unwrap(), "пример.рф");
    for bad in ["bad domain!", "a..b", "-a.example", "a@b.example", "a/b", ""] {
        assert!(domain_name(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn a_removal_left_half_done_finishes_when_the_domains_are_followed_again() {
    let h = Harness::new(&[]).await;
    let core = &h.core;
    add(core, "tenant.example", "localhost").await.unwrap();
    for name in ["alice", "bob", "carol"] {
        let jid = jid::BareJid::new(&format!("{name}@tenant.example")).unwrap();
        core.accounts().register(&jid, "secret").await.unwrap();
    }
    // What a stop in the middle of a removal leaves: the row marked, the data there.
    core.stores
        .domains
        .set_domain_status("tenant.example", DomainStatus::Deleting)
        .await
        .unwrap();
    assert_eq!(core.stores.accounts.count_accounts("tenant.example").await.unwrap(), 3);
    tokio::spawn(core.clone().follow_domains(Duration::from_millis(20)));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while core.stores.domains.domain("tenant.example").await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the removal did not resume");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(core.stores.accounts.count_accounts("tenant.example").await.unwrap(), 0);
    assert!(!core.accounts().serves("tenant.example"));
}

#[tokio::test]
async fn a_domain_changed_in_storage_by_another_node_is_served_after_the_next_read() {
    let h = Harness::new(&[]).await;
    let core = &h.core;
    let stored = StoredDomain {
        domain: "tenant.example".into(),
        host_type: "localhost".into(),
        status: DomainStatus::Enabled,
    };
    core.stores.domains.insert_domain(&stored).await.unwrap();
    assert!(!core.accounts().serves("tenant.example"));
    core.sync_domains().await.unwrap();
    assert!(core.accounts().serves("tenant.example"));
    assert!(core.router.serves("tenant.example"));
    core.stores
        .domains
        .set_domain_status("tenant.example", DomainStatus::Disabled)
        .await
        .unwrap();
    core.sync_domains().await.unwrap();
    assert!(!core.accounts().serves("tenant.example"));
    assert!(!core.router.serves("tenant.example"));
}
