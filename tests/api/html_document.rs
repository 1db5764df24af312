//! The post-mortem as a page: a self-contained HTML document with the
//! incident drawn, served under a policy that lets nothing load; share links
//! that open it without an account, anonymized, until they are revoked; and
//! the page as headless Chromium renders it.

use std::{collections::BTreeMap, path::PathBuf, process::Stdio, sync::Arc, time::Duration};

use hindsight::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::Mutex,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::helpers::{TestApp, assert_problem, id, spawn_app, spawn_app_with};

/// Detection 1 h, acknowledgement 4 min, mitigation 20 min, resolution 2 h.
const PHASES: [(&str, &str, i64); 4] = [
    ("detection", "2026-03-01T10:00:00Z", 3600),
    ("acknowledgement", "2026-03-01T11:00:00Z", 240),
    ("mitigation", "2026-03-01T11:04:00Z", 1200),
    ("resolution", "2026-03-01T11:24:00Z", 7200),
];

const HOSTILE_TITLE: &str =
    "<script>document.title='pwned'</script><img src=x onerror=alert(1)> & \"quoted\"";

async fn incident(app: &TestApp, entries: usize) -> (String, Value) {
    let author = app.person("Zebulon Quackenbush").await;
    let pm = app
        .postmortem(json!({
            "title": "Checkout errors after Zebulon Quackenbush's config deploy",
            "summary": "12% of checkouts failed.\n\nZebulon Quackenbush rolled back.",
            "status": "in_review",
            "author_id": id(&author),
            "services": ["checkout"],
            "impact_started_at": "2026-03-01T10:00:00Z",
            "detected_at": "2026-03-01T11:00:00Z",
            "acknowledged_at": "2026-03-01T11:04:00Z",
            "mitigated_at": "2026-03-01T11:24:00Z",
            "resolved_at": "2026-03-01T13:24:00Z",
        }))
        .await;
    let base = format!("/api/v1/postmortems/{}", id(&pm));
    let kinds = [
        "alert.triggered",
        "alert.acknowledged",
        "deploy.started",
        "note",
    ];
    for n in 0..entries {
        let minute = n * 200 / entries.max(1);
        let title = if n == 0 {
            HOSTILE_TITLE.to_owned()
        } else {
            format!("Zebulon Quackenbush saw event {n} on checkout")
        };
        app.create(
            &format!("{base}/timeline"),
            json!({
                "occurred_at": format!("2026-03-01T{:02}:{:02}:{:02}Z", 10 + minute / 60, minute % 60, n % 60),
                "kind": kinds[n % kinds.len()],
                "title": title,
            }),
        )
        .await;
    }
    (base, pm)
}

