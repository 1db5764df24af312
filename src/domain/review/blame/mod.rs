//! Recognises narrative text that makes a person, or a trait of a person, the cause.
//!
//! Describing what someone did stays neutral ("Alice deployed 1.4 at 14:02"); what is
//! flagged is judgement ("careless", "human error", "should have known"), a person as the
//! subject of a fault ("Bob failed to ...", "the intern forgot ..."), a fault owned by a
//! person ("Alice's mistake"), a person named as the cause ("caused by Bob"), and a trait
//! given as the reason ("because the new hire ..."). The same fault verbs with a system
//! as subject ("the alert failed to fire") are not blame.

mod frames;
mod mentions;
mod names;
mod subject;
mod wording;

use serde::Serialize;

use super::super::text::{Word, starts_with_seq, words};
use super::draft::DraftPerson;
use mentions::{Mention, mentions};

/// How a text blames a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlameKind {
    /// "human error", "operator error".
    HumanError,
    /// "should have known", "should have caught".
    Hindsight,
    /// "careless", "sloppy", "incompetent", insults.
    Judgement,
    /// "blame", "at fault", "Alice's fault".
    Fault,
    /// A person as the subject of a fault: "Bob failed to", "the intern forgot".
    PersonAtFault,
    /// A person named as the cause: "caused by Bob".
    PersonAsCause,
    /// A trait of a person given as the cause: "because the new hire ...".
    TraitAsCause,
}

impl BlameKind {
    /// Why this wording works against a blameless review.
    pub fn explanation(self) -> &'static str {
        match self {
            BlameKind::HumanError => {
                "\"human error\" ends the inquiry where it should start: ask what made the error easy and its effect large"
            }
            BlameKind::Hindsight => {
                "hindsight judges a decision by an outcome nobody could see at the time"
            }
            BlameKind::Judgement => "it judges a person instead of describing what happened",
            BlameKind::Fault => "it assigns fault to a person",
            BlameKind::PersonAtFault => "it makes a person the subject of a failure",
            BlameKind::PersonAsCause => "it names a person as the cause",
            BlameKind::TraitAsCause => {
                "it gives a trait of a person (new, junior, inexperienced) as the cause"
            }
        }
    }
}

/// What matched, for the finding's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlameHit {
    pub kind: BlameKind,
    /// The words that matched, lower-cased.
    pub matched: String,
    /// The known person the text blames, when it names one.
    pub person: Option<String>,
    /// Where the match ends, in the text's normalized words: what follows is what the
    /// person is said to have failed at ("the runbook").
    #[serde(skip)]
    pub after: usize,
}

struct Text<'a> {
    words: &'a [Word],
    mentions: Vec<Option<Mention>>,
}

impl Text<'_> {
    fn seq(&self, at: usize, seq: &[&str]) -> bool {
        starts_with_seq(self.words, at, seq)
    }

    fn text(&self, at: usize) -> &str {
        self.words.get(at).map_or("", |w| w.text.as_str())
    }

    fn joined(&self, from: usize, len: usize) -> String {
        let end = (from + len).min(self.words.len());
        let parts: Vec<&str> = self.words[from..end]
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        parts.join(" ")
    }

    fn hit(&self, kind: BlameKind, from: usize, len: usize) -> BlameHit {
        BlameHit {
            kind,
            matched: self.joined(from, len),
            person: None,
            after: (from + len).min(self.words.len()),
        }
    }

    fn mention(&self, at: usize) -> Option<&Mention> {
        self.mentions.get(at).and_then(Option::as_ref)
    }
}

