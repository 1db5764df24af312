//! The three areas every incident has causes in.

use serde::{Deserialize, Serialize};

/// Where a cause, or the action item that answers it, belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseArea {
    /// How could we have avoided it at all?
    Prevention,
    /// How could we have detected it sooner?
    Detection,
    /// How could we have fixed it faster, and made it better for users while broken?
    Mitigation,
}

impl CauseArea {
    pub const ALL: [CauseArea; 3] = [
        CauseArea::Prevention,
        CauseArea::Detection,
        CauseArea::Mitigation,
    ];

    /// Parses the wire name, ignoring case and surrounding space.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "prevention" => Some(CauseArea::Prevention),
            "detection" => Some(CauseArea::Detection),
            "mitigation" => Some(CauseArea::Mitigation),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CauseArea::Prevention => "prevention",
            CauseArea::Detection => "detection",
            CauseArea::Mitigation => "mitigation",
        }
    }

    /// The heading used in documents: "Prevention".
    pub fn title(self) -> &'static str {
        match self {
            CauseArea::Prevention => "Prevention",
            CauseArea::Detection => "Detection",
            CauseArea::Mitigation => "Mitigation",
        }
    }

    /// The question the area answers.
    pub fn question(self) -> &'static str {
        match self {
            CauseArea::Prevention => "how could we have avoided it at all?",
            CauseArea::Detection => "how could we have detected it sooner?",
            CauseArea::Mitigation => {
                "how could we have fixed it faster, and made it better for users while broken?"
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn areas_parse_from_their_wire_names_in_any_case() {
        assert_eq!(CauseArea::parse(" Detection "), Some(CauseArea::Detection));
        assert_eq!(CauseArea::parse("detect"), None);
        for area in CauseArea::ALL {
            assert_eq!(CauseArea::parse(area.as_str()), Some(area));
        }
    }
}
