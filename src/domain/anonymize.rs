//! Stable pseudonyms per post-mortem ("Engineer A"), descriptions that keep the signal
//! anonymizing would lose (team, role, tenure), and scrubbing of names from prose.

use std::{borrow::Cow, sync::Arc};

use foldhash::{HashMap, HashSet};

use chrono::NaiveDate;

use super::text::{Token, TokenKind, tokenize, tokens};

/// What the anonymizer needs to know about a person.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonProfile {
    pub id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub github_login: Option<String>,
    pub team: Option<String>,
    pub role_title: Option<String>,
    pub joined_on: Option<NaiveDate>,
}

/// "Engineer A" for 0, "Engineer Z" for 25, "Engineer AA" for 26: bijective base 26, like
/// spreadsheet columns, so the labels never run out and never repeat.
pub fn pseudonym_label(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        n -= 1;
        letters.push(char::from(b'A' + (n % 26) as u8));
        n /= 26;
    }
    letters.reverse();
    format!("Engineer {}", letters.into_iter().collect::<String>())
}

struct Entry {
    profile: PersonProfile,
    /// Lower-cased words of the display name, in order.
    full_name: Vec<String>,
    /// Name words of three letters or more, matched on their own.
    name_parts: Vec<String>,
    email: Option<String>,
    login: Option<String>,
}

impl Entry {
    fn new(profile: PersonProfile) -> Self {
        let full_name: Vec<String> = profile
            .display_name
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(|part| {
                part.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|part| !part.is_empty())
            .collect();
        let name_parts = full_name
            .iter()
            .filter(|part| part.chars().count() >= 3)
            .cloned()
            .collect();
        let email = profile.email.as_deref().map(|e| e.trim().to_lowercase());
        let login = profile
            .github_login
            .as_deref()
            .map(|l| l.trim().trim_start_matches('@').to_lowercase())
            .filter(|l| !l.is_empty());
        Entry {
            profile,
            full_name,
            name_parts,
            email,
            login,
        }
    }
}

/// Everyone who could be named, read for matching once: a directory's worth
/// of people is shared by the pseudonyms of every post-mortem of a page.
pub struct People {
    entries: Vec<Entry>,
    by_id: HashMap<String, usize>,
    /// Every lower-cased word, e-mail or login that can start a match: most
    /// text names nobody, and one look-up per token tells so.
    keys: HashSet<String>,
}

impl People {
    /// The people given, each once (the first time they appear).
    pub fn new(profiles: impl IntoIterator<Item = PersonProfile>) -> Self {
        let mut entries: Vec<Entry> = Vec::new();
        let mut by_id = HashMap::default();
        for profile in profiles {
            if !by_id.contains_key(&profile.id) {
                by_id.insert(profile.id.clone(), entries.len());
                entries.push(Entry::new(profile));
            }
        }
        let keys = entries
            .iter()
            .flat_map(|e| {
                let first = e.full_name.first().filter(|_| e.full_name.len() >= 2);
                first
                    .into_iter()
                    .chain(&e.name_parts)
                    .chain(&e.email)
                    .chain(&e.login)
                    .cloned()
            })
            .collect();
        Self {
            entries,
            by_id,
            keys,
        }
    }
}

/// The pseudonyms of one post-mortem's people.
pub struct Pseudonyms {
    people: Arc<People>,
    /// Entries in label order: `order[0]` is Engineer A.
    order: Vec<usize>,
    /// Each entry's place in `order`.
    rank: Vec<usize>,
}

/// Lower case, without copying text that already is.
fn lower(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(word.to_lowercase())
    }
}

/// `Alice's` -> (`Alice`, `'s`): the name part of a token and the possessive after it.
fn split_possessive(token: &str) -> (&str, &str) {
    for suffix in ["'s", "\u{2019}s", "'", "\u{2019}"] {
        if let Some(core) = token.strip_suffix(suffix) {
            return (core, &token[core.len()..]);
        }
    }
    (token, "")
}