/// The first way `text` blames a person, if it does. `people` are the post-mortem's people,
/// so that their names, e-mails and handles count as persons.
pub fn blames_person(text: &str, people: &[DraftPerson]) -> Option<BlameHit> {
    let words = words(text);
    let text = Text {
        mentions: mentions(&words, people),
        words: &words,
    };
    const RULES: &[fn(&Text, usize) -> Option<BlameHit>] = &[
        wording::human_error,
        wording::judgement,
        wording::blame_word,
        wording::fault,
        wording::hindsight,
        subject::person_at_fault,
        subject::person_as_cause,
        subject::trait_as_cause,
        subject::trait_subject,
        frames::passive,
        frames::let_lapse,
        frames::defiance,
        frames::on_someone,
        frames::instead_of,
        frames::never_did,
    ];
    (0..words.len()).find_map(|at| RULES.iter().find_map(|rule| rule(&text, at)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn alice() -> Vec<DraftPerson> {
        vec![DraftPerson {
            id: Some("p1".into()),
            display_name: Some("Alice Smith".into()),
            email: Some("alice@example.com".into()),
            github_login: Some("asmith".into()),
        }]
    }

    #[test]
    fn a_named_person_failing_is_blame_and_names_them() {
        let hit = blames_person("Smith failed to renew the certificate", &alice());
        let hit = hit.unwrap();
        assert_eq!(hit.kind, BlameKind::PersonAtFault);
        assert_eq!(hit.person.as_deref(), Some("Alice Smith"));
    }

    #[test]
    fn a_system_failing_is_not_blame() {
        assert_eq!(blames_person("The alert failed to fire", &alice()), None);
        assert_eq!(
            blames_person("The deploy script failed to check the lock", &alice()),
            None
        );
    }

    #[test]
    fn saying_nobody_is_to_blame_is_not_blame() {
        assert_eq!(blames_person("Nobody is to blame here", &alice()), None);
    }

    #[test]
    fn a_trait_given_as_the_cause_is_blame_but_mentioning_tenure_is_not() {
        let hit = blames_person("It broke because the new hire skipped a step", &alice());
        assert_eq!(hit.map(|h| h.kind), Some(BlameKind::TraitAsCause));
        assert_eq!(
            blames_person("The new hire onboarding docs skip staging", &alice()),
            None
        );
    }

    #[test]
    fn a_person_named_by_a_trait_doing_damage_is_blame() {
        for text in [
            "The new intern deleted the production table",
            "A junior engineer misconfigured the load balancer",
            "Our inexperienced developer pushed the change without review",
        ] {
            assert!(blames_person(text, &alice()).is_some(), "{text}");
        }
        for text in [
            "The new hire onboarding docs skip staging",
            "A new engineer joined the on-call rotation that week",
            "The new deploy pipeline deleted old artifacts",
        ] {
            assert_eq!(blames_person(text, &alice()), None, "{text}");
        }
    }

    #[test]
    fn a_counterfactual_about_a_person_paying_attention_is_hindsight() {
        let hit = blames_person(
            "If Alice had been paying attention this would not have happened",
            &alice(),
        );
        assert_eq!(hit.map(|h| h.kind), Some(BlameKind::Hindsight));
    }

    #[test]
    fn possessive_fault_names_the_person_but_a_possessive_act_is_neutral() {
        let hit = blames_person("This was alice's mistake", &alice()).unwrap();
        assert_eq!(hit.kind, BlameKind::Fault);
        assert_eq!(hit.person.as_deref(), Some("Alice Smith"));
        assert_eq!(
            blames_person("Alice's rollback restored service", &alice()),
            None
        );
    }

    #[test]
    fn technical_uses_of_fault_blame_and_lazy_are_neutral() {
        for text in [
            "A segmentation fault crashed the worker",
            "git blame shows the change landed in March",
            "Lazy loading delayed the config read",
            "Fault injection did not cover partitions",
        ] {
            assert_eq!(blames_person(text, &alice()), None, "{text}");
        }
    }

    #[test]
    fn hindsight_about_a_system_is_neutral() {
        assert_eq!(
            blames_person("The health check should have caught the deadlock", &alice()),
            None
        );
        let hit = blames_person("@asmith should have caught it", &alice()).unwrap();
        assert_eq!(hit.kind, BlameKind::Hindsight);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod outside_directory_tests;
