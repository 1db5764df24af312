//! What to suggest instead of "try harder", by the area the action item answers, and
//! instead of blame: the sentence rewritten around the system.

use super::super::cause_area::CauseArea;
use super::super::text::{Word, base_forms, words};
use super::blame::{BlameHit, BlameKind};

/// The kinds of action that work in an area.
fn kinds(area: CauseArea) -> &'static str {
    match area {
        CauseArea::Prevention => {
            "a lint rule, a type change that makes the mistake impossible, a test or shared \
             fixture, a feature flag, branch protection or a pipeline step"
        }
        CauseArea::Detection => {
            "an alert on lack of success (not only on errors), a synthetic check, a dashboard"
        }
        CauseArea::Mitigation => {
            "a runbook, a drill, a feature flag or kill switch, rollback automation, training"
        }
    }
}

const ALWAYS: &str = "a recurring calendar check, or a roadmap conversation when the fix is \
                      bigger than one item";

/// The suggestion for an action item that asks people to try harder.
pub fn instead_of_trying_harder(area: Option<CauseArea>) -> String {
    match area {
        Some(area) => format!(
            "Change the system so the right thing happens without anyone remembering to: for \
             {}, {}; or {ALWAYS}.",
            area.as_str(),
            kinds(area)
        ),
        None => {
            let all: Vec<String> = CauseArea::ALL
                .iter()
                .map(|&area| format!("{}: {}", area.as_str(), kinds(area)))
                .collect();
            format!(
                "Change the system so the right thing happens without anyone remembering to. \
                 What works by area: {}. Also {ALWAYS}.",
                all.join("; ")
            )
        }
    }
}

/// What a sentence can say instead of blame when no rewrite of it fits.
const INSTEAD_OF_BLAME: &str = "Describe what happened and what in the system made it likely \
     or let it spread (a missing guard, an unclear signal, a step that was easy to get \
     wrong), e.g. \"the runbook did not say which host to restart\"; name roles, not people.";

/// How a lapse reads with the thing, not the person, as its subject.
fn outcome(verb: &str) -> Option<(&'static str, &'static str)> {
    let forms = base_forms(verb);
    let is = |bases: &[&str]| forms.iter().any(|f| bases.contains(&f.as_str()));
    if is(&["follow", "heed"]) {
        Some((
            "was not followed",
            "what made it hard to follow (out of date, hard to find, unclear at that hour)",
        ))
    } else if is(&["check", "verify", "validate", "confirm", "double", "look"]) {
        Some((
            "was not checked",
            "what would have made the check happen by itself (a guard in the tool, a required step)",
        ))
    } else if is(&["test"]) {
        Some((
            "was not tested",
            "what would have tested it without anyone remembering to (a pipeline step, a required check)",
        ))
    } else if is(&["review", "read"]) {
        Some((
            "was not reviewed",
            "what would have asked for the review (branch protection, a required approval)",
        ))
    } else if is(&[
        "notice",
        "see",
        "spot",
        "miss",
        "overlook",
        "ignore",
        "disregard",
        "acknowledge",
        "respond",
    ]) {
        Some((
            "went unnoticed",
            "what made it easy to miss (noise, routing, how it looked among other alerts)",
        ))
    } else {
        None
    }
}

/// Words that end the thing a person is said to have failed at.
const OBJECT_ENDS: &[&str] = &[
    "and", "but", "or", "so", "before", "after", "because", "since", "when", "while", "until",
    "for", "which", "who", "that", "despite", "instead", "even", "then", "again", "anyway",
];

/// The thing after `start` ("the runbook"), as written in `text` where it can be found.
fn object(text: &str, words: &[Word], start: usize) -> Option<String> {
    let parts: Vec<&str> = words
        .get(start..)?
        .iter()
        .take_while(|w| !w.is_punct() && !OBJECT_ENDS.contains(&w.text.as_str()))
        .take(6)
        .map(|w| w.text.as_str())
        .collect();
    let first = *parts.first()?;
    if !matches!(first, "the" | "a" | "an" | "any" | "our" | "this" | "its") {
        return None;
    }
    let phrase = parts.join(" ");
    let lower = text.to_lowercase();
    let written = (lower.len() == text.len())
        .then(|| lower.find(&phrase).map(|at| &text[at..at + phrase.len()]))
        .flatten()
        .unwrap_or(&phrase);
    let mut chars = written.chars();
    let capital: String = chars.next()?.to_uppercase().collect();
    Some(format!("{capital}{}", chars.as_str()))
}

/// The lapse a hit names and where its object starts: "did not follow | the runbook",
/// "failed to notice | the alert".
fn lapse<'w>(words: &'w [Word], hit: &BlameHit) -> Option<(&'w str, usize)> {
    if hit.matched.ends_with(" to") || hit.matched == "failed" {
        let verb = words.get(hit.after)?;
        return Some((verb.text.as_str(), hit.after + 1));
    }
    let verb = hit.matched.split(' ').next_back()?;
    let at = (0..hit.after).rev().find(|&i| words[i].is(verb))?;
    Some((words[at].text.as_str(), hit.after))
}

/// The suggestion for blame: where the text says a person failed at something, the sentence
/// rewritten around that thing ("The runbook was not followed"), with what to add.
pub fn instead_of_blame(text: &str, hit: &BlameHit) -> String {
    let words = words(text);
    let rewrite = (hit.kind == BlameKind::PersonAtFault)
        .then(|| lapse(&words, hit))
        .flatten()
        .and_then(|(verb, start)| outcome(verb).zip(object(text, &words, start)));
    match rewrite {
        Some(((state, why), thing)) => format!(
            "Rewrite it around the system: \"{thing} {state}\", then say {why}. Name roles, \
             not people."
        ),
        None => INSTEAD_OF_BLAME.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::blame::blames_person;
    use super::*;

    fn suggestion(text: &str) -> String {
        let hit = blames_person(text, &[]).unwrap();
        instead_of_blame(text, &hit)
    }

    #[test]
    fn blame_for_not_following_a_runbook_is_rewritten_around_the_runbook() {
        let text = suggestion("The outage happened because Marcus didn't follow the runbook.");
        assert!(text.contains("\"The runbook was not followed\""), "{text}");
        assert!(!text.contains("Marcus"), "{text}");
    }

    #[test]
    fn failing_to_notice_an_alert_becomes_the_alert_going_unnoticed() {
        let text = suggestion("Kenji failed to notice the disk alert for two hours");
        assert!(text.contains("\"The disk alert went unnoticed\""), "{text}");
        assert!(text.contains("easy to miss"), "{text}");
    }

    #[test]
    fn blame_without_an_act_to_rewrite_gets_an_example_of_system_wording() {
        let text = suggestion("It was entirely Priya's fault");
        assert!(text.contains("the runbook did not say"), "{text}");
    }

    #[test]
    fn a_detection_item_is_pointed_at_alerts_on_lack_of_success() {
        let text = instead_of_trying_harder(Some(CauseArea::Detection));
        assert!(text.contains("lack of success"));
        assert!(!text.contains("lint rule"));
    }

    #[test]
    fn an_item_without_area_hears_about_every_area() {
        let text = instead_of_trying_harder(None);
        for needle in ["lint rule", "synthetic check", "runbook", "calendar"] {
            assert!(text.contains(needle), "{needle}");
        }
    }
}
