//! `convert-weights`: rewrites a weights file in another precision (f16 halves a model's bytes,
//! int8 quarters them).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use vsgae::StateDict;
use vsgae::io::checkpoint::write_atomically;
use vsgae::io::state_dict::Precision;

#[derive(Debug, clap::Args)]
pub struct ConvertWeightsArgs {
    /// A `.safetensors` file or a torch state dict.
    input: PathBuf,
    /// Where the `.safetensors` file goes.
    output: PathBuf,
    /// The precision of the output.
    #[arg(long, value_enum)]
    to: Precision,
}

/// Reads a weights file (`.safetensors` or a torch state dict); errors name the file.
pub fn read_weights(path: &Path) -> anyhow::Result<StateDict> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    StateDict::from_bytes(&bytes).with_context(|| path.display().to_string())
}

pub fn convert(args: ConvertWeightsArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.input).with_context(|| args.input.display().to_string())?;
    let weights = StateDict::from_bytes(&bytes).with_context(|| args.input.display().to_string())?;
    let out = weights.to_safetensors_as(args.to)?;
    write_atomically(&args.output, &out)?;
    let values: usize = weights.tensors.values().map(|t| t.values.len()).sum();
    println!(
        "{}: {} tensors, {values} values, {} → {} bytes",
        args.output.display(),
        weights.tensors.len(),
        bytes.len(),
        out.len()
    );
    Ok(())
}
