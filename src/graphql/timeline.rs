//! Timeline entries and causes: their mutations, and the live timeline subscription.

use std::sync::Arc;

use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, Subscription};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::{
    Caller, TokenExpiry,
    error::GraphqlResult,
    precondition,
    timestamp::Timestamp,
    types::{Cause, CauseArea, TimelineEntry},
};
use crate::services::{
    anonymity::{self, Audience, Redactor},
    causes::{self, CauseIn, CausePatch},
    postmortems,
    timeline::{self, EntryIn, EntryPatch},
};
use crate::{error::ApiResult, startup::AppState};

/// A new timeline entry, written by hand.
#[derive(InputObject)]
pub struct TimelineEntryInput {
    pub occurred_at: Timestamp,
    /// A lowercase dotted name: `note`, `detected`, `deploy.failed`.
    pub kind: String,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub link: Option<String>,
    pub service: Option<String>,
}

/// Changes to a timeline entry: absent fields stay, `null` clears.
#[derive(InputObject)]
pub struct TimelineEntryPatchInput {
    pub occurred_at: Option<Timestamp>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub link: MaybeUndefined<String>,
    pub service: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct CauseInput {
    pub area: CauseArea,
    pub description: String,
}

#[derive(InputObject)]
pub struct CausePatchInput {
    pub area: Option<CauseArea>,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct TimelineMutation;

#[Object]
impl TimelineMutation {
    /// Adds an entry to a post-mortem's timeline (editor); live subscribers see it.
    async fn add_timeline_entry(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        input: TimelineEntryInput,
    ) -> Result<TimelineEntry> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let input = EntryIn {
            occurred_at: input.occurred_at.into(),
            kind: input.kind,
            title: input.title,
            description: input.description,
            link: input.link,
            service: input.service,
        };
        let entry = timeline::add_entry(&s, postmortem_id, input).await.gql()?;
        let redactor = caller.redactor_of(postmortem_id).await?;
        Ok(TimelineEntry::new(entry, &redactor))
    }

    async fn update_timeline_entry(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        id: Uuid,
        input: TimelineEntryPatchInput,
        expected_version: Option<i32>,
    ) -> Result<TimelineEntry> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let patch = EntryPatch {
            occurred_at: input.occurred_at.map(Into::into),
            kind: input.kind,
            title: input.title,
            description: input.description,
            link: input.link.into(),
            service: input.service.into(),
        };
        let check = precondition(expected_version);
        let entry = timeline::update(&s, postmortem_id, id, patch, check)
            .await
            .gql()?;
        let redactor = caller.redactor_of(postmortem_id).await?;
        Ok(TimelineEntry::new(entry, &redactor))
    }

    /// Deletes a timeline entry (admin).
    async fn delete_timeline_entry(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        id: Uuid,
    ) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        let s = caller.admin()?;
        timeline::delete(&s, postmortem_id, id).await.gql()?;
        Ok(true)
    }

    /// Adds a contributing cause (editor).
    async fn add_cause(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        input: CauseInput,
    ) -> Result<Cause> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let input = CauseIn {
            area: input.area.into(),
            description: input.description,
        };
        let cause = causes::create(&s, postmortem_id, input).await.gql()?;
        let redactor = caller.redactor_of(postmortem_id).await?;
        Ok(Cause::new(cause, &redactor))
    }

    async fn update_cause(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        id: Uuid,
        input: CausePatchInput,
        expected_version: Option<i32>,
    ) -> Result<Cause> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let patch = CausePatch {
            area: input.area.map(Into::into),
            description: input.description,
        };
        let check = precondition(expected_version);
        let cause = causes::update(&s, postmortem_id, id, patch, check)
            .await
            .gql()?;
        let redactor = caller.redactor_of(postmortem_id).await?;
        Ok(Cause::new(cause, &redactor))
    }

    /// Deletes a cause (admin).
    async fn delete_cause(&self, ctx: &Context<'_>, postmortem_id: Uuid, id: Uuid) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        let s = caller.admin()?;
        causes::delete(&s, postmortem_id, id).await.gql()?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct TimelineSubscription;

#[Subscription]
impl TimelineSubscription {
    /// Entries added to a post-mortem's timeline from now on: by hand (REST or
    /// GraphQL), by pre-fill or by webhook.
    async fn timeline_entries(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
    ) -> Result<impl Stream<Item = TimelineEntry> + use<>> {
        let caller = Caller::get(ctx)?;
        postmortems::get_record(&caller.state.db, postmortem_id)
            .await
            .gql()?;
        let receiver = caller.state.timeline_feed.subscribe();
        let state = caller.state.clone();
        let audience = caller.audience();
        // Nothing is delivered past the token's expiry: the subscription ends.
        let expiry = ctx.data_opt::<TokenExpiry>().copied();
        let expired = async move {
            match expiry {
                Some(expiry) => expiry.reached().await,
                None => std::future::pending().await,
            }
        };
        Ok(futures_util::StreamExt::take_until(
            futures_util::stream::unfold(receiver, move |mut receiver| {
                let state = state.clone();
                async move {
                    loop {
                        match receiver.recv().await {
                            Ok(entry) if entry.postmortem_id == postmortem_id => {
                                // Named as this subscriber may see them, as of now.
                                let redactor =
                                    redactor_now(&state, audience, postmortem_id).await.ok()?;
                                return Some((TimelineEntry::new(entry, &redactor), receiver));
                            }
                            Ok(_) | Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => return None,
                        }
                    }
                }
            }),
            expired,
        ))
    }
}

async fn redactor_now(
    state: &AppState,
    audience: Audience,
    postmortem_id: Uuid,
) -> ApiResult<Arc<Redactor>> {
    let pm = postmortems::get_record(&state.db, postmortem_id).await?;
    anonymity::redactor(&state.db, audience, &pm).await
}
