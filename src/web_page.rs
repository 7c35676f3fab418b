//! The app's side of the web page: a cell named in the address (`?cell=ROWS;OPS`) opens in the
//! cell panel, the backend goes into `#studio_backend`, and with the `probe` feature the status
//! (see `crate::status`) goes into `#studio_status` for the browser test.

/// The page element `id`, if the page has it.
fn element(id: &str) -> Option<web_sys::Element> {
    web_sys::window()?.document()?.get_element_by_id(id)
}

/// Says in the page which device the models run on.
pub fn show_backend(backend: &str) {
    if let Some(element) = element("studio_backend") {
        element.set_text_content(Some(&format!("Running on {backend}")));
    }
}

/// Writes the app's status into the page.
#[cfg(feature = "probe")]
pub fn publish_status(app: &crate::StudioApp) {
    if let Some(element) = element("studio_status") {
        element.set_text_content(Some(&crate::probe::status::status_json(app)));
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
