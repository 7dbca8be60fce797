use super::{key, profile, req};
use crate::contract::{AgentStatus, Priority};
use crate::engine::routing::{QueueKey, RoutingTable};
use crate::engine::rules::Strategy;

const ALL: [Strategy; 3] = [Strategy::LongestIdle, Strategy::MostSkilled, Strategy::LeastLoaded];

fn online(t: &mut RoutingTable, id: &str, at: i64) {
    assert_eq!(t.set_status(id, AgentStatus::Available, at), Some(true));
}

fn choose(t: &RoutingTable, r: &super::Requirements, s: Strategy) -> Option<String> {
    let chosen = t.choose_agent(r, s).map(str::to_owned);
    t.check_invariants();
    chosen
}

#[test]
fn longest_idle_takes_the_earliest_idle_since_then_the_smallest_id() {
    let mut t = RoutingTable::new();
    for id in ["b", "a", "B", "c"] {
        t.upsert_agent(&profile(id, &[], &[("*", 2)], &[]));
    }
    online(&mut t, "c", 5);
    online(&mut t, "b", 10);
    online(&mut t, "a", 10);
    online(&mut t, "B", 10);
    let r = req(&[], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("c"));
    t.assign("c", 1, "email", true, 10);
    // a, b, B and c all idle since 10: byte order puts "B" first.
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("B"));
    t.assign("B", 2, "email", true, 11);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    // An assignment earlier than idle-since does not move it back.
    t.assign("b", 3, "email", true, 2);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
}

#[test]
fn most_skilled_sums_levels_including_optional_skills() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[("billing", 3), ("french", 1)], &[], &[]));
    t.upsert_agent(&profile("b", &[("billing", 2), ("french", 3)], &[], &[]));
    t.upsert_agent(&profile("c", &[("billing", 5)], &[], &[]));
    t.upsert_agent(&profile("d", &[("french", 9)], &[], &[]));
    for (id, at) in [("a", 1), ("b", 2), ("c", 3), ("d", 0)] {
        online(&mut t, id, at);
    }
    let r = req(&[("billing", 1, false), ("french", 1, true)], None, "email");
    // d lacks billing (gating); b scores 5, c 5, a 4: b is idle longer than c.
    assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("b"));
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    // Equal score and idle-since: the smallest id.
    t.set_status("b", AgentStatus::Away, 4);
    online(&mut t, "b", 3);
    assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("b"));
    t.upsert_agent(&profile("a", &[("billing", 4), ("french", 1)], &[], &[]));
    t.set_status("a", AgentStatus::Away, 4);
    online(&mut t, "a", 3);
    assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("a"));
}

#[test]
fn least_loaded_compares_ratios_exactly_then_idle() {
    for order in ALL {
        least_loaded_in_order(order);
    }
}

fn least_loaded_in_order(order: Strategy) {
    let mut t = RoutingTable::new();
    t.set_strategy(order);
    t.upsert_agent(&profile("a", &[], &[("chat", 3)], &[]));
    t.upsert_agent(&profile("b", &[], &[("chat", 2)], &[]));
    t.upsert_agent(&profile("c", &[], &[("chat", 4)], &[]));
    online(&mut t, "a", 0);
    online(&mut t, "b", 0);
    online(&mut t, "c", 0);
    let r = req(&[], None, "chat");
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded).as_deref(), Some("a"));
    t.assign("a", 1, "chat", true, 1); // a 1/3
    t.assign("b", 2, "chat", true, 2); // b 1/2
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded).as_deref(), Some("c"));
    t.assign("c", 3, "chat", true, 3); // c 1/4
    t.assign("c", 4, "chat", true, 4); // c 2/4 = b's 1/2; a 1/3 is lowest
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded).as_deref(), Some("a"));
    t.assign("a", 5, "chat", true, 5); // a 2/3: b and c tie at 1/2, b idle since 2
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded).as_deref(), Some("b"));
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    // Load on another channel does not count.
    let email = req(&[], None, "email");
    assert_eq!(choose(&t, &email, Strategy::LeastLoaded), None);
}

