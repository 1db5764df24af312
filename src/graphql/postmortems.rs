//! Post-mortems: the `PostMortem` type with everything nested, the
//! `postmortem`/`postmortems` queries and the post-mortem mutations.

use async_graphql::{
    Context, InputObject, Lookahead, MaybeUndefined, Object, Result,
    connection::{Connection, Edge},
};
use std::sync::Arc;

use chrono::DateTime;
use uuid::Uuid;

use super::{
    Caller,
    error::GraphqlResult,
    loaders::Wants,
    page_cost,
    plain::PlainList,
    practice::{Metrics, Review},
    precondition, root_page_cost,
    timestamp::Timestamp,
    types::{
        ActionItem, Cause, CauseArea, CausesByArea, Participant, Person, PostMortemStatus,
        Severity, TimelineEntry,
    },
};
use crate::services::{
    anonymity::Redactor,
    dossier::{self, Dossier},
    page::encode_cursor,
    postmortems::{self, PostmortemFilter, PostmortemIn, PostmortemPatch, PostmortemView},
};
use crate::views::Seen;

pub struct PostMortem(Arc<PostmortemView>);

impl PostMortem {
    pub fn new(view: PostmortemView) -> Self {
        Self(Arc::new(view))
    }

    async fn redactor(&self, ctx: &Context<'_>) -> Result<Arc<Redactor>> {
        Caller::get(ctx)?.redactor(&self.0.record).await
    }

    /// This post-mortem as the caller may see it.
    async fn seen(&self, ctx: &Context<'_>) -> Result<Seen<Arc<PostmortemView>>> {
        Ok(Seen::new(self.0.clone(), &self.redactor(ctx).await?))
    }

    /// Everything known about it, from the request's loaders: what the review
    /// and the metrics (the same functions as REST's) read.
    async fn dossier(&self, ctx: &Context<'_>) -> Result<Dossier> {
        let loaders = Caller::loaders(ctx)?;
        let id = self.0.record.id;
        let (timeline, causes, action_items, participants, directory) = futures_util::try_join!(
            loaders.timeline.load_one(id),
            loaders.causes.load_one(id),
            loaders.action_items.load_one(id),
            loaders.participants.load_one(id),
            loaders.directory(),
        )?;
        Ok(Dossier {
            postmortem: (*self.0).clone(),
            participants: owned(participants),
            timeline: owned(timeline),
            causes: owned(causes),
            action_items: owned(action_items),
            people: directory.people().to_vec(),
        })
    }
}

