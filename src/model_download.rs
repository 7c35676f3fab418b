//! The web build's models: fetched beside the page (`models/`, written by `web/build.sh`) instead
//! of being built into the wasm, with progress, and kept in the browser's Cache API under a
//! content-versioned address, so a second visit downloads nothing.
//!
//! `models/manifest.json` lists each file's size and SHA-256; it is revalidated on every visit
//! (a `304` when nothing changed). A model file's address carries its digest (`?v=…`), so a new
//! build's file is a new cache entry and the old one is dropped. While the manifest is
//! revalidated, the cached copies are read already; they are used where the manifest names
//! their version.

use std::collections::BTreeMap;

use serde::Deserialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// The largest model file the page accepts (the shipped ones are a few tens of MB).
const MAX_FILE_BYTES: u64 = 512 << 20;

/// Why a model could not be fetched. The message names the address.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The browser's fetch failed: its words.
    #[error("{url}: {reason}")]
    Failed { url: String, reason: String },
    /// The answer was not a byte array.
    #[error("{url}: the answer is not bytes")]
    NotBytes { url: String },
    /// The manifest cannot be parsed.
    #[error("models/manifest.json is not a model manifest: {0}")]
    Manifest(#[from] serde_json::Error),
    /// The manifest has no entry for the model's folder.
    #[error("models/manifest.json does not list {0}/")]
    FolderNotListed(String),
    /// The manifest lists no such file of a size the page accepts.
    #[error("models/manifest.json lists no {folder}/{file} of at most {MAX_FILE_BYTES} bytes")]
    FileNotListed { folder: String, file: String },
    /// A file arrived with another size than the manifest says.
    #[error("{url}: {arrived} bytes arrived, the manifest says {expected}")]
    WrongSize { url: String, arrived: usize, expected: u64 },
}

#[wasm_bindgen(inline_js = r#"
const CACHE = "vsgae-studio-models";

// `url` as an absolute address: in the compute worker, relative to the page that started it.
function absolute(url) {
    return new URL(url, self.document ? document.baseURI : self.studioPageAddress).href;
}

// The cached copy of the file at `path` (whatever its version), as `{ address, bytes }`, or null.
export async function cachedModelFile(path) {
    if (!self.caches) return null;
    try {
        const pathname = new URL(absolute(path)).pathname;
        const cache = await caches.open(CACHE);
        for (const request of await cache.keys()) {
            if (new URL(request.url).pathname !== pathname) continue;
            const hit = await cache.match(request);
            if (hit) return { address: request.url, bytes: new Uint8Array(await hit.arrayBuffer()) };
        }
    } catch (_) {
        // An unreadable cache costs a download, nothing more.
    }
    return null;
}

// Fetches `url`; with `cached`, answers from `early` (a `cachedModelFile` answer) where it is this
// version, else from the Cache API where it can, and stores what it downloads there, dropping
// older versions of the same path. `progress(bytes)` hears of every chunk; more than `limit`
// bytes is an error.
export async function fetchModelFile(url, cached, limit, progress, early) {
    const address = absolute(url);
    let cache = null;
    if (cached && self.caches) {
        try { cache = await caches.open(CACHE); } catch (_) { cache = null; }
    }
    const hit = early && early.address === address ? early : cache ? await cache.match(address) : undefined;
    if (hit) {
        // From the browser's disk in one piece: no chunks to report.
        const bytes = hit.bytes || new Uint8Array(await hit.arrayBuffer());
        if (bytes.length > limit) throw new Error(`more than the expected ${limit} bytes`);
        progress(bytes.length);
        return bytes;
    }
    const response = await fetch(address, { cache: cached ? "default" : "no-cache" });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    const reader = response.body.getReader();
    const parts = [];
    let received = 0;
    for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value.length;
        if (received > limit) {
            await reader.cancel();
            throw new Error(`more than the expected ${limit} bytes`);
        }
        parts.push(value);
        progress(received);
    }
    const bytes = new Uint8Array(received);
    let at = 0;
    for (const part of parts) { bytes.set(part, at); at += part.length; }
    if (cache) {
        try {
            const path = new URL(address).pathname;
            for (const old of await cache.keys()) {
                if (new URL(old.url).pathname === path && old.url !== address) await cache.delete(old);
            }
            await cache.put(address, new Response(bytes));
        } catch (_) {
            // A full or refused cache costs the next visit a download, nothing more.
        }
    }
    return bytes;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = fetchModelFile)]
    async fn fetch_model_file(
        url: &str,
        cached: bool,
        limit: f64,
        progress: &js_sys::Function,
        early: &JsValue,
    ) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = cachedModelFile)]
    async fn cached_model_file(path: &str) -> JsValue;
}

