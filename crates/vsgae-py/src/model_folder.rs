//! Model folders as the CLI writes them: `config.json` and `weights.safetensors`.

use std::path::Path;

use crate::errors::{Error, Result};

/// Checks that `dir` holds a model's two files; a missing one is `FileNotFoundError`, named.
pub fn check_model_folder(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::MissingFile(format!("{}: no such model folder", dir.display())));
    }
    for name in ["config.json", "weights.safetensors"] {
        if !dir.join(name).is_file() {
            return Err(Error::MissingFile(format!(
                "{}: no {name} (a model folder holds config.json and weights.safetensors, as the CLI's --out writes them)",
                dir.display()
            )));
        }
    }
    Ok(())
}
