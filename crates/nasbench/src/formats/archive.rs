//! Zip archives of `.pth` files, like the reference's `enc_data.zip`, `extra_6.zip`,
//! `extra_7.zip` and `vae_data.zip`.

use std::io::Cursor;

use super::torch::read_limited;
use super::{FormatError, MAX_ARCHIVE_BYTES, MAX_ENTRY_BYTES, pyg};
use crate::dataset::{Dataset, Record};

/// One `.pth` member of an archive and its records, in file order.
#[derive(Debug)]
pub struct ArchiveMember {
    /// The entry's name in the archive.
    pub name: String,
    /// The entry's records.
    pub records: Vec<Record>,
}

/// Reads every `.pth` member (detected by content; directories and other files are skipped).
pub fn read_members(bytes: &[u8]) -> Result<Vec<ArchiveMember>, FormatError> {
    read_members_limited(bytes, MAX_ENTRY_BYTES, MAX_ARCHIVE_BYTES)
}

/// [`read_members`] with explicit caps on what one entry and all entries may decompress to.
pub fn read_members_limited(
    bytes: &[u8],
    entry_limit: u64,
    archive_limit: u64,
) -> Result<Vec<ArchiveMember>, FormatError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| FormatError::Zip(e.to_string()))?;
    let mut members = Vec::new();
    let mut total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(|e| FormatError::Zip(format!("entry #{index}: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(|e| FormatError::Zip(format!("entry #{index}: {e}")))?.into_owned();
        let limit = entry_limit.min(archive_limit - total);
        let content = read_limited(entry, &name, limit)?;
        total += content.len() as u64;
        let in_entry = |error| FormatError::InEntry { entry: name.clone(), error: Box::new(error) };
        match super::detect(&content) {
            Ok(super::Format::PthLegacy | super::Format::PthZip) => {
                let records = pyg::records_from_pth(&content).map_err(in_entry)?;
                members.push(ArchiveMember { name, records });
            }
            _ => continue,
        }
    }
    if members.is_empty() {
        return Err(FormatError::Zip("no torch .pth file inside".to_owned()));
    }
    Ok(members)
}

/// Reads every `.pth` member and merges them by hash.
pub fn read_archive(bytes: &[u8]) -> Result<Dataset, FormatError> {
    let mut dataset = Dataset::new();
    for member in read_members(bytes)? {
        member.records.into_iter().for_each(|r| dataset.push(r));
    }
    Ok(dataset)
}
