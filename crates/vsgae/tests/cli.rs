//! The `vsgae` binary end to end, on small runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn vsgae(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vsgae")).args(args).env("RUST_LOG", "warn").output().expect("vsgae runs")
}

fn ok(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The first `rows` cells of the 20k CSV, as a file of its own.
fn csv_subset(dir: &Path, rows: usize) -> Option<String> {
    let text = String::from_utf8(common::read_shared("data/nb101_val_20k.csv")?).unwrap();
    let path = dir.join("subset.csv");
    std::fs::write(&path, text.lines().take(rows + 1).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    Some(path.display().to_string())
}

#[test]
fn train_eval_and_predict_a_small_predictor() {
    let dir = tempfile::tempdir().unwrap();
    let Some(data) = csv_subset(dir.path(), 400) else { return };
    let out = dir.path().join("run");
    let out_str = out.display().to_string();
    let train = vsgae(&[
        "train-predictor",
        "--data",
        &data,
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--lr",
        "1e-3",
        "--node-dim",
        "16",
        "--graph-dim",
        "16",
        "--out",
        &out_str,
    ]);
    let results: Value = serde_json::from_str(&ok(&train)).unwrap();
    assert_eq!(results["epochs"], 2);
    assert_eq!(results["train_cells"], 280);
    assert!(results["test"]["rmse"].as_f64().unwrap() > 0.0);
    assert_eq!(std::fs::read_to_string(out.join("metrics.jsonl")).unwrap().lines().count(), 2);
    for file in ["config.json", "results.json", "weights.safetensors", "optimizer.bpk", "progress.json"] {
        assert!(out.join(file).is_file(), "{file}");
    }

    let eval: Value =
        serde_json::from_str(&ok(&vsgae(&["eval-predictor", "--model", &out_str, "--data", &data, "--json"]))).unwrap();
    for key in ["n", "rmse", "mae", "kendall_tau", "spearman", "pearson", "r2"] {
        assert!(eval.get(key).is_some(), "{key}");
    }
    assert_eq!(eval["n"], 400);

    let predictions: Value =
        serde_json::from_str(&ok(&vsgae(&["predict", "--model", &out_str, "--cells", &data, "--json"]))).unwrap();
    let rows = predictions.as_array().unwrap();
    assert_eq!(rows.len(), 400);
    let first_hash =
        std::fs::read_to_string(&data).unwrap().lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    assert_eq!(rows[0]["hash"], first_hash.as_str(), "input order");
    assert!(rows.iter().all(|r| r["predicted"].is_f64() && r["true"].is_f64()));

    let worst: Value = serde_json::from_str(&ok(&vsgae(&[
        "eval-predictor",
        "--model",
        &out_str,
        "--data",
        &data,
        "--worst",
        "3",
        "--json",
    ])))
    .unwrap();
    let errors: Vec<f64> = worst["worst"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["predicted"].as_f64().unwrap() - w["true"].as_f64().unwrap()).abs())
        .collect();
    assert!(errors.len() == 3 && errors.windows(2).all(|w| w[0] >= w[1]), "{errors:?}");

    // This tiny network (seed 0, two epochs) predicts one number for every cell: nothing to
    // calibrate.
    let calibrated = dir.path().join("calibrated");
    let calibrated_str = calibrated.display().to_string();
    let refused = vsgae(&["calibrate-predictor", "--model", &out_str, "--data", &data, "--out", &calibrated_str]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("predicts one number"));

    // Two networks after two epochs (seed 1) rank the validation cells backwards (τ ≈ −0.36): a
    // calibration would have to reverse the order, and is refused.
    let ensemble = dir.path().join("ensemble");
    let ensemble_str = ensemble.display().to_string();
    let train_ensemble = |epochs: &str, lr: &str, seed: &str| {
        let args = ["--epochs", epochs, "--batch-size", "32", "--lr", lr, "--node-dim", "16", "--graph-dim", "16"];
        let rest = ["--ensemble", "2", "--seed", seed, "--out", &ensemble_str];
        ok(&vsgae(&[&["train-predictor", "--data", &data][..], &args, &rest].concat()))
    };
    train_ensemble("2", "1e-3", "1");
    let args = ["calibrate-predictor", "--model", &ensemble_str, "--data", &data, "--out", &calibrated_str];
    let refused = vsgae(&args);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("reverse its ranking"));

    // Trained further (seed 3, ten epochs): the least-squares map cannot do worse on the
    // validation part than the identity, and its positive scale keeps the order.
    std::fs::remove_dir_all(&ensemble).unwrap();
    train_ensemble("10", "3e-3", "3");
    let report: Value = serde_json::from_str(&ok(&vsgae(&args))).unwrap();
    assert_eq!(report["members_kept"], serde_json::json!([0, 1]));
    assert!(report["calibration"]["scale"].as_f64().unwrap() > 0.0, "{report}");
    let (before, after) = (&report["validation_before"], &report["validation_after"]);
    assert!(after["rmse"].as_f64().unwrap() <= before["rmse"].as_f64().unwrap(), "{report}");
    let tau = |m: &Value| m["kendall_tau"].as_f64().unwrap().abs();
    assert!((tau(after) - tau(before)).abs() < 1e-12, "{report}");
    let validation_metrics = |model: &str| -> Value {
        let args = ["eval-predictor", "--model", model, "--data", &data, "--part", "validation", "--json"];
        serde_json::from_str(&ok(&vsgae(&args))).unwrap()
    };
    let eval = validation_metrics(&calibrated_str);
    assert_eq!(eval["rmse"], after["rmse"]);

    // The same model with f16 weights (half the bytes) and with int8 ones (about a quarter for a large model; row scales and f16 biases weigh more in this small one): it
    // still loads and predicts, close to the f32 model.
    let weights = calibrated.join("weights.safetensors");
    let weights_str = weights.display().to_string();
    let full_size = std::fs::metadata(&weights).unwrap().len();
    let rmse = |m: &Value| m["rmse"].as_f64().unwrap();
    for (precision, largest_share, rmse_change) in [("f16", 0.6, 1e-5), ("int8", 0.45, 1e-4)] {
        let packed = dir.path().join(precision);
        std::fs::create_dir_all(&packed).unwrap();
        std::fs::copy(calibrated.join("config.json"), packed.join("config.json")).unwrap();
        let packed_weights = packed.join("weights.safetensors").display().to_string();
        ok(&vsgae(&["convert-weights", &weights_str, &packed_weights, "--to", precision]));
        let packed_size = std::fs::metadata(&packed_weights).unwrap().len();
        assert!(
            (packed_size as f64) < full_size as f64 * largest_share,
            "{precision}: {packed_size} of {full_size} bytes"
        );
        let eval_packed = validation_metrics(&packed.display().to_string());
        let change = (rmse(&eval_packed) - rmse(&eval)).abs();
        assert!(change < rmse_change, "{precision}: {eval_packed} against {eval}");
        println!("{precision}: {packed_size} of {full_size} bytes, validation RMSE moves by {change:.2e}");
    }
    let again = vsgae(&["calibrate-predictor", "--model", &calibrated_str, "--data", &data, "--out", &ensemble_str]);
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("calibrated already"));
}

