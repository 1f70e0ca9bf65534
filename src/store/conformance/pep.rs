//! PEP ([`PepStore`]): nodes, publications within the account's limits, retraction and
//! purge; and an account removal taking its PEP data and documents ([`UserDataStore`]) but
//! nobody else's.

use super::*;

for_every_backend!(
    pep_nodes_are_created_once_configured_and_deleted,
    a_publication_replaces_its_id_and_keeps_the_newest_max_items,
    a_publication_checks_its_precondition_and_the_account_limits_atomically,
    items_are_retracted_purged_and_the_newest_of_each_node_found,
    a_node_that_does_not_persist_items_holds_none,
    removing_an_account_removes_its_pep_data_and_documents_only,
);

fn pep_limits() -> PepLimits {
    PepLimits {
        max_nodes: 3,
        max_items: 5,
        max_bytes: 1000,
    }
}

fn item(id: &str, payload: &str) -> PepItem {
    PepItem {
        id: id.into(),
        payload: payload.into(),
        published_ms: 1_700_000_000_000,
    }
}

fn keeping(max_items: Option<u32>) -> NodeConfig {
    NodeConfig {
        max_items,
        ..NodeConfig::default()
    }
}

/// Publishes `id` with a payload naming it, creating the node with `config` if needed.
async fn publish(store: &dyn PepStore, owner: &str, node: &str, id: &str, config: &NodeConfig) -> Published {
    let publication = Publication {
        owner: owner.into(),
        node: node.into(),
        item: item(id, &format!("<p xmlns='x'>{id}</p>")),
        create_with: config.clone(),
        precondition: None,
    };
    store.publish_pep_item(publication, pep_limits()).await.unwrap()
}

async fn item_ids(store: &dyn PepStore, owner: &str, node: &str, max: Option<usize>) -> Vec<String> {
    let items = store.pep_items(owner, node, max).await.unwrap();
    items.into_iter().map(|i| i.id).collect()
}

async fn pep_nodes_are_created_once_configured_and_deleted(b: Under) {
    let p = &*b.stores.pep;
    let open = NodeConfig {
        access_model: AccessModel::Open,
        title: "Tunes".into(),
        ..NodeConfig::default()
    };
    p.create_pep_node(ALICE, "tune", &open, 3).await.unwrap();
    assert!(matches!(
        p.create_pep_node(ALICE, "tune", &NodeConfig::default(), 3).await,
        Err(StoreError::Conflict)
    ));
    p.create_pep_node(ALICE, "geoloc", &NodeConfig::default(), 3)
        .await
        .unwrap();
    p.create_pep_node(BOB, "tune", &NodeConfig::default(), 3).await.unwrap();
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), Some(open.clone()));
    assert_eq!(p.pep_node(ALICE, "mood").await.unwrap(), None);
    let names: Vec<String> = p.pep_nodes(ALICE).await.unwrap().into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["geoloc", "tune"]);

    let whitelist = NodeConfig {
        access_model: AccessModel::Whitelist,
        send_last_published_item: SendLastItem::Never,
        max_items: None,
        ..open
    };
    p.configure_pep_node(ALICE, "tune", &whitelist, 5).await.unwrap();
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), Some(whitelist.clone()));
    assert!(matches!(
        p.configure_pep_node(ALICE, "mood", &whitelist, 5).await,
        Err(StoreError::NotFound)
    ));
    p.delete_pep_node(ALICE, "tune").await.unwrap();
    assert!(matches!(
        p.delete_pep_node(ALICE, "tune").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(p.pep_node(ALICE, "tune").await.unwrap(), None);
    assert!(
        p.pep_node(BOB, "tune").await.unwrap().is_some(),
        "another owner's node of the same name stays"
    );
    // With three nodes, a fourth is refused.
    p.create_pep_node(ALICE, "a", &NodeConfig::default(), 3).await.unwrap();
    p.create_pep_node(ALICE, "b", &NodeConfig::default(), 3).await.unwrap();
    assert!(matches!(
        p.create_pep_node(ALICE, "c", &NodeConfig::default(), 3).await,
        Err(StoreError::LimitReached)
    ));
}

async fn a_publication_replaces_its_id_and_keeps_the_newest_max_items(b: Under) {
    let p = &*b.stores.pep;
    let three = keeping(Some(3));
    let created = publish(p, ALICE, "bookmarks", "a", &three).await;
    assert_eq!(
        created,
        Published::Done {
            created: true,
            config: three.clone()
        }
    );
    for id in ["b", "c"] {
        assert_eq!(
            publish(p, ALICE, "bookmarks", id, &NodeConfig::default()).await,
            Published::Done {
                created: false,
                config: three.clone()
            },
            "an existing node keeps its own configuration"
        );
    }
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["a", "b", "c"]);
    // Republishing `a` replaces it and makes it the newest.
    publish(p, ALICE, "bookmarks", "a", &three).await;
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["b", "c", "a"]);
    // A fourth item pushes out the oldest.
    publish(p, ALICE, "bookmarks", "d", &three).await;
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["c", "a", "d"]);
    assert_eq!(item_ids(p, ALICE, "bookmarks", Some(2)).await, ["a", "d"]);
    assert_eq!(item_ids(p, ALICE, "bookmarks", Some(0)).await, Vec::<String>::new());
    let by_id = p
        .pep_items_by_id(ALICE, "bookmarks", &["d".into(), "zz".into(), "c".into()])
        .await
        .unwrap();
    assert_eq!(by_id.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["c", "d"]);
    assert_eq!(by_id[1], item("d", "<p xmlns='x'>d</p>"));
    // `max` keeps up to the server's cap; lowering max_items drops the oldest.
    let max = keeping(None);
    p.configure_pep_node(ALICE, "bookmarks", &max, 5).await.unwrap();
    for id in ["e", "f", "g"] {
        publish(p, ALICE, "bookmarks", id, &max).await;
    }
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["a", "d", "e", "f", "g"]);
    p.configure_pep_node(ALICE, "bookmarks", &keeping(Some(2)), 5)
        .await
        .unwrap();
    assert_eq!(item_ids(p, ALICE, "bookmarks", None).await, ["f", "g"]);
    assert!(item_ids(p, ALICE, "elsewhere", None).await.is_empty());
}

