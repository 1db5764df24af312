//! What each tracker accepts as an issue title, from the vendors' own
//! documentation and validation:
//!
//! - Jira: `summary` at most 255 characters, one line (Jira Cloud answers 400
//!   "Summary must be less than 255 characters" and refuses line breaks;
//!   Atlassian's REST v3 description of the issue fields).
//! - GitHub: 256 characters (the REST API's 422 `title is too long (maximum is
//!   256 characters)` on `POST /repos/{owner}/{repo}/issues`).
//! - GitLab: 255 characters (`Issuable::TITLE_LENGTH_MAX = 255`, which the
//!   Issues API validates: 400 `title is too long (maximum is 255 characters)`).
//! - Linear: its API reference states no title limit; 255 keeps a title whole
//!   in Linear's lists and is what its importers cut to, so we use that.
//!
//! Java (Jira) and JavaScript (Linear) count UTF-16 code units, Ruby (GitHub,
//! GitLab) counts code points; counting UTF-16 units is never under either.

use std::borrow::Cow;

use super::{IssueSpec, TrackerKind};

/// The longest title `kind` accepts, in UTF-16 code units.
pub fn title_limit(kind: TrackerKind) -> usize {
    match kind {
        TrackerKind::Jira => 255,
        TrackerKind::Github => 256,
        TrackerKind::Gitlab => 255,
        TrackerKind::Linear => 255,
    }
}

const ELLIPSIS: char = '…';

impl IssueSpec {
    /// The spec with its title on one line and within `limit` (shortened with
    /// an ellipsis); a shortened title is given whole at the top of the
    /// description, so nothing the owner wrote is lost.
    pub fn within_title_limit(&self, limit: usize) -> Cow<'_, IssueSpec> {
        let one_line = self.title.split_whitespace().collect::<Vec<_>>().join(" ");
        let fits = utf16_len(&one_line) <= limit;
        if fits && one_line == self.title {
            return Cow::Borrowed(self);
        }
        let mut spec = self.clone();
        if fits {
            spec.title = one_line;
            return Cow::Owned(spec);
        }
        let mut short = String::new();
        let mut used = ELLIPSIS.len_utf16();
        for c in one_line.chars() {
            used += c.len_utf16();
            if used > limit {
                break;
            }
            short.push(c);
        }
        spec.title = format!("{}{ELLIPSIS}", short.trim_end());
        spec.description_markdown =
            format!("Full title: {one_line}\n\n{}", self.description_markdown);
        Cow::Owned(spec)
    }
}

fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(title: &str) -> IssueSpec {
        IssueSpec {
            item_id: uuid::Uuid::nil(),
            title: title.into(),
            description_markdown: "Body.".into(),
            assignee: None,
            due_date: None,
            priority: None,
            labels: Vec::new(),
            status: super::super::Status::Open,
        }
    }

    #[test]
    fn a_title_that_fits_on_one_line_is_sent_as_it_is() {
        let s = spec("Alert on lack of success");
        assert!(matches!(s.within_title_limit(255), Cow::Borrowed(_)));
    }

    #[test]
    fn line_breaks_become_spaces_without_shortening() {
        let s = spec("Alert on\r\nlack of\tsuccess");
        let fitted = s.within_title_limit(255);
        assert_eq!(fitted.title, "Alert on lack of success");
        assert_eq!(fitted.description_markdown, "Body.");
    }

    #[test]
    fn a_long_title_is_cut_with_an_ellipsis_counting_utf16_units() {
        // 200 emoji are 400 UTF-16 units: 127 of them and the ellipsis make 255.
        let title = "😀".repeat(200);
        let fitted = spec(&title).within_title_limit(255).into_owned();
        assert_eq!(utf16_len(&fitted.title), 255);
        assert_eq!(fitted.title, format!("{}…", "😀".repeat(127)));
        assert_eq!(
            fitted.description_markdown,
            format!("Full title: {title}\n\nBody.")
        );
    }
}
