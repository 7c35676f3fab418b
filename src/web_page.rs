//! The app's side of the web page: a cell named in the address (`?cell=ROWS;OPS`) opens in the
//! cell panel, and the backend goes into `#studio_backend`.

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