#[test]
fn star_capacity_applies_to_each_channel_separately() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[], &[("*", 1), ("phone", 0)], &[]));
    online(&mut t, "a", 0);
    t.assign("a", 1, "chat", true, 1);
    for s in ALL {
        assert_eq!(choose(&t, &req(&[], None, "chat"), s), None);
        assert_eq!(choose(&t, &req(&[], None, "email"), s).as_deref(), Some("a"));
        assert_eq!(choose(&t, &req(&[], None, "phone"), s), None);
        // A channel nothing has named yet gets "*" as well.
        assert_eq!(choose(&t, &req(&[], None, "sms"), s).as_deref(), Some("a"));
    }
    t.assign("a", 2, "email", true, 2);
    assert_eq!(choose(&t, &req(&[], None, "email"), Strategy::LongestIdle), None);
    assert_eq!(t.open_on("a", "chat"), Some(1));
    assert_eq!(t.open_on("a", "sms"), Some(0));
    // No capacity at all: only named channels.
    t.upsert_agent(&profile("b", &[], &[("chat", 1)], &[]));
    online(&mut t, "b", 0);
    assert_eq!(choose(&t, &req(&[], None, "chat"), Strategy::LongestIdle).as_deref(), Some("b"));
    assert_eq!(choose(&t, &req(&[], None, "fax"), Strategy::LongestIdle).as_deref(), Some("a"));
    t.unassign("a", 1);
    assert_eq!(choose(&t, &req(&[], None, "chat"), Strategy::LongestIdle).as_deref(), Some("b"));
}

#[test]
fn group_restriction_and_exclusion() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[], &[], &["tier2"]));
    t.upsert_agent(&profile("b", &[], &[], &["tier1", "tier2"]));
    t.upsert_agent(&profile("c", &[], &[], &[]));
    online(&mut t, "a", 0);
    online(&mut t, "b", 1);
    online(&mut t, "c", 2);
    let mut r = req(&[], Some("tier1"), "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    r.group = Some("tier2".into());
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    r.excluded = vec!["a".into()];
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    r.excluded.push("b".into());
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
    r.group = None;
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("c"));
    r.group = Some("nobody".into());
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
}

