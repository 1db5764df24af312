//! What to suggest instead of "try harder", by the area the action item answers.

use super::super::cause_area::CauseArea;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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