#[test]
fn predict_with_the_reference_weights_gives_the_reference_predictions() {
    let Some(shared) = test_support::shared_dir_or_skip() else { return };
    let fixture = common::json("gnnpred_outputs_64.json").unwrap();
    let weights = shared.join("fixtures/gnnpred_state.pt").display().to_string();
    let cells = shared.join("fixtures/data_zip/training_data_70.pth").display().to_string();
    let predictions: Value =
        serde_json::from_str(&ok(&vsgae(&["predict", "--weights", &weights, "--cells", &cells, "--json"]))).unwrap();
    let by_hash: std::collections::HashMap<String, f64> = predictions
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["hash"].as_str().unwrap().to_owned(), r["predicted"].as_f64().unwrap()))
        .collect();
    let (reference_cells, _) = common::cells_of(&fixture);
    let expected = common::floats(&fixture["predictions"]);
    let got: Vec<f32> = reference_cells.iter().map(|c| by_hash[&c.hash().to_string()] as f32).collect();
    // Isomorphic duplicates share a hash; the GNN gives them the same prediction up to rounding.
    common::assert_close_to("CLI predictions", &got, &expected, 2e-5);
}

#[test]
fn train_and_test_a_small_vae_then_encode_and_decode() {
    let dir = tempfile::tempdir().unwrap();
    let Some(data) = csv_subset(dir.path(), 120) else { return };
    let out = dir.path().join("vae");
    let out_str = out.display().to_string();
    let train = vsgae(&[
        "train-vae",
        "--data",
        &data,
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--node-dim",
        "16",
        "--graph-dim",
        "8",
        "--test",
        "--prior-points",
        "5",
        "--noise-scale",
        "0.1",
        "--out",
        &out_str,
    ]);
    let results: Value = serde_json::from_str(&ok(&train)).unwrap();
    let config: Value = serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["noise_scale"], 0.1, "--noise-scale reaches the saved config");
    for key in ["reconstruction", "validity", "uniqueness", "novelty", "reconstruction_isomorphic", "validity_nasbench"]
    {
        let share = results["abilities"][key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&share), "{key} {share}");
    }
    let tested: Value =
        serde_json::from_str(&ok(&vsgae(&["test-vae", "--model", &out_str, "--prior-points", "5", "--json"]))).unwrap();
    assert_eq!(tested["test_cells"], 12);

    let npy = dir.path().join("latent.npy").display().to_string();
    ok(&vsgae(&["encode", "--model", &out_str, "--cells", &data, "--out", &npy]));
    let bytes = std::fs::read(&npy).unwrap();
    let file = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(file.shape(), &[120, 8]);
    let latent_run = dir.path().join("latent-run").display().to_string();
    let results: Value = serde_json::from_str(&ok(&vsgae(&[
        "train-latent-predictor",
        "--vae",
        &out_str,
        "--data",
        &data,
        "--epochs",
        "2",
        "--lr",
        "1e-3",
        "--out",
        &latent_run,
    ])))
    .unwrap();
    assert_eq!(results["epochs"], 2);
    let tau = results["test"]["kendall_tau"].as_f64().expect("Kendall's tau is a number");
    assert!((-1.0..=1.0).contains(&tau), "tau {tau}");
    assert!(Path::new(&latent_run).join("head.safetensors").is_file());
    let decoded = ok(&vsgae(&["decode", "--model", &out_str, "--latent", &npy]));
    assert_eq!(decoded.lines().count(), 120);
    let first: Value = serde_json::from_str(decoded.lines().next().unwrap()).unwrap();
    assert_eq!(first["node_atts"][0], 1);

    // A warm start with the edge context grows the model by its map, which then trains.
    let grown = dir.path().join("grown");
    let grown_str = grown.display().to_string();
    let args = ["--data", &data, "--epochs", "1", "--batch-size", "32", "--lr", "1e-2", "--out", &grown_str];
    ok(&vsgae(&[&["train-vae", "--warm-start", &out_str, "--edge-context", "counts"][..], &args[..]].concat()));
    let config: Value = serde_json::from_str(&std::fs::read_to_string(grown.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["model"]["edge_context"], "counts", "--edge-context reaches the saved config");
    let weights = vsgae::StateDict::from_bytes(&std::fs::read(grown.join("weights.safetensors")).unwrap()).unwrap();
    let context = &weights.tensors["Decoder.generator.nodes.f_s_context.weight"].values;
    assert!(context.iter().any(|&w| w != 0.0), "the map trains from zero");
}

