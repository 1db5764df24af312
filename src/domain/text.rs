//! A small tokenizer for English prose, shared by the review classifiers and the anonymizer.

/// What a token is: a word, an e-mail address, an `@handle` or a punctuation mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Word,
    Email,
    Handle,
    Punct,
}

/// A token of the source text, by byte span so callers can rewrite the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        source.get(self.start..self.end).unwrap_or_default()
    }
}

/// Characters that may sit inside a token when a letter or digit follows them:
/// `on-call`, `don't`, `v1.4`, `14:02`, `alice@example.com`.
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '\'' | '\u{2019}' | '.' | '@' | ':' | '_' | '+')
}

fn starts_token(c: char) -> bool {
    c.is_alphanumeric() || c == '@' || c == '_'
}

/// Splits text into words, e-mail addresses, handles and punctuation; whitespace is dropped.
pub fn tokenize(text: &str) -> Vec<Token> {
    tokens(text).collect()
}

/// [`tokenize`] one token at a time, for callers that may stop early.
pub fn tokens(text: &str) -> impl Iterator<Item = Token> + '_ {
    let mut chars = text.char_indices();
    std::iter::from_fn(move || {
        loop {
            let (start, c) = chars.next()?;
            if c.is_whitespace() {
                continue;
            }
            if !starts_token(c) {
                return Some(Token {
                    kind: TokenKind::Punct,
                    start,
                    end: start + c.len_utf8(),
                });
            }
            let mut end = start + c.len_utf8();
            loop {
                let mut ahead = chars.clone();
                let Some((at, d)) = ahead.next() else {
                    break;
                };
                let next_is_alnum = ahead.next().is_some_and(|(_, n)| n.is_alphanumeric());
                if !(d.is_alphanumeric() || d == '_' || (is_joiner(d) && next_is_alnum)) {
                    break;
                }
                chars.next();
                end = at + d.len_utf8();
            }
            let body = &text[start..end];
            let kind = if body.starts_with('@') {
                TokenKind::Handle
            } else if body.contains('@') {
                TokenKind::Email
            } else {
                TokenKind::Word
            };
            return Some(Token { kind, start, end });
        }
    })
}

/// A normalized word for the classifiers: lower-case, hyphenated words split, contractions
/// expanded (`didn't` -> `did not`), and a possessive `'s` kept as a flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub possessive: bool,
    /// How the word was written, a cue to names: `Priya` is title case, `AWS` is not.
    pub case: Case,
    /// A later part of a hyphenated word: `jun` in `Min-jun`.
    pub joined: bool,
}

/// The letter case a word was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// No capital letter: `runbook`, `priya`, `14:02`.
    Lower,
    /// A capital, then no other: `Priya`, `Zoë`, `The`.
    Title,
    /// Capitals elsewhere: `AWS`, `PagerDuty`, `iOS`.
    Mixed,
}

impl Case {
    fn of(original: &str) -> Self {
        let mut letters = original.chars().filter(|c| c.is_alphabetic());
        let first_upper = letters.next().is_some_and(char::is_uppercase);
        let later_upper = letters.any(char::is_uppercase);
        match (first_upper, later_upper) {
            (false, false) => Case::Lower,
            (true, false) => Case::Title,
            _ => Case::Mixed,
        }
    }
}

impl Word {
    fn plain(text: &str) -> Self {
        Word {
            text: text.to_string(),
            possessive: false,
            case: Case::Lower,
            joined: false,
        }
    }

    pub fn is(&self, text: &str) -> bool {
        self.text == text
    }

    /// True for `.`, `;`, `!`, `?` and `:`, which end a clause.
    pub fn ends_clause(&self) -> bool {
        matches!(self.text.as_str(), "." | ";" | "!" | "?" | ":")
    }

    pub fn is_punct(&self) -> bool {
        !self.text.chars().any(char::is_alphanumeric)
    }
}

const CONTRACTED_IS: &[&str] = &[
    "it", "that", "he", "she", "there", "what", "who", "here", "this",
];

fn expand_apostrophe(part: &str, out: &mut Vec<Word>) {
    let Some(at) = part.rfind('\'') else {
        out.push(Word::plain(part));
        return;
    };
    let (base, suffix) = (&part[..at], &part[at + 1..]);
    match suffix {
        "t" if base.ends_with('n') => {
            let stem = &base[..base.len() - 1];
            let verb = match stem {
                "ca" => "can",
                "wo" => "will",
                "sha" => "shall",
                other => other,
            };
            out.push(Word::plain(verb));
            out.push(Word::plain("not"));
        }
        "s" if base == "let" => {
            out.push(Word::plain("let"));
            out.push(Word::plain("us"));
        }
        "s" if CONTRACTED_IS.contains(&base) => {
            out.push(Word::plain(base));
            out.push(Word::plain("is"));
        }
        "s" => out.push(Word {
            text: base.to_string(),
            possessive: true,
            case: Case::Lower,
            joined: false,
        }),
        "ll" | "re" | "ve" | "d" | "m" => {
            let verb = match suffix {
                "ll" => "will",
                "re" => "are",
                "ve" => "have",
                "d" => "would",
                _ => "am",
            };
            out.push(Word::plain(base));
            out.push(Word::plain(verb));
        }
        _ => out.push(Word::plain(part)),
    }
}

