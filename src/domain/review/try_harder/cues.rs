//! The cues around an action item's head verb: diligence, habit, manual work, mechanisms.

use super::super::super::text::{Word, starts_with_seq};
use super::lexicon::{
    is_artefact, is_behaviour_noun, is_diligence, is_mechanism, is_message, is_person,
    is_schedule_unit, is_soft_diligence,
};

/// Events that recur in daily work: doing something on each of them is a habit.
#[rustfmt::skip]
const EVENTS: &[&str] = &[
    "time", "deploy", "deploys", "deployment", "deployments", "release", "releases", "change",
    "changes", "pr", "prs", "merge", "merges", "rollout", "rollouts", "push", "commit",
    "commits", "migration", "migrations", "upgrade", "upgrades", "incident", "incidents",
    "page", "pages", "alert", "alerts", "shift", "launch", "launches", "review", "reviews",
];

#[rustfmt::skip]
const NOT_PLURAL: &[&str] = &[
    "status", "dns", "redis", "kubernetes", "postgres", "this", "its", "was", "has", "is", "us",
    "always", "aws", "gcs", "sales", "news", "analytics", "ops", "jenkins",
];

fn looks_plural(word: &Word) -> bool {
    let text = word.text.as_str();
    text.len() >= 3
        && text.ends_with('s')
        && !text.ends_with("ss")
        && !NOT_PLURAL.contains(&text)
        && text.chars().all(char::is_alphabetic)
}

/// What surrounds the head verb in the main clause.
#[derive(Debug, Default)]
pub struct Cues {
    pub diligence: bool,
    pub soft_diligence: bool,
    pub strong_habit: bool,
    pub conditional_habit: bool,
    pub manual: bool,
    pub mechanism: bool,
    /// A mechanism as the means: `via CODEOWNERS`, `in CI`, `automatically`.
    pub mechanism_means: bool,
    pub message: bool,
    pub people: bool,

    pub artefact: bool,
    pub behaviour_noun: bool,
    pub bare_plural_object: bool,
}

impl Cues {
    /// Scans `words[..end]`, leaving out the head verb itself.
    pub fn scan(words: &[Word], end: usize, head: Option<usize>) -> Self {
        let mut cues = Cues {
            bare_plural_object: head
                .and_then(|h| words.get(h + 1))
                .is_some_and(looks_plural),
            ..Cues::default()
        };
        for at in (0..end.min(words.len())).filter(|&at| Some(at) != head) {
            let word = &words[at];
            cues.diligence |= is_diligence(word) || is_extra_care(words, at);
            cues.soft_diligence |= is_soft_diligence(word);
            cues.behaviour_noun |= is_behaviour_noun(word);
            cues.mechanism |= is_mechanism(words, at);
            cues.mechanism_means |= is_mechanism_means(words, at);
            cues.message |= is_message(word);
            cues.people |= is_person(words, at);

            cues.artefact |= is_artefact(word);
            cues.manual |= is_manual(words, at);
            cues.strong_habit |= is_strong_habit(words, at);
            cues.conditional_habit |= is_conditional_habit(words, at);
        }
        cues
    }

    /// A cue that the item relies on people doing better rather than on the system.
    pub fn human_cue(&self) -> bool {
        self.diligence
            || self.soft_diligence
            || self.strong_habit
            || self.conditional_habit
            || self.manual
            || self.behaviour_noun
    }
}

/// Prepositions that introduce the means of an action.
const MEANS: &[&str] = &[
    "via", "with", "using", "through", "by", "in", "into", "as", "from",
];

/// `automatically`, or a mechanism a few words after `via`, `in`, `using`, ...
fn is_mechanism_means(words: &[Word], at: usize) -> bool {
    let word = &words[at];
    if matches!(
        word.text.as_str(),
        "automatically" | "automated" | "automation" | "automate"
    ) {
        return true;
    }
    MEANS.contains(&word.text.as_str()) && (at + 1..at + 5).any(|i| is_mechanism(words, i))
}

/// `more care`, `extra care`, `take care`, `with care`.
fn is_extra_care(words: &[Word], at: usize) -> bool {
    words.get(at).is_some_and(|w| w.is("care"))
        && at >= 1
        && matches!(
            words[at - 1].text.as_str(),
            "more" | "extra" | "take" | "with" | "greater" | "special"
        )
}

fn is_manual(words: &[Word], at: usize) -> bool {
    let word = &words[at];
    matches!(
        word.text.as_str(),
        "manually" | "yourself" | "personally" | "eyeball" | "your" | "own"
    ) || starts_with_seq(words, at, &["by", "hand"])
}

/// `always`, `never`, `whenever`, `every time`, `after each deploy`.
fn is_strong_habit(words: &[Word], at: usize) -> bool {
    let word = &words[at];
    match word.text.as_str() {
        "always" | "never" | "whenever" | "routinely" | "habitually" | "consistently" => true,
        // `after every deploy`, `every config change`; not `every quarter`.
        "every" | "each" => (at + 1..at + 4)
            .map_while(|i| words.get(i))
            .take_while(|next| !is_schedule_unit(next) && !next.is_punct())
            .any(|next| EVENTS.contains(&next.text.as_str())),
        _ => {
            starts_with_seq(words, at, &["at", "all", "times"])
                || starts_with_seq(words, at, &["do", "not"])
        }
    }
}

/// `before deploying`, `after releases`, `first`, `regularly`, `next time`, `only`.
fn is_conditional_habit(words: &[Word], at: usize) -> bool {
    let word = &words[at];
    let next = words.get(at + 1);
    match word.text.as_str() {
        "before" | "after" | "when" | "while" | "prior" | "during" => next.is_some_and(|n| {
            n.text.ends_with("ing")
                || looks_plural(n)
                || matches!(n.text.as_str(), "every" | "each" | "any" | "to")
                || EVENTS.contains(&n.text.as_str())
        }),
        "first" => {
            let previous = at.checked_sub(1).and_then(|p| words.get(p));
            !previous.is_some_and(|p| matches!(p.text.as_str(), "the" | "a" | "its" | "their"))
                && next.is_none_or(|n| n.is_punct() || n.is("before") || n.is("and"))
        }
        "regularly" | "again" | "only" | "periodically" | "frequently" | "often" => true,
        _ => {
            starts_with_seq(words, at, &["next", "time"])
                || starts_with_seq(words, at, &["from", "now", "on"])
                || starts_with_seq(words, at, &["going", "forward"])
                || starts_with_seq(words, at, &["in", "the", "future"])
        }
    }
}
