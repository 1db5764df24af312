//! Which words of a text refer to a person: the post-mortem's people by name, e-mail or
//! handle, anyone else by how the sentence names them (see `names`), pronouns, and nouns
//! for people in a role (`the engineer`, `the new hire`).

use std::collections::HashSet;

use super::super::super::text::{Case, Word, words};
use super::super::draft::DraftPerson;
use super::names::{is_english_word, names_a_person};

/// A word that refers to a person; `name` is set when it is one of the known people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub name: Option<String>,
}

/// Nouns and pronouns for a person in a role. `team` is here on purpose: "the frontend
/// team failed to ..." blames people as much as a name does.
#[rustfmt::skip]
const PERSON_NOUNS: &[&str] = &[
    "he", "she", "him", "engineer", "engineers", "developer", "developers", "dev", "devs",
    "intern", "interns", "hire", "hires", "operator", "operators", "sre", "sres", "dba",
    "admin", "administrator", "oncall", "someone", "somebody", "whoever", "lead", "manager",
    "reviewer", "reviewers", "author", "deployer", "newcomer", "newbie", "trainee",
    "contractor", "person", "guy", "team", "member", "employee", "colleague", "responder",
    "programmer", "coder", "staff", "ops", "qa", "tester", "contractors", "consultant",
    "consultants", "freelancer", "teammate", "teammates", "coworker", "colleagues", "analyst",
    "architect", "maintainer", "approver", "boss", "cto", "vp", "newbies", "interns",
];

/// Pronouns that refer back to people when the text has named one (or opens with them):
/// "they" can as well be the alerts.
const PLURAL_PRONOUNS: &[&str] = &["they", "them"];

/// Name keys of one person: lower-cased name parts (3+ letters), e-mail and handle.
struct KnownPerson {
    label: String,
    keys: Vec<String>,
}

impl KnownPerson {
    fn from_draft(person: &DraftPerson) -> Option<Self> {
        let mut keys: Vec<String> = Vec::new();
        if let Some(name) = &person.display_name {
            keys.extend(
                words(name)
                    .into_iter()
                    .map(|w| w.text)
                    .filter(|t| t.chars().count() >= 3 && t.chars().all(char::is_alphabetic)),
            );
        }
        if let Some(email) = &person.email {
            keys.push(email.trim().to_lowercase());
        }
        if let Some(login) = &person.github_login {
            let login = login.trim().trim_start_matches('@').to_lowercase();
            if !login.is_empty() {
                keys.push(format!("@{login}"));
                keys.push(login);
            }
        }
        let label = person
            .display_name
            .clone()
            .or_else(|| person.github_login.clone())
            .or_else(|| person.email.clone())
            .or_else(|| person.id.clone())?;
        (!keys.is_empty()).then_some(KnownPerson { label, keys })
    }
}

/// For each word of a text, the person it refers to, if any.
pub fn mentions(words: &[Word], people: &[DraftPerson]) -> Vec<Option<Mention>> {
    let known: Vec<KnownPerson> = people.iter().filter_map(KnownPerson::from_draft).collect();
    let named: Vec<bool> = (0..words.len())
        .map(|at| {
            names_a_person(words, at)
                || (words[at].joined && at >= 1 && names_a_person(words, at - 1))
        })
        .collect();
    // A name recognized once is that person wherever it is repeated ("Priya Raman ...
    // Raman ..."), even where the sentence alone would not say so.
    let names: HashSet<&str> = words
        .iter()
        .zip(&named)
        .filter(|(_, named)| **named)
        .map(|(word, _)| word.text.as_str())
        .collect();
    let mut found: Vec<Option<Mention>> = words
        .iter()
        .enumerate()
        .map(|(at, word)| {
            if let Some(person) = known.iter().find(|p| p.keys.contains(&word.text)) {
                return Some(Mention {
                    name: Some(person.label.clone()),
                });
            }
            let on_call = word.is("call") && at >= 1 && words[at - 1].is("on");
            let unknown_person = named[at]
                || (names.contains(word.text.as_str())
                    && (word.case != Case::Lower || !is_english_word(&word.text)));
            (on_call || unknown_person || PERSON_NOUNS.contains(&word.text.as_str()))
                .then_some(Mention { name: None })
        })
        .collect();
    let first_person = found.iter().position(Option::is_some);
    for (at, word) in words.iter().enumerate() {
        let refers_back = PLURAL_PRONOUNS.contains(&word.text.as_str())
            && (at == 0 || first_person.is_some_and(|first| first < at));
        if refers_back && found[at].is_none() {
            found[at] = Some(Mention { name: None });
        }
    }
    found
}
