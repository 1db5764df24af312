//! Tells an action item that changes the system from one that asks people to try harder.
//!
//! The classifier reads the main clause the way a reviewer would: who is asked to act
//! (an imperative, people, or a part of the system), what the head verb is (a behaviour
//! such as `remember` or `follow`, a verb that builds an artefact such as `add` or
//! `automate`, or one like `check` that either can do), and which cues surround it:
//! adverbs of diligence (`carefully`), habits (`always`, `before deploying`), and
//! mechanisms that act without anyone remembering to (a CI job, an alert, a lint rule).
//! Purpose and relative clauses (`... that ensures`, `so nobody has to remember`) do not
//! change what the item commits to, so they are left out of the main clause.

mod cues;
mod frame;
mod lexicon;

use super::super::text::{Word, starts_with_seq, words};
use cues::Cues;
use frame::{Head, Subject, clauses, main_clause_end, parse_frame, skip_fillers};
use lexicon::{VerbClass, is_mechanism, is_person, verb_class};

/// What an action item commits to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionVerdict {
    /// Asks people to be more careful, remember, follow a process: no change to the system.
    TryHarder,
    /// Commits to building or changing something: an alert, a test, a drill, a runbook.
    Concrete,
    /// Neither reading is clear (a bare noun such as "Certificates").
    Unclear,
}

/// True when the action item asks people to try harder instead of changing the system.
pub fn is_try_harder(text: &str) -> bool {
    classify_action_item(text) == ActionVerdict::TryHarder
}

/// Classifies an action item. One concrete clause makes the whole item concrete: a
/// commitment to change the system stands even next to a word of encouragement.
pub fn classify_action_item(text: &str) -> ActionVerdict {
    let words = words(text);
    let mut verdict = ActionVerdict::Unclear;
    for clause in clauses(&words) {
        match classify_clause(clause) {
            ActionVerdict::Concrete => return ActionVerdict::Concrete,
            ActionVerdict::TryHarder => verdict = ActionVerdict::TryHarder,
            ActionVerdict::Unclear => {}
        }
    }
    verdict
}

fn classify_clause(words: &[Word]) -> ActionVerdict {
    let start = skip_fillers(words);
    let (subject, head) = parse_frame(words, start);
    match head {
        Head::Nominal => {
            let cues = Cues::scan(words, words.len(), None);
            if tells_people_not_to(words, start) && !cues.mechanism_means {
                return ActionVerdict::TryHarder;
            }
            nominal(&cues)
        }
        Head::Verb { at, class, passive } => {
            let end = main_clause_end(words, at, class);
            let cues = Cues::scan(words, end, Some(at));
            if passive {
                return passive_verdict(class, &cues, generic_subject(words, start));
            }
            verb_verdict(words, at, class, subject, &cues)
        }
    }
}

/// No verb we know. "Always ..." or "Don't ..." before an unknown verb still rules on
/// people's behaviour.
fn nominal(cues: &Cues) -> ActionVerdict {
    if cues.diligence || cues.behaviour_noun || (cues.strong_habit && !cues.mechanism_means) {
        ActionVerdict::TryHarder
    } else if cues.artefact || cues.mechanism {
        ActionVerdict::Concrete
    } else if cues.soft_diligence {
        ActionVerdict::TryHarder
    } else {
        ActionVerdict::Unclear
    }
}

/// "People should not skip ...", "engineers must never ...": a prohibition
/// addressed to people is a rule of behaviour whatever the verb.
fn tells_people_not_to(words: &[Word], start: usize) -> bool {
    const MODALS: &[&str] = &[
        "should", "must", "shall", "need", "needs", "have", "has", "will", "can",
    ];
    let subject = (start..start + 3).find(|&i| is_person(words, i));
    subject.is_some_and(|s| {
        (s + 1..s + 4).any(|i| {
            words
                .get(i)
                .is_some_and(|w| MODALS.contains(&w.text.as_str()))
                && (i + 1..i + 3)
                    .any(|j| words.get(j).is_some_and(|w| w.is("not") || w.is("never")))
        })
    })
}

/// A subject without a determiner is a kind of thing ("Code", "Config changes"): a rule
/// about all of them, where "the runbook" is one task.
fn generic_subject(words: &[Word], start: usize) -> bool {
    const DETERMINERS: &[&str] = &["the", "our", "this", "that", "a", "an", "its", "their"];
    words
        .get(start)
        .is_some_and(|w| !DETERMINERS.contains(&w.text.as_str()))
}

