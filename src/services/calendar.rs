//! Calendar feeds: action item due dates and recurring checks as iCalendar,
//! read by calendar apps with a per-person token that can be revoked.

use super::session::Reader;
use crate::auth::Role;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use entity::{ActionItemStatus, action_item, person};
use icalendar::{Calendar, Component, Event, EventLike, Property};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    audit::{self, Action, Actor, Entry, Resource},
    begin_write, people,
};
use crate::{
    error::{ApiError, ApiResult},
    views::Seen,
};

/// Feeds list at most this many items: a calendar, not an export.
const MAX_ITEMS: u64 = 2000;

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Issues a new feed token for a person, replacing (and so revoking) any
/// earlier one. Only its hash is stored; the token is shown once.
pub async fn issue_token(s: &Reader, person_id: Uuid) -> ApiResult<String> {
    let (db, actor) = (s.db(), s.actor());
    may_manage(s, &people::get(db, person_id).await?)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    set_token_hash(db, person_id, Some(hash(&token)), Action::IssueToken, actor).await?;
    Ok(token)
}

pub async fn revoke_token(s: &Reader, person_id: Uuid) -> ApiResult<()> {
    let (db, actor) = (s.db(), s.actor());
    may_manage(s, &people::get(db, person_id).await?)?;
    set_token_hash(db, person_id, None, Action::RevokeToken, actor).await
}

/// Admins, or the person themselves, may manage a feed token.
fn may_manage(s: &Reader, person: &person::Model) -> ApiResult<()> {
    if s.user().sub.eq_ignore_ascii_case(&person.email) {
        Ok(())
    } else {
        s.require(Role::Admin)
    }
}

/// The hash is a credential: the entry says that it changed, never what it is.
async fn set_token_hash(
    db: &impl TransactionTrait,
    person_id: Uuid,
    token_hash: Option<String>,
    action: Action,
    actor: &Actor,
) -> ApiResult<()> {
    let txn = begin_write(db).await?;
    let person = people::get(&txn, person_id).await?;
    let before = audit::fields(&person);
    let mut model: person::ActiveModel = person.into();
    model.calendar_token_hash = Set(token_hash);
    let after = audit::fields(&model.update(&txn).await?);
    let changes = audit::diff(Some(&before), Some(&after));
    let entry = Entry::new(action, Resource::CalendarToken, person_id, changes);
    audit::record(&txn, actor, entry).await?;
    txn.commit().await?;
    Ok(())
}

/// The person a feed token belongs to; 401 for an unknown or revoked token.
pub async fn holder(db: &impl ConnectionTrait, token: &str) -> ApiResult<person::Model> {
    person::Entity::find()
        .filter(person::Column::CalendarTokenHash.eq(hash(token)))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::Unauthorized("the calendar token is unknown or was revoked".into())
        })
}

/// Whose items a feed shows.
pub enum FeedScope {
    Owner(Uuid),
    Team(String),
}

/// Open items with a due date, for one owner or one team.
pub async fn items(
    db: &impl ConnectionTrait,
    scope: &FeedScope,
) -> ApiResult<Vec<action_item::Model>> {
    use action_item::Column as C;
    let mut query = action_item::Entity::find()
        .filter(C::DueDate.is_not_null())
        .filter(C::Status.is_in([ActionItemStatus::Open, ActionItemStatus::InProgress]))
        .order_by_asc(C::DueDate)
        .limit(MAX_ITEMS);
    query = match scope {
        FeedScope::Owner(owner) => query.filter(C::OwnerId.eq(*owner)),
        FeedScope::Team(team) => query.filter(
            C::OwnerId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(person::Column::Id)
                    .from(person::Entity)
                    .and_where(person::Column::Team.eq(team.as_str()))
                    .to_owned(),
            ),
        ),
    };
    Ok(query.all(db).await?)
}

/// Who wrote the feed (RFC 5545 §3.7.3), instead of the library's default.
pub const PRODID: &str = concat!(
    "-//hindsight//hindsight ",
    env!("CARGO_PKG_VERSION"),
    "//EN"
);

/// Renders the feed. Each item is an all-day event on its due date (`DTEND`
/// the next day: RFC 5545 makes the end exclusive), repeating by its rule
/// when it is a recurring check. Every text value goes through [`clean`] and
/// the icalendar crate escapes the TEXT properties it knows; the UID, URL and
/// RRULE are hindsight's own (ids, the tracker's issue link, a rule
/// normalized when it was stored).
///
/// The event's URL is the item's issue in its tracker, when it has one: a page
/// the person can open with their own login there. hindsight itself has no
/// page for an item that opens without a bearer token, and a link that
/// answers 401 is worse than none, so an item not synced has no URL.
pub fn render(name: &str, items: &[Seen<action_item::Model>]) -> String {
    let mut calendar = Calendar::empty();
    calendar.append_property(Property::new("VERSION", "2.0"));
    calendar.append_property(Property::new("PRODID", PRODID));
    calendar.append_property(Property::new("CALSCALE", "GREGORIAN"));
    let name = one_line(name);
    // The crate writes RFC 7986 `NAME` raw, so it is escaped here; `X-WR-CALNAME` it escapes.
    calendar.append_property(Property::new("NAME", escape_text(&name)));
    calendar.append_property(Property::new("X-WR-CALNAME", name));
    for item in items {
        let Some(due) = item.due_date() else { continue };
        let link = item.external_url().filter(|url| is_web_link(url));
        let description = match &link {
            Some(link) => format!("{}\n\n{link}", item.description()),
            None => item.description().to_owned(),
        };
        let mut event = Event::new();
        event
            .uid(&format!("{}@hindsight", item.id()))
            .timestamp(item.updated_at())
            .summary(&one_line(&format!("Action item: {}", item.title())))
            .description(clean(&description).trim());
        if let Some(link) = &link {
            event.url(link);
        }
        event.starts(due);
        if let Some(next_day) = due.succ_opt() {
            event.ends(next_day);
        }
        if let Some(rule) = item.recurrence() {
            event.add_property("RRULE", rule);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}

/// An absolute http(s) URL with nothing RFC 5545 would read as the end of
/// the value: the only links an event carries.
fn is_web_link(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// What RFC 5545 TEXT may hold: no control characters but tab and the line
/// feed (which the escaping turns into `\n`); a CR, alone or before a LF, is
/// a line break too, so a value can never end the content line it is on.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// [`clean`] on one line, for names and summaries.
fn one_line(text: &str) -> String {
    clean(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 5545 §3.3.11 escaping of a TEXT value.
fn escape_text(text: &str) -> String {
    clean(text)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carriage_return_or_line_feed_cannot_start_a_property() {
        assert_eq!(
            escape_text("Ops\r\nX-INJECTED:1\rY:2\nZ:3"),
            "Ops\\nX-INJECTED:1\\nY:2\\nZ:3"
        );
        assert_eq!(one_line("Ops\r\nX-INJECTED:1"), "Ops X-INJECTED:1");
    }

    #[test]
    fn text_values_are_escaped_as_rfc_5545_says() {
        assert_eq!(escape_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(
            escape_text("tab\tkept, bell\u{7} and nul\0 dropped"),
            "tab\tkept\\, bell and nul dropped"
        );
    }
}