/// The record of one incident and what is learnt from it. Names in its text
/// and its people follow its anonymization for this reader, as over REST.
#[Object]
impl PostMortem {
    async fn id(&self) -> Uuid {
        self.0.record.id
    }
    async fn title(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.seen(ctx).await?.title())
    }
    async fn summary(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.seen(ctx).await?.summary())
    }
    async fn status(&self) -> PostMortemStatus {
        self.0.record.status.into()
    }
    async fn severity(&self) -> Option<Severity> {
        self.0.record.severity.map(Into::into)
    }
    /// The services the incident affected, in the order given.
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.seen(ctx).await?.services())
    }
    /// Incident keys (PagerDuty incident, alert group) whose events belong to it.
    async fn incident_refs(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(self.seen(ctx).await?.incident_refs())
    }
    /// When users started to be affected.
    async fn impact_started_at(&self) -> Option<Timestamp> {
        self.0.record.impact_started_at.map(Timestamp)
    }
    /// When someone (or something) noticed.
    async fn detected_at(&self) -> Option<Timestamp> {
        self.0.record.detected_at.map(Timestamp)
    }
    /// When a responder took it on.
    async fn acknowledged_at(&self) -> Option<Timestamp> {
        self.0.record.acknowledged_at.map(Timestamp)
    }
    /// When users were fine again.
    async fn mitigated_at(&self) -> Option<Timestamp> {
        self.0.record.mitigated_at.map(Timestamp)
    }
    /// When the lasting fix was in.
    async fn resolved_at(&self) -> Option<Timestamp> {
        self.0.record.resolved_at.map(Timestamp)
    }
    /// The author's id; for a reader who may not see names, a handle that
    /// is different in every post-mortem and opens nothing in `people`.
    async fn author_id(&self, ctx: &Context<'_>) -> Result<Option<Uuid>> {
        Ok(self.seen(ctx).await?.author_id())
    }
    /// The author as this reader may see them: a name, or a pseudonym (as
    /// `author_name` over REST).
    async fn author_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.seen(ctx).await?.author_name())
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let seen = self.seen(ctx).await?;
        Person::in_postmortem(ctx, |directory| seen.author(directory)).await
    }
    /// Whether people are shown by pseudonym to readers who may not see names.
    async fn anonymized(&self) -> bool {
        self.0.record.anonymized
    }
    /// Send back as `expectedVersion` to update only what you read.
    async fn version(&self) -> i32 {
        self.0.record.version
    }
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.record.created_at)
    }
    async fn updated_at(&self) -> Timestamp {
        Timestamp(self.0.record.updated_at)
    }
    async fn published_at(&self) -> Option<Timestamp> {
        self.0.record.published_at.map(Timestamp)
    }
    /// The token subject that published it; for a reader who may not see
    /// names, the pseudonym of the person it names, or null.
    async fn published_by(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.seen(ctx).await?.published_by())
    }
    /// Why an admin published it despite review errors.
    async fn publish_override_reason(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(self.seen(ctx).await?.publish_override_reason())
    }

    /// What happened, in order. `first` entries (default 50).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<PlainList<TimelineEntry>> {
        let limit = Caller::get(ctx)?.page_size(first)?;
        let (entries, redactor) = futures_util::try_join!(
            Caller::loaders(ctx)?.timeline.load_one(self.0.record.id),
            self.redactor(ctx),
        )?;
        Ok(PlainList(
            entries
                .unwrap_or_default()
                .iter()
                .take(limit)
                .map(|e| TimelineEntry::new(e.clone(), &redactor))
                .collect(),
        ))
    }

    /// Contributing causes, optionally of one area.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn causes(&self, ctx: &Context<'_>, area: Option<CauseArea>) -> Result<PlainList<Cause>> {
        let (causes, redactor) = futures_util::try_join!(
            Caller::loaders(ctx)?.causes.load_one(self.0.record.id),
            self.redactor(ctx),
        )?;
        let area = area.map(entity::CauseArea::from);
        Ok(PlainList(
            causes
                .unwrap_or_default()
                .iter()
                .filter(|c| area.is_none_or(|a| a == c.area))
                .map(|c| Cause::new(c.clone(), &redactor))
                .collect(),
        ))
    }

    /// Contributing causes grouped by area.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn causes_by_area(&self, ctx: &Context<'_>) -> Result<CausesByArea> {
        let (causes, redactor) = futures_util::try_join!(
            Caller::loaders(ctx)?.causes.load_one(self.0.record.id),
            self.redactor(ctx),
        )?;
        Ok(CausesByArea::new(&causes.unwrap_or_default(), &redactor))
    }

    /// The commitments that came out of it. `first` items (default 50).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn action_items(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> Result<PlainList<ActionItem>> {
        let limit = Caller::get(ctx)?.page_size(first)?;
        let (items, redactor) = futures_util::try_join!(
            Caller::loaders(ctx)?
                .action_items
                .load_one(self.0.record.id),
            self.redactor(ctx),
        )?;
        Ok(PlainList(
            items
                .unwrap_or_default()
                .iter()
                .take(limit)
                .map(|i| ActionItem::new(i.clone(), &redactor))
                .collect(),
        ))
    }

    /// Who wrote, reviewed and took part.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn participants(&self, ctx: &Context<'_>) -> Result<PlainList<Participant>> {
        let (participants, redactor) = futures_util::try_join!(
            Caller::loaders(ctx)?
                .participants
                .load_one(self.0.record.id),
            self.redactor(ctx),
        )?;
        Ok(PlainList(
            participants
                .unwrap_or_default()
                .iter()
                .map(|p| Participant::new(p.clone(), &redactor))
                .collect(),
        ))
    }

    /// Phase durations and where causes and action items fall, as `GET
    /// /api/v1/postmortems/{id}/metrics`.
    async fn metrics(&self, ctx: &Context<'_>) -> Result<Metrics> {
        let loaders = Caller::loaders(ctx)?;
        let id = self.0.record.id;
        let (causes, action_items) = futures_util::try_join!(
            loaders.causes.load_one(id),
            loaders.action_items.load_one(id),
        )?;
        let metrics = dossier::metrics(
            &self.0.record,
            causes.as_deref().map_or(&[][..], Vec::as_slice),
            action_items.as_deref().map_or(&[][..], Vec::as_slice),
        );
        Ok(metrics.into())
    }

    /// The practice's review, as `GET /api/v1/postmortems/{id}/review`.
    #[graphql(complexity = "page_cost(None, child_complexity)")]
    async fn review(&self, ctx: &Context<'_>) -> Result<Review> {
        let (dossier, redactor) = futures_util::try_join!(self.dossier(ctx), self.redactor(ctx))?;
        Ok(redactor.review(dossier.review()).into())
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
    pub from: Option<Timestamp>,
    /// ... and before this.
    pub to: Option<Timestamp>,
    /// Text that must appear in the title or the summary, ignoring case.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct PostmortemQuery;

#[Object]
impl PostmortemQuery {
    /// One post-mortem, or null when there is none with this id.
    async fn postmortem(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<PostMortem>> {
        Ok(Caller::loaders(ctx)?
            .postmortems
            .load_one(id)
            .await?
            .map(PostMortem::new))
    }

    /// Post-mortems, newest first, as a Relay connection: pass `pageInfo.endCursor`
    /// as `after` for the next page.
    #[graphql(complexity = "root_page_cost(first, child_complexity)")]
    async fn postmortems(
        &self,
        ctx: &Context<'_>,
        filter: Option<PostMortemFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PostMortem>> {
        let caller = Caller::get(ctx)?;
        let page = caller.page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = PostmortemFilter {
            status: filter.status.map(Into::into),
            severity: filter.severity.map(Into::into),
            service: filter.service,
            from: filter.from.map(Into::into),
            to: filter.to.map(Into::into),
            text: filter.text,
        };
        let list = postmortems::list(&caller.state.db, caller.audience(), &filter, &page)
            .await
            .gql()?;
        let ids: Vec<Uuid> = list.items.iter().map(|v| v.record.id).collect();
        let node = ctx.look_ahead().field("edges").field("node");
        caller.loaders.prefetch(&ids, wants(&node)).await?;
        let mut connection = Connection::new(after.is_some(), list.next_cursor.is_some());
        connection.edges.extend(list.items.into_iter().map(|view| {
            Edge::new(
                encode_cursor(&view.record.id.to_string()),
                PostMortem::new(view),
            )
        }));
        Ok(connection)
    }
}

fn owned<T: Clone>(rows: Option<Arc<Vec<T>>>) -> Vec<T> {
    rows.map(|rows| rows.to_vec()).unwrap_or_default()
}

/// What the selected fields of a page of post-mortems will read.
fn wants(node: &Lookahead<'_>) -> Wants {
    let any = |names: &[&str]| names.iter().any(|n| node.field(n).exists());
    let dossier = any(&["review", "metrics"]);
    let timeline = dossier || any(&["timeline"]);
    let causes = dossier || any(&["causes", "causesByArea"]);
    Wants {
        timeline,
        causes,
        people: timeline
            || causes
            || any(&[
                "title",
                "summary",
                "authorName",
                "author",
                "publishOverrideReason",
                "actionItems",
                "participants",
            ]),
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
    /// Incident keys (PagerDuty incident, alert group) whose events belong to it.
    #[graphql(default)]
    pub incident_refs: Vec<String>,
    pub impact_started_at: Option<Timestamp>,
    pub detected_at: Option<Timestamp>,
    pub acknowledged_at: Option<Timestamp>,
    pub mitigated_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
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
    pub incident_refs: Option<Vec<String>>,
    pub impact_started_at: MaybeUndefined<Timestamp>,
    pub detected_at: MaybeUndefined<Timestamp>,
    pub acknowledged_at: MaybeUndefined<Timestamp>,
    pub mitigated_at: MaybeUndefined<Timestamp>,
    pub resolved_at: MaybeUndefined<Timestamp>,
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
        let s = caller.writer()?;
        let input = PostmortemIn {
            title: input.title,
            summary: input.summary,
            status: input.status.map(Into::into),
            severity: input.severity.map(Into::into),
            services: input.services,
            incident_refs: input.incident_refs,
            impact_started_at: input.impact_started_at.map(Into::into),
            detected_at: input.detected_at.map(Into::into),
            acknowledged_at: input.acknowledged_at.map(Into::into),
            mitigated_at: input.mitigated_at.map(Into::into),
            resolved_at: input.resolved_at.map(Into::into),
            author_id: input.author_id,
            anonymized: input.anonymized,
        };
        let view = postmortems::create(&s, input).await.gql()?;
        Ok(PostMortem::new(view))
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
        let s = caller.writer()?;
        let patch = PostmortemPatch {
            title: input.title,
            summary: input.summary,
            status: input.status.map(Into::into),
            severity: Option::from(input.severity).map(|s: Option<Severity>| s.map(Into::into)),
            services: input.services,
            incident_refs: input.incident_refs,
            impact_started_at: input.impact_started_at.map_value(DateTime::from).into(),
            detected_at: input.detected_at.map_value(DateTime::from).into(),
            acknowledged_at: input.acknowledged_at.map_value(DateTime::from).into(),
            mitigated_at: input.mitigated_at.map_value(DateTime::from).into(),
            resolved_at: input.resolved_at.map_value(DateTime::from).into(),
            author_id: input.author_id.into(),
            anonymized: input.anonymized,
        };
        let view = postmortems::update(&s, id, patch, precondition(expected_version))
            .await
            .gql()?;
        Ok(PostMortem::new(view))
    }

    /// Deletes a post-mortem and everything under it (admin). True when deleted.
    async fn delete_postmortem(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        let s = caller.admin()?;
        postmortems::delete(&s, id).await.gql()?;
        Ok(true)
    }
}
