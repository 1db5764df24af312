//! `POST /webhooks/{integration_id}`: deliveries from monitoring tools,
//! authenticated by the integration's secret instead of a JWT.

use actix_web::{HttpRequest, HttpResponse, web};
use entity::DeliveryState;
use serde::Serialize;
use uuid::Uuid;

use super::extract::{declared_length, read_body};
use crate::{
    error::{ApiError, ApiResult},
    ingest::Headers,
    services::webhooks::{Receipt, Receiver, STORED_HEADERS, WebhookRequest},
    startup::AppState,
};

/// What a sender is told about its delivery. It is the sender's own body, so
/// the reason a body could not be read may quote it.
#[derive(Debug, Serialize)]
pub struct ReceiptOut {
    pub delivery_id: Option<Uuid>,
    pub event_ids: Vec<Uuid>,
    pub duplicate: bool,
    pub state: DeliveryState,
    pub reason: Option<String>,
    /// `reason` when the delivery was read but held nothing for the timeline.
    pub ignored_reason: Option<String>,
}

impl From<Receipt> for ReceiptOut {
    fn from(r: Receipt) -> Self {
        Self {
            delivery_id: r.delivery_id,
            event_ids: r.event_ids,
            duplicate: r.duplicate,
            ignored_reason: (r.state == DeliveryState::Ignored)
                .then(|| r.reason.clone())
                .flatten(),
            state: r.state,
            reason: r.reason,
        }
    }
}

fn request_headers(req: &HttpRequest) -> (Headers, serde_json::Value) {
    let pairs: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    let stored: serde_json::Map<String, serde_json::Value> = pairs
        .iter()
        .filter(|(name, _)| STORED_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    (Headers::new(pairs), stored.into())
}

pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let receiver = Receiver {
        db: &state.db,
        key: &state.settings.secret_key,
        prefill: &state.prefill,
        stats: &state.deliveries,
        integrations: &state.integrations,
        writer: state.webhook_writer.as_ref(),
        metrics: &state.metrics.webhooks,
    };
    // An unknown integration is answered before its body is read.
    let record = receiver.integration(*id).await?;
    // Raw bytes first, with the size limit: the signature covers them exactly.
    // A sender that trickles its body holds no slot while it does.
    let body = read_body(
        payload.into_inner(),
        declared_length(&req),
        state.settings.body_limit,
        state.settings.body_timeout,
    )
    .await?;
    let Ok(_slot) = state.webhook_slots.try_acquire() else {
        return Err(ApiError::Unavailable(
            "too many deliveries at once; retry shortly",
        ));
    };
    let (headers, stored_headers) = request_headers(&req);
    let request = WebhookRequest {
        headers,
        stored_headers,
        body: body.to_vec(),
        request_id: super::extract::request_id(&req),
    };
    let receipt = receiver.receive(record, request).await?;
    Ok(HttpResponse::Accepted().json(ReceiptOut::from(receipt)))
}
