//! A native UI smoke test with egui_kittest: every panel opens, a dropped fixture file loads
//! (and a bad one is reported), a tiny training run starts and stops, and editing a cell
//! changes its prediction. The engine runs on Burn's CPU backend with the embedded models.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use nasbench::CellDraft;
use vsgae::search::{Pool, Search, SearchConfig, SearchMethod};
use vsgae_studio::compute::{ComputeOptions, SearchState, TrainingState};
use vsgae_studio::panels::search::SearchSettings;
use vsgae_studio::{AppOptions, StudioApp, Tab};

/// A file as egui hands over a dropped one.
#[derive(Debug)]
struct DroppedBytes {
    path: PathBuf,
    bytes: Vec<u8>,
}

impl egui::DroppedFile for DroppedBytes {
    fn path(&self) -> &Path {
        &self.path
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        Ok(self.bytes.clone())
    }
}

fn drop_file(harness: &mut Harness<'_, StudioApp>, name: &str, bytes: Vec<u8>) {
    harness.input_mut().dropped_files.push(Arc::new(DroppedBytes { path: PathBuf::from(name), bytes }));
}

/// Steps frames until `done` holds, for up to `seconds`.
fn run_until(harness: &mut Harness<'_, StudioApp>, what: &str, seconds: u64, done: impl Fn(&StudioApp) -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(seconds) {
        harness.step();
        if done(harness.state()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out after {seconds} s waiting for {what}");
}

fn shared_fixture(name: &str) -> Option<PathBuf> {
    Some(test_support::shared_dir_or_skip()?.join("fixtures").join(name))
}

/// Every cell of at most 5 vertices with a made-up validation accuracy, as our CSV.
fn small_space_csv() -> Vec<u8> {
    let mut dataset = nasbench::Dataset::new();
    for c in (2..=5).flat_map(nasbench::space::enumerate_vertices) {
        let conv3 = c.cell.ops().iter().filter(|&&op| op == nasbench::Op::Conv3x3).count() as f64;
        let mut record = nasbench::Record::new(c.cell);
        record.push_metric(nasbench::MetricKey::VAL_ACC_108, 0.8 + 0.02 * conv3 + 0.005 * c.cell.n_edges() as f64);
        dataset.push(record);
    }
    let mut bytes = Vec::new();
    nasbench::formats::csv::write_csv(&dataset, &mut bytes).unwrap();
    bytes
}

#[test]
fn every_panel_works_on_the_embedded_models() {
    let mut harness = Harness::builder().with_size(egui::vec2(1280.0, 820.0)).build_eframe(|cc| {
        StudioApp::with_options(
            cc,
            AppOptions { compute: ComputeOptions { prefer_gpu: false }, fresh: true, ..AppOptions::default() },
        )
    });
    run_until(&mut harness, "the engine and the embedded models", 120, |app| app.shared.models.is_some());
    assert!(matches!(&harness.state().shared.models, Some(Ok(_))), "{:?}", harness.state().shared.models);
    assert_eq!(harness.state().shared.backend.as_deref(), Some("CPU (Burn flex)"));

    // The cell panel opens first and predicts the default cell.
    let default_cell = CellDraft::default().to_cell().unwrap();
    run_until(&mut harness, "the default cell's prediction", 60, |app| {
        app.shared.cached_prediction(&default_cell).is_some()
    });
    harness.get_by_label("28cfc7874f6d200472e1a9dcd8650aa0");
    let before = harness.state().shared.cached_prediction(&default_cell).unwrap().mean;
    assert!((0.0..=1.0).contains(&before), "{before}");

    // Edit: remove vertex 1 (the conv1x1); the cell stays valid and gets its own prediction.
    harness.get_all_by_label("Remove").next().unwrap().click();
    harness.run_steps(2);
    let edited = harness.state().settings.cell.to_cell().unwrap();
    assert_eq!(edited.n_vertices(), 6);
    run_until(&mut harness, "the edited cell's prediction", 60, |app| app.shared.cached_prediction(&edited).is_some());
    let after = harness.state().shared.cached_prediction(&edited).unwrap().mean;
    assert_ne!(before, after, "the prediction did not change with the cell");

    // The paper's reference predictor is one choice away, and predicts the cell otherwise.
    harness
        .state_mut()
        .compute()
        .send(vsgae_studio::compute::Command::UseBuiltInPredictor(vsgae_studio::embedded::BuiltInPredictor::Reference));
    run_until(&mut harness, "the reference predictor's prediction", 60, |app| {
        app.shared.notices.iter().any(|n| n.message.contains("reference"))
            && app.shared.cached_prediction(&edited).is_some()
    });
    let reference = harness.state().shared.cached_prediction(&edited).unwrap();
    assert_ne!(reference.mean, after, "the reference predictor is another model");
    assert_eq!(reference.spread, 0.0, "the reference predictor is one network");
    harness
        .state_mut()
        .compute()
        .send(vsgae_studio::compute::Command::UseBuiltInPredictor(vsgae_studio::embedded::BuiltInPredictor::Shipped));
    run_until(&mut harness, "the shipped predictor again", 60, |app| {
        app.shared.cached_prediction(&edited).is_some_and(|p| p.mean == after)
    });

    // An edit that breaks the cell shows why.
    harness.state_mut().settings.cell.edges.retain(|&(from, _)| from != 0);
    harness.run_steps(2);
    harness.get_by_label_contains("Not a valid cell");

    // Every panel opens.
    for tab in [Tab::Data, Tab::Train, Tab::Latent, Tab::Predict, Tab::Search, Tab::Cell] {
        harness.get_by_label(tab.title()).click();
        harness.run_steps(2);
        assert_eq!(harness.state().settings.tab, tab);
    }

    // A bad file gets a message naming it.
    drop_file(&mut harness, "noise.pth", vec![0x80, 0x02, 0xff, 0x00, 0x13]);
    run_until(&mut harness, "the bad file's error", 30, |app| app.shared.load_error.is_some());
    let error = harness.state().shared.load_error.clone().unwrap();
    assert!(error.starts_with("noise.pth: "), "{error}");
    harness.get_by_label(&error);

    // The reference's data zip, where the shared fixtures are at hand.
    if let Some(fixture) = shared_fixture("enc_data_sample.zip") {
        drop_file(&mut harness, "enc_data_sample.zip", std::fs::read(&fixture).unwrap());
        run_until(&mut harness, "the fixture dataset", 60, |app| {
            app.shared.dataset.as_ref().is_some_and(|d| d.name == "enc_data_sample.zip")
        });
        let info = harness.state().shared.dataset.clone().unwrap();
        // 2,000 records; 43 are repeats of a cell by official hash.
        assert_eq!((info.summary.records, info.summary.cells), (2000, 1957));
        assert!(info.labelled);
        harness.get_by_label_contains("1957 of 1957 cells");
    }

    // A labelled CSV made here, so that the rest needs no shared data.
    drop_file(&mut harness, "small-space.csv", small_space_csv());
    run_until(&mut harness, "the small space", 60, |app| {
        app.shared.dataset.as_ref().is_some_and(|d| d.name == "small-space.csv")
    });
    let info = harness.state().shared.dataset.clone().unwrap();
    assert_eq!(info.summary.cells, 2532);
    assert!(info.labelled);
    assert_eq!(harness.state().settings.tab, Tab::Data);
    harness.get_by_label_contains("2532 of 2532 cells");

    // Interpolate between two cells of the dataset and decode the strip: the embedded VS-GAE
    // decodes its ends back to the two cells: input → {conv1x1, maxpool} → conv3x3 → output, and
    // input → {conv1x1, maxpool} → output.
    let (from, to) = ("604f9c8b125259e9836b300eb881fb81", "ac9bd0e2514c031187b612db767fb038");
    harness.state_mut().settings.latent.from_hash = from.to_owned();
    harness.state_mut().settings.latent.to_hash = to.to_owned();
    harness.state_mut().settings.latent.steps = 5;
    harness.get_by_label("Latent").click();
    harness.run_steps(1);
    harness.get_by_label("Interpolate").click();
    run_until(&mut harness, "the decoded strip", 60, |app| !app.panels.latent.strip.is_empty());
    let strip = &harness.state().panels.latent.strip;
    assert_eq!(strip.len(), 5);
    let hash_of = |k: usize| strip[k].cell.map(|cell| cell.hash().to_string());
    assert_eq!(hash_of(0).as_deref(), Some(from), "the strip's first cell");
    assert_eq!(hash_of(4).as_deref(), Some(to), "the strip's last cell");
    assert!(strip.iter().all(|p| p.cell.is_some()), "masked decoding makes every point a cell");
    harness.get_by_label_contains("Distinct cells among the inner points: ");

    // Sample from the prior the VS-GAE ships with: every point decodes to a cell under
    // NAS-Bench-101's rules, each with its prediction, and the prior's points are mostly distinct.
    harness.state_mut().settings.latent.prior_samples = 16;
    harness.get_by_label("Sample from the prior").click();
    run_until(&mut harness, "the prior samples", 60, |app| !app.panels.latent.samples.is_empty());
    let samples = &harness.state().panels.latent.samples;
    assert_eq!(samples.len(), 16);
    assert!(samples.iter().all(|p| p.cell.is_some() && p.predicted.is_some()), "a cell and a prediction for each");
    let distinct: std::collections::HashSet<_> = samples.iter().filter_map(|p| p.cell.map(|c| c.hash())).collect();
    assert!(distinct.len() >= 12, "{} distinct cells among 16 prior samples", distinct.len());
    harness.get_by_label_contains(&format!("Distinct cells among the samples: {} of 16", distinct.len()));

    // Predict pasted cells.
    harness.get_by_label("Predict").click();
    harness.run_steps(1);
    harness.get_by_label("Predict these cells").click();
    run_until(&mut harness, "the pasted cell's prediction", 60, |app| !app.panels.predict.pasted.values.is_empty());
    let pasted: Vec<f64> = harness.state().panels.predict.pasted.values.iter().map(|p| p.mean).collect();
    assert_eq!(pasted, vec![before]);

    // Search the small space with regularised evolution: the panel's queries are the library's
    // for the same pool and seed, in order, and the curve's best is the best revealed.
    harness.state_mut().settings.search =
        SearchSettings { method: SearchMethod::Evolution, budget: 25, seed: 3, acquisition: None };
    harness.get_by_label("Search").click();
    harness.run_steps(1);
    harness.get_by_label("Start search").click();
    run_until(&mut harness, "the finished search", 60, |app| {
        matches!(app.panels.search.state, Some(SearchState::Finished { .. }))
    });
    let queried: Vec<nasbench::Cell> = harness.state().panels.search.queried.iter().map(|q| q.cell).collect();
    let dataset = nasbench::formats::read_bytes(&small_space_csv()).unwrap().1;
    let pool = Arc::new(Pool::from_dataset(&dataset, nasbench::MetricKey::VAL_ACC_108).unwrap());
    let config = SearchConfig { budget: 25, ..SearchConfig::new(SearchMethod::Evolution, 3) };
    let trace = Search::new(pool.clone(), None, config, &burn::tensor::Device::flex()).unwrap().run().unwrap();
    let expected: Vec<nasbench::Cell> = trace.queried.iter().map(|&i| pool.cells()[i]).collect();
    assert_eq!(queried, expected);
    let best = harness.state().panels.search.queried.last().unwrap().best;
    assert_eq!(best, *trace.best.last().unwrap());
    harness.get_by_label_contains("25 of 25 queries. Best found");

    // Bayesian optimisation in the VS-GAE's latent space: after 10 random queries, a batch of 5
    // chosen by the GP, each with its prediction.
    harness.state_mut().settings.search =
        SearchSettings { method: SearchMethod::LatentBo, budget: 15, seed: 1, acquisition: None };
    harness.run_steps(2);
    harness.get_by_label("Start search").click();
    harness.run_steps(1);
    assert!(!matches!(harness.state().panels.search.state, Some(SearchState::Finished { .. })), "a new search");
    run_until(&mut harness, "the latent search", 120, |app| {
        matches!(app.panels.search.state, Some(SearchState::Finished { .. }))
    });
    let queries = &harness.state().panels.search.queried;
    assert_eq!(queries.len(), 15);
    assert!(queries[..10].iter().all(|q| q.predicted.is_none()), "the first 10 are random");
    for query in &queries[10..] {
        let (mean, [low, high]) = query.predicted.expect("the GP's belief");
        assert!(low < mean && mean < high, "{low} {mean} {high}");
    }

    // A tiny predictor run: start it, see an epoch finish, stop it.
    harness.get_by_label("Train").click();
    harness.run_steps(1);
    {
        let form = &mut harness.state_mut().settings.train;
        form.backend = vsgae_studio::compute::BackendChoice::Cpu;
        form.predictor.model.encoder.node_dim = 16;
        form.predictor.model.encoder.graph_dim = 8;
        form.predictor.training_size = 5;
        form.predictor.batch_size = 16;
        form.predictor.epochs = 1000;
    }
    harness.get_by_label("Start").click();
    run_until(&mut harness, "the first epoch", 120, |app| !app.panels.train.epochs.is_empty());
    assert!(matches!(harness.state().panels.train.state, Some(TrainingState::Running { .. })));
    harness.get_by_label("Stop").click();
    run_until(&mut harness, "the stopped run", 30, |app| app.panels.train.state == Some(TrainingState::Stopped));
    let record = harness.state().panels.train.epochs[0].clone();
    assert!(record.train_loss.is_finite() && record.validation.is_some());
    harness.get_by_label_contains("Results after epoch");

    // Download the stopped run as a checkpoint zip and resume it, as the browser does.
    // The engine packs the zip as the button asks it to; asked directly, the panel keeps it
    // without offering a save dialog (the browser test presses the button and saves it).
    harness.state().compute().send(vsgae_studio::compute::Command::DownloadCheckpoint);
    run_until(&mut harness, "the checkpoint zip", 60, |app| app.panels.train.checkpoint_zip.is_some());
    let (name, bytes) = harness.state().panels.train.checkpoint_zip.clone().unwrap();
    assert!(name.starts_with("predictor-checkpoint-epoch"), "{name}");
    let epochs_before = harness.state().panels.train.epochs.len();
    harness.state().compute().send(vsgae_studio::compute::Command::ResumeFromZip {
        name,
        bytes,
        backend: vsgae_studio::compute::BackendChoice::Cpu,
    });
    run_until(&mut harness, "the resumed run's next epoch", 120, |app| app.panels.train.epochs.len() > epochs_before);
    assert!(matches!(harness.state().panels.train.state, Some(TrainingState::Running { .. })));
    // The resumed run carries on from the checkpoint's epochs.
    let epochs: Vec<usize> = harness.state().panels.train.epochs.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs[..epochs_before].to_vec(), (1..=epochs_before).collect::<Vec<_>>());
    assert_eq!(epochs[epochs_before], epochs_before + 1, "{epochs:?}");
    harness.get_by_label("Stop").click();
    run_until(&mut harness, "the stopped resumed run", 30, |app| {
        app.panels.train.state == Some(TrainingState::Stopped)
    });

    // A file that is not a checkpoint is refused with its name.
    harness.state().compute().send(vsgae_studio::compute::Command::ResumeFromZip {
        name: "notes.zip".to_owned(),
        bytes: b"not a zip".to_vec(),
        backend: vsgae_studio::compute::BackendChoice::Cpu,
    });
    run_until(
        &mut harness,
        "the refused checkpoint",
        30,
        |app| matches!(&app.panels.train.state, Some(TrainingState::Failed(why)) if why.starts_with("notes.zip: not a checkpoint zip")),
    );
}