async fn a_publication_checks_its_precondition_and_the_account_limits_atomically(b: Under) {
    let p = &*b.stores.pep;
    let open = NodeConfig {
        access_model: AccessModel::Open,
        ..NodeConfig::default()
    };
    let wants_whitelist = |owner: &str, node: &str, id: &str| Publication {
        owner: owner.into(),
        node: node.into(),
        item: item(id, "<x xmlns='y'/>"),
        create_with: NodeConfig {
            access_model: AccessModel::Whitelist,
            ..NodeConfig::default()
        },
        precondition: Some(Box::new(|c: &NodeConfig| c.access_model == AccessModel::Whitelist)),
    };
    publish(p, ALICE, "devices", "current", &open).await;
    assert_eq!(
        p.publish_pep_item(wants_whitelist(ALICE, "devices", "other"), pep_limits())
            .await
            .unwrap(),
        Published::PreconditionNotMet
    );
    assert_eq!(
        item_ids(p, ALICE, "devices", None).await,
        ["current"],
        "nothing changed"
    );
    // A missing node is created with the publication's configuration.
    let done = p
        .publish_pep_item(wants_whitelist(ALICE, "bookmarks", "x"), pep_limits())
        .await
        .unwrap();
    assert!(
        matches!(done, Published::Done { created: true, ref config } if config.access_model == AccessModel::Whitelist)
    );
    publish(p, ALICE, "third", "x", &open).await;
    assert_eq!(publish(p, ALICE, "fourth", "x", &open).await, Published::TooManyNodes);
    assert_eq!(p.pep_node(ALICE, "fourth").await.unwrap(), None);
    // 1000 bytes for all of bob's items: 600 fit, 600 more do not; replacing does.
    let big = |id: &str| Publication {
        owner: BOB.into(),
        node: "avatar".into(),
        item: item(id, &"a".repeat(600)),
        create_with: keeping(Some(2)),
        precondition: None,
    };
    assert!(matches!(
        p.publish_pep_item(big("one"), pep_limits()).await.unwrap(),
        Published::Done { .. }
    ));
    assert_eq!(
        p.publish_pep_item(big("two"), pep_limits()).await.unwrap(),
        Published::OverQuota
    );
    assert_eq!(item_ids(p, BOB, "avatar", None).await, ["one"], "nothing changed");
    assert!(matches!(
        p.publish_pep_item(big("one"), pep_limits()).await.unwrap(),
        Published::Done { .. }
    ));
    // An over-quota publication that would create its node creates nothing.
    let huge = Publication {
        owner: BOB.into(),
        node: "other".into(),
        item: item("x", &"b".repeat(500)),
        create_with: NodeConfig::default(),
        precondition: None,
    };
    assert_eq!(
        p.publish_pep_item(huge, pep_limits()).await.unwrap(),
        Published::OverQuota
    );
    assert_eq!(p.pep_node(BOB, "other").await.unwrap(), None);
}

