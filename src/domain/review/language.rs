//! Checks of the narrative: blame language, and action items that ask people to try harder.

use super::super::cause_area::CauseArea;
use super::blame::blames_person;
use super::draft::{Draft, DraftPerson};
use super::finding::{Finding, FindingCode};
use super::suggestions::{instead_of_blame, instead_of_trying_harder};
use super::try_harder::{ActionVerdict, classify_action_item};

/// Every narrative field of the draft with its JSON pointer.
fn narrative(draft: &Draft) -> Vec<(String, &str)> {
    let mut fields = Vec::new();
    if let Some(summary) = &draft.summary {
        fields.push(("/summary".to_string(), summary.as_str()));
    }
    for (i, entry) in draft.timeline.iter().enumerate() {
        if let Some(title) = &entry.title {
            fields.push((format!("/timeline/{i}/title"), title.as_str()));
        }
        if let Some(description) = &entry.description {
            fields.push((format!("/timeline/{i}/description"), description.as_str()));
        }
    }
    for (i, cause) in draft.causes.iter().enumerate() {
        if let Some(description) = &cause.description {
            fields.push((format!("/causes/{i}/description"), description.as_str()));
        }
    }
    for (i, item) in draft.action_items.iter().enumerate() {
        if let Some(title) = &item.title {
            fields.push((format!("/action_items/{i}/title"), title.as_str()));
        }
        if let Some(description) = &item.description {
            fields.push((
                format!("/action_items/{i}/description"),
                description.as_str(),
            ));
        }
    }
    fields
}

fn blame_finding(path: String, text: &str, people: &[DraftPerson]) -> Option<Finding> {
    let hit = blames_person(text, people)?;
    let whom = hit
        .person
        .as_deref()
        .map(|name| format!(" ({name})"))
        .unwrap_or_default();
    Some(
        Finding::new(
            FindingCode::BlameLanguage,
            path,
            format!(
                "\"{}\" blames a person{whom}: {}. People act reasonably given what they \
                 knew; blame makes the next post-mortem less honest.",
                hit.matched,
                hit.kind.explanation()
            ),
        )
        .suggest(instead_of_blame(text, &hit)),
    )
}

pub fn blame(draft: &Draft, findings: &mut Vec<Finding>) {
    findings.extend(
        narrative(draft)
            .into_iter()
            .filter_map(|(path, text)| blame_finding(path, text, &draft.people)),
    );
}

/// Flags the title when it exhorts; flags the description instead when the title
/// commits to nothing concrete and the description exhorts.
pub fn try_harder(draft: &Draft, findings: &mut Vec<Finding>) {
    for (i, item) in draft.action_items.iter().enumerate() {
        let title = item.title.as_deref().map(classify_action_item);
        let description = item.description.as_deref().map(classify_action_item);
        let field = match (title, description) {
            (Some(ActionVerdict::TryHarder), _) => "title",
            (Some(ActionVerdict::Concrete), _) => continue,
            (_, Some(ActionVerdict::TryHarder)) => "description",
            _ => continue,
        };
        let area = item.area.as_deref().and_then(CauseArea::parse);
        findings.push(
            Finding::new(
                FindingCode::TryHarderActionItem,
                format!("/action_items/{i}/{field}"),
                "The action item asks people to try harder: an exhortation is not a \
                 commitment, and under the next incident's pressure people will do what \
                 they did this time.",
            )
            .suggest(instead_of_trying_harder(area)),
        );
    }
}
