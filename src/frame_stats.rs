//! Frame times over the last minute: the interval between frames and the time the app's own
//! `ui` took, as median and worst.

use std::collections::VecDeque;

use web_time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct FrameStats {
    /// (when, frame interval in ms, ui time in ms, whole-frame CPU time in ms)
    frames: VecDeque<(Instant, f32, f32, f32)>,
}

/// Median and worst of one quantity over the window, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Spread {
    pub median_ms: f32,
    pub worst_ms: f32,
    pub frames: usize,
}

impl FrameStats {
    /// Records one frame; `cpu_ms` is eframe's CPU time of the previous whole frame (UI,
    /// tessellation and painting), where it reports one.
    pub fn record(&mut self, interval_ms: f32, ui_ms: f32, cpu_ms: Option<f32>) {
        let now = Instant::now();
        self.frames.push_back((now, interval_ms, ui_ms, cpu_ms.unwrap_or(f32::NAN)));
        while self.frames.front().is_some_and(|(t, ..)| now.duration_since(*t) > WINDOW) {
            self.frames.pop_front();
        }
    }

    fn spread(&self, pick: impl Fn(&(Instant, f32, f32, f32)) -> f32) -> Option<Spread> {
        let mut values: Vec<f32> = self.frames.iter().map(pick).filter(|v| v.is_finite()).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f32::total_cmp);
        Some(Spread { median_ms: values[values.len() / 2], worst_ms: values[values.len() - 1], frames: values.len() })
    }

    /// Time between frames.
    #[cfg(feature = "probe")]
    pub fn intervals(&self) -> Option<Spread> {
        self.spread(|f| f.1)
    }

    /// Time spent building each frame's UI.
    pub fn ui_times(&self) -> Option<Spread> {
        self.spread(|f| f.2)
    }

    /// CPU time of whole frames, as eframe measures it.
    pub fn frame_cpu_times(&self) -> Option<Spread> {
        self.spread(|f| f.3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_take_the_median_and_the_worst_and_skip_missing_values() {
        let mut stats = FrameStats::default();
        for (interval, cpu) in [(10.0, Some(2.0)), (30.0, None), (20.0, Some(4.0))] {
            stats.record(interval, 1.0, cpu);
        }
        let intervals = stats.spread(|f| f.1).unwrap();
        assert_eq!((intervals.median_ms, intervals.worst_ms, intervals.frames), (20.0, 30.0, 3));
        let cpu = stats.frame_cpu_times().unwrap();
        assert_eq!((cpu.median_ms, cpu.worst_ms, cpu.frames), (4.0, 4.0, 2));
        assert!(FrameStats::default().frame_cpu_times().is_none());
    }
}