async fn items_are_retracted_purged_and_the_newest_of_each_node_found(b: Under) {
    let p = &*b.stores.pep;
    let five = keeping(Some(5));
    for id in ["1", "2", "3"] {
        publish(p, ALICE, "tune", id, &five).await;
    }
    publish(p, ALICE, "mood", "m", &five).await;
    publish(p, BOB, "tune", "b1", &five).await;
    p.create_pep_node(BOB, "empty", &five, 3).await.unwrap();

    p.retract_pep_item(ALICE, "tune", "3").await.unwrap();
    assert!(matches!(
        p.retract_pep_item(ALICE, "tune", "3").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        p.retract_pep_item(ALICE, "nope", "1").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(item_ids(p, ALICE, "tune", None).await, ["1", "2"]);

    let owners = [ALICE.to_owned(), BOB.to_owned(), "carol@localhost".to_owned()];
    let nodes = ["tune".to_owned(), "empty".to_owned(), "geoloc".to_owned()];
    let mut last: Vec<(String, String, String)> = p
        .last_pep_items(&owners, &nodes)
        .await
        .unwrap()
        .into_iter()
        .map(|(o, n, i)| (o, n.name, i.id))
        .collect();
    last.sort();
    assert_eq!(
        last,
        [
            (ALICE.into(), "tune".into(), "2".into()),
            (BOB.into(), "tune".into(), "b1".into())
        ]
    );
    assert!(p.last_pep_items(&owners, &[]).await.unwrap().is_empty());

    p.purge_pep_node(ALICE, "tune").await.unwrap();
    assert!(item_ids(p, ALICE, "tune", None).await.is_empty());
    assert!(
        p.pep_node(ALICE, "tune").await.unwrap().is_some(),
        "a purged node stays"
    );
    assert!(matches!(
        p.purge_pep_node(ALICE, "nope").await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(item_ids(p, ALICE, "mood", None).await, ["m"]);
}

async fn a_node_that_does_not_persist_items_holds_none(b: Under) {
    let p = &*b.stores.pep;
    let transient = NodeConfig {
        persist_items: false,
        ..NodeConfig::default()
    };
    assert!(matches!(
        publish(p, ALICE, "activity", "x", &transient).await,
        Published::Done { created: true, .. }
    ));
    assert!(item_ids(p, ALICE, "activity", None).await.is_empty());
    assert!(p.pep_node(ALICE, "activity").await.unwrap().is_some());
}

async fn removing_an_account_removes_its_pep_data_and_documents_only(b: Under) {
    let p = &*b.stores.pep;
    let u = &*b.stores.user_data;
    for owner in [ALICE, BOB] {
        publish(p, owner, "tune", "1", &NodeConfig::default()).await;
        u.put_user_data(owner, UserDataKind::Vcard, "", "<vCard/>", 1)
            .await
            .unwrap();
    }
    p.delete_pep(ALICE).await.unwrap();
    u.delete_user_data(ALICE).await.unwrap();
    assert!(p.pep_nodes(ALICE).await.unwrap().is_empty());
    assert!(item_ids(p, ALICE, "tune", None).await.is_empty());
    assert_eq!(u.user_data(ALICE, UserDataKind::Vcard, "").await.unwrap(), None);
    assert_eq!(item_ids(p, BOB, "tune", None).await, ["1"]);
    assert!(u.user_data(BOB, UserDataKind::Vcard, "").await.unwrap().is_some());
    // Creating the node again starts from nothing.
    assert!(matches!(
        publish(p, ALICE, "tune", "2", &NodeConfig::default()).await,
        Published::Done { created: true, .. }
    ));
}