/// Normalized words of `text`, punctuation kept as one-character words.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for token in tokenize(text) {
        let original = token.text(text);
        let lower = original.to_lowercase().replace('\u{2019}', "'");
        match token.kind {
            TokenKind::Email | TokenKind::Handle | TokenKind::Punct => {
                out.push(Word::plain(&lower));
            }
            TokenKind::Word => {
                let parts = lower.split('-').zip(original.split('-'));
                for (i, (part, written)) in parts.filter(|(p, _)| !p.is_empty()).enumerate() {
                    let from = out.len();
                    expand_apostrophe(part, &mut out);
                    for word in &mut out[from..] {
                        word.case = Case::of(written);
                        word.joined = i > 0;
                    }
                }
            }
        }
    }
    out
}

/// True when `words[at..]` starts with the given sequence.
pub fn starts_with_seq(words: &[Word], at: usize, seq: &[&str]) -> bool {
    seq.iter()
        .enumerate()
        .all(|(k, s)| words.get(at + k).is_some_and(|w| w.is(s)))
}

const IRREGULAR: &[(&str, &str)] = &[
    ("written", "write"),
    ("wrote", "write"),
    ("ran", "run"),
    ("held", "hold"),
    ("built", "build"),
    ("made", "make"),
    ("kept", "keep"),
    ("taken", "take"),
    ("took", "take"),
    ("known", "know"),
    ("knew", "know"),
    ("thought", "think"),
    ("understood", "understand"),
    ("done", "do"),
    ("did", "do"),
    ("forgot", "forget"),
    ("forgotten", "forget"),
    ("paid", "pay"),
    ("told", "tell"),
    ("spoken", "speak"),
    ("sent", "send"),
    ("got", "get"),
    ("gotten", "get"),
    ("set", "set"),
    ("put", "put"),
    ("read", "read"),
    ("split", "split"),
    ("cut", "cut"),
    ("broke", "break"),
    ("broken", "break"),
    ("drawn", "draw"),
    ("led", "lead"),
    ("seen", "see"),
    ("saw", "see"),
    ("shown", "show"),
    ("given", "give"),
    ("chosen", "choose"),
    ("rolled", "roll"),
];

/// `stopp` -> `stopp`, `stoppe`, `stop`: the candidates for a stem left by `-ing` / `-ed`.
fn push_stem(forms: &mut Vec<String>, stem: &str) {
    if stem.len() < 2 {
        return;
    }
    forms.push(stem.to_string());
    forms.push(format!("{stem}e"));
    if let [.., a, b] = stem.as_bytes()
        && a == b
    {
        forms.push(stem[..stem.len() - 1].to_string());
    }
}

/// Possible base forms of an inflected word, most likely first; the word itself comes first.
/// Over-generates on purpose: callers look the candidates up in a closed lexicon.
pub fn base_forms(word: &str) -> Vec<String> {
    let mut forms = vec![word.to_string()];
    if let Some(&(_, base)) = IRREGULAR.iter().find(|(form, _)| *form == word) {
        forms.push(base.to_string());
    }
    if let Some(stem) = word
        .strip_suffix("ies")
        .or_else(|| word.strip_suffix("ied"))
    {
        forms.push(format!("{stem}y"));
    }
    for suffix in ["ing", "ed"] {
        if let Some(stem) = word.strip_suffix(suffix) {
            push_stem(&mut forms, stem);
        }
    }
    if let Some(stem) = word.strip_suffix("es") {
        forms.push(stem.to_string());
    }
    if let Some(stem) = word.strip_suffix('s')
        && !word.ends_with("ss")
    {
        forms.push(stem.to_string());
    }
    forms
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        words(text).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn emails_handles_versions_and_times_stay_whole() {
        let source = "alice@example.com paged @asmith about v1.4 at 14:02.";
        let kinds: Vec<_> = tokenize(source)
            .iter()
            .map(|t| (t.kind, t.text(source)))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (TokenKind::Email, "alice@example.com"),
                (TokenKind::Word, "paged"),
                (TokenKind::Handle, "@asmith"),
                (TokenKind::Word, "about"),
                (TokenKind::Word, "v1.4"),
                (TokenKind::Word, "at"),
                (TokenKind::Word, "14:02"),
                (TokenKind::Punct, "."),
            ]
        );
    }

    #[test]
    fn contractions_expand_and_possessives_become_a_flag() {
        assert_eq!(texts("Don't forget"), ["do", "not", "forget"]);
        assert_eq!(
            texts("we'll check; it's fine"),
            ["we", "will", "check", ";", "it", "is", "fine"]
        );
        assert_eq!(texts("can\u{2019}t"), ["can", "not"]);
        let alice = words("Alice's mistake");
        assert!(alice[0].possessive && alice[0].is("alice"));
    }

    #[test]
    fn words_keep_how_they_were_cased_and_joined() {
        let seen: Vec<(String, Case, bool)> = words("Min-jun paged AWS support")
            .into_iter()
            .map(|w| (w.text, w.case, w.joined))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("min".to_string(), Case::Title, false),
                ("jun".to_string(), Case::Lower, true),
                ("paged".to_string(), Case::Lower, false),
                ("aws".to_string(), Case::Mixed, false),
                ("support".to_string(), Case::Lower, false),
            ]
        );
    }

    #[test]
    fn hyphenated_words_split_into_parts() {
        assert_eq!(
            texts("double-check the on-call"),
            ["double", "check", "the", "on", "call"]
        );
    }

    #[test]
    fn base_forms_cover_regular_and_irregular_inflections() {
        assert!(base_forms("reviewed").contains(&"review".to_string()));
        assert!(base_forms("writing").contains(&"write".to_string()));
        assert!(base_forms("stopped").contains(&"stop".to_string()));
        assert!(base_forms("verifies").contains(&"verify".to_string()));
        assert!(base_forms("forgot").contains(&"forget".to_string()));
    }
}
