//! `average-weights`: the element-wise mean of several weight files of one architecture, such as
//! the checkpoints of a run's last steps (weight averaging).

use std::path::PathBuf;

use anyhow::Context as _;
use vsgae::StateDict;
use vsgae::io::checkpoint::write_atomically;

use crate::convert::read_weights;

#[derive(Debug, clap::Args)]
pub struct AverageWeightsArgs {
    /// `.safetensors` files or torch state dicts of one architecture.
    #[arg(required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// Where the averaged `.safetensors` file (f32) goes.
    #[arg(long)]
    out: PathBuf,
}

pub fn average(args: AverageWeightsArgs) -> anyhow::Result<()> {
    let dicts = args.inputs.iter().map(|path| read_weights(path)).collect::<anyhow::Result<Vec<_>>>()?;
    let mean = StateDict::mean(&dicts)
        .with_context(|| format!("averaging {} weight files (the first one sets the tensors)", dicts.len()))?;
    write_atomically(&args.out, &mean.to_safetensors()?)?;
    println!("{}: the mean of {} weight files, {} tensors", args.out.display(), dicts.len(), mean.tensors.len());
    Ok(())
}
