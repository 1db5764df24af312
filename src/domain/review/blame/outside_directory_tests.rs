//! Sentences about people no directory holds, written for these tests (not taken from the
//! corpora): how a sentence names someone is enough to recognize blame, and a system
//! written like a name is not a person.

use super::*;

fn blame(text: &str) -> Option<BlameHit> {
    blames_person(text, &[])
}

#[test]
fn blame_frames_recognize_people_by_how_sentences_name_them() {
    let missed = [
        "Everything broke because Tanaka didn't follow the rollback steps.",
        "It was entirely Nakamura's mistake.",
        "Beatriz failed to check the replica before promoting it.",
        "The checklist was skipped by the contractor.",
        "If Abebe had looked at the dashboard, we would have caught it.",
        "Farah should have noticed the disk filling up.",
        "Because of Oluwaseun, the release went out untested.",
        "The intern failed to see the warning.",
        "The new hire didn't follow the checklist.",
        "The on-call failed to notice the page.",
        "Giorgos carelessly dropped the index.",
        "This was Jun-ho's error.",
        "The alert was ignored by Tanaka for an hour.",
        "sanjay forgot to renew the domain",
        "Had Mateo tested the script, the table would still be there.",
        "Amara was told not to deploy on Friday and deployed anyway.",
    ]
    .into_iter()
    .filter(|text| blame(text).is_none())
    .collect::<Vec<_>>();
    assert!(missed.is_empty(), "not flagged: {missed:#?}");
}

#[test]
fn neutral_acts_of_people_and_systems_written_like_names_stay_unflagged() {
    let flagged = [
        "Tanaka followed the runbook, which was out of date.",
        "Beatriz ran the migration, which took a lock on the orders table.",
        "Kubernetes failed to reschedule the pods because the node pool was full.",
        "Terraform skipped the resource because its state file was stale.",
        "Jenkins missed the webhook while the controller restarted.",
        "Grafana failed to render the panel.",
        "The alerts fired, but they were ignored by the routing rule.",
        "Abebe paged the database team, and they failed over within minutes.",
        "Farah's rollback restored service within minutes.",
        "Mateo noticed the error rate climbing and paged the on-call.",
        "In May the cache failed to warm up.",
        "Sanjay was on call when the disk filled.",
        "Datadog missed the spike because the agent was down.",
        "Autoscaling failed to add nodes.",
        "Our CI skipped the integration tests because the runner image was missing.",
        "Chen's team shipped the fix the next morning.",
        "Oluwaseun missed the page because the phone had no signal.",
        "The deploy pipeline failed to check the lock, so Tanaka's retry ran twice.",
    ]
    .into_iter()
    .filter_map(|text| blame(text).map(|hit| (text, hit.matched)))
    .collect::<Vec<_>>();
    assert!(flagged.is_empty(), "flagged: {flagged:#?}");
}

#[test]
fn a_person_outside_the_directory_is_not_named_in_the_hit() {
    let hit = blame("Tanaka failed to notice the alert for two hours").unwrap();
    assert_eq!(hit.kind, BlameKind::PersonAtFault);
    assert_eq!(hit.person, None);
}