/// One file of `manifest.json`.
#[derive(Debug, Deserialize)]
struct FileEntry {
    bytes: u64,
    sha256: String,
}

/// `manifest.json`: folder → file name → entry.
type Manifest = BTreeMap<String, BTreeMap<String, FileEntry>>;

/// `url`'s bytes, at most `limit` of them; `early` is a cached copy read before the address was
/// known (`null` for none), used where it is this address's.
async fn fetch_bytes(
    url: &str,
    cached: bool,
    limit: u64,
    progress: impl Fn(usize) + 'static,
    early: &JsValue,
) -> Result<Vec<u8>, DownloadError> {
    let callback = Closure::<dyn Fn(f64)>::new(move |received: f64| progress(received as usize));
    let answer = fetch_model_file(url, cached, limit as f64, callback.as_ref().unchecked_ref(), early)
        .await
        .map_err(|error| DownloadError::Failed { url: url.to_owned(), reason: describe(&error) })?;
    let bytes = answer.dyn_into::<js_sys::Uint8Array>().map_err(|_| DownloadError::NotBytes { url: url.to_owned() })?;
    Ok(bytes.to_vec())
}

/// A JavaScript error's message.
fn describe(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the download failed".to_owned())
}

/// The `config.json` and `weights.safetensors` of `models/{folder}/`; `progress(done, total)`
/// hears of the bytes as they arrive.
pub async fn fetch(
    folder: &str,
    progress: impl Fn(usize, usize) + 'static,
) -> Result<(Vec<u8>, Vec<u8>), DownloadError> {
    let path = |name: &str| format!("models/{folder}/{name}");
    let (manifest_bytes, (early_config, early_weights)) = futures_lite::future::zip(
        fetch_bytes("models/manifest.json", false, 1 << 20, |_| {}, &JsValue::NULL),
        futures_lite::future::zip(
            cached_model_file(&path("config.json")),
            cached_model_file(&path("weights.safetensors")),
        ),
    )
    .await;
    let manifest_bytes = manifest_bytes?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)?;
    let files = manifest.get(folder).ok_or_else(|| DownloadError::FolderNotListed(folder.to_owned()))?;
    let entry = |name: &str| {
        files
            .get(name)
            .filter(|entry| entry.bytes <= MAX_FILE_BYTES)
            .ok_or_else(|| DownloadError::FileNotListed { folder: folder.to_owned(), file: name.to_owned() })
    };
    let (config, weights) = (entry("config.json")?, entry("weights.safetensors")?);
    let total = (config.bytes + weights.bytes) as usize;
    let progress = std::rc::Rc::new(progress);
    let download = |name: &'static str, entry: &FileEntry, before: usize, early: JsValue| {
        let url = format!("{}?v={}", path(name), entry.sha256.get(..16).unwrap_or(&entry.sha256));
        let report = progress.clone();
        let expected = entry.bytes;
        async move {
            let bytes =
                fetch_bytes(&url, true, expected, move |received| report(before + received, total), &early).await?;
            if bytes.len() as u64 != expected {
                return Err(DownloadError::WrongSize { url, arrived: bytes.len(), expected });
            }
            Ok::<_, DownloadError>(bytes)
        }
    };
    // Both at once: on a second visit both come from the cache.
    let (config, weights) = futures_lite::future::zip(
        download("config.json", config, 0, early_config),
        download("weights.safetensors", weights, config.bytes as usize, early_weights),
    )
    .await;
    Ok((config?, weights?))
}
