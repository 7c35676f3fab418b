//! What differs between the native engine thread and the browser (a worker or the page): how to
//! wait, how to read the clock and whether a GPU API exists.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
// Resolves after `milliseconds`, or for 0 on the event loop's next turn without the 4 ms that
// nested timers are held to (a message to itself).
export function nextTurn(milliseconds) {
    return new Promise((resolve) => {
        if (milliseconds > 0) { setTimeout(resolve, milliseconds); return; }
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(0);
    });
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = nextTurn)]
    fn next_turn(milliseconds: u32) -> js_sys::Promise;
}

/// Gives the rest of the program a turn: a short sleep on the engine thread, a trip through the
/// browser's event loop on the web.
pub async fn pause(milliseconds: u32) {
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::sleep(std::time::Duration::from_millis(u64::from(milliseconds)));
    #[cfg(target_arch = "wasm32")]
    {
        let _ = wasm_bindgen_futures::JsFuture::from(next_turn(milliseconds)).await;
    }
}

/// Whether the engine shares its thread with the page's drawing (the web build without a
/// worker), so that each piece of its work must stay short.
pub fn shares_the_page_thread() -> bool {
    cfg!(target_arch = "wasm32") && !in_worker()
}

/// Whether this code runs in a Web Worker.
pub fn in_worker() -> bool {
    #[cfg(target_arch = "wasm32")]
    return web_sys::window().is_none();
    #[cfg(not(target_arch = "wasm32"))]
    false
}

/// The browser's `navigator` (the page's or the worker's).
#[cfg(target_arch = "wasm32")]
fn navigator() -> Option<wasm_bindgen::JsValue> {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into()).ok().filter(|n| !n.is_undefined())
}

/// Why no GPU API can exist here, where that is known before asking wgpu.
pub fn missing_gpu_api() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let gpu = navigator().and_then(|navigator| js_sys::Reflect::get(&navigator, &"gpu".into()).ok());
        if gpu.is_none_or(|g| g.is_undefined() || g.is_null()) {
            return Some("this browser does not offer WebGPU".to_owned());
        }
    }
    None
}

/// The graphics API's name as users know it.
pub fn gpu_api_name(backend: &str) -> String {
    if cfg!(target_arch = "wasm32") && backend == "BrowserWebGpu" { "WebGPU".to_owned() } else { backend.to_owned() }
}

/// What the browser tells of its WebGPU adapter (`vendor architecture`), where wgpu's adapter
/// info leaves the name empty.
pub async fn browser_adapter_name() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        use js_sys::Reflect;
        let gpu = Reflect::get(&navigator()?, &"gpu".into()).ok()?;
        let request: js_sys::Function = Reflect::get(&gpu, &"requestAdapter".into()).ok()?.into();
        let promise: js_sys::Promise = request.call0(&gpu).ok()?.into();
        let adapter = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
        let info = Reflect::get(&adapter, &"info".into()).ok()?;
        let field = |name: &str| Reflect::get(&info, &name.into()).ok().and_then(|v| v.as_string());
        let parts: Vec<String> = [field("vendor"), field("architecture"), field("description")]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}
