//! Announcements to Slack-compatible incoming webhooks. Delivery happens in
//! the background with retries, so publishing never waits on a chat service.

use std::time::Duration;

use reqwest::{StatusCode, Url, header::RETRY_AFTER};
use serde_json::{Value, json};

use crate::{config::PracticeSettings, domain::markdown::Document};

/// User text made inert for Slack: `&`, `<` and `>` are its control characters
/// (mentions such as `<!channel>`, links such as `<https://x|label>`), so they
/// travel as the entities Slack decodes for display and nothing else.
pub fn slack_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// [`slack_text`] on one line: a line break in a title would start a quote or list.
fn slack_line(text: &str) -> String {
    slack_text(&text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The message for a published post-mortem: title, summary, focus and a link.
/// Only the link is Slack markup of hindsight's own; every other piece is escaped.
pub fn publication_message(doc: &Document, focus: Option<&str>, link: &str) -> Value {
    let title = slack_line(&doc.title);
    let summary = doc
        .summary
        .as_deref()
        .map_or_else(|| "(no summary)".to_owned(), slack_text);
    let focus = focus.map(slack_line);
    let mut text = format!("*Post-mortem published: {title}*\n{summary}");
    if let Some(focus) = &focus {
        text.push_str(&format!("\n_Focus:_ {focus}"));
    }
    text.push_str(&format!("\n<{link}|Read the post-mortem>"));
    json!({
        "text": text,
        "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": format!("Post-mortem: {title}") } },
            { "type": "section", "text": { "type": "mrkdwn", "text": summary } },
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("*Focus:* {}", focus.as_deref().unwrap_or("no phase times recorded")) } },
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

/// The webhook's host, the most a log may say of it: its path is the credential.
fn host_of(url: &str) -> String {
    Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn deliver(
    client: reqwest::Client,
    url: String,
    message: Value,
    base: Duration,
    attempts: u32,
) {
    let host = host_of(&url);
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
                tracing::warn!(%host, status = %response.status(), attempt, "announcement refused; will retry");
                asked
                    .unwrap_or(base * 2u32.saturating_pow(attempt))
                    .max(base * 2u32.saturating_pow(attempt))
            }
            Ok(response) => {
                tracing::error!(%host, status = %response.status(), "announcement rejected; not retrying");
                return;
            }
            Err(err) => {
                // reqwest names the whole URL in its errors unless told not to.
                let err = err.without_url();
                tracing::warn!(%host, error = %err, attempt, "announcement failed; will retry");
                base * 2u32.saturating_pow(attempt)
            }
        };
        tokio::time::sleep(wait.min(Duration::from_secs(600))).await;
    }
    tracing::error!(%host, "announcement not delivered after {attempts} attempts");
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::{
        io,
        sync::{Arc, Mutex},
    };

    use super::*;

    #[test]
    fn slack_control_characters_become_the_entities_slack_decodes() {
        assert_eq!(
            slack_text("<!channel> & <@U123> <https://evil.example|Read>"),
            "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|Read&gt;"
        );
        assert_eq!(
            slack_text("&amp;"),
            "&amp;amp;",
            "entities are shown as typed"
        );
        assert_eq!(slack_text("*bold* _em_ :tada:"), "*bold* _em_ :tada:");
    }

    #[test]
    fn a_hostile_title_and_summary_cannot_mention_or_link() {
        let doc = Document {
            title: "<!here> down\n> quoted".into(),
            summary: Some("Ping <@U123> & see <https://evil.example|Read the post-mortem>".into()),
            ..Document::default()
        };
        let message = publication_message(&doc, Some("18 minutes to detect"), "https://h/pm");
        assert_eq!(
            message["text"],
            "*Post-mortem published: &lt;!here&gt; down &gt; quoted*\n\
             Ping &lt;@U123&gt; &amp; see &lt;https://evil.example|Read the post-mortem&gt;\n\
             _Focus:_ 18 minutes to detect\n\
             <https://h/pm|Read the post-mortem>"
        );
        assert_eq!(
            message["blocks"][0]["text"]["text"],
            "Post-mortem: &lt;!here&gt; down &gt; quoted"
        );
        assert_eq!(
            message["blocks"][1]["text"]["text"],
            "Ping &lt;@U123&gt; &amp; see &lt;https://evil.example|Read the post-mortem&gt;"
        );
        assert_eq!(
            message["blocks"][3]["text"]["text"],
            "<https://h/pm|Read the post-mortem>"
        );
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_failed_delivery_logs_the_webhook_host_but_never_its_secret_path() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // Nothing listens on port 1: the connection is refused.
        let url = "http://127.0.0.1:1/services/T000/B000/SECRETPATH".to_owned();
        deliver(reqwest::Client::new(), url, json!({}), Duration::ZERO, 2).await;

        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        assert!(logs.contains("announcement failed"), "{logs}");
        assert!(logs.contains("not delivered after 2 attempts"), "{logs}");
        assert!(logs.contains("host=127.0.0.1"), "{logs}");
        assert!(
            !logs.contains("SECRETPATH") && !logs.contains("/services"),
            "{logs}"
        );
    }
}