/// "Code should be reviewed more carefully" names no one and no mechanism: it exhorts.
fn passive_verdict(class: VerbClass, cues: &Cues, generic: bool) -> ActionVerdict {
    if cues.mechanism_means {
        return ActionVerdict::Concrete;
    }
    match class {
        VerbClass::Exhort => ActionVerdict::TryHarder,
        VerbClass::Either => verdict(generic || cues.human_cue()),
        _ => verdict(cues.diligence),
    }
}

fn verdict(try_harder: bool) -> ActionVerdict {
    if try_harder {
        ActionVerdict::TryHarder
    } else {
        ActionVerdict::Concrete
    }
}

fn verb_verdict(
    words: &[Word],
    head: usize,
    class: VerbClass,
    subject: Subject,
    cues: &Cues,
) -> ActionVerdict {
    if subject == Subject::System && class == VerbClass::Copula {
        return verdict(cues.diligence || cues.strong_habit);
    }
    if subject == Subject::System && class != VerbClass::Exhort {
        return verdict(cues.diligence && !cues.mechanism);
    }
    if starts_with_seq(words, head, &["follow", "up"]) || delegates_a_change(words, head) {
        return build_verdict(words, head, cues);
    }
    if let Some(gerund) = gerund_object(words, head) {
        return gerund_verdict(words, head, gerund, subject, cues);
    }
    match class {
        VerbClass::Exhort => verdict(!cues.mechanism_means || cues.diligence),
        VerbClass::Either => verdict(
            !cues.mechanism_means
                && (subject == Subject::People || cues.human_cue() || cues.bare_plural_object),
        ),
        VerbClass::Communicate => {
            verdict(!cues.mechanism && (cues.message || cues.people || cues.human_cue()))
        }
        VerbClass::Build => build_verdict(words, head, cues),
        VerbClass::Ensure => ensure_verdict(words, head + 1),
        VerbClass::Copula => verdict(subject != Subject::System || cues.diligence),
        VerbClass::Make => make_verdict(words, head, cues),
    }
}

fn build_verdict(words: &[Word], head: usize, cues: &Cues) -> ActionVerdict {
    let improves_behaviour = (head + 1..head + 4)
        .filter_map(|at| words.get(at))
        .any(lexicon::is_behaviour_noun);
    let vague = cues.soft_diligence && !cues.artefact;
    verdict(
        improves_behaviour || (!cues.mechanism && (cues.diligence || cues.strong_habit || vague)),
    )
}

/// "Ask the DB team to add an alert": asking someone to build something is a change.
fn delegates_a_change(words: &[Word], head: usize) -> bool {
    let asks = matches!(words[head].text.as_str(), "ask" | "request" | "get");
    asks && (head + 1..head + 6).any(|at| {
        words.get(at).is_some_and(|w| w.is("to"))
            && words
                .get(at + 1)
                .is_some_and(|w| verb_class(&w.text) == Some(VerbClass::Build))
    })
}

/// The gerund a verb such as `stop`, `start` or `consider` governs: `stop deploying`.
fn gerund_object(words: &[Word], head: usize) -> Option<usize> {
    let verb = words.get(head)?;
    let governs = matches!(
        verb.text.as_str(),
        "stop" | "start" | "begin" | "continue" | "consider" | "quit" | "cease"
    );
    let next = head + 1;
    let gerund = words.get(next)?;
    (governs && gerund.text.ends_with("ing") && verb_class(&gerund.text).is_some()).then_some(next)
}

/// `stop deploying late` forbids a behaviour; `start adding tests` is judged by `adding`.
fn gerund_verdict(
    words: &[Word],
    head: usize,
    gerund: usize,
    subject: Subject,
    cues: &Cues,
) -> ActionVerdict {
    let stops = matches!(words[head].text.as_str(), "stop" | "quit" | "cease");
    if stops {
        return verdict(!cues.mechanism_means);
    }
    match verb_class(&words[gerund].text) {
        Some(class) => verb_verdict(words, gerund, class, subject, cues),
        None => ActionVerdict::Unclear,
    }
}