#[test]
fn min_level_zero_and_optional_skills_never_gate() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[("billing", 2)], &[], &[]));
    t.upsert_agent(&profile("b", &[], &[], &[]));
    online(&mut t, "a", 5);
    online(&mut t, "b", 1);
    let r = req(&[("spanish", 0, false), ("billing", 4, true)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("a"));
    let r = req(&[("billing", 2, false)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    let r = req(&[("billing", 3, false)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
    // The same skill twice: both must hold.
    let r = req(&[("billing", 1, false), ("billing", 3, false)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
    // A skill nobody has, required: nobody.
    let r = req(&[("klingon", 1, false)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::MostSkilled), None);
}

#[test]
fn assignments_to_unknown_agents_count_once_upserted() {
    let mut t = RoutingTable::new();
    t.assign("a", 1, "email", true, 3);
    t.assign("a", 2, "email", false, 4);
    t.assign("a", 3, "chat", true, 5);
    t.unassign("a", 3);
    t.set_counting("a", 2, true);
    assert!(!t.has_agent("a"));
    assert!(!t.upsert_agent(&profile("a", &[], &[("email", 2), ("chat", 1)], &[])));
    assert_eq!(t.agent_status("a"), Some(AgentStatus::Offline));
    assert_eq!(t.open_on("a", "email"), Some(2));
    assert_eq!(t.open_on("a", "chat"), Some(0));
    online(&mut t, "a", 6);
    assert_eq!(choose(&t, &req(&[], None, "email"), Strategy::LongestIdle), None);
    assert_eq!(choose(&t, &req(&[], None, "chat"), Strategy::LongestIdle).as_deref(), Some("a"));
    assert_eq!(t.remove_agent("a"), Some(vec![1, 2]));
    assert_eq!(t.remove_agent("a"), None);
    t.check_invariants();
}

#[test]
fn upsert_keeps_status_idle_since_and_open_tickets() {
    let mut t = RoutingTable::new();
    let mut p = profile("a", &[("billing", 1)], &[("*", 1)], &[]);
    p.supervisor_id = Some("boss".into());
    assert!(!t.upsert_agent(&p));
    assert_eq!(t.agent_supervisor("a"), Some("boss"));
    t.upsert_agent(&profile("b", &[("billing", 1)], &[("*", 5)], &[]));
    online(&mut t, "a", 10);
    online(&mut t, "b", 20);
    t.assign("a", 1, "email", true, 5);
    let r = req(&[("billing", 2, false)], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
    // More capacity and skill: a is still idle since 10 (before b) and holds ticket 1.
    assert!(t.upsert_agent(&profile("a", &[("billing", 2)], &[("*", 2)], &[])));
    t.upsert_agent(&profile("b", &[("billing", 2)], &[("*", 5)], &[]));
    assert_eq!(t.agent_status("a"), Some(AgentStatus::Available));
    assert_eq!(t.agent_supervisor("a"), None);
    assert_eq!(t.open_on("a", "email"), Some(1));
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    t.assign("a", 2, "email", true, 30);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    assert_eq!(t.agent_count(), 2);
    assert_eq!(t.remove_agent("a"), Some(vec![1, 2]));
    assert_eq!(t.agent_count(), 1);
}

#[test]
fn status_changes() {
    let mut t = RoutingTable::new();
    assert_eq!(t.set_status("x", AgentStatus::Available, 0), None);
    t.upsert_agent(&profile("a", &[], &[], &[]));
    t.upsert_agent(&profile("b", &[], &[], &[]));
    assert_eq!(t.set_status("a", AgentStatus::Offline, 1), Some(false));
    online(&mut t, "a", 1);
    online(&mut t, "b", 2);
    assert_eq!(t.set_status("a", AgentStatus::Available, 9), Some(false));
    let r = req(&[], None, "email");
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    // Away and back: idle since the return.
    assert_eq!(t.set_status("a", AgentStatus::Busy, 3), Some(true));
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    online(&mut t, "a", 3);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("b"));
    assert!(t.unassign("a", 77));
    t.set_status("b", AgentStatus::Away, 4);
    assert!(!t.unassign("b", 77));
    assert!(!t.unassign("nobody", 77));
}

#[test]
fn solved_tickets_free_capacity_and_reopened_ones_may_overfill() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[], &[("email", 1)], &[]));
    online(&mut t, "a", 0);
    let r = req(&[], None, "email");
    t.assign("a", 1, "email", true, 1);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
    t.set_counting("a", 1, false);
    assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("a"));
    t.assign("a", 2, "email", true, 2);
    t.set_counting("a", 1, true);
    assert_eq!(t.open_on("a", "email"), Some(2));
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded), None);
    t.unassign("a", 2);
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded), None);
    t.unassign("a", 1);
    assert_eq!(choose(&t, &r, Strategy::LeastLoaded).as_deref(), Some("a"));
    assert_eq!(t.remove_agent("a"), Some(vec![]));
}

#[test]
fn a_channel_change_moves_the_load_without_touching_idle_since() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[], &[("*", 1)], &[]));
    t.upsert_agent(&profile("b", &[], &[("*", 1)], &[]));
    online(&mut t, "a", 0);
    online(&mut t, "b", 1);
    t.assign("a", 1, "chat", true, 0);
    t.set_channel("a", 1, "email");
    assert_eq!(choose(&t, &req(&[], None, "chat"), Strategy::LongestIdle).as_deref(), Some("a"));
    assert_eq!(choose(&t, &req(&[], None, "email"), Strategy::LongestIdle).as_deref(), Some("b"));
}

