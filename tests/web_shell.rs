//! The web page and the wasm entry point agree on the elements they share.

use std::path::Path;

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn index_html_has_the_elements_main_rs_looks_up() {
    let page = read("index.html");
    let main = read("src/main.rs") + &read("src/web_page.rs") + &read("src/probe/status.rs");
    for id in ["studio_canvas", "loading_text", "studio_status", "studio_backend"] {
        let looked_up = [format!("get_element_by_id(\"{id}\")"), format!("element(\"{id}\")")];
        assert!(looked_up.iter().any(|call| main.contains(call)), "the wasm code does not look up {id}");
        assert!(page.contains(&format!("id=\"{id}\"")), "index.html has no element {id}");
    }
    assert!(page.contains("data-trunk rel=\"rust\" data-bin=\"vsgae-studio\""));
    let trunk = read("Trunk.toml");
    assert!(trunk.contains("target = \"index.html\""));
    for asset in page.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(asset).is_file(),
            "index.html links {asset}, which is missing"
        );
    }
}
