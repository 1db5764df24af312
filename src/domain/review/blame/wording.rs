//! Rules on wording that judges: "human error", insults, fault, hindsight.

use super::{BlameHit, BlameKind, Text, subject::subject_before};

pub(super) fn human_error(t: &Text, at: usize) -> Option<BlameHit> {
    let human = matches!(t.text(at), "human" | "operator" | "pilot");
    let error = matches!(t.text(at + 1), "error" | "errors" | "mistake" | "mistakes");
    (human && error).then(|| t.hit(BlameKind::HumanError, at, 2))
}

#[rustfmt::skip]
const JUDGEMENTS: &[&str] = &[
    "careless", "carelessly", "carelessness", "negligent", "negligently", "negligence",
    "sloppy", "sloppily", "sloppiness", "incompetent", "incompetence", "incompetently", "inept",
    "ineptitude", "idiot", "idiots", "idiotic", "stupid", "stupidity", "moron", "morons",
    "moronic", "clueless", "reckless", "recklessly", "recklessness", "irresponsible",
    "irresponsibly", "foolish", "fool", "fools", "lazy", "laziness", "inexperienced",
    "inexperience", "amateurish", "amateur", "rookie", "boneheaded", "unprofessional",
    "inattentive", "inattention", "thoughtless", "thoughtlessly", "heedless", "dumb", "dimwit",
    "imbecile", "ignorant",
];

/// Technical words after which `lazy` or `dumb` describe software, not people.
#[rustfmt::skip]
const TECHNICAL_AFTER: &[&str] = &[
    "loading", "load", "loaded", "evaluation", "initialization", "initialisation", "init",
    "static", "iterator", "pipe", "terminal", "client", "proxy", "switch", "loader",
];

const LAPSE_PHRASES: &[&[&str]] = &[
    &["dropped", "the", "ball"],
    &["drop", "the", "ball"],
    &["fat", "fingered"],
    &["fat", "finger"],
    &["fat", "fingering"],
    &["asleep", "at", "the", "wheel"],
    &["messed", "up"],
    &["screwed", "up"],
    &["not", "paying", "attention"],
    &["lack", "of", "attention"],
    &["lack", "of", "care"],
    &["lack", "of", "experience"],
    &["lack", "of", "diligence"],
    &["did", "not", "bother"],
    &["could", "not", "be", "bothered"],
    &["know", "better"],
    &["rookie", "mistake"],
    &["know", "what", "they", "were", "doing"],
    &["know", "what", "he", "was", "doing"],
    &["know", "what", "she", "was", "doing"],
    &["no", "idea", "what", "they", "were", "doing"],
    &["on", "a", "whim"],
    &["poor", "judgment"],
    &["poor", "judgement"],
    &["bad", "judgment"],
    &["bad", "judgement"],
];

pub(super) fn judgement(t: &Text, at: usize) -> Option<BlameHit> {
    if let Some(phrase) = LAPSE_PHRASES.iter().find(|p| t.seq(at, p)) {
        return Some(t.hit(BlameKind::Judgement, at, phrase.len()));
    }
    let word = t.text(at);
    let technical = matches!(word, "lazy" | "dumb") && TECHNICAL_AFTER.contains(&t.text(at + 1));
    (JUDGEMENTS.contains(&word) && !technical).then(|| t.hit(BlameKind::Judgement, at, 1))
}

const NEGATORS: &[&str] = &["no", "not", "nobody", "never", "without", "nothing", "none"];

pub(super) fn blame_word(t: &Text, at: usize) -> Option<BlameHit> {
    if !matches!(t.text(at), "blame" | "blamed" | "blames" | "blaming") {
        return None;
    }
    let git = at >= 1 && t.text(at - 1) == "git";
    (!is_negated(t, at) && !git).then(|| t.hit(BlameKind::Fault, at, 1))
}

fn owned_by_person(t: &Text, at: usize) -> bool {
    let Some(word) = t.words.get(at) else {
        return false;
    };
    matches!(word.text.as_str(), "his" | "her" | "their" | "my" | "your")
        || (word.possessive && t.mention(at).is_some())
}