#[test]
fn queue_order_puts_no_breach_after_every_breach() {
    let mut keys = [
        key(Priority::High, None, 0, "t1"),
        key(Priority::High, Some(500), 9, "t2"),
        key(Priority::High, Some(500), 3, "t3"),
        key(Priority::Urgent, None, 9, "t4"),
        key(Priority::High, Some(i64::MAX), 0, "t5"),
        key(Priority::Low, Some(-5), 0, "t6"),
        key(Priority::High, Some(500), 3, "T7"),
        key(Priority::High, Some(-1), 100, "t8"),
    ];
    keys.sort();
    let order: Vec<&str> = keys.iter().map(|k| k.ticket_id.as_str()).collect();
    assert_eq!(order, ["t4", "t8", "T7", "t3", "t2", "t5", "t1", "t6"]);

    let mut t = RoutingTable::new();
    for (i, k) in keys.iter().rev().enumerate() {
        t.enqueue(i as u32, k.clone(), req(&[], None, "email"));
    }
    let ids: Vec<String> =
        t.queued_in_order().iter().map(|&i| keys[keys.len() - 1 - i as usize].ticket_id.clone()).collect();
    assert_eq!(ids, order);
    assert_eq!(t.queue_len(), 8);
    t.upsert_agent(&profile("a", &[], &[], &[]));
    assert_eq!(t.next_ticket_for("a"), None);
    online(&mut t, "a", 0);
    assert_eq!(t.next_ticket_for("a"), Some(7)); // t4
                                                 // Pausing its clock (no breach instant) does not move an urgent ticket behind high ones.
    t.set_queue_key(7, key(Priority::Urgent, None, 9, "t4"));
    assert_eq!(t.next_ticket_for("a"), Some(7));
    t.set_queue_key(7, key(Priority::Low, None, 9, "t4"));
    assert_eq!(t.next_ticket_for("a"), Some(6)); // t8
    assert!(t.dequeue(6));
    assert!(!t.dequeue(6));
    assert!(!t.is_queued(6));
    assert_eq!(t.next_ticket_for("a"), Some(5)); // T7
    t.set_queue_key(99, key(Priority::Urgent, None, 0, "ghost"));
    t.set_requirements(99, req(&[], None, "email"));
    assert!(!t.is_queued(99));
    t.check_invariants();
}

#[test]
fn an_agent_takes_the_first_ticket_it_is_eligible_for() {
    let mut t = RoutingTable::new();
    t.upsert_agent(&profile("a", &[("billing", 2)], &[("email", 1), ("chat", 1)], &["eu"]));
    online(&mut t, "a", 0);
    let k = |n: i64, id: &str| key(Priority::Normal, Some(n), 0, id);
    t.enqueue(1, k(1, "t1"), req(&[("billing", 3, false)], None, "email"));
    t.enqueue(2, k(2, "t2"), req(&[], Some("us"), "email"));
    t.enqueue(3, k(3, "t3"), req(&[], None, "phone"));
    let mut excluding = req(&[("billing", 1, false)], None, "email");
    excluding.excluded = vec!["a".into()];
    t.enqueue(4, k(4, "t4"), excluding);
    t.enqueue(5, k(5, "t5"), req(&[("billing", 2, false)], Some("eu"), "chat"));
    t.enqueue(6, k(6, "t6"), req(&[("billing", 1, false), ("french", 0, false)], None, "email"));
    assert_eq!(t.next_ticket_for("a"), Some(5));
    t.assign("a", 5, "chat", true, 1);
    t.dequeue(5);
    assert_eq!(t.next_ticket_for("a"), Some(6));
    // Expansion: t1 asks for less now.
    t.set_requirements(1, req(&[("billing", 2, false)], None, "email"));
    assert_eq!(t.next_ticket_for("a"), Some(1));
    t.assign("a", 1, "email", true, 2);
    t.dequeue(1);
    assert_eq!(t.next_ticket_for("a"), None);
    assert_eq!(t.next_ticket_for("nobody"), None);
    t.unassign("a", 1);
    assert_eq!(t.next_ticket_for("a"), Some(6));
    t.set_status("a", AgentStatus::Away, 3);
    assert_eq!(t.next_ticket_for("a"), None);
    t.check_invariants();
}

#[test]
fn enqueue_twice_moves_the_ticket() {
    let mut t = RoutingTable::new();
    t.enqueue(1, key(Priority::Normal, None, 0, "t1"), req(&[("x", 1, false)], None, "email"));
    t.enqueue(1, key(Priority::Normal, None, 0, "t1"), req(&[], None, "chat"));
    assert_eq!(t.queue_len(), 1);
    t.upsert_agent(&profile("a", &[], &[("chat", 1)], &[]));
    online(&mut t, "a", 0);
    assert_eq!(t.next_ticket_for("a"), Some(1));
    let _: QueueKey = key(Priority::Low, None, 0, "x");
    t.check_invariants();
}

#[test]
fn id_order_survives_crowded_ids() {
    // Each id falls between "1" and the previous one: the labels run out of room and are
    // spread out again, several times.
    let mut t = RoutingTable::new();
    let mut ids = vec!["1".to_owned(), "2".to_owned()];
    for k in 0..100 {
        ids.push(format!("1{}5", "0".repeat(k)));
    }
    for id in &ids {
        t.upsert_agent(&profile(id, &[], &[], &[]));
        online(&mut t, id, 0);
        t.check_invariants();
    }
    let r = req(&[], None, "email");
    let mut sorted = ids.clone();
    sorted.sort();
    for (i, id) in sorted.iter().enumerate() {
        assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some(id.as_str()));
        t.assign(id, i as u32, "email", true, 0);
    }
    assert_eq!(choose(&t, &r, Strategy::LongestIdle), None);
}

