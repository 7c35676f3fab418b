//! Frame times over the last minute: the interval between frames and the time the app's own
//! `ui` took, as median and worst.

use std::collections::VecDeque;

use web_time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct FrameStats {
    /// (when, frame interval in ms, ui time in ms)
    frames: VecDeque<(Instant, f32, f32)>,
}

/// Median and worst of one quantity over the window, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    pub median_ms: f32,
    pub worst_ms: f32,
    pub frames: usize,
}

impl FrameStats {
    pub fn record(&mut self, interval_ms: f32, ui_ms: f32) {
        let now = Instant::now();
        self.frames.push_back((now, interval_ms, ui_ms));
        while self.frames.front().is_some_and(|(t, _, _)| now.duration_since(*t) > WINDOW) {
            self.frames.pop_front();
        }
    }

    fn spread(&self, pick: impl Fn(&(Instant, f32, f32)) -> f32) -> Option<Spread> {
        let mut values: Vec<f32> = self.frames.iter().map(pick).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f32::total_cmp);
        Some(Spread { median_ms: values[values.len() / 2], worst_ms: values[values.len() - 1], frames: values.len() })
    }

    /// Time between frames.
    pub fn intervals(&self) -> Option<Spread> {
        self.spread(|f| f.1)
    }

    /// Time spent building each frame's UI.
    pub fn ui_times(&self) -> Option<Spread> {
        self.spread(|f| f.2)
    }
}