#[test]
fn a_resumed_vae_run_keeps_its_checkpoints_and_learning_curve() {
    let dir = tempfile::tempdir().unwrap();
    let Some(data) = csv_subset(dir.path(), 120) else { return };
    let out = dir.path().join("vae");
    let out_str = out.display().to_string();
    // 108 training cells at batch 8: 14 steps an epoch; stopped (with a checkpoint) after 5.
    ok(&vsgae(&[
        "train-vae",
        "--data",
        &data,
        "--epochs",
        "2",
        "--batch-size",
        "8",
        "--node-dim",
        "8",
        "--graph-dim",
        "4",
        "--checkpoint-steps",
        "2",
        "--evaluate-every",
        "4",
        "--curve-cells",
        "3",
        "--curve-samples",
        "1",
        "--curve-prior-points",
        "3",
        "--max-graphs",
        "40",
        "--out",
        &out_str,
    ]));
    let steps = |out: &Path| -> Vec<u64> {
        std::fs::read_to_string(out.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).unwrap()["evaluation"]["step"].as_u64())
            .collect()
    };
    assert_eq!(steps(&out), [4]);
    let elsewhere = dir.path().join("elsewhere").display().to_string();
    let refused = vsgae(&["train-vae", "--resume", &out_str, "--out", &elsewhere]);
    assert_eq!(refused.status.code(), Some(1), "a resume into another folder is refused");
    ok(&vsgae(&["train-vae", "--resume", &out_str]));
    assert_eq!(steps(&out), [4, 8, 12, 16, 20, 24, 28], "the resumed run measures itself as it began");
    let harness: Value = serde_json::from_str(&std::fs::read_to_string(out.join("harness.json")).unwrap()).unwrap();
    assert_eq!((harness["checkpoint_steps"].as_u64(), harness["curve_cells"].as_u64()), (Some(2), Some(3)));
}

