//! The prior a VS-GAE's points are drawn from: the one its folder ships (`prior.json`), or one
//! fitted to its training cells' latents; `fit-prior` writes a folder's.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use nasbench::Cell;
use vsgae::VsGae;
use vsgae::io::checkpoint::write_atomically;
use vsgae::latent::fit::PriorFit;
use vsgae::latent::mixture::MixtureConfig;
use vsgae::latent::prior::{LatentPrior, PRIOR_FILE, PriorKind};

use crate::backend::Backend;
use crate::vae_train::{load_vae, model_cells};

/// Which prior to draw from.
#[derive(Debug, Clone, clap::Args)]
pub struct PriorArgs {
    /// Where the points come from; without it, the model folder's `prior.json` where it has
    /// one, else `fitted` (the reference's).
    #[arg(long, value_enum)]
    prior: Option<PriorKind>,
    /// Gaussians of `--prior mixture`.
    #[arg(long, default_value_t = MixtureConfig::default().components)]
    components: usize,
    /// The most training cells `--prior mixture` or `kernel` is fitted to (spread evenly over
    /// them; a kernel prior has one component per cell).
    #[arg(long, default_value_t = PriorFit::default().fitted_cells)]
    fitted_cells: usize,
    /// Each component's deviation under `--prior kernel`, as a share of the latent means' own.
    #[arg(long, default_value_t = PriorFit::default().bandwidth)]
    bandwidth: f64,
    /// Scales every deviation of a fitted prior when drawing (1: as fitted; the folder's prior
    /// keeps its own).
    #[arg(long, default_value_t = 1.0)]
    temperature: f64,
}

impl PriorArgs {
    fn fit(&self, kind: PriorKind) -> PriorFit {
        PriorFit {
            kind,
            mixture: MixtureConfig { components: self.components, ..MixtureConfig::default() },
            fitted_cells: self.fitted_cells,
            bandwidth: self.bandwidth,
            temperature: self.temperature,
        }
    }

    /// The prior these options name for the model in `dir`, fitted to `train` where it is
    /// fitted.
    pub fn prior(
        &self,
        dir: &Path,
        model: &VsGae,
        train: &[Cell],
        noise_scale: f64,
        device: &Device,
        seed: u64,
    ) -> anyhow::Result<LatentPrior> {
        if self.prior.is_none()
            && let Some(shipped) = LatentPrior::from_model_folder(dir, model.latent_dim())?
        {
            return Ok(shipped);
        }
        let fit = self.fit(self.prior.unwrap_or_default());
        let mut rng = nasbench::split::rng(seed.wrapping_add(29));
        Ok(LatentPrior::fit(&fit, model, train, noise_scale, device, &mut rng)?)
    }
}

#[derive(Debug, clap::Args)]
pub struct FitPriorArgs {
    /// A directory written by train-vae.
    #[arg(long)]
    model: PathBuf,
    /// The distribution to fit.
    #[arg(long, value_enum, default_value_t = PriorKind::Mixture)]
    kind: PriorKind,
    #[command(flatten)]
    options: PriorArgs,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Where `prior.json` goes (default: the model's folder).
    #[arg(long)]
    out: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

/// `fit-prior`: fits a prior to a model's training latents and writes it as the folder's
/// `prior.json`, which the app and `test-vae` then draw from.
pub fn fit_prior(args: FitPriorArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (config, model) = load_vae(&args.model, &device)?;
    let (cells, train, _) = model_cells(&args.model, config.seed)?;
    let train: Vec<Cell> = train.iter().map(|&i| cells[i]).collect();
    let fit = args.options.fit(args.kind);
    let mut rng = nasbench::split::rng(args.seed.wrapping_add(29));
    let prior = LatentPrior::fit(&fit, &model, &train, config.model.noise_scale, &device, &mut rng)?;
    let out = args.out.unwrap_or(args.model).join(PRIOR_FILE);
    write_atomically(&out, &serde_json::to_vec(&prior)?)?;
    eprintln!(
        "wrote {}: {:?}, {} components, temperature {}",
        out.display(),
        prior.kind,
        prior.components(),
        prior.temperature
    );
    Ok(())
}
