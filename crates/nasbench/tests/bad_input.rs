//! Bad input of every kind meets a clear error, never a panic, with bounded memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use nasbench::formats::{self, archive, pyg, tfrecord};
use rand::{Rng, SeedableRng};

const FIXTURES: [&str; 8] = [
    "data/energy_4V9E.tfrecord",
    "data/nb101_val_20k.csv",
    "fixtures/data_zip/training_data_70.pth",
    "fixtures/data_legacy/training_data_70.pth",
    "fixtures/data_legacy_pyg1/training_data_70.pth",
    "fixtures/enc_data_sample.zip",
    "fixtures/vae_cells16.pth",
    "fixtures/pickle/real_repo_needed_buckets.pth",
];

#[test]
fn truncated_files_are_errors() {
    for file in FIXTURES {
        let Some(bytes) = test_support::read_shared(file) else { return };
        // The CSV stays readable when cut at a row boundary; every binary format must refuse.
        let binary = !file.ends_with(".csv");
        for tenth in 1..10 {
            let cut = &bytes[..bytes.len() * tenth / 10];
            let result = formats::read_bytes(cut);
            if binary {
                let error = result.expect_err(&format!("{file} cut at {tenth}/10 was accepted"));
                assert!(!error.to_string().is_empty());
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for file in FIXTURES {
        let Some(bytes) = test_support::read_shared(file) else { return };
        let size = bytes.len().min(300_000);
        for _ in 0..40 {
            let mut damaged = bytes[..size].to_vec();
            for _ in 0..rng.random_range(1..8) {
                let at = rng.random_range(0..damaged.len());
                damaged[at] = rng.random();
            }
            let _ = formats::read_bytes(&damaged);
        }
    }
}

#[test]
fn random_bytes_are_an_unknown_format() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for len in [1usize, 7, 64, 4096] {
        let noise: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let error = formats::read_bytes(&noise).unwrap_err().to_string();
        assert!(error.contains("not a format this tool reads"), "{error}");
    }
    assert_eq!(formats::read_bytes(b"").unwrap_err().to_string(), "empty file");
}

fn zip_of(entries: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut out);
    for (name, content) in entries {
        writer.start_file(*name, zip::write::SimpleFileOptions::default().compression_method(method)).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap();
    out.into_inner()
}

#[test]
fn zip_bombs_stop_at_the_cap() {
    let zeros = vec![0u8; 8 << 20];
    let bomb = zip_of(&[("training_data_70.pth", &zeros)], zip::CompressionMethod::Deflated);
    assert!(bomb.len() < 64 << 10, "8 MiB of zeros should compress well, got {} bytes", bomb.len());
    let error = archive::read_members_limited(&bomb, 1 << 20, 4 << 20).unwrap_err().to_string();
    assert!(error.contains("1048576-byte limit"), "{error}");
    // The archive-wide cap counts every entry.
    let small = vec![0u8; 600 << 10];
    let many = zip_of(&[("a.pth", &small), ("b.pth", &small)], zip::CompressionMethod::Deflated);
    let error = archive::read_members_limited(&many, 1 << 20, 1 << 20).unwrap_err().to_string();
    assert!(error.contains("b.pth"), "{error}");
}

#[test]
fn a_zip_without_pth_files_is_refused() {
    let zip = zip_of(&[("readme.txt", b"hello")], zip::CompressionMethod::Stored);
    let error = formats::read_bytes(&zip).unwrap_err().to_string();
    assert!(error.contains("no torch .pth file inside"), "{error}");
    let error = formats::read_bytes(&b"PK\x03\x04 not really a zip"[..]).unwrap_err().to_string();
    assert!(error.starts_with("zip archive"), "{error}");
}

/// A legacy torch file whose object pickle is `object`.
fn legacy_file(object: &[u8]) -> Vec<u8> {
    let mut out = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    out.extend_from_slice(b"\x80\x02M\xe9\x03.");
    out.extend_from_slice(b"\x80\x02}q\x00X\x0d\x00\x00\x00little_endianq\x01\x88s.");
    out.extend_from_slice(object);
    out.extend_from_slice(b"\x80\x02]q\x00.");
    out
}

#[test]
fn pickles_that_name_code_are_refused_by_name() {
    let os_system = legacy_file(b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.");
    assert_eq!(formats::detect(&os_system).unwrap(), formats::Format::PthLegacy);
    let error = formats::read_bytes(&os_system).unwrap_err().to_string();
    assert!(error.contains("refusing global os.system"), "{error}");

    let eval = b"\x80\x02cbuiltins\neval\nq\x00X\x03\x00\x00\x001+1q\x01\x85q\x02Rq\x03.";
    let torch_zip = zip_of(&[("archive/data.pkl", eval), ("archive/version", b"3\n")], zip::CompressionMethod::Stored);
    assert_eq!(formats::detect(&torch_zip).unwrap(), formats::Format::PthZip);
    let error = formats::read_bytes(&torch_zip).unwrap_err().to_string();
    assert!(error.contains("refusing global builtins.eval"), "{error}");

    // Even inside an archive of .pth files the error names the entry and the global.
    let archive = zip_of(&[("enc/training_data_70.pth", &os_system)], zip::CompressionMethod::Deflated);
    let error = formats::read_bytes(&archive).unwrap_err().to_string();
    assert!(error.contains("enc/training_data_70.pth") && error.contains("os.system"), "{error}");
}

#[test]
fn huge_declared_lengths_are_refused_before_allocating() {
    let Some(bytes) = test_support::read_shared("fixtures/data_legacy/training_data_70.pth") else { return };
    // The first storage record starts after the key list: find it by parsing, then lie about its size.
    let file = nasbench::formats::pickle::load(&bytes, 0).unwrap();
    let mut at = file.end;
    for _ in 0..4 {
        at = nasbench::formats::pickle::load(&bytes, at).unwrap().end;
    }
    let mut lying = bytes.clone();
    lying[at..at + 8].copy_from_slice(&(u64::MAX / 16).to_le_bytes());
    let error = pyg::records_from_pth(&lying).unwrap_err().to_string();
    assert!(error.contains("declares 1152921504606846975 elements"), "{error}");

    let huge_string = legacy_file(b"\x80\x02X\xff\xff\xff\x7f");
    assert!(formats::read_bytes(&huge_string).unwrap_err().to_string().contains("declares 2147483647 bytes"));

    let mut frame = tfrecord::frame(b"[]");
    frame[..8].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let crc = tfrecord::masked_crc32c(&frame[..8]).to_le_bytes();
    frame[8..12].copy_from_slice(&crc);
    assert!(formats::read_bytes(&frame).unwrap_err().to_string().contains("declares 1099511627776 bytes"));
}

#[test]
fn malformed_pyg_data_names_the_item() {
    let Some(bytes) = test_support::read_shared("fixtures/data_zip/training_data_70.pth") else { return };
    // Rename node_atts in data.pkl (same length) so the first Data lacks it.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.as_slice())).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut content).unwrap();
        if name.ends_with("data.pkl") {
            let at = content.windows(9).position(|w| w == b"node_atts").unwrap();
            content[at..at + 9].copy_from_slice(b"node_attz");
        }
        entries.push((name, content));
    }
    let refs: Vec<(&str, &[u8])> = entries.iter().map(|(n, c)| (n.as_str(), c.as_slice())).collect();
    let damaged = zip_of(&refs, zip::CompressionMethod::Stored);
    let error = formats::read_bytes(&damaged).unwrap_err().to_string();
    assert_eq!(error, "torch file: Data #0: no node_atts");
}

#[test]
fn file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cells.tfrecord");
    std::fs::write(&path, tfrecord::frame(b"{\"not\": \"a list\"}")).unwrap();
    let error = formats::read_file(&path).unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}: tfrecord record 0", path.display())), "{error}");
    let missing = dir.path().join("missing.csv");
    assert!(formats::read_file(&missing).unwrap_err().to_string().starts_with(&missing.display().to_string()));
}
