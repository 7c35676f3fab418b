//! The VS-GAE's jobs: encoding cells, interpolating between two, sampling the prior and the
//! latent map of the loaded dataset.

use std::sync::Arc;

use burn::tensor::{Tensor, TensorData};
use nasbench::{Cell, MetricKey, Record};
use vsgae::latent::prior::LatentPrior;
use vsgae::latent::{interpolate, principal_plane};
use vsgae::model::decoding::{DecodeMode, Decoding};

use super::Engine;
use crate::compute::commands::{DatasetInfo, DecodedPoint, Event, LatentPoint};
use crate::compute::error::ComputeError;
use crate::compute::platform::pause;

/// How the app decodes latent points: the most likely cell, every choice that would break
/// NAS-Bench-101's rules masked.
const MASKED_GREEDY: Decoding = Decoding { mode: DecodeMode::Greedy, masked: true };

impl Engine {
    /// The VS-GAE's latent means of `cells`, in chunks (reporting progress and yielding
    /// between them), as rows of `dim` values.
    pub(super) async fn encode(&self, cells: &[Cell]) -> Result<(Vec<f32>, usize), ComputeError> {
        const JOB: &str = "encoding cells";
        let loaded = self.vsgae.as_ref().ok_or(ComputeError::NoVsGae)?;
        let dim = loaded.model.latent_dim();
        let mut latents = Vec::with_capacity(cells.len() * dim);
        for part in cells.chunks(512) {
            if self.cancelled() {
                return Err(ComputeError::Cancelled("encoding"));
            }
            let means = vsgae::latent::encode_means(&loaded.model, part, &loaded.device, 512);
            latents.extend(vsgae::readback::floats_async(means).await.map_err(ComputeError::Encoding)?);
            self.events.send(Event::Progress { job: JOB.to_owned(), done: latents.len() / dim, total: cells.len() });
            pause(0).await;
        }
        Ok((latents, dim))
    }

    pub(super) async fn interpolate(
        &mut self,
        from: Cell,
        to: Cell,
        steps: usize,
        how: vsgae::latent::Interpolation,
    ) -> Result<(), ComputeError> {
        self.ensure_vsgae().await?;
        let (latents, dim) = self.encode(&[from, to]).await?;
        let points = interpolate(&latents[..dim], &latents[dim..], steps.clamp(2, 64), how);
        let rows = points.len();
        let flat: Vec<f32> = points.into_iter().flatten().collect();
        let loaded = self.vsgae.as_ref().ok_or(ComputeError::NoVsGae)?;
        let z = Tensor::<2>::from_data(TensorData::new(flat, [rows, dim]), &loaded.device);
        let points = self.decode_points(z).await?;
        self.events.send(Event::Interpolation(points));
        Ok(())
    }

    /// `count` points drawn from the VS-GAE's prior, each decoded to its most likely cell: the
    /// prior the VS-GAE came with (the shipped one's, fitted to its training latents), or, for
    /// one trained here, the reference's (a Gaussian fitted to the latent means of up to 2,000
    /// cells spread evenly over the loaded dataset).
    pub(super) async fn sample_prior(&mut self, count: usize) -> Result<(), ComputeError> {
        const FITTED_CELLS: usize = 2_000;
        self.ensure_vsgae().await?;
        let prior = match &self.vsgae_prior {
            Some(prior) => prior.clone(),
            None => {
                let info = self.vsgae_and_dataset("the prior is fitted to its cells' latents").await?;
                let cells: Vec<Cell> =
                    spread_evenly(info.dataset.records(), FITTED_CELLS).iter().map(|r| r.cell).collect();
                let (latents, dim) = self.encode(&cells).await?;
                LatentPrior::fitted(&latents, dim)
            }
        };
        let loaded = self.vsgae.as_ref().ok_or(ComputeError::NoVsGae)?;
        let z = prior.sample(count.clamp(1, 64), 1, &loaded.device, &mut self.rng);
        let points = self.decode_points(z).await?;
        self.events.send(Event::PriorSamples(points));
        Ok(())
    }

    /// Latent points, decoded greedily under NAS-Bench-101's rules (so each is a cell), with the
    /// predicted accuracy of each decoding that is a NAS-Bench-101 cell (none where prediction
    /// fails: that is said in a notice, and the decoded cells are shown without it).
    ///
    /// # Shapes
    /// - `z`: `[points, latent_dim]`, on the VS-GAE's device
    async fn decode_points(&mut self, z: Tensor<2>) -> Result<Vec<DecodedPoint>, ComputeError> {
        let loaded = self.vsgae.as_ref().ok_or(ComputeError::NoVsGae)?;
        let graphs =
            loaded.model.decode_async(z, MASKED_GREEDY, &mut self.rng).await.map_err(ComputeError::Decoding)?;
        let decoded: Vec<Option<Cell>> = graphs.iter().map(|g| g.to_cell()).collect();
        let cells: Vec<Cell> = decoded.iter().flatten().copied().collect();
        let predictions = self.predict(&cells).await.unwrap_or_else(|error| {
            self.notice(format!("the decoded cells are shown without predictions: {error}"));
            Vec::new()
        });
        let mut predicted = predictions.into_iter();
        let points = graphs
            .into_iter()
            .zip(decoded)
            .map(|(graph, cell)| {
                let predicted = cell.and_then(|_| predicted.next()).map(|p| p.mean);
                DecodedPoint { graph, cell, predicted }
            })
            .collect();
        Ok(points)
    }

    /// Starts a VS-GAE job on the loaded dataset: the dataset, once the VS-GAE is loaded.
    /// `why` says what needs the dataset.
    async fn vsgae_and_dataset(&mut self, why: &'static str) -> Result<Arc<DatasetInfo>, ComputeError> {
        self.begin_cancellable_job();
        self.ensure_vsgae().await?;
        self.dataset.clone().ok_or(ComputeError::NoDataset(why))
    }

    pub(super) async fn latent_map(&mut self, max_cells: usize) -> Result<(), ComputeError> {
        let info = self.vsgae_and_dataset("the map shows its cells").await?;
        let chosen = spread_evenly(info.dataset.records(), max_cells);
        let cells: Vec<Cell> = chosen.iter().map(|r| r.cell).collect();
        let (latents, dim) = self.encode(&cells).await?;
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
            .points
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
            return Err(ComputeError::EmptyLatentMap);
        }
        self.events.send(Event::LatentMap { points, variance_shares: plane.variance_shares });
        Ok(())
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
