//! Reading an action item's clause: where it splits, who is asked to act, the head verb,
//! and where the main clause gives way to a purpose or relative clause.

use super::super::super::text::{Word, starts_with_seq};
use super::lexicon::{VerbClass, is_base_verb, is_person, verb_class};

/// Splits at sentence punctuation, and at `and` / `then` / `or` before a bare verb
/// ("Slow down and read the diff").
pub(super) fn clauses(words: &[Word]) -> Vec<&[Word]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, word) in words.iter().enumerate() {
        let joins_verb = matches!(word.text.as_str(), "and" | "then" | "or" | "but")
            && words
                .get(i + 1)
                .is_some_and(|next| is_base_verb(&next.text));
        if word.ends_clause() || joins_verb {
            out.push(&words[start..i]);
            start = i + 1;
        }
    }
    out.push(&words[start..]);
    out.retain(|clause| !clause.is_empty());
    out
}

/// Who is asked to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subject {
    Imperative,
    People,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Head {
    Verb {
        at: usize,
        class: VerbClass,
        passive: bool,
    },
    /// No verb: "Better communication with support", "Lint rule for unwraps".
    Nominal,
}

const FILLERS: &[&[&str]] = &[
    &["please"],
    &["also"],
    &["then"],
    &["so"],
    &["and"],
    &[","],
    &["always"],
    &["never"],
    &["just"],
    &["do", "not"],
    &["going", "forward"],
    &["moving", "forward"],
    &["from", "now", "on"],
    &["in", "the", "future"],
    &["in", "future"],
    &["next", "time"],
    &["in", "general"],
    &["as", "a", "team"],
];

pub(super) fn skip_fillers(words: &[Word]) -> usize {
    let mut at = 0;
    'outer: loop {
        for filler in FILLERS {
            if starts_with_seq(words, at, filler) {
                at += filler.len();
                continue 'outer;
            }
        }
        return at;
    }
}

/// Where the modal after a subject ends: `should`, `needs to`, `are expected to`.
fn modal_end(words: &[Word], at: usize, people: bool) -> Option<usize> {
    let word = words.get(at)?;
    let next_is_to = words.get(at + 1).is_some_and(|w| w.is("to"));
    match word.text.as_str() {
        "should" | "must" | "shall" | "will" | "would" | "could" | "can" | "may" | "might" => {
            Some(at + 1)
        }
        "need" | "needs" | "have" | "has" | "ought" | "got" | "want" | "wants" if next_is_to => {
            Some(at + 2)
        }
        "need" | "needs" => Some(at + 1),
        "are" | "is" => {
            let participle = words.get(at + 1)?;
            let framed = matches!(
                participle.text.as_str(),
                "expected" | "required" | "encouraged" | "asked" | "supposed" | "going"
            );
            if participle.is("responsible") && words.get(at + 2).is_some_and(|w| w.is("for")) {
                return Some(at + 3);
            }
            (framed && words.get(at + 2).is_some_and(|w| w.is("to"))).then_some(at + 3)
        }
        "to" if people => Some(at + 1),
        _ => None,
    }
}

#[rustfmt::skip]
const MODAL_ADVERBS: &[&str] = &[
    "always", "never", "also", "really", "definitely", "just", "not", "all", "now", "actually",
    "each", "every", "consistently", "at", "least", "to", "start", "begin",
];

fn is_participle(word: &Word) -> bool {
    let text = word.text.as_str();
    let known =
        (text.ends_with("en") || text == "done" || text == "read") && verb_class(text).is_some();
    known || (text.ends_with("ed") && text.len() > 4)
}

/// The head of the verb phrase that starts at `at`, skipping adverbs; `be` + participle
/// makes a passive.
fn head_after(words: &[Word], mut at: usize) -> Head {
    while words
        .get(at)
        .is_some_and(|w| MODAL_ADVERBS.contains(&w.text.as_str()))
    {
        at += 1;
    }
    let Some(word) = words.get(at) else {
        return Head::Nominal;
    };
    if word.is("be") || word.is("get") {
        let mut next = at + 1;
        while words
            .get(next)
            .is_some_and(|w| matches!(w.text.as_str(), "more" | "extra" | "always" | "also"))
        {
            next += 1;
        }
        if let Some(participle) = words.get(next).filter(|w| is_participle(w)) {
            // An unknown participle ("rebased", "committed") is a thing done, by whom unsaid.
            let class = verb_class(&participle.text).unwrap_or(VerbClass::Either);
            return Head::Verb {
                at: next,
                class,
                passive: true,
            };
        }
    }
    match verb_class(&word.text) {
        Some(class) => Head::Verb {
            at,
            class,
            passive: false,
        },
        None => Head::Nominal,
    }
}

pub(super) fn parse_frame(words: &[Word], start: usize) -> (Subject, Head) {
    let Some(first) = words.get(start) else {
        return (Subject::Imperative, Head::Nominal);
    };
    if starts_with_seq(words, start, &["let", "us"]) {
        return (Subject::People, head_after(words, start + 2));
    }
    if is_base_verb(&first.text) && !is_person(words, start) {
        return (Subject::Imperative, head_after(words, start));
    }
    for m in start + 1..(start + 8).min(words.len()) {
        let people = (start..m).any(|i| is_person(words, i));
        if let Some(after) = modal_end(words, m, people) {
            let subject = if people {
                Subject::People
            } else {
                Subject::System
            };
            return (subject, head_after(words, after));
        }
    }
    (Subject::Imperative, Head::Nominal)
}

/// Words that open a purpose or relative clause, which says why, not what.
fn opens_subordinate(words: &[Word], at: usize, head: usize, class: VerbClass) -> bool {
    let Some(word) = words.get(at) else {
        return false;
    };
    match word.text.as_str() {
        "so" | "because" | "since" | "which" | "who" | "instead" | "rather" | "unless" => true,
        "that" => at != head + 1,
        "to" => {
            matches!(class, VerbClass::Build | VerbClass::Either)
                && words.get(at + 1).is_some_and(|w| is_base_verb(&w.text))
        }
        _ => false,
    }
}

pub(super) fn main_clause_end(words: &[Word], head: usize, class: VerbClass) -> usize {
    (head + 1..words.len())
        .find(|&at| opens_subordinate(words, at, head, class))
        .unwrap_or(words.len())
}
