//! VS-GAE Studio: the desktop entry point and the web entry point.

mod app;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_title("VS-GAE Studio").with_inner_size([1200.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native("VS-GAE Studio", options, Box::new(|cc| Ok(Box::new(app::StudioApp::new(cc)))))
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use eframe::wasm_bindgen::JsCast as _;

    wasm_bindgen_futures::spawn_local(async {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            log::error!("no document");
            return;
        };
        let Some(canvas) = document
            .get_element_by_id("studio_canvas")
            .and_then(|element| element.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            log::error!("no canvas with id studio_canvas");
            return;
        };
        let result = eframe::WebRunner::new()
            .start(canvas, eframe::WebOptions::default(), Box::new(|cc| Ok(Box::new(app::StudioApp::new(cc)))))
            .await;
        if let Some(loading) = document.get_element_by_id("loading_text") {
            match result {
                Ok(()) => loading.remove(),
                Err(error) => loading.set_inner_html(&format!("<p>VS-GAE Studio failed to start: {error:?}</p>")),
            }
        }
    });
}
