//! Rules on who is the subject: a person failing, named as the cause, or a trait as cause.

use super::super::super::text::base_forms;
use super::mentions::Mention;
use super::{BlameHit, BlameKind, Text};

/// Words that may sit between a subject and its verb: "Alice had simply forgotten".
#[rustfmt::skip]
const BETWEEN_SUBJECT_AND_VERB: &[&str] = &[
    "had", "has", "have", "was", "were", "is", "are", "also", "just", "simply", "again",
    "completely", "apparently", "clearly", "obviously", "then", "totally", "probably",
    "actually", "evidently", "unfortunately", "basically", "accidentally", "mistakenly",
    "somehow", "still", "even", "initially", "later", ",", "repeatedly", "once", "already",
];

/// The person that is the subject of the verb at `at`, if the subject is one.
pub(super) fn subject_before<'t>(t: &'t Text, at: usize) -> Option<&'t Mention> {
    let mut j = at.checked_sub(1)?;
    while BETWEEN_SUBJECT_AND_VERB.contains(&t.text(j)) {
        j = j.checked_sub(1)?;
    }
    let owned_thing = t.words.get(j).is_some_and(|w| w.possessive);
    if owned_thing {
        return None;
    }
    t.mention(j)
}

/// Verbs of a lapse: with a person as subject they make that person the cause.
#[rustfmt::skip]
const LAPSE_VERBS: &[&str] = &[
    "forgot", "forgets", "forgotten", "neglected", "neglects", "ignored", "ignores",
    "overlooked", "missed", "skipped", "bypassed", "misconfigured", "mistyped", "messed",
    "screwed", "broke", "caused", "rushed", "botched", "mishandled", "disregarded", "failed",
    "fails", "blundered",
];

/// What a person "did not" do, when leaving it undone is the implied fault.
const OMISSIONS: &[&str] = &[
    "check", "test", "follow", "read", "verify", "review", "notice", "bother", "wait", "ask",
    "think", "consider", "look", "double", "validate", "realize", "realise", "pay", "listen",
    "escalate", "respond", "confirm", "care", "heed",
];

fn is_omission(word: &str) -> bool {
    base_forms(word)
        .iter()
        .any(|form| OMISSIONS.contains(&form.as_str()))
}

#[rustfmt::skip]
const OMITTING: &[&str] = &[
    "testing", "checking", "reviewing", "asking", "reading", "verifying", "looking", "thinking",
    "telling", "waiting", "validating", "confirming",
];

pub(super) fn person_at_fault(t: &Text, at: usize) -> Option<BlameHit> {
    let word = t.text(at);
    let (len, always) = if word == "forgot" {
        (1, true)
    } else if LAPSE_VERBS.contains(&word) {
        (if t.text(at + 1) == "to" { 2 } else { 1 }, false)
    } else if matches!(word, "did" | "never") && is_omission(t.text(at + 1)) {
        (2, false)
    } else if (word == "did" && t.text(at + 1) == "not" && OMISSIONS.contains(&t.text(at + 2)))
        || t.seq(at, &["made", "a", "mistake"])
        || t.seq(at, &["made", "an", "error"])
    {
        (3, false)
    } else if word == "without" && OMITTING.contains(&t.text(at + 1)) {
        return clause_subject(t, at).map(|m| {
            let mut hit = t.hit(BlameKind::PersonAtFault, at, 2);
            hit.person = m.name.clone();
            hit
        });
    } else {
        return None;
    };
    let subject = subject_before(t, at);
    if subject.is_none() && !always {
        return None;
    }
    let mut hit = t.hit(BlameKind::PersonAtFault, at, len);
    hit.person = subject.and_then(|m| m.name.clone());
    Some(hit)
}

/// A person that opens the clause containing `at`: "Alice pushed it without testing".
fn clause_subject<'t>(t: &'t Text, at: usize) -> Option<&'t Mention> {
    let start = (0..at)
        .rev()
        .find(|&i| t.words[i].ends_clause())
        .map_or(0, |i| i + 1);
    (start..at.min(start + 4))
        .take_while(|&i| !t.words[i].possessive)
        .find_map(|i| t.mention(i))
}

