//! The app's side of the web page: a cell named in the address (`?cell=ROWS;OPS`) opens in the
//! cell panel, and the status (see [`crate::status`]) goes into `#studio_status`, the backend
//! into `#studio_backend`.

use crate::StudioApp;

/// Writes the app's status into the page.
pub fn publish_status(app: &StudioApp) {
    let json = crate::status::status_json(app);
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Some(element) = document.get_element_by_id("studio_status") {
        element.set_text_content(Some(&json));
    }
    if let (Some(element), Some(backend)) = (document.get_element_by_id("studio_backend"), &app.shared.backend) {
        element.set_text_content(Some(&format!("Running on {backend}")));
    }
}

/// The cell named by `?cell=ROWS;OPS` in the page's address, if any and valid.
pub fn cell_from_address() -> Option<nasbench::Cell> {
    let search = web_sys::window()?.location().search().ok()?;
    let value = search.trim_start_matches('?').split('&').find_map(|pair| pair.strip_prefix("cell="))?;
    let decoded: String = js_sys::decode_uri_component(&value.replace('+', " ")).ok()?.into();
    match nasbench::parse_line(&decoded) {
        Ok(cell) => Some(cell),
        Err(error) => {
            log::warn!("the address names a cell that is not valid: {error}");
            None
        }
    }
}
