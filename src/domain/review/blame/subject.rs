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
    "both", "all", "each", "who",
];

/// The person that is the subject of the verb at `at`, if the subject is one. A second
/// verb of the same subject counts too: "Raj restarted the primary and broke ...".
pub(super) fn subject_before<'t>(t: &'t Text, at: usize) -> Option<&'t Mention> {
    let mut j = at.checked_sub(1)?;
    while BETWEEN_SUBJECT_AND_VERB.contains(&t.text(j)) {
        j = j.checked_sub(1)?;
    }
    if matches!(t.text(j), "and" | "but" | "or" | "so") {
        return clause_subject(t, j);
    }
    let owned_thing = t.words.get(j).is_some_and(|w| w.possessive);
    if owned_thing {
        return None;
    }
    t.mention(j)
}

/// True when what follows the lapse at `at` explains it by the system: "Dmitri missed the
/// page because the paging provider had an outage". A person after "because" is no excuse.
fn explained_by_the_system(t: &Text, at: usize) -> bool {
    let Some(because) = (at + 1..t.words.len())
        .take_while(|&i| !t.words[i].ends_clause())
        .find(|&i| matches!(t.text(i), "because" | "since" | "as"))
    else {
        return false;
    };
    let mut subject = because + 1;
    while super::super::super::text::starts_with_seq(t.words, subject, &["of"])
        || DETERMINERS.contains(&t.text(subject))
    {
        subject += 1;
    }
    t.mention(subject).is_none() && t.mention(subject + 1).is_none()
}

/// Lapses that a reason can excuse; forgetting or ignoring stays a judgement.
const EXCUSABLE: &[&str] = &["missed", "failed", "skipped", "overlooked"];

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
    "check",
    "test",
    "follow",
    "read",
    "verify",
    "review",
    "notice",
    "bother",
    "wait",
    "ask",
    "think",
    "consider",
    "look",
    "double",
    "validate",
    "realize",
    "realise",
    "pay",
    "listen",
    "escalate",
    "respond",
    "confirm",
    "care",
    "heed",
    "acknowledge",
    "document",
    "communicate",
    "update",
    "monitor",
    "answer",
    "inform",
    "tell",
    "warn",
];

/// Adverbs that may sit inside "did not ... check": "didn't even look".
const INSIDE_NEGATION: &[&str] = &[
    "even", "ever", "really", "actually", "properly", "once", "bother",
];

fn is_omission(word: &str) -> bool {
    base_forms(word)
        .iter()
        .any(|form| OMISSIONS.contains(&form.as_str()))
}

#[rustfmt::skip]
const OMITTING: &[&str] = &[
    "testing", "checking", "reviewing", "asking", "reading", "verifying", "looking", "thinking",
    "telling", "waiting", "validating", "confirming", "opening", "running", "escalating",
    "investigating", "following", "review", "approval", "tests",
];

pub(super) fn person_at_fault(t: &Text, at: usize) -> Option<BlameHit> {
    let word = t.text(at);
    let (len, always) = if word == "forgot" {
        (1, !system_subject(t, at))
    } else if LAPSE_VERBS.contains(&word) {
        // "failed over to the standby" is an operation, not a lapse.
        let operation = word.starts_with("fail") && matches!(t.text(at + 1), "over" | "back");
        if operation || (EXCUSABLE.contains(&word) && explained_by_the_system(t, at)) {
            return None;
        }
        (if t.text(at + 1) == "to" { 2 } else { 1 }, false)
    } else if matches!(word, "did" | "never") && is_omission(t.text(at + 1)) {
        (2, false)
    } else if (word == "did" && t.text(at + 1) == "not" && omission_after_not(t, at + 2))
        || t.seq(at, &["made", "a", "mistake"])
        || t.seq(at, &["made", "an", "error"])
    {
        (3, false)
    } else if word == "without" && omitting_after(t, at + 1) {
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

/// "without (even) testing", "without any review".
fn omitting_after(t: &Text, at: usize) -> bool {
    let next = if matches!(t.text(at), "even" | "first" | "a" | "any" | "proper") {
        at + 1
    } else {
        at
    };
    OMITTING.contains(&t.text(next))
}

/// "did not (even) check": the omission after "not", past an adverb or two.
fn omission_after_not(t: &Text, mut at: usize) -> bool {
    while INSIDE_NEGATION.contains(&t.text(at)) && t.text(at + 1) != "." {
        if OMISSIONS.contains(&t.text(at)) {
            return true;
        }
        at += 1;
    }
    OMISSIONS.contains(&t.text(at))
}

/// "The backup job forgot its credentials": a thing, introduced by a determiner, as subject.
fn system_subject(t: &Text, at: usize) -> bool {
    let Some(noun) = at.checked_sub(1) else {
        return false;
    };
    t.mention(noun).is_none()
        && t.words[noun].text.chars().all(char::is_alphabetic)
        && (noun.saturating_sub(3)..noun)
            .any(|i| DETERMINERS.contains(&t.text(i)) && t.mention(i + 1).is_none())
}

/// A person that opens the clause containing `at`: "Alice pushed it without testing".
pub(super) fn clause_subject<'t>(t: &'t Text, at: usize) -> Option<&'t Mention> {
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
    &["traces", "back", "to"],
    &["traced", "back", "to"],
    &["trace", "back", "to"],
    &["traced", "to"],
    &["comes", "down", "to"],
    &["came", "down", "to"],
    &["boils", "down", "to"],
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
