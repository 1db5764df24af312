//! Cursor pagination: `?limit=&cursor=` in, `{"items", "next_cursor"}` out.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// What a client asked for: how many, and after which key.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: u64,
    /// The sort key of the last item of the previous page, decoded.
    pub after: Option<String>,
}

impl PageRequest {
    pub fn new(limit: Option<u64>, cursor: Option<&str>) -> ApiResult<Self> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(n) if (1..=MAX_LIMIT).contains(&n) => n,
            Some(_) => {
                return Err(ApiError::validation(
                    "limit",
                    format!("must be between 1 and {MAX_LIMIT}"),
                ));
            }
        };
        let after = cursor
            .filter(|c| !c.is_empty())
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        ApiError::validation("cursor", "is not a cursor this server issued")
                    })
            })
            .transpose()?;
        Ok(Self { limit, after })
    }

    /// Rows to fetch: one more than asked, to know whether another page exists.
    pub fn fetch(&self) -> u64 {
        self.limit + 1
    }
}

/// One page of a list.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts the extra row fetched by [`PageRequest::fetch`] and makes the cursor
    /// from the last row kept.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest, key: impl Fn(&T) -> String) -> Self {
        let more = rows.len() as u64 > request.limit;
        rows.truncate(request.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// The opaque cursor for a sort key; what `cursor` (REST) and `after` (GraphQL) take back.
pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// Splits a two-part key `"<a>|<b>"` made by a list that sorts on two columns.
pub fn split_key(key: &str) -> ApiResult<(&str, &str)> {
    key.split_once('|')
        .ok_or_else(|| ApiError::validation("cursor", "is not a cursor this server issued"))
}

pub fn parse_uuid_key(key: &str) -> ApiResult<uuid::Uuid> {
    key.parse()
        .map_err(|_| ApiError::validation("cursor", "is not a cursor this server issued"))
}

/// The key of a list sorted on a time and then an id.
pub fn time_id_key(at: &chrono::DateTime<chrono::Utc>, id: &uuid::Uuid) -> String {
    format!("{}|{id}", at.to_rfc3339())
}

/// Rows after a [`time_id_key`] in `(time, id)` order.
pub fn after_time_id<T, I>(after: &str, time: T, id: I) -> ApiResult<sea_orm::Condition>
where
    T: sea_orm::ColumnTrait,
    I: sea_orm::ColumnTrait,
{
    use sea_orm::Condition;
    let (at, rest) = split_key(after)?;
    let at: chrono::DateTime<chrono::Utc> = at
        .parse()
        .map_err(|_| ApiError::validation("cursor", "is not a cursor this server issued"))?;
    let key = parse_uuid_key(rest)?;
    Ok(Condition::any()
        .add(time.gt(at))
        .add(Condition::all().add(time.eq(at)).add(id.gt(key))))
}

/// Rows before a [`time_id_key`] in `(time, id)` order: the next page of a
/// newest-first list.
pub fn before_time_id<T, I>(key: &str, time: T, id: I) -> ApiResult<sea_orm::Condition>
where
    T: sea_orm::ColumnTrait,
    I: sea_orm::ColumnTrait,
{
    use sea_orm::Condition;
    let (at, rest) = split_key(key)?;
    let at: chrono::DateTime<chrono::Utc> = at
        .parse()
        .map_err(|_| ApiError::validation("cursor", "is not a cursor this server issued"))?;
    let key = parse_uuid_key(rest)?;
    Ok(Condition::any()
        .add(time.lt(at))
        .add(Condition::all().add(time.eq(at)).add(id.lt(key))))
}
