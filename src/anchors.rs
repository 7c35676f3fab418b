//! Where the main controls were drawn this frame, by name: the page's status carries them for the
//! browser test, which clicks through them (with the `probe` feature; without it nothing is kept).

#[cfg(feature = "probe")]
pub use kept::Anchors;

#[cfg(feature = "probe")]
mod kept {
    use std::collections::BTreeMap;

    /// Where the main controls were drawn this frame: `[min x, min y, max x, max y]` by name (for
    /// the page's status, which the browser test clicks through).
    #[derive(Debug, Default, serde::Serialize)]
    #[serde(transparent)]
    pub struct Anchors(BTreeMap<&'static str, [f32; 4]>);

    impl Anchors {
        pub fn record(&mut self, name: &'static str, rect: egui::Rect) {
            self.0.insert(name, [rect.min.x, rect.min.y, rect.max.x, rect.max.y]);
        }

        pub fn clear(&mut self) {
            self.0.clear();
        }
    }
}

/// Keeps no positions (without the `probe` feature).
#[cfg(not(feature = "probe"))]
#[derive(Debug, Default)]
pub struct Anchors;

#[cfg(not(feature = "probe"))]
impl Anchors {
    pub fn record(&mut self, _name: &'static str, _rect: egui::Rect) {}

    pub fn clear(&mut self) {}
}
