//! The VS-GAE's jobs: encoding cells, interpolating between two, sampling the prior and the
//! latent map of the loaded dataset.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use burn::tensor::{Tensor, TensorData};
use nasbench::{Cell, MetricKey, Record};
use vsgae::evaluation::abilities::LatentPrior;
use vsgae::latent::{interpolate, principal_plane};
use vsgae::model::decoding::DecodeMode;

use super::Engine;
use crate::compute::commands::{DatasetInfo, DecodedPoint, Event, LatentPoint};
use crate::compute::platform::pause;

impl Engine {
    /// The VS-GAE's latent means of `cells`, in chunks (reporting progress and yielding
    /// between them), as rows of `dim` values; `None` without a VS-GAE or when cancelled.
    async fn encode(&self, cells: &[Cell]) -> Option<(Vec<f32>, usize)> {
        const JOB: &str = "encoding cells";
        let loaded = self.vsgae.as_ref()?;
        let mut dim = 0;
        let mut latents = Vec::new();
        for part in cells.chunks(512) {
            if self.cancelled() {
                self.notice("encoding cancelled");
                return None;
            }
            let means = vsgae::evaluation::abilities::encode_means(&loaded.model, part, &loaded.device, 512);
            dim = means.dims()[1];
            match vsgae::readback::floats_async(means).await {
                Ok(values) => latents.extend(values),
                Err(error) => {
                    self.notice(format!("encoding failed: {error}"));
                    return None;
                }
            }
            self.events.send(Event::Progress {
                job: JOB.to_owned(),
                done: latents.len() / dim.max(1),
                total: cells.len(),
            });
            pause(0).await;
        }
        Some((latents, dim))
    }

