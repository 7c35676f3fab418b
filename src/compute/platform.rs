//! What differs between the worker thread and the browser: how to wait, how to read the clock
//! and whether a GPU API exists.

/// Gives the rest of the program a turn: a short sleep on the worker thread, a trip through the
/// browser's event loop on the web.
pub async fn pause(milliseconds: u32) {
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::sleep(std::time::Duration::from_millis(u64::from(milliseconds)));
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, milliseconds as i32);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
}

/// Why no GPU API can exist here, where that is known before asking wgpu.
pub fn missing_gpu_api() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        let navigator = web_sys::window().map(|w| w.navigator())?;
        let gpu = js_sys::Reflect::get(&navigator, &"gpu".into()).ok();
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
        let navigator = web_sys::window()?.navigator();
        let gpu = Reflect::get(&navigator, &"gpu".into()).ok()?;
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
