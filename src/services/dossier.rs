//! Everything known about one post-mortem, loaded at once, and what the
//! practice computes from it: the review, the phase metrics, the document.

use std::sync::Arc;

use entity::{CauseArea, action_item, cause, participant, person, postmortem, timeline_entry};
use sea_orm::{ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use uuid::Uuid;

use super::{
    anonymity::{self, Redactor},
    people,
    postmortems::{self, PostmortemView},
    session::Reader,
};
use crate::{
    domain::{
        cause_area,
        markdown::{Document, DocumentActionItem, DocumentCause, DocumentTimelineEntry},
        phases::{PhaseMetrics, PhaseTimes, phase_metrics},
        review::{
            self, Draft, DraftActionItem, DraftCause, DraftParticipant, DraftPerson,
            DraftTimelineEntry, Review,
        },
    },
    error::ApiResult,
    views::Seen,
};

pub struct Dossier {
    pub postmortem: PostmortemView,
    pub participants: Vec<participant::Model>,
    pub timeline: Vec<timeline_entry::Model>,
    pub causes: Vec<cause::Model>,
    pub action_items: Vec<action_item::Model>,
    /// Everyone in the directory, so that blame by name is recognised whoever is named.
    pub people: Vec<person::Model>,
}

/// The post-mortem's dossier and how people in it appear to this caller.
pub async fn load_as(s: &Reader, id: Uuid) -> ApiResult<(Dossier, Arc<Redactor>)> {
    let dossier = load(s.db(), id).await?;
    let redactor = anonymity::redactor(s.db(), s.audience(), &dossier.postmortem.record).await?;
    Ok((dossier, redactor))
}

/// `POST /api/v1/review`: reviews a draft sent by a caller; nothing is
/// stored. Only a caller who may read names gets the directory's help in
/// recognising blame by name: for anyone else, findings could otherwise
/// answer "who is <login>?" with a name.
pub async fn review_draft(s: &Reader, mut draft: Draft) -> ApiResult<Review> {
    if s.audience().sees_names(false) {
        let directory = people::all(s.db()).await?;
        draft
            .people
            .extend(directory.into_iter().map(|p| DraftPerson {
                id: Some(p.id.to_string()),
                display_name: Some(p.display_name),
                email: Some(p.email),
                github_login: p.github_login,
            }));
    }
    Ok(review::review(&draft))
}

pub async fn load(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Dossier> {
    let postmortem = postmortems::get(db, id).await?;
    let participants = participant::Entity::find()
        .filter(participant::Column::PostmortemId.eq(id))
        .order_by_asc(participant::Column::CreatedAt)
        .all(db)
        .await?;
    let timeline = timeline_entry::Entity::find()
        .filter(timeline_entry::Column::PostmortemId.eq(id))
        .order_by_asc(timeline_entry::Column::OccurredAt)
        .order_by_asc(timeline_entry::Column::Id)
        .all(db)
        .await?;
    let causes = cause::Entity::find()
        .filter(cause::Column::PostmortemId.eq(id))
        .order_by_asc(cause::Column::Id)
        .all(db)
        .await?;
    let action_items = action_item::Entity::find()
        .filter(action_item::Column::PostmortemId.eq(id))
        .order_by_asc(action_item::Column::Id)
        .all(db)
        .await?;
    let people = super::people::all(db).await?;
    Ok(Dossier {
        postmortem,
        participants,
        timeline,
        causes,
        action_items,
        people,
    })
}

/// The phase markers of a post-mortem.
fn phase_times(pm: &postmortem::Model) -> PhaseTimes {
    PhaseTimes {
        impact_started_at: pm.impact_started_at,
        detected_at: pm.detected_at,
        acknowledged_at: pm.acknowledged_at,
        mitigated_at: pm.mitigated_at,
        resolved_at: pm.resolved_at,
    }
}

/// Phase durations and where causes and action items fall: all the metrics
/// read, so a caller that holds these (GraphQL's loaders) need not build a
/// whole dossier.
pub fn metrics(
    pm: &postmortem::Model,
    causes: &[cause::Model],
    action_items: &[action_item::Model],
) -> Metrics {
    let mut causes_by_area = AreaCounts::default();
    for c in causes {
        causes_by_area.add(Some(c.area));
    }
    let mut action_items_by_area = AreaCounts::default();
    for i in action_items {
        action_items_by_area.add(i.area);
    }
    Metrics {
        phases: phase_metrics(&phase_times(pm)),
        causes_by_area,
        action_items_by_area,
    }
}

impl Dossier {
    fn phase_times(&self) -> PhaseTimes {
        phase_times(&self.postmortem.record)
    }

    /// The stored post-mortem in the shape `POST /api/v1/review` takes, so both
    /// reviews are the same function.
    pub fn draft(&self) -> Draft {
        let pm = &self.postmortem.record;
        let times = self.phase_times();
        Draft {
            title: Some(pm.title.clone()),
            summary: Some(pm.summary.clone()),
            author_id: pm.author_id.map(|a| a.to_string()),
            impact_started_at: times.impact_started_at,
            detected_at: times.detected_at,
            acknowledged_at: times.acknowledged_at,
            mitigated_at: times.mitigated_at,
            resolved_at: times.resolved_at,
            timeline: self
                .timeline
                .iter()
                .map(|e| DraftTimelineEntry {
                    occurred_at: Some(e.occurred_at),
                    kind: Some(e.kind.clone()),
                    title: Some(e.title.clone()),
                    description: Some(e.description.clone()),
                })
                .collect(),
            causes: self
                .causes
                .iter()
                .map(|c| DraftCause {
                    area: Some(area_name(c.area).into()),
                    description: Some(c.description.clone()),
                })
                .collect(),
            action_items: self
                .action_items
                .iter()
                .map(|i| DraftActionItem {
                    title: Some(i.title.clone()),
                    description: Some(i.description.clone()),
                    area: i.area.map(|a| area_name(a).into()),
                    owner_id: i.owner_id.map(|o| o.to_string()),
                    due_date: i.due_date,
                    status: Some(i.status.to_value()),
                })
                .collect(),
            participants: self
                .participants
                .iter()
                .map(|p| DraftParticipant {
                    person_id: Some(p.person_id.to_string()),
                    role: Some(p.role.to_value()),
                })
                .collect(),
            people: self
                .people
                .iter()
                .map(|p| DraftPerson {
                    id: Some(p.id.to_string()),
                    display_name: Some(p.display_name.clone()),
                    email: Some(p.email.clone()),
                    github_login: p.github_login.clone(),
                })
                .collect(),
        }
    }

    pub fn review(&self) -> Review {
        review::review(&self.draft())
    }

    pub fn metrics(&self) -> Metrics {
        metrics(&self.postmortem.record, &self.causes, &self.action_items)
    }

    /// The shareable document, with people named as `redactor` allows.
    /// The template's document, every part read through the views of this reader.
    pub fn document(&self, redactor: &Arc<Redactor>) -> Document {
        let pm = Seen::new(Arc::new(self.postmortem.clone()), redactor);
        Document {
            title: pm.title(),
            status: pm.status().to_value(),
            severity: pm.severity().map(|s| s.to_value()),
            services: pm.services(),
            author: pm.author_name(),
            summary: Some(pm.summary()).filter(|s| !s.is_empty()),
            phases: self.phase_times(),
            timeline: self
                .timeline
                .iter()
                .map(|e| {
                    let e = Seen::new(e.clone(), redactor);
                    DocumentTimelineEntry {
                        occurred_at: Some(e.occurred_at()),
                        kind: Some(e.kind().to_owned()),
                        title: e.title(),
                        description: Some(e.description()).filter(|d| !d.is_empty()),
                    }
                })
                .collect(),
            causes: self
                .causes
                .iter()
                .map(|c| {
                    let c = Seen::new(c.clone(), redactor);
                    DocumentCause {
                        area: domain_area(c.area()),
                        description: c.description(),
                    }
                })
                .collect(),
            action_items: self
                .action_items
                .iter()
                .map(|i| {
                    let i = Seen::new(i.clone(), redactor);
                    DocumentActionItem {
                        title: i.title(),
                        area: i.area().map(domain_area),
                        owner: i.owner_name(),
                        due_date: i.due_date(),
                        status: i.status().to_value(),
                        external_key: i.external_key().map(str::to_owned),
                        external_url: i.external_url(),
                    }
                })
                .collect(),
        }
    }
}

fn area_name(area: CauseArea) -> &'static str {
    domain_area(area).as_str()
}

fn domain_area(area: CauseArea) -> cause_area::CauseArea {
    match area {
        CauseArea::Prevention => cause_area::CauseArea::Prevention,
        CauseArea::Detection => cause_area::CauseArea::Detection,
        CauseArea::Mitigation => cause_area::CauseArea::Mitigation,
    }
}

/// How many causes or action items each area has.
#[derive(Debug, Default, Serialize)]
pub struct AreaCounts {
    pub prevention: u32,
    pub detection: u32,
    pub mitigation: u32,
    /// Action items not tied to an area.
    pub unassigned: u32,
}

impl AreaCounts {
    fn add(&mut self, area: Option<CauseArea>) {
        *match area {
            Some(CauseArea::Prevention) => &mut self.prevention,
            Some(CauseArea::Detection) => &mut self.detection,
            Some(CauseArea::Mitigation) => &mut self.mitigation,
            None => &mut self.unassigned,
        } += 1;
    }
}

/// `GET /api/v1/postmortems/{id}/metrics`.
#[derive(Debug, Serialize)]
pub struct Metrics {
    #[serde(flatten)]
    pub phases: PhaseMetrics,
    pub causes_by_area: AreaCounts,
    pub action_items_by_area: AreaCounts,
}
