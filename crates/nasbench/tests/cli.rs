//! The `nasbench` binary: output formats, exit codes and one-line errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn nasbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nasbench")).args(args).output().expect("the nasbench binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn hash_prints_the_official_hash_and_nothing_else() {
    let output = nasbench(&[
        "hash",
        "--matrix",
        "0111010,0000001,0000001,0000100,0000001,0000001,0000000",
        "--ops",
        "input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output",
    ]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "28cfc7874f6d200472e1a9dcd8650aa0\n");
}

#[test]
fn hash_of_an_invalid_cell_is_one_line_and_exit_1() {
    let output = nasbench(&["hash", "--matrix", "01,10", "--ops", "input,output"]);
    assert_eq!(output.status.code(), Some(1));
    let error = stderr(&output);
    assert_eq!(error.lines().count(), 1, "{error}");
    assert!(error.contains("does not go forward"), "{error}");
}

#[test]
fn inspect_json_describes_every_fixture() {
    let Some(shared) = test_support::shared_dir_or_skip() else { return };
    let cases = [
        ("data/energy_4V9E.tfrecord", "tfrecord", 1_092, 91),
        ("data/energy_5V9E.tfrecord", "tfrecord", 2_532, 2_532),
        ("data/nb101_val_20k.csv", "csv", 20_001, 20_001),
        ("fixtures/data_zip/training_data_70.pth", "pth-zip", 500, 495),
        ("fixtures/data_legacy/training_data_70.pth", "pth-legacy", 500, 495),
        ("fixtures/data_legacy_pyg1/training_data_70.pth", "pth-legacy", 500, 495),
        ("fixtures/enc_data_sample.zip", "zip", 2_000, 1_957),
        ("fixtures/vae_cells16.pth", "pth-zip", 16, 16),
    ];
    let files: Vec<String> = cases.iter().map(|c| shared.join(c.0).display().to_string()).collect();
    let mut args = vec!["inspect", "--json"];
    args.extend(files.iter().map(String::as_str));
    let output = nasbench(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<Value> = stdout(&output).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), cases.len());
    for ((file, format, records, cells), json) in cases.iter().zip(&lines) {
        assert!(json["file"].as_str().unwrap().ends_with(file));
        assert_eq!(json["format"], *format, "{file}");
        assert_eq!(json["records"], *records, "{file}");
        assert_eq!(json["cells"], *cells, "{file}");
        let histogram: u64 = json["vertices"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(histogram, *cells as u64, "{file}");
        assert!(
            json["metrics"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().starts_with("val_acc_")),
            "{file}"
        );
    }
    assert_eq!(lines[0]["vertices"]["4"], 84);
    assert_eq!(
        lines[2]["metrics"],
        serde_json::json!(["training_time_108", "val_acc_4", "val_acc_12", "val_acc_36", "val_acc_108"])
    );
}

#[test]
fn bad_files_get_one_line_naming_the_file_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let cases = [
        (write("noise.bin", &[7u8; 100]), "not a format this tool reads"),
        (write("empty.csv", b""), "empty file"),
        (write("bad.tfrecord", &nasbench::formats::tfrecord::frame(b"[1]")[..14]), "remain"),
        (write("evil.pth", b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.\x80\x02M\xe9\x03.\x80\x02}.\x80\x02cos\nsystem\n."), "refusing global os.system"),
        (dir.path().join("missing.csv").display().to_string(), "No such file"),
    ];
    for (path, problem) in &cases {
        let output = nasbench(&["inspect", path]);
        assert_eq!(output.status.code(), Some(1), "{path}");
        let error = stderr(&output);
        assert_eq!(error.lines().count(), 1, "{error}");
        assert!(error.starts_with(&format!("nasbench: {path}: ")), "{error}");
        assert!(error.contains(problem), "{error}");
    }
}

#[test]
fn convert_merges_files_into_our_csv() {
    let Some(shared) = test_support::shared_dir_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("merged.csv");
    let inputs = [shared.join("data/energy_4V9E.tfrecord"), shared.join("data/energy_5V9E.tfrecord")];
    let output = nasbench(&[
        "convert",
        &inputs[0].display().to_string(),
        &inputs[1].display().to_string(),
        "--out",
        &out.display().to_string(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (format, dataset) = nasbench::formats::read_file(&out).unwrap();
    assert_eq!(format, nasbench::Format::Csv);
    // The 5V file holds every cell of the 4V file.
    assert_eq!(dataset.len(), 2_532);
    assert!(dataset.metric_keys().contains(&nasbench::MetricKey::VAL_ACC_108));
}

#[test]
fn space_writes_every_cell() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("space.csv");
    let output = nasbench(&["space", "--json", "--out", &out.display().to_string()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(json["cells"], 423_624);
    assert_eq!(json["vertices"]["7"], 359_082);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 423_625);
    assert_eq!(text.lines().next(), Some("hash,n_vertices,adjacency_rows,operations"));
    assert!(!Path::new(&format!("{}.tmp", out.display())).exists());
}

#[test]
fn every_command_has_help() {
    for command in ["space", "inspect", "hash", "convert"] {
        let output = nasbench(&[command, "--help"]);
        assert!(output.status.success(), "{command}");
        assert!(stdout(&output).contains("Usage: nasbench"), "{command}");
    }
}
