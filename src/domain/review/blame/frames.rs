//! Blame frames that reach a person across a clause: the passive ("the runbook was ignored
//! by Min-jun"), letting something lapse, defiance ("... and ran it anyway"), a fault that
//! "is on" someone, a diligent act done "instead of", and a duty that "never did" happen.

use super::subject::{clause_subject, subject_before};
use super::{BlameHit, BlameKind, Text};

/// Participles of a lapse that, followed by "by" and a person, blame that person.
#[rustfmt::skip]
const LAPSED: &[&str] = &[
    "ignored", "overlooked", "missed", "skipped", "bypassed", "disregarded", "botched",
    "mishandled", "misconfigured", "neglected", "forgotten", "dismissed", "silenced", "muted",
];

const MODIFIERS: &[&str] = &[
    "the", "a", "an", "our", "one", "that", "this", "new", "junior",
];

fn person_hit(t: &Text, kind: BlameKind, from: usize, len: usize, at: usize) -> BlameHit {
    let mut hit = t.hit(kind, from, len);
    hit.person = t.mention(at).and_then(|m| m.name.clone());
    hit
}

/// "The runbook was ignored by Min-jun", "the page was missed by the on-call".
pub(super) fn passive(t: &Text, at: usize) -> Option<BlameHit> {
    if !LAPSED.contains(&t.text(at)) || t.text(at + 1) != "by" {
        return None;
    }
    let mut person = at + 2;
    while MODIFIERS.contains(&t.text(person)) {
        person += 1;
    }
    let named = t.mention(person).is_some() || t.mention(person + 1).is_some();
    let owned_act = t.words.get(person).is_some_and(|w| w.possessive);
    (named && !owned_act)
        .then(|| person_hit(t, BlameKind::PersonAtFault, at, person + 1 - at, person))
}

/// What a person can let happen to a thing in their care.
const LAPSES: &[&str] = &["lapse", "expire", "slip", "rot", "die", "drift", "fail"];

/// "Ananya let the certificate lapse".
pub(super) fn let_lapse(t: &Text, at: usize) -> Option<BlameHit> {
    if t.text(at) != "let" {
        return None;
    }
    let subject = subject_before(t, at)?;
    let lapse = (at + 1..at + 6)
        .take_while(|&i| t.words.get(i).is_some_and(|w| !w.is_punct()))
        .find(|&i| LAPSES.contains(&t.text(i)))?;
    let mut hit = t.hit(BlameKind::PersonAtFault, at, lapse + 1 - at);
    hit.person = subject.name.clone();
    Some(hit)
}

fn clause_ends(t: &Text, at: usize) -> bool {
    t.words.get(at).is_none_or(|w| w.is_punct())
}

/// Being warned, asked or reminded.
fn warned(word: &str) -> bool {
    ["warn", "remind", "told", "asked"]
        .iter()
        .any(|stem| word.starts_with(stem))
}

/// An act framed as defiance: "... and ran it anyway", "after being asked twice",
/// "despite three reminder emails".
pub(super) fn defiance(t: &Text, at: usize) -> Option<BlameHit> {
    let word = t.text(at);
    let len = if matches!(word, "anyway" | "regardless") && clause_ends(t, at + 1) {
        1
    } else if matches!(word, "after" | "despite")
        && t.text(at + 1) == "being"
        && warned(t.text(at + 2))
    {
        3
    } else if word == "despite" {
        let reminder =
            (at + 1..at + 4).find(|&i| warned(t.text(i)) || t.text(i).starts_with("warning"))?;
        reminder + 1 - at
    } else {
        return None;
    };
    let subject = clause_subject(t, at)?;
    let mut hit = t.hit(BlameKind::Judgement, at, len);
    hit.person = subject.name.clone();
    Some(hit)
}

/// "The whole thing was on Ananya", "that's on them".
pub(super) fn on_someone(t: &Text, at: usize) -> Option<BlameHit> {
    if !matches!(t.text(at), "is" | "was") || t.text(at + 1) != "on" {
        return None;
    }
    let person = at + 2;
    let on_call_or_duty = matches!(t.text(person), "call" | "duty" | "leave" | "shift");
    (t.mention(person).is_some() && !on_call_or_duty && clause_ends(t, person + 1))
        .then(|| person_hit(t, BlameKind::Fault, at, 3, person))
}

/// Acts of diligence a person is said to have skipped: "instead of investigating it".
const DILIGENCE: &[&str] = &[
    "investigating",
    "checking",
    "escalating",
    "reading",
    "following",
    "testing",
    "verifying",
    "asking",
    "looking",
    "waiting",
];

/// "The SRE on duty silenced the alert instead of investigating it."
pub(super) fn instead_of(t: &Text, at: usize) -> Option<BlameHit> {
    if !t.seq(at, &["instead", "of"]) || !DILIGENCE.contains(&t.text(at + 2)) {
        return None;
    }
    let subject = clause_subject(t, at)?;
    let mut hit = t.hit(BlameKind::PersonAtFault, at, 3);
    hit.person = subject.name.clone();
    Some(hit)
}

/// "Aisha was supposed to rotate the keys but never did."
pub(super) fn never_did(t: &Text, at: usize) -> Option<BlameHit> {
    let undone = (t.seq(at, &["never", "did"]) && clause_ends(t, at + 2))
        || (t.seq(at, &["did", "not"]) && clause_ends(t, at + 2));
    if !undone || !matches!(t.text(at.checked_sub(1)?), "but" | "and" | ",") {
        return None;
    }
    let subject = clause_subject(t, at)?;
    let mut hit = t.hit(BlameKind::PersonAtFault, at, 2);
    hit.person = subject.name.clone();
    Some(hit)
}
