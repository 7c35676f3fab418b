//! The compute worker's messages: commands to the worker and events back, as CBOR bytes (a
//! self-describing format, so the training events' tagged enum round-trips).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::commands::Command;
use super::error::ComputeError;

/// What the page sends the compute worker.
#[derive(Serialize, Deserialize)]
pub enum ToWorker {
    Command(Command),
    /// See [`super::ComputeHandle::cancel_job`].
    CancelJob,
}

/// `value` as bytes.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ComputeError> {
    let mut bytes = Vec::new();
    ciborium::into_writer(value, &mut bytes)?;
    Ok(bytes)
}

/// A value from [`encode`]'s bytes.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ComputeError> {
    Ok(ciborium::from_reader(bytes)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use nasbench::{Cell, Dataset, MetricKey, Record};
    use vsgae::inference::Prediction;
    use vsgae::training::{EpochRecord, TrainingEvent};

    use super::*;
    use crate::compute::{
        BackendChoice, DatasetInfo, DecodedPoint, Event, PredictionRequest, TrainRequest, TrainingState,
    };
    use vsgae::training::ModelKind;

    fn cell(line: &str) -> Cell {
        nasbench::parse_line(line).unwrap()
    }

    /// `value` written, read back and written again gives the same bytes, and the value read back.
    fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> T {
        let bytes = encode(value).unwrap();
        let back: T = decode(&bytes).unwrap();
        assert_eq!(encode(&back).unwrap(), bytes);
        back
    }

    #[test]
    fn every_kind_of_command_crosses_to_the_worker() {
        let a = cell("0110,0001,0001,0000;input|conv3x3-bn-relu|maxpool3x3|output");
        let b = cell("01,00;input|output");
        let commands = vec![
            Command::LoadFile { name: "cells.csv".to_owned(), bytes: (0..=255).collect() },
            Command::LoadSpace,
            Command::Predict { request: PredictionRequest::Table(7), cells: vec![a, b] },
            Command::RankSpace { top: 100, screening: Some(vsgae::inference::Screening::default()) },
            Command::Interpolate { from: a, to: b, steps: 8, how: vsgae::latent::Interpolation::Spherical },
            Command::LatentMap { max_cells: 500 },
            Command::SamplePrior { count: 8 },
            Command::StartTraining(Box::new(
                crate::panels::train::TrainForm::default().request(ModelKind::Predictor).unwrap(),
            )),
            Command::StartTraining(Box::new(TrainRequest::VsGae {
                config: crate::panels::train::TrainForm::default().vsgae,
                backend: BackendChoice::Cpu,
            })),
            Command::PauseTraining(true),
            Command::StopTraining,
            Command::DownloadCheckpoint,
            Command::ResumeFromZip {
                name: "run.zip".to_owned(),
                bytes: vec![80, 75, 3, 4],
                backend: BackendChoice::Gpu,
            },
            Command::UseTrainedModel,
            Command::UseBuiltInPredictor(crate::embedded::BuiltInPredictor::Shipped),
        ];
        for command in &commands {
            round_trip(&ToWorker::Command(clone_by_wire(command)));
        }
        let Command::LoadFile { bytes, .. } = round_trip(&commands[0]) else { panic!("not a LoadFile") };
        assert_eq!(bytes, (0..=255).collect::<Vec<u8>>());
        // A file's bytes travel as one byte string: 256 bytes and the names around them (as a
        // list of numbers they alone would take 488).
        let length = encode(&commands[0]).unwrap().len();
        assert!(length < 256 + 48, "{length} bytes");
        assert!(matches!(round_trip(&ToWorker::CancelJob), ToWorker::CancelJob));
    }

    fn clone_by_wire(command: &Command) -> Command {
        decode(&encode(command).unwrap()).unwrap()
    }

    #[test]
    fn events_cross_to_the_page_with_their_values() {
        let a = cell("0110,0001,0001,0000;input|conv3x3-bn-relu|maxpool3x3|output");
        let mut record = Record::new(a);
        record.push_metric(MetricKey::VAL_ACC_108, 0.91);
        let dataset: Dataset = [record].into_iter().collect();
        let summary = dataset.summary();
        let info =
            DatasetInfo { name: "cells.csv".to_owned(), format: "CSV".to_owned(), dataset, summary, labelled: true };
        let Event::DatasetLoaded(back) = round_trip(&Event::DatasetLoaded(Arc::new(info))) else {
            panic!("not DatasetLoaded")
        };
        assert_eq!(back.dataset.get(&a.hash()).and_then(|r| r.mean(MetricKey::VAL_ACC_108)), Some(0.91));
        assert_eq!(back.summary.cells, 1);

        let epoch = EpochRecord {
            epoch: 3,
            train_loss: 0.25,
            learning_rate: 1e-3,
            validation: None,
            test: None,
            held_out_loss: Some(0.5),
        };
        let Event::Training(TrainingEvent::Epoch(record)) =
            round_trip(&Event::Training(TrainingEvent::Epoch(epoch.clone())))
        else {
            panic!("not an epoch")
        };
        assert_eq!(record, epoch);

        let prediction =
            Prediction { mean: 0.9312345678901234, spread: 0.0021, half_widths: Some([0.001, 0.002, 0.004]) };
        let ranking = Event::Ranking {
            top: vec![(a, prediction)],
            cells: 1,
            rescored: 1,
            seconds: 1.5,
            ascending: Arc::new(vec![0.1, 0.9312345678901234]),
        };
        let Event::Ranking { top, ascending, .. } = round_trip(&ranking) else { panic!("not a ranking") };
        assert_eq!(top, vec![(a, prediction)], "predictions keep every bit");
        assert_eq!(*ascending, vec![0.1, 0.9312345678901234]);

        let decoded = vsgae::model::decoding::DecodedGraph {
            types: vec![0, 3, 4, 1],
            edges: vec![(0, 1), (0, 2), (1, 3), (2, 3)],
            finished: true,
        };
        let point = DecodedPoint { graph: decoded, cell: Some(a), predicted: Some(0.9312345678901234) };
        let Event::PriorSamples(back) = round_trip(&Event::PriorSamples(vec![point.clone()])) else {
            panic!("not PriorSamples")
        };
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].graph.types.clone(), back[0].graph.edges.clone()), (point.graph.types, point.graph.edges));
        assert_eq!((back[0].cell, back[0].predicted), (Some(a), Some(0.9312345678901234)));

        for event in [
            Event::Progress { job: "ranking".to_owned(), done: 1, total: 2 },
            Event::TrainingState(TrainingState::Failed("no data".to_owned())),
            Event::ModelReplaced { kind: vsgae::training::ModelKind::VsGae, what: "the VS-GAE".to_owned() },
            Event::Ready {
                backend: "CPU".to_owned(),
                models: Err(crate::compute::error::ModelsUnavailable("missing".to_owned())),
                gpu_error: None,
            },
        ] {
            assert_eq!(format!("{:?}", round_trip(&event)), format!("{event:?}"));
        }
    }

    #[test]
    fn unreadable_bytes_are_an_error_not_a_panic() {
        assert!(decode::<Event>(&[0xff, 0x00, 0x13]).is_err());
        assert!(decode::<ToWorker>(&[]).is_err());
    }
}