#[test]
fn bad_input_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.csv").display().to_string();
    let output = vsgae(&["predict", "--weights", &missing, "--cells", &missing]);
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8(output.stderr).unwrap();
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.starts_with(&format!("vsgae: {missing}")), "{error}");
    let garbage = dir.path().join("weights.safetensors");
    std::fs::write(&garbage, b"not weights").unwrap();
    let output = vsgae(&["predict", "--weights", &garbage.display().to_string(), "--cells", &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8(output.stderr).unwrap().contains("not a safetensors file"));
}

/// Without an NVIDIA driver, `--backend cuda` is refused with a message naming what is missing,
/// not with a panic (compiled where the CUDA backend is: `--features cli,cuda`).
#[cfg(feature = "cuda")]
#[test]
fn cuda_without_a_driver_is_an_error_that_names_it() {
    if Path::new("/proc/driver/nvidia").exists() {
        test_support::record_skip("this machine has an NVIDIA driver");
        return;
    }
    let output = vsgae(&["bench", "--backend", "cuda", "--only", "matmul"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no CUDA device answers") && stderr.contains("NVIDIA driver"), "{stderr}");
    assert!(!stderr.contains("panicked at"), "a panic: {stderr}");
}

#[test]
fn an_unknown_or_absent_metric_is_named_with_what_the_data_has() {
    let dir = tempfile::tempdir().unwrap();
    let Some(data) = csv_subset(dir.path(), 20) else { return };
    let out = dir.path().join("run").display().to_string();
    let train = |target: &str| vsgae(&["train-predictor", "--data", &data, "--out", &out, "--target", target]);

    let output = train("foo");
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("target = \"foo\" is not allowed: expected a metric name"), "{error}");
    assert!(!error.contains("out of range"), "{error}");

    // A metric name the data does not carry (the CSV has validation accuracies only).
    let output = train("test_acc_108");
    assert_eq!(output.status.code(), Some(1));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("none of the 20 cells read has test_acc_108"), "{error}");
    assert!(error.contains("val_acc_108"), "the metrics it has: {error}");
}

#[test]
fn a_model_folder_naming_an_impossible_width_is_refused_naming_the_file_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    // The shipped models' folders, with the width of the node states set to 10⁹.
    for (model, command) in [("predictor", "predict"), ("vsgae", "test-vae")] {
        let folder = dir.path().join(model);
        std::fs::create_dir_all(&folder).unwrap();
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(model);
        let mut config: Value = serde_json::from_slice(&std::fs::read(shipped.join("config.json")).unwrap()).unwrap();
        config["model"]["encoder"]["node_dim"] = serde_json::json!(1_000_000_000u64);
        std::fs::write(folder.join("config.json"), config.to_string()).unwrap();
        std::fs::copy(shipped.join("weights.safetensors"), folder.join("weights.safetensors")).unwrap();
        for file in ["data.json"] {
            if shipped.join(file).is_file() {
                std::fs::copy(shipped.join(file), folder.join(file)).unwrap();
            }
        }
        let folder = folder.display().to_string();
        let args: Vec<&str> = match command {
            "predict" => vec!["predict", "--model", &folder, "--cells", "never-read.csv"],
            _ => vec!["test-vae", "--model", &folder, "--limit", "1", "--prior-points", "0"],
        };
        let output = vsgae(&args);
        assert_eq!(output.status.code(), Some(1), "{command}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("{model}/config.json")) && stderr.contains("model.encoder.node_dim = 1000000000"),
            "{command}: {stderr}"
        );
    }
}