    pub(super) async fn interpolate(&mut self, from: Cell, to: Cell, steps: usize, how: vsgae::latent::Interpolation) {
        if self.ensure_vsgae().await.is_none() {
            return;
        }
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&[from, to]).await else { return };
        if latents.len() != 2 * dim {
            self.notice("encoding the two cells failed");
            return;
        }
        let points = interpolate(&latents[..dim], &latents[dim..], steps.clamp(2, 64), how);
        let rows = points.len();
        let flat: Vec<f32> = points.into_iter().flatten().collect();
        let Some(loaded) = &self.vsgae else { return };
        let z = Tensor::<2>::from_data(TensorData::new(flat, [rows, dim]), &loaded.device);
        if let Some(points) = self.decode_points(z).await {
            self.events.send(Event::Interpolation(points));
        }
    }

    /// `count` points drawn from the reference's prior (a Gaussian fitted to the latent means of
    /// up to 2,000 cells spread evenly over the loaded dataset), each decoded to its most likely
    /// cell.
    pub(super) async fn sample_prior(&mut self, count: usize) {
        const FITTED_CELLS: usize = 2_000;
        let Some(info) = self.vsgae_and_dataset("the prior is fitted to its cells' latents").await else { return };
        let cells: Vec<Cell> = spread_evenly(info.dataset.records(), FITTED_CELLS).iter().map(|r| r.cell).collect();
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&cells).await else { return };
        let Some(loaded) = &self.vsgae else { return };
        let prior = LatentPrior::fitted(&latents, dim);
        let count = count.clamp(1, 64);
        let z = prior.sample(count, 1, &loaded.device, &mut self.rng);
        if let Some(points) = self.decode_points(z).await {
            self.events.send(Event::PriorSamples(points));
        }
    }

    /// Latent points, decoded greedily, with the predicted accuracy of each decoding that is a
    /// NAS-Bench-101 cell; `None` (with a notice) where decoding fails.
    ///
    /// # Shapes
    /// - `z`: `[points, latent_dim]`, on the VS-GAE's device
    async fn decode_points(&mut self, z: Tensor<2>) -> Option<Vec<DecodedPoint>> {
        let loaded = self.vsgae.as_ref()?;
        let graphs = match loaded.model.decode_async(z, DecodeMode::Greedy, &mut self.rng).await {
            Ok(graphs) => graphs,
            Err(error) => {
                self.notice(format!("decoding failed: {error}"));
                return None;
            }
        };
        let decoded: Vec<Option<Cell>> = graphs.iter().map(|g| g.to_cell()).collect();
        let cells: Vec<Cell> = decoded.iter().flatten().copied().collect();
        let mut predicted = self.predict(&cells).await.unwrap_or_default().into_iter();
        let points = graphs
            .into_iter()
            .zip(decoded)
            .map(|(graph, cell)| {
                let predicted = cell.and_then(|_| predicted.next()).map(|p| p.mean);
                DecodedPoint { graph, cell, predicted }
            })
            .collect();
        Some(points)
    }

    /// Starts a VS-GAE job on the loaded dataset: the dataset, once the VS-GAE is loaded; `None`
    /// (with a notice that says why, `why` naming what needs the dataset) otherwise.
    async fn vsgae_and_dataset(&mut self, why: &str) -> Option<Arc<DatasetInfo>> {
        self.cancel.store(false, Ordering::Relaxed);
        // `ensure_vsgae` has said why where it gives nothing.
        self.ensure_vsgae().await?;
        let info = self.dataset.clone();
        if info.is_none() {
            self.notice(format!("load a dataset first: {why}"));
        }
        info
    }

    pub(super) async fn latent_map(&mut self, max_cells: usize) {
        let Some(info) = self.vsgae_and_dataset("the map shows its cells").await else { return };
        let chosen = spread_evenly(info.dataset.records(), max_cells);
        let cells: Vec<Cell> = chosen.iter().map(|r| r.cell).collect();
        // `ensure_vsgae` or `encode` has said why where this gives nothing.
        let Some((latents, dim)) = self.encode(&cells).await else { return };
        // A cell whose latent is not finite would make every projected position NaN (an empty
        // plot); such cells are left out and counted.
        let (finite, records): (Vec<&[f32]>, Vec<&Record>) = latents
            .chunks_exact(dim.max(1))
            .zip(chosen)
            .filter(|(latent, _)| latent.iter().all(|v| v.is_finite()))
            .unzip();
        let left_out = cells.len() - records.len();
        if left_out > 0 {
            self.notice(format!(
                "{left_out} of {} cells have latents that are not finite numbers; the map leaves them out",
                cells.len()
            ));
        }
        let plane = principal_plane(&finite.concat(), dim);
        let points: Vec<LatentPoint> = plane
            .into_iter()
            .zip(records)
            .filter(|(position, _)| position.iter().all(|v| v.is_finite()))
            .map(|(position, record)| LatentPoint {
                position,
                cell: record.cell,
                accuracy: record.mean(MetricKey::VAL_ACC_108),
            })
            .collect();
        if points.is_empty() {
            self.notice("the latent map has no cell to draw");
            return;
        }
        self.events.send(Event::LatentMap(points));
    }
}

/// Up to `count` records spread evenly over `records` (all of them where there are fewer).
fn spread_evenly(records: &[Record], count: usize) -> Vec<&Record> {
    let count = count.min(records.len());
    (0..count).map(|k| &records[k * records.len() / count]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_spread_evenly_over_the_dataset() {
        let records: Vec<Record> =
            (2..=4).flat_map(nasbench::space::enumerate_vertices).take(10).map(|c| Record::new(c.cell)).collect();
        assert_eq!(records.len(), 10);
        let position = |chosen: Vec<&Record>| -> Vec<usize> {
            chosen.iter().map(|r| records.iter().position(|s| s.cell == r.cell).unwrap_or(usize::MAX)).collect()
        };
        assert_eq!(position(spread_evenly(&records, 3)), vec![0, 3, 6]);
        assert_eq!(position(spread_evenly(&records, 20)), (0..10).collect::<Vec<_>>());
        assert!(spread_evenly(&records, 0).is_empty());
    }
}
