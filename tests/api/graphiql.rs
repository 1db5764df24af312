//! GraphiQL as a user opens it: served by hindsight alone (no CDN), under a
//! policy that lets the page load nothing from elsewhere, and working in a
//! real browser (headless Chromium) cut off from every network but loopback.

use std::{path::PathBuf, process::Command};

use hindsight::auth::Role;
use reqwest::header;

use crate::helpers::{TestApp, spawn_app};

/// What the page loads: every `src="..."` and `href="..."`.
fn linked(page: &str) -> Vec<String> {
    page.split(['"'])
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0].ends_with("src=") || w[0].ends_with("href="))
        .map(|w| w[1].to_owned())
        .collect()
}

#[tokio::test]
async fn the_graphiql_page_and_its_assets_come_from_hindsight_itself() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(format!("{}/graphql", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "style-src 'self'",
    ] {
        assert!(
            csp.contains(&format!("{directive};")),
            "{directive} in {csp}"
        );
    }
    assert!(!csp.contains("unsafe") && !csp.contains("http"), "{csp}");
    assert!(
        page.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    let assets = linked(&html);
    assert_eq!(assets.len(), 7, "{html}");
    for asset in &assets {
        assert!(
            asset.starts_with("graphiql/") && asset.contains("?v="),
            "{asset} is ours"
        );
        let response = app
            .client
            .get(format!("{}/{asset}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{asset}");
        let expected = if asset.contains(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        let headers = response.headers();
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(expected),
            "{asset}"
        );
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        let body = response.text().await.unwrap();
        // Production builds: React's development build names itself.
        assert!(
            !body.contains("react.development") && !body.contains("__DEV__"),
            "{asset}"
        );
    }
    let missing = app
        .client
        .get(format!("{}/graphiql/nothing.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
}

/// Where test artifacts go: under target/, never committed.
fn artifacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium on `url` with no network but loopback: names resolve to
/// nothing, and anything not on loopback goes to a proxy that is not there.
async fn chromium(url: String, output: &[&str]) -> String {
    let profile = std::env::temp_dir().join(format!("hindsight-chromium-{}", uuid::Uuid::new_v4()));
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
            "--window-size=1400,900",
            "--virtual-time-budget=20000",
            "--timeout=60000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(output)
        .arg(url);
    let result = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap_or_else(|e| {
            panic!("chromium did not start ({e}): .ci/run installs Debian's `chromium`")
        });
    let _ = std::fs::remove_dir_all(profile);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    String::from_utf8(result.stdout).unwrap()
}

/// The schema's named types, from the SDL the server serves.
fn schema_types() -> Vec<String> {
    hindsight::graphql::sdl()
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            match words.next()? {
                "type" | "enum" | "input" | "scalar" | "interface" | "union" => {
                    words.next().map(str::to_owned)
                }
                _ => None,
            }
        })
        .collect()
}

async fn open_graphiql(app: &TestApp) -> String {
    format!("{}/graphql#token={}", app.address, app.token(Role::Viewer))
}

#[tokio::test]
async fn graphiql_in_headless_chromium_lists_the_schemas_types_in_its_docs_pane() {
    let app = spawn_app().await;
    let dom = chromium(open_graphiql(&app).await, &["--dump-dom"]).await;
    assert!(!dom.contains("Error fetching schema"), "{dom}");
    assert!(
        dom.contains("All Schema Types"),
        "the docs pane is open: {dom}"
    );
    let listed: Vec<&str> = dom
        .split("graphiql-doc-explorer-type-name\" href=\"#\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .collect();
    let types = schema_types();
    assert!(types.len() > 20, "{types:?}");
    for name in &types {
        assert!(
            listed.contains(&name.as_str()),
            "{name} not in the docs pane: {listed:?}"
        );
    }
    // The header editor holds the token the page was given.
    assert!(dom.contains("Authorization"), "{dom}");

    let shot = artifacts().join("graphiql.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        open_graphiql(&app).await,
        &[&format!("--screenshot={}", shot.display())],
    )
    .await;
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a screenshot at {shot:?}"
    );
}
