//! [`DomainStore`]: inserted once, status changed, deleted; misses are `NotFound`.

use super::*;

for_every_backend!(domains_are_added_once_changed_and_removed);

fn domain(name: &str) -> StoredDomain {
    StoredDomain {
        domain: name.into(),
        host_type: "localhost".into(),
        status: DomainStatus::Enabled,
    }
}

async fn domains_are_added_once_changed_and_removed(s: Under) {
    let d = &s.stores.domains;
    assert!(d.domains().await.unwrap().is_empty());
    d.insert_domain(&domain("b.example")).await.unwrap();
    d.insert_domain(&domain("a.example")).await.unwrap();
    assert!(matches!(
        d.insert_domain(&domain("a.example")).await,
        Err(StoreError::Conflict)
    ));
    let names: Vec<String> = d.domains().await.unwrap().into_iter().map(|x| x.domain).collect();
    assert_eq!(names, ["a.example", "b.example"]);
    d.set_domain_status("a.example", DomainStatus::Disabled).await.unwrap();
    assert_eq!(
        d.domain("a.example").await.unwrap().map(|x| x.status),
        Some(DomainStatus::Disabled)
    );
    assert!(matches!(
        d.set_domain_status("c.example", DomainStatus::Enabled).await,
        Err(StoreError::NotFound)
    ));
    d.delete_domain("a.example").await.unwrap();
    assert!(matches!(d.delete_domain("a.example").await, Err(StoreError::NotFound)));
    assert_eq!(d.domain("a.example").await.unwrap(), None);
}
