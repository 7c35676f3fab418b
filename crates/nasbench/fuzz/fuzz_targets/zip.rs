//! Zip archives of .pth files and torch zip files on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = nasbench::formats::archive::read_members_limited(data, 16 << 20, 64 << 20);
    let _ = nasbench::formats::torch::TorchFile::from_bytes(data);
});
