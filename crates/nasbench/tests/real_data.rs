//! The readers on the real files in `../shared`: counts, hashes and cross-checks between formats.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use nasbench::formats::{self, Format, archive, csv, pyg, tfrecord, torch::TensorData, torch::TorchFile};
use nasbench::{Cell, MetricKey, Quantity};
use serde_json::Value;
use test_support::read_shared;

#[test]
fn every_row_of_the_20k_csv_hashes_to_its_hash_column() {
    let Some(bytes) = read_shared("data/nb101_val_20k.csv") else { return };
    // Recompute independently of the reader (which also checks it).
    let text = String::from_utf8(bytes.clone()).unwrap();
    let mut rows = 0;
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    for row in reader.records() {
        let row = row.unwrap();
        let matrix = nasbench::cell::parse_adjacency_rows(&row[2]).unwrap();
        let ops = nasbench::cell::parse_operations(&row[3]).unwrap();
        let cell = Cell::new(&matrix, &ops).unwrap();
        assert_eq!(cell.hash().to_string(), &row[0], "row {}", rows + 2);
        rows += 1;
    }
    assert_eq!(rows, 20_001);

    let (format, dataset) = formats::read_bytes(&bytes).unwrap();
    assert_eq!(format, Format::Csv);
    assert_eq!(dataset.len(), 20_001);
    let summary = dataset.summary();
    assert_eq!(summary.vertices[&7], 16_947);
    assert_eq!(summary.metrics.len(), 5);
    let accuracies: Vec<f64> = dataset.targets(MetricKey::VAL_ACC_108).into_iter().map(Option::unwrap).collect();
    let low = accuracies.iter().copied().fold(f64::MAX, f64::min);
    let high = accuracies.iter().copied().fold(f64::MIN, f64::max);
    assert!((0.09..0.1).contains(&low) && (0.94..0.95).contains(&high), "{low}..{high}");
}

/// The real cells are the search space's own representatives: each is, vertex for vertex, the
/// cell the enumeration keeps for its hash (so a model trained on the space has seen them in the
/// same vertex order), and their vertex counts follow the space's.
#[test]
fn the_20k_csv_cells_are_the_spaces_representatives() {
    let Some(bytes) = read_shared("data/nb101_val_20k.csv") else { return };
    let (_, dataset) = formats::read_bytes(&bytes).unwrap();
    let space: std::collections::HashMap<_, _> =
        nasbench::space::enumerate_space().into_iter().map(|c| (c.hash, c.cell)).collect();
    for record in dataset.records() {
        assert_eq!(space.get(&record.hash), Some(&record.cell), "{}", record.hash);
    }
    let sevens = dataset.records().iter().filter(|r| r.cell.n_vertices() == 7).count();
    let share = sevens as f64 / dataset.len() as f64;
    let space_share = 359_082.0 / nasbench::space::UNIQUE_CELLS as f64;
    assert!((share - space_share).abs() < 0.01, "{share} of the cells have 7 vertices, {space_share} of the space's");
}

/// Written back, the CSV has the same header and rows; numbers may differ in their last digit
/// where two shortest decimals are equally close (Python rounds such ties to even, Rust up), so
/// numeric fields are compared as the f64 they denote.
#[test]
fn csv_written_back_has_the_same_values() {
    let Some(bytes) = read_shared("data/nb101_val_20k.csv") else { return };
    let dataset = csv::read_csv(&bytes).unwrap();
    let mut out = Vec::new();
    csv::write_csv(&dataset, &mut out).unwrap();
    let mut original = ::csv::Reader::from_reader(bytes.as_slice());
    let mut written = ::csv::Reader::from_reader(out.as_slice());
    assert_eq!(original.headers().unwrap(), written.headers().unwrap());
    let (mut rows, mut textual) = (0, 0);
    for (a, b) in original.records().zip(written.records()) {
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b.iter()) {
            if x != y {
                assert_eq!(x.parse::<f64>().unwrap(), y.parse::<f64>().unwrap(), "row {rows}");
                textual += 1;
            }
        }
        rows += 1;
    }
    assert_eq!(rows, 20_001);
    // Ties are rare: well under 1 % of the 6 numeric fields per row.
    assert!(textual * 100 < rows * 6, "{textual} fields differ in text");
}

