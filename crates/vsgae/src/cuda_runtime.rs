//! What Burn's CUDA backend needs at run time, checked before it is used, so that a machine
//! without it gets an error that names what is missing instead of a panic: the NVIDIA driver
//! (its library is opened on first use), and `libdevice.10.bc`, the bitcode that kernels with
//! exp, log or tanh link when they compile through LLVM (cubecl-cuda looks for it as
//! `$CUDA_PATH/nvvm/libdevice/libdevice.10.bc`, else under the usual toolkit folders).

use std::path::{Path, PathBuf};

/// Where a toolkit is looked for when `CUDA_PATH` is unset (cubecl-cuda's own list).
pub const CUDA_ROOTS: [&str; 4] = ["/usr/local/cuda", "/opt/cuda", "/usr/lib/cuda", "/usr"];

/// Something Burn's CUDA backend needs at run time that this machine lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaMissing {
    /// No CUDA device answered: the NVIDIA driver library (`libcuda.so`) is missing, or finds no GPU.
    #[error("no CUDA device answers: Burn's CUDA backend needs the NVIDIA driver (libcuda.so) and a GPU ({0})")]
    Driver(String),
    /// `libdevice.10.bc` is in none of the places looked in.
    #[error(
        "libdevice.10.bc is not in {looked_in}: CUDA kernels with exp, log or tanh link it; set CUDA_PATH \
         to a folder holding nvvm/libdevice/libdevice.10.bc (scripts/gpu-bench/prepare.sh puts one in .gpu/cuda)"
    )]
    Libdevice {
        /// The folders looked in, as `CUDA_PATH` or the usual toolkit folders.
        looked_in: String,
    },
}

/// The `libdevice.10.bc` that CUDA kernels will link: under `CUDA_PATH` where it is set, else
/// under the first of [`CUDA_ROOTS`] that has one.
pub fn libdevice() -> Result<PathBuf, CudaMissing> {
    let roots: Vec<PathBuf> = match std::env::var_os("CUDA_PATH") {
        Some(path) => vec![PathBuf::from(path)],
        None => CUDA_ROOTS.iter().map(PathBuf::from).collect(),
    };
    libdevice_in(&roots)
}

fn libdevice_in(roots: &[PathBuf]) -> Result<PathBuf, CudaMissing> {
    let file = |root: &Path| root.join("nvvm").join("libdevice").join("libdevice.10.bc");
    roots.iter().map(|root| file(root)).find(|path| path.is_file()).ok_or_else(|| CudaMissing::Libdevice {
        looked_in: roots.iter().map(|root| root.display().to_string()).collect::<Vec<_>>().join(", "),
    })
}

/// CUDA device `index`, once the driver answers on it and `libdevice.10.bc` is found.
#[cfg(feature = "cuda")]
pub fn cuda_device(index: usize) -> Result<burn::tensor::Device, CudaMissing> {
    let device = burn::tensor::Device::cuda(index);
    crate::readback::probe_device(&device).map_err(|silent| CudaMissing::Driver(silent.0.join("; ")))?;
    libdevice()?;
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libdevice_is_found_under_a_root_or_named_as_missing() {
        let root = std::env::temp_dir().join(format!("cuda-runtime-{}", std::process::id()));
        let empty = root.join("empty");
        let toolkit = root.join("toolkit");
        std::fs::create_dir_all(&empty).expect("a folder");
        std::fs::create_dir_all(toolkit.join("nvvm/libdevice")).expect("a folder");
        std::fs::write(toolkit.join("nvvm/libdevice/libdevice.10.bc"), b"BC").expect("a file");

        let found = libdevice_in(&[empty.clone(), toolkit.clone()]).expect("found");
        assert_eq!(found, toolkit.join("nvvm/libdevice/libdevice.10.bc"));
        let missing = libdevice_in(std::slice::from_ref(&empty)).expect_err("missing").to_string();
        assert!(missing.starts_with(&format!("libdevice.10.bc is not in {}", empty.display())), "{missing}");
        assert!(missing.contains("CUDA_PATH"), "{missing}");
        std::fs::remove_dir_all(&root).expect("removed");
    }
}