/// `make sure` exhorts; `make an effort` exhorts; `make the tool refuse ...` builds.
fn make_verdict(words: &[Word], head: usize, cues: &Cues) -> ActionVerdict {
    let next = head + 1;
    if starts_with_seq(words, next, &["sure"]) {
        return ensure_verdict(words, next + 1);
    }
    let effort = ["effort", "point", "habit"];
    let exhorts = (next..next + 3)
        .filter_map(|at| words.get(at))
        .any(|w| effort.contains(&w.text.as_str()));
    if exhorts {
        ActionVerdict::TryHarder
    } else {
        build_verdict(words, head, cues)
    }
}

/// `ensure X`: concrete when X's subject is a mechanism ("the CI job fails when ..."),
/// an exhortation when it is people or a state nobody is made responsible for.
fn ensure_verdict(words: &[Word], at: usize) -> ActionVerdict {
    let at = if words.get(at).is_some_and(|w| w.is("that")) {
        at + 1
    } else {
        at
    };
    if words.get(at).is_some_and(|w| w.is("to")) {
        return ActionVerdict::TryHarder;
    }
    let subject_mechanism = (at..at + 4).any(|i| is_mechanism(words, i));
    let subject_people = (at..at + 3).any(|i| is_person(words, i));
    let owns_mechanism = (at..words.len()).any(|i| {
        matches!(
            words[i].text.as_str(),
            "has" | "have" | "uses" | "use" | "includes" | "runs"
        ) && (i + 1..i + 5).any(|j| is_mechanism(words, j))
    });
    verdict(subject_people || !(subject_mechanism || owns_mechanism))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn exhortations_from_the_brief_are_flagged() {
        for text in [
            "Review code more carefully",
            "Always check on multiple browsers",
            "Check the docs first",
            "Engineers should be more careful",
            "Don't forget to rotate the keys",
        ] {
            assert!(is_try_harder(text), "{text}");
        }
    }

    #[test]
    fn concrete_changes_with_check_review_or_ensure_are_not_flagged() {
        for text in [
            "Add a CI check that ensures migrations are reversible",
            "Add a pre-merge review requirement via CODEOWNERS",
            "Add a quarterly calendar reminder to review certs",
            "Automate certificate renewal so nobody has to remember it",
        ] {
            assert!(!is_try_harder(text), "{text}");
        }
    }

    #[test]
    fn a_passive_rule_about_a_kind_of_thing_exhorts_unless_a_mechanism_does_it() {
        assert!(is_try_harder(
            "Config changes need to be reviewed by two people"
        ));
        assert!(is_try_harder("Secrets should never be committed to git"));
        assert!(is_try_harder("People should not skip the canary stage"));
        assert!(is_try_harder(
            "Engineers must never bypass the release train"
        ));
        assert!(!is_try_harder(
            "Make the pipeline refuse deploys that skip the canary stage"
        ));
        assert!(!is_try_harder("Secret scanning should be enforced in CI"));
        assert!(!is_try_harder(
            "Deployments should be gated on the canary error rate"
        ));
    }

    #[test]
    fn a_part_of_the_system_as_subject_is_a_change_to_the_system() {
        assert!(!is_try_harder(
            "The alert should fire when no jobs succeed for 30 minutes"
        ));
        assert!(is_try_harder("Code reviews should be more thorough"));
    }

    #[test]
    fn ensure_and_make_sure_depend_on_who_is_made_responsible() {
        assert!(!is_try_harder(
            "Ensure the CI job fails when the spec drifts"
        ));
        assert!(!is_try_harder(
            "Make sure the deploy script checks the lock"
        ));
        assert!(is_try_harder(
            "Make sure the config is correct before deploying"
        ));
        assert!(is_try_harder("Ensure everyone checks the logs"));
    }

    #[test]
    fn a_one_off_check_is_a_task_but_a_habit_of_checking_is_not() {
        assert!(!is_try_harder(
            "Review the IAM roles of the billing service"
        ));
        assert!(is_try_harder("Review PRs for SQL injection"));
        assert!(is_try_harder("Verify every config change with a colleague"));
    }

    #[test]
    fn improving_a_behaviour_is_an_exhortation_and_asking_for_a_change_is_not() {
        assert!(is_try_harder("Improve communication between the teams"));
        assert!(!is_try_harder("Ask the DB team to add a replica lag alert"));
        assert!(!is_try_harder("Consider adding a lint rule for raw SQL"));
        assert!(is_try_harder("Stop deploying late at night"));
    }

    #[test]
    fn a_bare_noun_is_unclear() {
        assert_eq!(classify_action_item("Certificates"), ActionVerdict::Unclear);
    }
}