#[test]
fn energy_tfrecords_hold_the_documented_records_and_cells() {
    for (file, records, cells, budgets, repeats) in [
        ("data/energy_4V9E.tfrecord", 1_092, 91, vec![4, 12, 36, 108], 3),
        ("data/energy_5V9E.tfrecord", 2_532, 2_532, vec![4], 1),
    ] {
        let Some(bytes) = read_shared(file) else { return };
        assert_eq!(tfrecord::records(&bytes).count(), records, "{file}");
        let (format, dataset) = formats::read_bytes(&bytes).unwrap();
        assert_eq!(format, Format::Tfrecord);
        assert_eq!(dataset.len(), cells, "{file}");
        assert_eq!(dataset.records_read(), records, "{file}");
        let summary = dataset.summary();
        assert_eq!(summary.max_repeats, repeats, "{file}");
        assert_eq!(summary.with_parameters, cells);
        for budget in budgets {
            let key = MetricKey::final_at(Quantity::ValidationAccuracy, budget);
            assert!(
                dataset.records().iter().all(|r| r.metrics.get(&key).map(Vec::len) == Some(repeats)),
                "{file} {key}"
            );
        }
        // Every accuracy is a fraction and every record kept its start, halfway and final evaluation.
        for record in dataset.records() {
            assert_eq!(record.metrics.len() % 3, 0);
            assert!(
                record
                    .metrics
                    .iter()
                    .filter(|(k, _)| k.quantity != Quantity::TrainingTime)
                    .all(|(_, v)| v.iter().all(|x| (0.0..=1.0).contains(x)))
            );
        }
    }
    // The 4V file covers every cell of at most 4 vertices: 1 + 6 + 84.
    let Some(bytes) = read_shared("data/energy_4V9E.tfrecord") else { return };
    let summary = formats::read_bytes(&bytes).unwrap().1.summary();
    assert_eq!(summary.vertices, BTreeMap::from([(2, 1), (3, 6), (4, 84)]));
}

fn reference_cells(json_file: &str) -> Option<Vec<Value>> {
    let bytes = read_shared(json_file)?;
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    Some(json["cells"].as_array().unwrap().clone())
}

