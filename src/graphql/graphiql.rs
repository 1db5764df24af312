//! GraphiQL served by hindsight itself: the page at `GET /graphql` and its
//! assets at `/graphiql/{asset}`, embedded in the binary. The assets are the
//! production builds pinned in `assets/graphiql/package-lock.json` (rebuilt by
//! `assets/graphiql/build.sh`), so the page works on a network without
//! internet and loads nothing from anywhere but this server.

use std::sync::LazyLock;

use actix_web::{HttpResponse, http::header, web};
use sha2::{Digest as _, Sha256};

use crate::error::ApiError;

/// One embedded file: its name under `/graphiql/`, type and bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr, $path:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/graphiql/",
                $path
            )),
        }
    };
}

static ASSETS: &[Asset] = &[
    asset!(
        "react.production.min.js",
        JS,
        "dist/react.production.min.js"
    ),
    asset!(
        "react-dom.production.min.js",
        JS,
        "dist/react-dom.production.min.js"
    ),
    asset!("graphql-ws.min.js", JS, "dist/graphql-ws.min.js"),
    asset!("graphiql.min.js", JS, "dist/graphiql.min.js"),
    asset!("graphiql.min.css", CSS, "dist/graphiql.min.css"),
    asset!("hindsight.js", JS, "hindsight.js"),
    asset!("hindsight.css", CSS, "hindsight.css"),
];

/// A digest of every asset: the page asks for `?v=<digest>`, so an upgraded
/// binary's assets are new URLs and the old ones may be cached for ever.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut digest = Sha256::new();
    for asset in ASSETS {
        digest.update(asset.body);
    }
    hex::encode(&digest.finalize()[..8])
});

/// Everything the page may load comes from this server; fonts and icons are
/// `data:` URIs inside GraphiQL's stylesheet.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/// The page: GraphiQL on `/graphql`, assets by relative URL (so a proxy that
/// serves hindsight under a prefix keeps working).
pub fn page() -> HttpResponse {
    let v = VERSION.as_str();
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hindsight GraphiQL</title>
<link rel="stylesheet" href="graphiql/graphiql.min.css?v={v}">
<link rel="stylesheet" href="graphiql/hindsight.css?v={v}">
</head>
<body>
<div id="graphiql">Loading GraphiQL...</div>
<script src="graphiql/react.production.min.js?v={v}"></script>
<script src="graphiql/react-dom.production.min.js?v={v}"></script>
<script src="graphiql/graphql-ws.min.js?v={v}"></script>
<script src="graphiql/graphiql.min.js?v={v}"></script>
<script src="graphiql/hindsight.js?v={v}"></script>
</body>
</html>
"#
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// `GET /graphiql/{asset}`: an embedded file, cacheable for a year.
pub async fn asset(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .ok_or(ApiError::NotFound("GraphiQL asset"))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.body))
}