#[test]
fn most_skilled_ties_across_level_buckets() {
    for order in ALL {
        let mut t = RoutingTable::new();
        t.set_strategy(order);
        let email = [("email", 2)];
        t.upsert_agent(&profile("x", &[("a", 3), ("b", 1)], &email, &[]));
        t.upsert_agent(&profile("w", &[("a", 2), ("b", 1)], &email, &[]));
        t.upsert_agent(&profile("y", &[("a", 2), ("b", 2)], &email, &[]));
        t.upsert_agent(&profile("z", &[("a", 1)], &email, &[]));
        online(&mut t, "x", 5);
        online(&mut t, "w", 0);
        online(&mut t, "y", 1);
        online(&mut t, "z", 0);
        // x and y both score 4, from different levels of "a": y has been idle longer. w, idle
        // longest of the level-2 agents, scores 3.
        let r = req(&[("a", 1, false), ("b", 1, true)], None, "email");
        assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("y"), "{order:?}");
        // Levels above 10 share the top bucket but still count in full.
        t.upsert_agent(&profile("p", &[("a", 12)], &email, &[]));
        t.upsert_agent(&profile("q", &[("a", 13)], &email, &[]));
        online(&mut t, "p", 1);
        online(&mut t, "q", 2);
        let r = req(&[("a", 10, false)], None, "email");
        assert_eq!(choose(&t, &r, Strategy::MostSkilled).as_deref(), Some("q"), "{order:?}");
        assert_eq!(choose(&t, &r, Strategy::LongestIdle).as_deref(), Some("p"), "{order:?}");
    }
}

#[test]
fn a_channel_never_named_is_served_by_star_capacity_in_full_order() {
    let mut t = RoutingTable::new();
    for (id, idle) in [("c", 3), ("a", 2), ("b", 1)] {
        t.upsert_agent(&profile(id, &[("x", 1)], &[], &[]));
        online(&mut t, id, idle);
    }
    let r = req(&[("x", 1, false)], None, "pigeon");
    for s in ALL {
        assert_eq!(choose(&t, &r, s).as_deref(), Some("b"));
    }
}

#[test]
fn an_agent_finds_tickets_under_every_pair_of_its_skills_and_groups() {
    let mut t = RoutingTable::new();
    // Rare skills and groups, so that signatures are anchored at pairs.
    let mine = [("s1", 3), ("s2", 3), ("s3", 3)];
    t.upsert_agent(&profile("a", &mine, &[("*", 9)], &["g1"]));
    for i in 0..20 {
        t.upsert_agent(&profile(&format!("other{i:02}"), &[("s4", 1)], &[], &[]));
    }
    online(&mut t, "a", 0);
    let k = |n: i64| key(Priority::Normal, Some(n), 0, &format!("t{n}"));
    let two = |x: &str, y: &str, group: Option<&str>| req(&[(x, 2, false), (y, 2, false)], group, "email");
    t.enqueue(1, k(1), two("s1", "s4", None)); // lacks s4
    t.enqueue(2, k(2), two("s2", "s3", Some("g2"))); // not in g2
    t.enqueue(3, k(3), two("s1", "s3", Some("g1")));
    t.enqueue(4, k(4), two("s2", "s3", None));
    t.enqueue(5, k(5), req(&[("s3", 1, false)], Some("g1"), "email"));
    t.enqueue(6, k(6), two("s1", "s2", None));
    t.enqueue(7, k(7), req(&[("s1", 1, false), ("s2", 1, false), ("s3", 1, false)], Some("g1"), "chat"));
    let mut taken = Vec::new();
    while let Some(ticket) = t.next_ticket_for("a") {
        taken.push(ticket);
        assert!(t.dequeue(ticket));
        t.check_invariants();
    }
    assert_eq!(taken, [3, 4, 5, 6, 7]);
    assert_eq!(t.queued_in_order(), [1, 2]);
}
