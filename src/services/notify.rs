//! Announcements to Slack-compatible incoming webhooks. Delivery happens in
//! the background with retries, so publishing never waits on a chat service.

use std::time::Duration;

use reqwest::{StatusCode, header::RETRY_AFTER};
use serde_json::{Value, json};

use crate::{config::PracticeSettings, domain::markdown::Document};

/// The message for a published post-mortem: title, summary, focus and a link.
pub fn publication_message(doc: &Document, focus: Option<&str>, link: &str) -> Value {
    let summary = doc.summary.as_deref().unwrap_or("(no summary)");
    let mut text = format!("*Post-mortem published: {}*\n{}", doc.title, summary);
    if let Some(focus) = focus {
        text.push_str(&format!("\n_Focus:_ {focus}"));
    }
    text.push_str(&format!("\n<{link}|Read the post-mortem>"));
    json!({
        "text": text,
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": format!("Post-mortem: {}", doc.title) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": summary } },
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("*Focus:* {}", focus.unwrap_or("no phase times recorded")) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("<{link}|Read the post-mortem>") } },
        ],
    })
}

/// Sends `message` to every configured webhook in the background.
pub fn announce(client: &reqwest::Client, settings: &PracticeSettings, message: Value) {
    for url in &settings.slack_webhook_urls {
        let (client, url, message) = (client.clone(), url.clone(), message.clone());
        let (base, attempts) = (settings.notify_retry_base, settings.notify_attempts);
        tokio::spawn(async move { deliver(client, url, message, base, attempts).await });
    }
}

async fn deliver(
    client: reqwest::Client,
    url: String,
    message: Value,
    base: Duration,
    attempts: u32,
) {
    for attempt in 0..attempts {
        let wait = match client.post(&url).json(&message).send().await {
            Ok(response) if response.status().is_success() => return,
            Ok(response) if retryable(response.status()) => {
                let asked = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                tracing::warn!(status = %response.status(), attempt, "announcement refused; will retry");
                asked
                    .unwrap_or(base * 2u32.saturating_pow(attempt))
                    .max(base * 2u32.saturating_pow(attempt))
            }
            Ok(response) => {
                tracing::error!(status = %response.status(), "announcement rejected; not retrying");
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, attempt, "announcement failed; will retry");
                base * 2u32.saturating_pow(attempt)
            }
        };
        tokio::time::sleep(wait.min(Duration::from_secs(600))).await;
    }
    tracing::error!("announcement not delivered after {attempts} attempts");
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}