const CAUSAL: &[&[&str]] = &[
    &["caused", "by"],
    &["due", "to"],
    &["because", "of"],
    &["thanks", "to"],
    &["blame", "on"],
    &["fault", "of"],
    &["result", "of"],
    &["broken", "by"],
];

const DETERMINERS: &[&str] = &["the", "a", "an", "our", "one", "that", "this", "some"];

pub(super) fn person_as_cause(t: &Text, at: usize) -> Option<BlameHit> {
    let marker = CAUSAL.iter().find(|m| t.seq(at, m))?;
    let mut j = at + marker.len();
    while DETERMINERS.contains(&t.text(j)) {
        j += 1;
    }
    // The person may follow a modifier or two: "due to the on-call engineer".
    let person = (j..j + 3)
        .take_while(|&k| {
            t.words
                .get(k)
                .is_some_and(|w| !w.possessive && !w.is_punct())
        })
        .find(|&k| t.mention(k).is_some())?;
    // "due to the on-call engineer's quick rollback" credits a person's act instead.
    let noun_phrase_end = (person..)
        .take_while(|&k| t.mention(k).is_some())
        .last()
        .unwrap_or(person);
    if t.words.get(noun_phrase_end).is_some_and(|w| w.possessive) {
        return None;
    }
    let mention = t.mention(person)?;
    let mut hit = t.hit(BlameKind::PersonAsCause, at, noun_phrase_end + 1 - at);
    hit.person = mention.name.clone();
    Some(hit)
}

const TRAITS: &[&str] = &[
    "new",
    "junior",
    "inexperienced",
    "novice",
    "green",
    "untrained",
];
const TRAIT_NOUNS: &[&str] = &["intern", "newcomer", "trainee", "newbie", "rookie"];

/// Acts that damage something: with a trait-marked person as their subject
/// ("the new intern deleted the table") the trait reads as the explanation.
#[rustfmt::skip]
const DAMAGE_VERBS: &[&str] = &[
    "deleted", "dropped", "wiped", "truncated", "overwrote", "corrupted", "destroyed",
    "removed", "crashed", "killed", "took", "brought", "broke", "misconfigured", "pushed",
    "introduced", "caused", "ran", "shipped", "merged", "deployed",
];

/// A person named by a trait ("the new intern", "a junior engineer") as the
/// subject of a damaging act. Tenure as plain context ("the new hire
/// onboarding docs") has no damaging verb after it.
pub(super) fn trait_subject(t: &Text, at: usize) -> Option<BlameHit> {
    if !TRAITS.contains(&t.text(at)) && !TRAIT_NOUNS.contains(&t.text(at)) {
        return None;
    }
    let mut noun = at;
    while t.mention(noun + 1).is_some() && noun < at + 2 {
        noun += 1;
    }
    if noun == at && !TRAIT_NOUNS.contains(&t.text(at)) {
        return None;
    }
    let mut verb = noun + 1;
    while BETWEEN_SUBJECT_AND_VERB.contains(&t.text(verb)) {
        verb += 1;
    }
    (DAMAGE_VERBS.contains(&t.text(verb)) || LAPSE_VERBS.contains(&t.text(verb)))
        .then(|| t.hit(BlameKind::TraitAsCause, at, verb + 1 - at))
}

pub(super) fn trait_as_cause(t: &Text, at: usize) -> Option<BlameHit> {
    let causal = matches!(t.text(at), "because" | "since" | "due" | "as")
        || t.seq(at, &["root", "cause"])
        || t.seq(at, &["caused", "by"]);
    if !causal {
        return None;
    }
    (at + 1..at + 6).find_map(|i| {
        let trait_then_person =
            TRAITS.contains(&t.text(i)) && (i + 1..i + 3).any(|k| t.mention(k).is_some());
        let person_follows = t.mention(i + 1).is_some();
        (trait_then_person || TRAIT_NOUNS.contains(&t.text(i))).then(|| {
            let end = if person_follows { i + 2 } else { i + 1 };
            t.hit(BlameKind::TraitAsCause, at, end - at)
        })
    })
}
