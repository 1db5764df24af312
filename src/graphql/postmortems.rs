//! Post-mortems: the `PostMortem` type with everything nested, the
//! `postmortem`/`postmortems` queries and the post-mortem mutations.

use async_graphql::{
    Context, Enum, InputObject, MaybeUndefined, Object, Result, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{
    Caller,
    error::GraphqlResult,
    page_cost, precondition,
    types::{
        ActionItem, Cause, CauseArea, CausesByArea, Participant, Person, PostMortemStatus,
        Severity, TimelineEntry,
    },
};
use crate::{
    domain::phases::{self, PhaseTimes},
    services::{
        page::encode_cursor,
        postmortems::{self, PostmortemFilter, PostmortemIn, PostmortemPatch, PostmortemView},
    },
};

/// The record of one incident and what is learnt from it.
pub struct PostMortem(pub PostmortemView);

#[Object]
impl PostMortem {
    async fn id(&self) -> Uuid {
        self.0.record.id
    }
    async fn title(&self) -> &str {
        &self.0.record.title
    }
    async fn summary(&self) -> &str {
        &self.0.record.summary
    }
    async fn status(&self) -> PostMortemStatus {
        self.0.record.status.into()
    }
    async fn severity(&self) -> Option<Severity> {
        self.0.record.severity.map(Into::into)
    }
    /// The services the incident affected, in the order given.
    async fn services(&self) -> &[String] {
        &self.0.services
    }
    /// When users started to be affected.
    async fn impact_started_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.impact_started_at
    }
    /// When someone (or something) noticed.
    async fn detected_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.detected_at
    }
    /// When a responder took it on.
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.acknowledged_at
    }
    /// When users were fine again.
    async fn mitigated_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.mitigated_at
    }
    /// When the lasting fix was in.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.resolved_at
    }
    async fn author_id(&self) -> Option<Uuid> {
        self.0.record.author_id
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let Some(author) = self.0.record.author_id else {
            return Ok(None);
        };
        Ok(Caller::loaders(ctx)?
            .people
            .load_one(author)
            .await?
            .map(Person))
    }
    /// Whether people are shown by pseudonym to readers who may not see names.
    async fn anonymized(&self) -> bool {
        self.0.record.anonymized
    }
    /// Send back as `expectedVersion` to update only what you read.
    async fn version(&self) -> i32 {
        self.0.record.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.record.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.record.updated_at
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.record.published_at
    }

    /// What happened, in order. `first` entries (default 50).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn timeline(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<TimelineEntry>> {
        let limit = Caller::get(ctx)?.page_size(first)?;
        let entries = Caller::loaders(ctx)?
            .timeline
            .load_one(self.0.record.id)
            .await?
            .unwrap_or_default();
        Ok(entries.into_iter().take(limit).map(TimelineEntry).collect())
    }

    /// Contributing causes, optionally of one area.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn causes(&self, ctx: &Context<'_>, area: Option<CauseArea>) -> Result<Vec<Cause>> {
        let causes = Caller::loaders(ctx)?
            .causes
            .load_one(self.0.record.id)
            .await?
            .unwrap_or_default();
        let area = area.map(entity::CauseArea::from);
        Ok(causes
            .into_iter()
            .filter(|c| area.is_none_or(|a| a == c.area))
            .map(Cause)
            .collect())
    }

    /// Contributing causes grouped by area.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn causes_by_area(&self, ctx: &Context<'_>) -> Result<CausesByArea> {
        let causes = Caller::loaders(ctx)?
            .causes
            .load_one(self.0.record.id)
            .await?
            .unwrap_or_default();
        Ok(CausesByArea::new(causes))
    }

    /// The commitments that came out of it. `first` items (default 50).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn action_items(&self, ctx: &Context<'_>, first: Option<i32>) -> Result<Vec<ActionItem>> {
        let limit = Caller::get(ctx)?.page_size(first)?;
        let items = Caller::loaders(ctx)?
            .action_items
            .load_one(self.0.record.id)
            .await?
            .unwrap_or_default();
        Ok(items.into_iter().take(limit).map(ActionItem).collect())
    }

    /// Who wrote, reviewed and took part.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn participants(&self, ctx: &Context<'_>) -> Result<Vec<Participant>> {
        let participants = Caller::loaders(ctx)?
            .participants
            .load_one(self.0.record.id)
            .await?
            .unwrap_or_default();
        Ok(participants.into_iter().map(Participant::from).collect())
    }

    /// How long each phase took, from the phase timestamps.
    async fn phase_metrics(&self) -> PhaseMetrics {
        let r = &self.0.record;
        phases::phase_metrics(&PhaseTimes {
            impact_started_at: r.impact_started_at,
            detected_at: r.detected_at,
            acknowledged_at: r.acknowledged_at,
            mitigated_at: r.mitigated_at,
            resolved_at: r.resolved_at,
        })
        .into()
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::phases::Phase")]
pub enum Phase {
    Detect,
    Acknowledge,
    Mitigate,
    Resolve,
}

/// Phase durations in seconds; null when a marker is missing or out of order.
#[derive(SimpleObject)]
pub struct PhaseMetrics {
    /// impactStartedAt -> detectedAt.
    pub time_to_detect: Option<i64>,
    /// detectedAt -> acknowledgedAt.
    pub time_to_acknowledge: Option<i64>,
    /// acknowledgedAt (or detectedAt, when nobody acknowledged) -> mitigatedAt.
    pub time_to_mitigate: Option<i64>,
    /// mitigatedAt -> resolvedAt: users were fine, the lasting fix was still to come.
    pub time_to_resolve: Option<i64>,
    /// The phase that took longest; the earlier one on a tie.
    pub longest_phase: Option<Phase>,
    /// Where the follow-up work should go, in plain words.
    pub focus: Option<String>,
}

impl From<phases::PhaseMetrics> for PhaseMetrics {
    fn from(m: phases::PhaseMetrics) -> Self {
        Self {
            time_to_detect: m.time_to_detect,
            time_to_acknowledge: m.time_to_acknowledge,
            time_to_mitigate: m.time_to_mitigate,
            time_to_resolve: m.time_to_resolve,
            longest_phase: m.longest_phase.map(Into::into),
            focus: m.focus,
        }
    }
}

/// Which post-mortems to list. All filters combine.
#[derive(InputObject, Default)]
pub struct PostMortemFilter {
    pub status: Option<PostMortemStatus>,
    pub severity: Option<Severity>,
    /// Post-mortems that list this service.
    pub service: Option<String>,
    /// Incidents whose impact started (or, lacking that, that were written) at or after this...
    pub from: Option<DateTime<Utc>>,
    /// ... and before this.
    pub to: Option<DateTime<Utc>>,
    /// Text that must appear in the title or the summary, ignoring case.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct PostmortemQuery;

#[Object]
impl PostmortemQuery {
    /// One post-mortem, or null when there is none with this id.
    async fn postmortem(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<PostMortem>> {
        Caller::get(ctx)?.read()?;
        Ok(Caller::loaders(ctx)?
            .postmortems
            .load_one(id)
            .await?
            .map(PostMortem))
    }

    /// Post-mortems, newest first, as a Relay connection: pass `pageInfo.endCursor`
    /// as `after` for the next page.
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn postmortems(
        &self,
        ctx: &Context<'_>,
        filter: Option<PostMortemFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PostMortem>> {
        let caller = Caller::get(ctx)?;
        caller.read()?;
        let page = caller.page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = PostmortemFilter {
            status: filter.status.map(Into::into),
            severity: filter.severity.map(Into::into),
            service: filter.service,
            from: filter.from,
            to: filter.to,
            text: filter.text,
        };
        let list = postmortems::list(&caller.state.db, &filter, &page)
            .await
            .gql()?;
        let mut connection = Connection::new(after.is_some(), list.next_cursor.is_some());
        connection.edges.extend(
            list.items.into_iter().map(|view| {
                Edge::new(encode_cursor(&view.record.id.to_string()), PostMortem(view))
            }),
        );
        Ok(connection)
    }
}

/// A new post-mortem. Times are RFC 3339; the author becomes a participant.
#[derive(InputObject)]
pub struct PostMortemInput {
    pub title: String,
    #[graphql(default)]
    pub summary: String,
    pub status: Option<PostMortemStatus>,
    pub severity: Option<Severity>,
    #[graphql(default)]
    pub services: Vec<String>,
    pub impact_started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub mitigated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub author_id: Option<Uuid>,
    /// Show people by pseudonym to readers who may not see names (default true).
    pub anonymized: Option<bool>,
}

/// Changes to a post-mortem: absent fields stay as they are, `null` clears.
#[derive(InputObject)]
pub struct PostMortemPatchInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub status: Option<PostMortemStatus>,
    pub severity: MaybeUndefined<Severity>,
    pub services: Option<Vec<String>>,
    pub impact_started_at: MaybeUndefined<DateTime<Utc>>,
    pub detected_at: MaybeUndefined<DateTime<Utc>>,
    pub acknowledged_at: MaybeUndefined<DateTime<Utc>>,
    pub mitigated_at: MaybeUndefined<DateTime<Utc>>,
    pub resolved_at: MaybeUndefined<DateTime<Utc>>,
    pub author_id: MaybeUndefined<Uuid>,
    pub anonymized: Option<bool>,
}

#[derive(Default)]
pub struct PostmortemMutation;

#[Object]
impl PostmortemMutation {
    /// Records a new post-mortem (editor).
    async fn create_postmortem(
        &self,
        ctx: &Context<'_>,
        input: PostMortemInput,
    ) -> Result<PostMortem> {
        let caller = Caller::get(ctx)?;
        caller.write()?;
        let input = PostmortemIn {
            title: input.title,
            summary: input.summary,
            status: input.status.map(Into::into),
            severity: input.severity.map(Into::into),
            services: input.services,
            impact_started_at: input.impact_started_at,
            detected_at: input.detected_at,
            acknowledged_at: input.acknowledged_at,
            mitigated_at: input.mitigated_at,
            resolved_at: input.resolved_at,
            author_id: input.author_id,
            anonymized: input.anonymized,
        };
        let view = postmortems::create(&caller.state.db, input).await.gql()?;
        Ok(PostMortem(view))
    }

    /// Changes a post-mortem (editor). With `expectedVersion`, refuses with
    /// `precondition_failed` when someone else saved since that version.
    async fn update_postmortem(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: PostMortemPatchInput,
        expected_version: Option<i32>,
    ) -> Result<PostMortem> {
        let caller = Caller::get(ctx)?;
        caller.write()?;
        let patch = PostmortemPatch {
            title: input.title,
            summary: input.summary,
            status: input.status.map(Into::into),
            severity: Option::from(input.severity).map(|s: Option<Severity>| s.map(Into::into)),
            services: input.services,
            impact_started_at: input.impact_started_at.into(),
            detected_at: input.detected_at.into(),
            acknowledged_at: input.acknowledged_at.into(),
            mitigated_at: input.mitigated_at.into(),
            resolved_at: input.resolved_at.into(),
            author_id: input.author_id.into(),
            anonymized: input.anonymized,
        };
        let view = postmortems::update(&caller.state.db, id, patch, precondition(expected_version))
            .await
            .gql()?;
        Ok(PostMortem(view))
    }

    /// Deletes a post-mortem and everything under it (admin). True when deleted.
    async fn delete_postmortem(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        caller.admin()?;
        postmortems::delete(&caller.state.db, id).await.gql()?;
        Ok(true)
    }
}