/// Nouns of a fault a person can own: "Alice's mistake", "his carelessness".
#[rustfmt::skip]
const FAULT_NOUNS: &[&str] = &[
    "fault", "mistake", "mistakes", "error", "oversight", "blunder", "screwup", "slip",
    "failure", "negligence", "carelessness", "incompetence", "sloppiness", "inexperience",
];

fn is_negated(t: &Text, at: usize) -> bool {
    (at.saturating_sub(4)..at).any(|i| NEGATORS.contains(&t.text(i)))
}

pub(super) fn fault(t: &Text, at: usize) -> Option<BlameHit> {
    let at_fault = t.seq(at, &["at", "fault"]) || t.seq(at, &["fault", "lies"]);
    if at_fault && !is_negated(t, at) {
        return Some(t.hit(BlameKind::Fault, at, 2));
    }
    let owned = FAULT_NOUNS.contains(&t.text(at + 1)) && owned_by_person(t, at);
    let technical = matches!(
        t.text(at + 2),
        "rate" | "budget" | "handling" | "code" | "log"
    );
    if owned && !technical {
        let mut hit = t.hit(BlameKind::Fault, at, 2);
        hit.person = t.mention(at).and_then(|m| m.name.clone());
        return Some(hit);
    }
    None
}

/// Past participles a person, not a system, is judged by in hindsight.
#[rustfmt::skip]
const HINDSIGHT: &[&str] = &[
    "known", "realized", "realised", "foreseen", "anticipated", "been", "paid", "thought",
    "noticed", "spotted", "double",
];

#[rustfmt::skip]
pub(super) const IRREGULAR_PARTICIPLES: &[&str] = &[
    "caught", "done", "made", "read", "run", "found", "told", "sent", "kept", "left", "put",
    "set", "built", "held", "taught", "understood", "brought", "stopped",
];

/// "If Bob had paid attention ...": a counterfactual about a person is hindsight too.
fn counterfactual(t: &Text, at: usize) -> Option<BlameHit> {
    // "If Bob had checked ..." or, inverted, "Had Lucía read the docs, ...".
    let inverted = t.text(at) == "had" && (at == 0 || t.words[at - 1].ends_clause());
    if t.text(at) != "if" && !inverted {
        return None;
    }
    let person = t.mention(at + 1)?;
    let mut next = at + 2;
    while t.mention(next).is_some() {
        next += 1;
    }
    if !inverted {
        if t.text(next) != "had" {
            return None;
        }
        next += 1;
    }
    while matches!(t.text(next), "just" | "only" | "been" | "more") {
        next += 1;
    }
    let word = t.text(next);
    let judged = word.ends_with("ed")
        || IRREGULAR_PARTICIPLES.contains(&word)
        || (t.text(next - 1) == "been" && word.ends_with("ing"))
        || matches!(word, "careful" | "aware" | "attentive");
    judged.then(|| {
        let mut hit = t.hit(BlameKind::Hindsight, at, next + 1 - at);
        hit.person = person.name.clone();
        hit
    })
}

pub(super) fn hindsight(t: &Text, at: usize) -> Option<BlameHit> {
    if let Some(hit) = counterfactual(t, at) {
        return Some(hit);
    }
    let modal = matches!(t.text(at), "should" | "could" | "ought" | "would");
    if !modal {
        return None;
    }
    let mut next = at + 1;
    for skip in ["to", "not", "have"] {
        if t.text(next) == skip {
            next += 1;
        }
    }
    if t.text(next - 1) != "have" {
        return None;
    }
    let participle = t.text(next);
    let diligence_after_been = matches!(
        t.text(next + 1),
        "more"
            | "careful"
            | "aware"
            | "attentive"
            | "paying"
            | "diligent"
            | "thorough"
            | "vigilant"
            | "cautious"
            | "better"
    );
    let person_only = if participle == "been" {
        diligence_after_been
    } else {
        HINDSIGHT.contains(&participle)
    };
    let is_participle = participle.ends_with("ed")
        || participle.ends_with("en")
        || IRREGULAR_PARTICIPLES.contains(&participle);
    let subject = subject_before(t, at);
    if person_only || (is_participle && subject.is_some()) {
        let mut hit = t.hit(BlameKind::Hindsight, at, next + 1 - at);
        hit.person = subject.and_then(|m| m.name.clone());
        return Some(hit);
    }
    None
}
