//! Action items across post-mortems: the `actionItems` query and the mutations.

use async_graphql::{
    Context, InputObject, MaybeUndefined, Object, Result,
    connection::{Connection, Edge},
};
use chrono::{NaiveDate, Utc};
use futures_util::future::try_join_all;
use uuid::Uuid;

use super::{
    Caller,
    error::GraphqlResult,
    loaders::Wants,
    precondition, root_page_cost,
    types::{ActionItem, ActionItemStatus, CauseArea, Priority, SyncState},
};
use crate::services::{
    action_items::{self, ActionItemFilter, ActionItemIn, ActionItemPatch},
    page::encode_cursor,
};

/// Which action items to list. All filters combine.
#[derive(InputObject, Default)]
pub struct ActionItemsFilter {
    pub postmortem_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    /// Owned by someone in this team.
    pub team: Option<String>,
    pub status: Option<ActionItemStatus>,
    /// true: open or in progress and due before today (UTC); false: the others.
    pub overdue: Option<bool>,
    /// Due strictly before this date.
    pub due_before: Option<NaiveDate>,
    pub sync_state: Option<SyncState>,
}

#[derive(Default)]
pub struct ActionItemQuery;

#[Object]
impl ActionItemQuery {
    /// Action items across post-mortems, oldest first, as a Relay connection.
    #[graphql(complexity = "root_page_cost(first, child_complexity)")]
    async fn action_items(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActionItemsFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, ActionItem>> {
        let caller = Caller::get(ctx)?;
        let page = caller.page_request(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = ActionItemFilter {
            postmortem_id: f.postmortem_id,
            owner_id: f.owner_id,
            status: f.status.map(Into::into),
            overdue: f.overdue,
            due_before: f.due_before,
            team: f.team,
            sync_state: f.sync_state.map(Into::into),
        };
        let today = Utc::now().date_naive();
        let list = action_items::list(&caller.state.db, caller.audience(), &filter, today, &page)
            .await
            .gql()?;
        // Their post-mortems and what naming people in them needs, in one go.
        let mut pm_ids: Vec<Uuid> = list.items.iter().map(|i| i.postmortem_id).collect();
        pm_ids.sort_unstable();
        pm_ids.dedup();
        let loaders = &caller.loaders;
        loaders
            .postmortems
            .load_many(pm_ids.iter().copied())
            .await?;
        let people = Wants {
            people: true,
            ..Wants::default()
        };
        loaders.prefetch(&pm_ids, people).await?;
        let redactors = try_join_all(
            list.items
                .iter()
                .map(|i| caller.redactor_of(i.postmortem_id)),
        )
        .await?;
        let mut connection = Connection::new(after.is_some(), list.next_cursor.is_some());
        connection.edges.extend(
            list.items
                .into_iter()
                .zip(redactors)
                .map(|(item, redactor)| {
                    Edge::new(
                        encode_cursor(&item.id.to_string()),
                        ActionItem::new(item, &redactor),
                    )
                }),
        );
        Ok(connection)
    }

    /// One action item, or null when there is none with this id.
    async fn action_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<Option<ActionItem>> {
        let caller = Caller::get(ctx)?;
        match action_items::get(&caller.state.db, id).await {
            Ok(item) => {
                let redactor = caller.redactor_of(item.postmortem_id).await?;
                Ok(Some(ActionItem::new(item, &redactor)))
            }
            Err(crate::error::ApiError::NotFound(_)) => Ok(None),
            Err(other) => Err(other).gql(),
        }
    }
}

/// A new action item: one owner and one due date make it a commitment.
#[derive(InputObject)]
pub struct ActionItemInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    /// A cause of the same post-mortem; the item takes its area.
    pub cause_id: Option<Uuid>,
    pub area: Option<CauseArea>,
    pub owner_id: Option<Uuid>,
    pub due_date: Option<NaiveDate>,
    pub priority: Option<Priority>,
    pub status: Option<ActionItemStatus>,
    /// RRULE subset (FREQ, INTERVAL, COUNT or UNTIL) for a recurring check; the due date is its first occurrence.
    pub recurrence: Option<String>,
    /// The tracker to sync it to (the default tracker, if one is set, when absent).
    pub tracker_id: Option<Uuid>,
}

/// Changes to an action item: absent fields stay, `null` clears.
#[derive(InputObject)]
pub struct ActionItemPatchInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub cause_id: MaybeUndefined<Uuid>,
    pub area: MaybeUndefined<CauseArea>,
    pub owner_id: MaybeUndefined<Uuid>,
    pub due_date: MaybeUndefined<NaiveDate>,
    pub priority: MaybeUndefined<Priority>,
    pub status: Option<ActionItemStatus>,
    pub recurrence: MaybeUndefined<String>,
    pub tracker_id: MaybeUndefined<Uuid>,
}

fn convert<T, U: From<T>>(value: MaybeUndefined<T>) -> Option<Option<U>> {
    Option::<Option<T>>::from(value).map(|v| v.map(U::from))
}

#[derive(Default)]
pub struct ActionItemMutation;

#[Object]
impl ActionItemMutation {
    /// Adds an action item to a post-mortem (editor).
    async fn add_action_item(
        &self,
        ctx: &Context<'_>,
        postmortem_id: Uuid,
        input: ActionItemInput,
    ) -> Result<ActionItem> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let input = ActionItemIn {
            title: input.title,
            description: input.description,
            cause_id: input.cause_id,
            area: input.area.map(Into::into),
            owner_id: input.owner_id,
            due_date: input.due_date,
            priority: input.priority.map(Into::into),
            status: input.status.map(Into::into),
            recurrence: input.recurrence,
            tracker_id: input.tracker_id,
        };
        let item = action_items::create(&s, postmortem_id, input).await.gql()?;
        let redactor = caller.redactor_of(item.postmortem_id).await?;
        Ok(ActionItem::new(item, &redactor))
    }

    async fn update_action_item(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: ActionItemPatchInput,
        expected_version: Option<i32>,
    ) -> Result<ActionItem> {
        let caller = Caller::get(ctx)?;
        let s = caller.writer()?;
        let patch = ActionItemPatch {
            title: input.title,
            description: input.description,
            cause_id: input.cause_id.into(),
            area: convert(input.area),
            owner_id: input.owner_id.into(),
            due_date: input.due_date.into(),
            priority: convert(input.priority),
            status: input.status.map(Into::into),
            recurrence: input.recurrence.into(),
            tracker_id: input.tracker_id.into(),
        };
        let item = action_items::update(&s, id, patch, precondition(expected_version))
            .await
            .gql()?;
        let redactor = caller.redactor_of(item.postmortem_id).await?;
        Ok(ActionItem::new(item, &redactor))
    }

    /// Deletes an action item (admin).
    async fn delete_action_item(&self, ctx: &Context<'_>, id: Uuid) -> Result<bool> {
        let caller = Caller::get(ctx)?;
        let s = caller.admin()?;
        action_items::delete(&s, id).await.gql()?;
        Ok(true)
    }
}