async fn publish(app: &TestApp, base: &str) {
    let published = app
        .request(Method::POST, &format!("{base}/publish"), Role::Admin)
        .json(&json!({"override_reason": "the page is under test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), StatusCode::OK);
}

async fn html(app: &TestApp, path: &str, role: Role, accept: Option<&str>) -> reqwest::Response {
    let mut request = app.request(Method::GET, path, role);
    if let Some(accept) = accept {
        request = request.header("Accept", accept);
    }
    request.send().await.unwrap()
}

fn assert_inert_headers(response: &reqwest::Response) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    let policy = header("content-security-policy");
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(policy.contains("style-src 'sha256-"), "{policy}");
    assert!(policy.contains("img-src data:"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("referrer-policy"), "no-referrer");
}

#[tokio::test]
async fn the_html_document_is_one_inert_page_with_the_template_and_the_timeline_drawn() {
    let app = spawn_app().await;
    let (base, _) = incident(&app, 8).await;
    let by_format = html(
        &app,
        &format!("{base}/document?format=html"),
        Role::Viewer,
        None,
    )
    .await;
    assert_eq!(by_format.status(), StatusCode::OK);
    assert_inert_headers(&by_format);
    let page = by_format.text().await.unwrap();
    let by_accept = html(
        &app,
        &format!("{base}/document"),
        Role::Viewer,
        Some("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
    )
    .await;
    assert_inert_headers(&by_accept);
    assert_eq!(by_accept.text().await.unwrap(), page);

    for section in [
        "Summary",
        "Where the time went",
        "Review findings",
        "Timeline",
        "Causes",
        "Action items",
    ] {
        assert!(page.contains(&format!("<h2>{section}</h2>")), "{section}");
    }
    assert!(
        page.contains("Longest phase: resolution (2 hours)"),
        "{page}"
    );
    assert_eq!(page.matches("class=\"phase phase-").count(), 4);
    assert_eq!(
        page.matches("<g class=\"mark mark-").count() - 4,
        8,
        "a mark per entry, and the legend's four"
    );
    for kind in ["alert", "acknowledgement", "deploy", "note"] {
        assert!(
            page.contains(&format!("<g class=\"mark mark-{kind}\" data-entry")),
            "{kind}"
        );
    }
    // Nothing runs, nothing loads: no script, no external reference.
    assert!(!page.contains("<script"), "user text became markup");
    assert!(page.contains("&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quoted&quot;"));
    for element in [
        "<img",
        "<iframe",
        "<object",
        "<embed",
        "<video",
        "<audio",
        "<link rel=\"stylesheet",
    ] {
        assert!(!page.contains(element), "{element}");
    }
    assert!(!page.contains("url(") && !page.contains("@import"));
    assert_eq!(
        page.matches("<link ").count(),
        page.matches("<link rel=\"icon\" href=\"data:,\">").count()
    );
    assert_eq!(
        page.matches("http").count(),
        page.matches("http://www.w3.org/2000/svg").count()
    );
    assert!(page.contains("@media print"));
    // A viewer reads people as pseudonyms here too.
    assert!(
        !page.contains("Quackenbush") && !page.contains("Zebulon"),
        "{page}"
    );
    assert!(page.contains("Engineer A"));

    let markdown = html(
        &app,
        &format!("{base}/document"),
        Role::Viewer,
        Some("text/markdown"),
    )
    .await;
    assert!(markdown.text().await.unwrap().starts_with("# "));
    let unknown = html(
        &app,
        &format!("{base}/document?format=pdf"),
        Role::Viewer,
        None,
    )
    .await;
    assert_problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_markdown_document_carries_a_mermaid_gantt_of_the_phases_and_key_events() {
    let app = spawn_app().await;
    let (base, _) = incident(&app, 4).await;
    let markdown = app
        .get(&format!("{base}/document?format=markdown"))
        .await
        .text()
        .await
        .unwrap();
    let start = markdown
        .find("```mermaid\ngantt\n")
        .expect("a mermaid block");
    let block = &markdown[start..start + markdown[start + 3..].find("```").unwrap() + 6];
    assert!(
        block.contains("Detection 1 hour :p0, 2026-03-01T10:00:00, 2026-03-01T11:00:00"),
        "{block}"
    );
    assert!(
        block.contains("Resolution 2 hours :crit, p3, 2026-03-01T11:24:00, 2026-03-01T13:24:00"),
        "{block}"
    );
    // Three of the four entries are alerts, acknowledgements or deploys; the hostile
    // title loses every character Mermaid or Markdown would read.
    assert_eq!(block.matches(":milestone,").count(), 3, "{block}");
    assert!(
        block.contains("Alert - script document.title 'pwned' /script img src x"),
        "{block}"
    );
    assert!(
        !block.contains('<') && !block.contains('=') && !block.contains('"'),
        "{block}"
    );
    assert!(!block.contains("Quackenbush"), "{block}");
}

/// A share link opens the page without a token, always anonymized; revoking stops it.
#[tokio::test]
async fn a_share_link_opens_the_anonymized_page_without_an_account_until_revoked() {
    let slack = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&slack)
        .await;
    let slack_url = format!("{}/services/T000/B000/XXXX", slack.uri());
    let app = spawn_app_with(move |s| s.practice.slack_webhook_urls = vec![slack_url]).await;
    let (base, _) = incident(&app, 3).await;
    let share = format!("{base}/share");

    let early = app
        .request(Method::POST, &share, Role::Editor)
        .send()
        .await
        .unwrap();
    assert_problem(early, StatusCode::CONFLICT, "not_published").await;
    publish(&app, &base).await;
    let viewer = app
        .request(Method::POST, &share, Role::Viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(viewer.status(), StatusCode::FORBIDDEN);

    let issued = app
        .request(Method::POST, &share, Role::Editor)
        .json(&json!({"announce": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), StatusCode::CREATED);
    let issued: Value = issued.json().await.unwrap();
    let token = issued["token"].as_str().unwrap();
    let url = issued["url"].as_str().unwrap();
    assert_eq!(url, format!("{}/share/{token}", app.state.public_url));

    let anonymous = reqwest::get(format!("{}/share/{token}", app.address))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::OK);
    assert_inert_headers(&anonymous);
    let page = anonymous.text().await.unwrap();
    assert!(page.contains("Longest phase: resolution"));
    assert!(page.contains("Engineer A"), "{page}");
    for name in ["Zebulon", "Quackenbush", "zebulon.quackenbush"] {
        assert!(
            !page.to_lowercase().contains(&name.to_lowercase()),
            "{name} in {page}"
        );
    }
    // The token is kept hashed: the database never holds it.
    let stored: Vec<String> = <entity::share_link::Entity as sea_orm::EntityTrait>::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.token_hash)
        .collect();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert!(!stored[0].contains(token));

    // The announcement links to the shared page.
    let mut announced = String::new();
    for _ in 0..200 {
        let received = slack.received_requests().await.unwrap_or_default();
        if let Some(r) = received
            .iter()
            .find(|r| String::from_utf8_lossy(&r.body).contains("/share/"))
        {
            announced = String::from_utf8_lossy(&r.body).into_owned();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(announced.contains(&format!("<{url}|")), "{announced}");

    let revoked = app
        .request(Method::DELETE, &share, Role::Editor)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = reqwest::get(format!("{}/share/{token}", app.address))
        .await
        .unwrap();
    assert_problem(after, StatusCode::NOT_FOUND, "not_found").await;
    let unknown = reqwest::get(format!("{}/share/not-a-token", app.address))
        .await
        .unwrap();
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
}

// ---------------------------------------------------------------------------
// In a real browser

/// A proxy that answers every request Chromium makes: the page at `/page`,
/// 404 for anything else. It records every request line (and connections
/// that sent none), so a fetch to any host, over any scheme, is seen.
struct Canary {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Canary {
    async fn serving(page: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (log, page) = (log.clone(), page.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let line = head.lines().next().unwrap_or_default().to_owned();
                    if line.is_empty() {
                        return;
                    }
                    log.lock().await.push(line.clone());
                    let response = if line.starts_with("GET ") && line.contains("/page ") {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        )
                    } else {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_owned()
                    };
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        Canary { port, requests }
    }

    fn page_url(&self) -> String {
        format!("http://127.0.0.1:{}/page", self.port)
    }

    /// What was asked for besides the page itself.
    async fn other_requests(&self) -> Vec<String> {
        let page = format!("GET {} HTTP/1.1", self.page_url());
        let path_only = "GET /page HTTP/1.1".to_owned();
        self.requests
            .lock()
            .await
            .iter()
            .filter(|line| **line != page && **line != path_only)
            // Chromium's own services (component updates, time, accounts) call
            // Google whatever the page is; the flags cannot silence them all.
            .filter(|line| !BROWSER_SERVICES.iter().any(|host| line.contains(host)))
            .cloned()
            .collect()
    }
}

const BROWSER_SERVICES: [&str; 3] = [
    "update.googleapis.com",
    "clients2.google.com",
    "accounts.google.com",
];

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned())
}

/// Runs headless Chromium on `url` with every connection sent to the canary.
async fn run_chromium(canary: &Canary, extra: &[String], url: &str) -> String {
    let profile = tempdir();
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--disable-default-apps".to_owned(),
        "--disable-extensions".to_owned(),
        "--hide-scrollbars".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        // Every request, loopback included, goes through the canary.
        format!("--proxy-server=http://127.0.0.1:{}", canary.port),
        "--proxy-bypass-list=<-loopback>".to_owned(),
    ];
    args.extend(extra.iter().cloned());
    args.push(url.to_owned());
    let program = chromium();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&program)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("{program} could not start ({e}): .ci/run installs Debian's chromium")
            })
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hindsight-chromium-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The start tags named `name` in `dom`, each as its attributes.
fn tags(dom: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{name} ");
    let mut found = Vec::new();
    let mut rest = dom;
    while let Some(at) = rest.find(&open) {
        rest = &rest[at + open.len()..];
        let end = rest.find('>').unwrap();
        let mut attributes = BTreeMap::new();
        let mut text = &rest[..end];
        while let Some(eq) = text.find("=\"") {
            let key = text[..eq].trim().to_owned();
            let value_end = text[eq + 2..].find('"').unwrap();
            attributes.insert(key, text[eq + 2..eq + 2 + value_end].to_owned());
            text = &text[eq + 2 + value_end + 1..];
        }
        found.push(attributes);
    }
    found
}

/// The text of each `<text class="label" ...>` element.
fn label_texts(dom: &str) -> Vec<String> {
    dom.split("<text class=\"label\"")
        .skip(1)
        .map(|s| {
            let start = s.find('>').unwrap() + 1;
            let end = s.find("</text>").unwrap();
            s[start..end].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn chromium_draws_bars_to_scale_marks_every_entry_and_fetches_nothing() {
    const ENTRIES: usize = 200;
    let app = spawn_app().await;
    let (base, _) = incident(&app, ENTRIES).await;
    let page = html(
        &app,
        &format!("{base}/document?format=html"),
        Role::Viewer,
        None,
    )
    .await
    .text()
    .await
    .unwrap();

    // The harness sees a fetch when a page makes one: a page with an image does.
    let control =
        Canary::serving("<!DOCTYPE html><img src=\"http://leak.example/x.png\">".to_owned()).await;
    run_chromium(&control, &["--dump-dom".to_owned()], &control.page_url()).await;
    let leaked = control.other_requests().await;
    assert!(
        leaked.iter().any(|r| r.contains("leak.example")),
        "the canary missed a fetch: {leaked:?}"
    );

    // The page is served without its policy here, so nothing but the page itself keeps it inert.
    let canary = Canary::serving(page).await;
    let dom = run_chromium(&canary, &["--dump-dom".to_owned()], &canary.page_url()).await;
    assert!(dom.contains("Where the time went"), "{dom}");
    assert!(
        !dom.contains("<script") && !dom.contains("<img"),
        "user text became elements"
    );
    assert!(!dom.contains("pwned</title>"));

    // Phase bars: widths proportional to the durations the post-mortem holds.
    let mut widths = BTreeMap::new();
    let mut phase = None;
    for tag in dom.split('<').skip(1) {
        let name = tag.split([' ', '>']).next().unwrap();
        let attributes = tags(&format!("<{tag}"), name).pop().unwrap_or_default();
        if name == "g" {
            phase = attributes.get("data-phase").cloned();
        } else if name == "rect"
            && let Some(p) = phase.take()
        {
            widths.insert(p, attributes["width"].parse::<f64>().unwrap());
        }
    }
    assert_eq!(widths.len(), 4, "{widths:?}");
    let per_second = widths["detection"] / PHASES[0].2 as f64;
    for (name, _, seconds) in PHASES {
        let expected = seconds as f64 * per_second;
        assert!(
            (widths[name] - expected).abs() <= 0.02 * expected + 0.02,
            "{name}: {} vs {expected}",
            widths[name]
        );
    }

    // Every entry has a mark, at its own time.
    let marks: Vec<_> = tags(&dom, "g")
        .into_iter()
        .filter(|g| g.contains_key("data-entry"))
        .collect();
    assert_eq!(marks.len(), ENTRIES);
    let timeline = app.get_json(&format!("{base}/timeline?limit=200")).await;
    let mut expected: Vec<String> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["occurred_at"].as_str().unwrap().replace('Z', "+00:00"))
        .collect();
    let mut drawn: Vec<String> = marks.iter().map(|m| m["data-at"].clone()).collect();
    expected.sort();
    drawn.sort();
    assert_eq!(drawn, expected);

    // Labels in one lane never overlap (monospace: 0.62em a character at 11px).
    let labels: Vec<(usize, f64, f64)> = tags(&dom, "text")
        .into_iter()
        .filter(|t| t.get("class").is_some_and(|c| c == "label"))
        .zip(label_texts(&dom))
        .map(|(t, text)| {
            let x: f64 = t["x"].parse().unwrap();
            let chars = text
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .chars()
                .count();
            (
                t["data-lane"].parse().unwrap(),
                x,
                x + chars as f64 * 11.0 * 0.62,
            )
        })
        .collect();
    assert!(labels.len() >= 20, "only {} labels drawn", labels.len());
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            assert!(a.0 != b.0 || a.2 < b.1 || b.2 < a.1, "{a:?} overlaps {b:?}");
        }
    }

    // A screenshot for people to look at, kept with the build's artifacts.
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/html-document");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join("postmortem.png");
    run_chromium(
        &canary,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".to_owned(),
        ],
        &canary.page_url(),
    )
    .await;
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
    assert_eq!(
        canary.other_requests().await,
        Vec::<String>::new(),
        "the page fetched something"
    );
}