/// Compares records read from a .pth with the cells that the reference wrote to JSON.
fn assert_matches_reference(records: &[nasbench::Record], cells: &[Value]) {
    for (i, cell) in cells.iter().enumerate() {
        let record = &records[i];
        let atts: Vec<u8> = cell["node_atts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u8).collect();
        assert_eq!(record.cell.node_atts(), atts, "cell {i}");
        let index = cell["edge_index"].as_array().unwrap();
        let sources = index[0].as_array().unwrap();
        let targets = index[1].as_array().unwrap();
        let mut expected: Vec<(usize, usize)> = sources
            .iter()
            .zip(targets)
            .map(|(s, t)| (s.as_u64().unwrap() as usize, t.as_u64().unwrap() as usize))
            .collect();
        expected.sort_unstable();
        assert_eq!(record.cell.edges().collect::<Vec<_>>(), expected, "cell {i}");
        let acc = cell["acc"].as_f64().unwrap();
        assert_eq!(record.mean(MetricKey::VAL_ACC_108), Some(acc), "cell {i}");
    }
}

#[test]
fn pth_files_in_all_three_layouts_hold_the_same_500_cells() {
    let Some(zip) = read_shared("fixtures/data_zip/training_data_70.pth") else { return };
    let legacy = read_shared("fixtures/data_legacy/training_data_70.pth").unwrap();
    let pyg1 = read_shared("fixtures/data_legacy_pyg1/training_data_70.pth").unwrap();
    assert_eq!(formats::detect(&zip).unwrap(), Format::PthZip);
    assert_eq!(formats::detect(&legacy).unwrap(), Format::PthLegacy);
    assert_eq!(formats::detect(&pyg1).unwrap(), Format::PthLegacy);
    let from_zip = pyg::records_from_pth(&zip).unwrap();
    assert_eq!(from_zip.len(), 500);
    assert_eq!(pyg::records_from_pth(&legacy).unwrap(), from_zip);
    assert_eq!(pyg::records_from_pth(&pyg1).unwrap(), from_zip);
    // Cells 0–63 are the ones the reference's predictor fixture was computed on.
    let cells = reference_cells("fixtures/gnnpred_outputs_64.json").unwrap();
    assert_eq!(cells.len(), 64);
    assert_matches_reference(&from_zip, &cells);
}

#[test]
fn vae_cells_match_the_vae_fixture() {
    let Some(bytes) = read_shared("fixtures/vae_cells16.pth") else { return };
    let records = pyg::records_from_pth(&bytes).unwrap();
    assert_eq!(records.len(), 16);
    assert_matches_reference(&records, &reference_cells("fixtures/gnnvae_fixture_16.json").unwrap());
}

#[test]
fn enc_data_zips_hold_the_documented_splits_and_sizes() {
    for file in ["fixtures/enc_data_sample.zip", "fixtures/enc_data_sample_pyg1.zip"] {
        let Some(bytes) = read_shared(file) else { return };
        assert_eq!(formats::detect(&bytes).unwrap(), Format::Zip);
        let members = archive::read_members(&bytes).unwrap();
        let sizes: Vec<(&str, usize)> = members.iter().map(|m| (m.name.as_str(), m.records.len())).collect();
        assert_eq!(
            sizes,
            vec![("training_data_70.pth", 1_400), ("validation_data_10.pth", 200), ("test_data_20.pth", 400)],
            "{file}"
        );
        let mut by_vertices: BTreeMap<usize, usize> = BTreeMap::new();
        for record in members.iter().flat_map(|m| &m.records) {
            *by_vertices.entry(record.cell.n_vertices()).or_default() += 1;
        }
        assert_eq!(by_vertices, BTreeMap::from([(2, 1), (3, 6), (4, 65), (5, 276), (6, 614), (7, 1_038)]), "{file}");
        // Its training part starts with the same 500 cells as the single-file fixtures.
        let single = pyg::records_from_pth(&read_shared("fixtures/data_zip/training_data_70.pth").unwrap()).unwrap();
        assert_eq!(&members[0].records[..500], &single[..]);
    }
}

#[test]
fn the_surviving_repository_file_is_a_dict_of_bucket_counts() {
    let Some(bytes) = read_shared("fixtures/pickle/real_repo_needed_buckets.pth") else { return };
    let file = TorchFile::from_bytes(&bytes).unwrap();
    let entries = file.pickle.dict(&file.pickle.value).unwrap();
    assert_eq!(entries.len(), 18);
    use nasbench::formats::pickle::Value as P;
    assert_eq!(entries[0], (P::Int(1), P::Int(12)));
    assert_eq!(entries[17], (P::Int(90), P::Int(104)));
    let error = formats::read_bytes(&bytes).unwrap_err().to_string();
    assert!(error.contains("a dict (a state dict?), not a list of PyTorch Geometric Data"), "{error}");
}

#[test]
fn the_pt_state_dict_equals_the_safetensors_file() {
    let Some(pt) = read_shared("fixtures/gnnpred_state.pt") else { return };
    let st_bytes = read_shared("fixtures/gnnpred_state.safetensors").unwrap();
    let st = safetensors::SafeTensors::deserialize(&st_bytes).unwrap();
    let file = TorchFile::from_bytes(&pt).unwrap();
    let state = file.state_dict().unwrap();
    assert_eq!(state.len(), 29);
    let mut parameters = 0;
    for (name, shape, data) in &state {
        let view = st.tensor(name).unwrap();
        assert_eq!(view.shape().iter().map(|&d| d as u64).collect::<Vec<_>>(), *shape, "{name}");
        let expected: Vec<f64> =
            view.data().chunks_exact(4).map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))).collect();
        let TensorData::F64(values) = data else { panic!("{name} is not a float tensor") };
        assert_eq!(values, &expected, "{name}");
        parameters += values.len();
    }
    assert_eq!(parameters, 2_147_672);
}