impl Pseudonyms {
    /// Labels people in order: the author first, then everyone else in the order given
    /// (their first appearance); a person listed twice keeps the first label.
    #[cfg(test)]
    fn assign(author_id: Option<&str>, people: &[PersonProfile]) -> Self {
        let people = Arc::new(People::new(people.iter().cloned()));
        let order: Vec<usize> = (0..people.entries.len()).collect();
        Self::in_order(people, author_id.into_iter(), order)
    }

    /// Labels `people`: the author first, then those `first` names (in that
    /// order), then everyone else in the order `people` holds them.
    pub fn in_order<'a>(
        people: Arc<People>,
        first: impl Iterator<Item = &'a str>,
        rest: impl IntoIterator<Item = usize>,
    ) -> Self {
        let count = people.entries.len();
        let mut rank = vec![usize::MAX; count];
        let mut order = Vec::with_capacity(count);
        let firsts = first.filter_map(|id| people.by_id.get(id).copied());
        for entry in firsts.chain(rest) {
            if rank[entry] == usize::MAX {
                rank[entry] = order.len();
                order.push(entry);
            }
        }
        Self {
            people,
            order,
            rank,
        }
    }

    fn entry_of(&self, person_id: &str) -> Option<(&Entry, usize)> {
        let index = *self.people.by_id.get(person_id)?;
        Some((&self.people.entries[index], self.rank[index]))
    }

    /// The pseudonym of a person: "Engineer B".
    #[cfg(test)]
    fn label(&self, person_id: &str) -> Option<String> {
        self.entry_of(person_id)
            .map(|(_, rank)| pseudonym_label(rank))
    }

    /// "Engineer A, frontend, Senior Engineer, joined 3 days before": the pseudonym with
    /// team, role and tenure at the incident, leaving out whatever is unknown.
    pub fn describe(&self, person_id: &str, incident_date: NaiveDate) -> Option<String> {
        let (entry, rank) = self.entry_of(person_id)?;
        let profile = &entry.profile;
        let mut parts = vec![pseudonym_label(rank)];
        let known = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        parts.extend(known(&profile.team));
        parts.extend(known(&profile.role_title));
        parts.extend(
            profile
                .joined_on
                .map(|joined| tenure(joined, incident_date)),
        );
        Some(parts.join(", "))
    }

    /// Entries in label order, with their labels' places.
    fn labelled(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.order
            .iter()
            .enumerate()
            .map(|(rank, &index)| (rank, &self.people.entries[index]))
    }

    /// Replaces every known person's name, e-mail and handle in `text` with their
    /// pseudonym. Whole words only, case-insensitive; a possessive `'s` is kept.
    pub fn scrub(&self, text: &str) -> String {
        // Most text names nobody: tell so before collecting anything.
        let names_someone =
            tokens(text).any(|token| self.may_name(token.kind, &lower(token.text(text))));
        if !names_someone {
            return text.to_owned();
        }
        let tokens = tokenize(text);
        // Lowered once here rather than once per person compared (GraphQL scrubs
        // thousands of texts per dashboard page).
        let lowered: Vec<Cow<'_, str>> = tokens.iter().map(|t| lower(t.text(text))).collect();
        let may_name: Vec<bool> = tokens
            .iter()
            .zip(&lowered)
            .map(|(token, word)| self.may_name(token.kind, word))
            .collect();
        if !may_name.contains(&true) {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut i = 0;
        while i < tokens.len() {
            if !may_name[i] {
                i += 1;
                continue;
            }
            let (consumed, label) = match self.full_name_at(text, &tokens, &lowered, i) {
                Some(found) => found,
                None => match self.single_at(tokens[i], &lowered[i]) {
                    Some(label) => (1, label),
                    None => {
                        i += 1;
                        continue;
                    }
                },
            };
            let last = tokens[i + consumed - 1];
            let (core, _) = split_possessive(last.text(text));
            out.push_str(&text[copied..tokens[i].start]);
            out.push_str(&label);
            copied = last.start + core.len();
            i += consumed;
        }
        out.push_str(&text[copied..]);
        out
    }

    /// Whether a token could start a name, an e-mail or a handle of someone
    /// here: a full name starts with its first word; anything else is one token.
    fn may_name(&self, kind: TokenKind, word: &str) -> bool {
        match kind {
            TokenKind::Word => {
                let keys = &self.people.keys;
                keys.contains(word) || keys.contains(split_possessive(word).0)
            }
            TokenKind::Email => self.people.keys.contains(word),
            TokenKind::Handle => self.people.keys.contains(word.trim_start_matches('@')),
            TokenKind::Punct => false,
        }
    }

    /// A display name of two words or more written out in full, starting at token `i`.
    fn full_name_at(
        &self,
        text: &str,
        tokens: &[Token],
        lowered: &[Cow<'_, str>],
        i: usize,
    ) -> Option<(usize, String)> {
        self.labelled()
            .filter(|(_, e)| e.full_name.len() >= 2)
            // The first word is never the possessive last one: a cheap first test.
            .filter(|(_, e)| e.full_name[0] == lowered[i])
            .find(|(_, entry)| {
                let window = tokens.get(i..i + entry.full_name.len());
                window.is_some_and(|window| {
                    let adjacent = window
                        .windows(2)
                        .all(|pair| text[pair[0].end..pair[1].start].trim().is_empty());
                    let words_match = window.iter().zip(&entry.full_name).enumerate().all(
                        |(k, (token, part))| {
                            let word = token.text(text);
                            let word = if k + 1 == window.len() {
                                split_possessive(word).0
                            } else {
                                word
                            };
                            token.kind == TokenKind::Word && word.to_lowercase() == *part
                        },
                    );
                    adjacent && words_match
                })
            })
            .map(|(rank, entry)| (entry.full_name.len(), pseudonym_label(rank)))
    }

    /// One token naming people: an e-mail, a handle, a login or a name part. A first name
    /// two people share becomes "Engineer A or Engineer C".
    fn single_at(&self, token: Token, raw: &str) -> Option<String> {
        let matches: Vec<String> = self
            .labelled()
            .filter(|(_, entry)| match token.kind {
                TokenKind::Email => entry.email.as_deref() == Some(raw),
                TokenKind::Handle => entry.login.as_deref() == Some(raw.trim_start_matches('@')),
                TokenKind::Word => {
                    let (core, _) = split_possessive(raw);
                    entry.login.as_deref() == Some(core)
                        || entry.name_parts.iter().any(|part| part == core)
                }
                TokenKind::Punct => false,
            })
            .map(|(rank, _)| pseudonym_label(rank))
            .collect();
        (!matches.is_empty()).then(|| matches.join(" or "))
    }
}

/// "joined 3 days before", "joined 2 weeks before", "joined the same day".
fn tenure(joined: NaiveDate, incident: NaiveDate) -> String {
    let days = (incident - joined).num_days();
    let (count, unit) = match days.unsigned_abs() {
        0 => return "joined the same day".to_string(),
        d @ 1..=13 => (d, "day"),
        d @ 14..=59 => (d / 7, "week"),
        d @ 60..=729 => (d / 30, "month"),
        d => (d / 365, "year"),
    };
    let plural = if count == 1 { "" } else { "s" };
    let side = if days > 0 { "before" } else { "after" };
    format!("joined {count} {unit}{plural} {side}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn people() -> Vec<PersonProfile> {
        vec![
            PersonProfile {
                id: "bob".into(),
                display_name: Some("Bob Jones".into()),
                email: Some("bob@example.com".into()),
                github_login: Some("bjones".into()),
                ..PersonProfile::default()
            },
            PersonProfile {
                id: "alice".into(),
                display_name: Some("Alice Smith".into()),
                email: Some("alice@example.com".into()),
                github_login: Some("@asmith".into()),
                team: Some("frontend".into()),
                role_title: None,
                joined_on: Some(date(2025, 2, 26)),
            },
        ]
    }

    #[test]
    fn labels_run_a_to_z_then_aa() {
        assert_eq!(pseudonym_label(0), "Engineer A");
        assert_eq!(pseudonym_label(25), "Engineer Z");
        assert_eq!(pseudonym_label(26), "Engineer AA");
        assert_eq!(pseudonym_label(27), "Engineer AB");
        assert_eq!(pseudonym_label(26 + 26 * 26), "Engineer AAA");
    }

    #[test]
    fn the_author_is_engineer_a_and_others_follow_in_order_of_appearance() {
        let names = Pseudonyms::assign(Some("alice"), &people());
        assert_eq!(names.label("alice").as_deref(), Some("Engineer A"));
        assert_eq!(names.label("bob").as_deref(), Some("Engineer B"));
        assert_eq!(names.label("carol").as_deref(), None);
    }

    #[test]
    fn a_description_keeps_team_and_tenure_and_leaves_out_what_is_unknown() {
        let names = Pseudonyms::assign(Some("alice"), &people());
        assert_eq!(
            names.describe("alice", date(2025, 3, 1)).as_deref(),
            Some("Engineer A, frontend, joined 3 days before")
        );
        assert_eq!(
            names.describe("bob", date(2025, 3, 1)).as_deref(),
            Some("Engineer B")
        );
    }

    #[test]
    fn tenure_reads_in_days_weeks_months_or_years() {
        let incident = date(2025, 3, 1);
        assert_eq!(tenure(date(2025, 3, 1), incident), "joined the same day");
        assert_eq!(tenure(date(2025, 2, 28), incident), "joined 1 day before");
        assert_eq!(tenure(date(2025, 2, 1), incident), "joined 4 weeks before");
        assert_eq!(tenure(date(2024, 9, 1), incident), "joined 6 months before");
        assert_eq!(tenure(date(2021, 3, 1), incident), "joined 4 years before");
        assert_eq!(tenure(date(2025, 3, 4), incident), "joined 3 days after");
    }

    #[test]
    fn scrub_replaces_full_names_parts_emails_and_handles() {
        let names = Pseudonyms::assign(Some("alice"), &people());
        let text =
            "Alice Smith paged bob@example.com; @bjones and BJONES replied, then smith left.";
        assert_eq!(
            names.scrub(text),
            "Engineer A paged Engineer B; Engineer B and Engineer B replied, then Engineer A left."
        );
    }

    #[test]
    fn scrub_keeps_possessives_and_leaves_words_that_only_contain_a_name() {
        let names = Pseudonyms::assign(Some("alice"), &people());
        assert_eq!(
            names.scrub("Alice's rollback and Alice Smith\u{2019}s note; Bobby and Alicezon stay."),
            "Engineer A's rollback and Engineer A\u{2019}s note; Bobby and Alicezon stay."
        );
    }

    #[test]
    fn scrub_does_not_touch_other_peoples_emails_or_short_name_parts() {
        let names = Pseudonyms::assign(
            None,
            &[PersonProfile {
                id: "al".into(),
                display_name: Some("Al Li".into()),
                ..PersonProfile::default()
            }],
        );
        assert_eq!(
            names.scrub("Al Li met Al at alice@other.com"),
            "Engineer A met Al at alice@other.com"
        );
    }

    #[test]
    fn a_shared_first_name_names_both_candidates() {
        let mut list = people();
        list.push(PersonProfile {
            id: "alice2".into(),
            display_name: Some("Alice Wong".into()),
            ..PersonProfile::default()
        });
        let names = Pseudonyms::assign(Some("alice"), &list);
        assert_eq!(
            names.scrub("Alice restarted it"),
            "Engineer A or Engineer C restarted it"
        );
        assert_eq!(
            names.scrub("Alice Wong restarted it"),
            "Engineer C restarted it"
        );
    }
}
