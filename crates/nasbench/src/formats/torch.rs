//! `torch.save` files in both formats, read with the safe [`super::pickle`] machine.
//!
//! - **Legacy** (torch < 1.6): pickles of the magic number, the protocol version (1001) and
//!   sys_info; the object; the list of storage keys; then one record per key in that order, an
//!   `i64` element count followed by the raw little-endian elements.
//! - **Zip** (torch ≥ 1.6): `<archive>/data.pkl` and each storage at `<archive>/data/<key>`.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use super::pickle::{self, DType, Pickle, TensorRef, Value};
use super::{FormatError, MAX_ENTRY_BYTES};

/// The magic number at the start of a legacy file, `0x1950a86a20f9469cfc6c`, little-endian.
const LEGACY_MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
/// `PROTO 2`, `LONG1` of 10 bytes, then the magic number.
const LEGACY_PREFIX: [u8; 4] = [0x80, 0x02, 0x8a, 0x0a];

/// Whether the bytes start like a legacy `torch.save` file.
pub fn is_legacy(bytes: &[u8]) -> bool {
    bytes.len() >= 14 && bytes[..4] == LEGACY_PREFIX && bytes[4..14] == LEGACY_MAGIC
}

/// Whether a zip holds a `torch.save` archive (a `data.pkl` entry).
pub fn is_torch_zip(bytes: &[u8]) -> bool {
    zip::ZipArchive::new(Cursor::new(bytes))
        .map(|archive| archive.file_names().flatten().any(|name| is_data_pkl(&name)))
        .unwrap_or(false)
}

fn is_data_pkl(name: &str) -> bool {
    name == "data.pkl" || name.ends_with("/data.pkl")
}

/// A loaded `torch.save` object with the raw bytes of its storages.
#[derive(Debug)]
pub struct TorchFile {
    /// The file's pickle (`data.pkl`).
    pub pickle: Pickle,
    storages: HashMap<String, Vec<u8>>,
}

/// The elements of a tensor.
#[derive(Debug, Clone, PartialEq)]
pub enum TensorData {
    /// 64-bit integers.
    I64(Vec<i64>),
    /// 64-bit floats (any float storage, widened).
    F64(Vec<f64>),
}

impl TorchFile {
    /// Reads a `torch.save` file in either format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        if is_legacy(bytes) {
            Self::from_legacy(bytes)
        } else if is_torch_zip(bytes) {
            Self::from_zip(bytes)
        } else {
            Err(FormatError::Torch("neither a legacy nor a zip torch.save file".to_owned()))
        }
    }

    fn from_legacy(bytes: &[u8]) -> Result<Self, FormatError> {
        let magic = pickle::load(bytes, 0)?;
        let protocol = pickle::load(bytes, magic.end)?;
        if protocol.value != Value::Int(1001) {
            return Err(FormatError::Torch(format!("legacy protocol version is {:?}, expected 1001", protocol.value)));
        }
        let sys_info = pickle::load(bytes, protocol.end)?;
        if sys_info.get(&sys_info.value, "little_endian") == Some(&Value::Bool(false)) {
            return Err(FormatError::Torch("big-endian torch files are not supported".to_owned()));
        }
        let object = pickle::load(bytes, sys_info.end)?;
        let keys = pickle::load(bytes, object.end)?;
        let key_list = keys
            .list(&keys.value)
            .ok_or_else(|| FormatError::Torch("the storage key list is not a list".to_owned()))?;

        let dtypes = storage_dtypes(&object);
        let mut storages = HashMap::with_capacity(key_list.len());
        let mut offset = keys.end;
        for key in key_list {
            let Value::Str(key) = key else {
                return Err(FormatError::Torch("a storage key is not a string".to_owned()));
            };
            let dtype = *dtypes
                .get(&**key)
                .ok_or_else(|| FormatError::Torch(format!("storage {key} is listed but no tensor uses it")))?;
            let header = bytes
                .get(offset..offset + 8)
                .ok_or_else(|| FormatError::Torch(format!("truncated before storage {key}")))?;
            let mut count = [0u8; 8];
            count.copy_from_slice(header);
            let numel = u64::from_le_bytes(count);
            let left = (bytes.len() - offset - 8) as u64;
            let byte_len = numel.checked_mul(dtype.size() as u64).filter(|&n| n <= left).ok_or_else(|| {
                FormatError::Torch(format!("storage {key} declares {numel} elements but only {left} bytes remain"))
            })? as usize;
            let start = offset + 8;
            storages.insert(key.to_string(), bytes[start..start + byte_len].to_vec());
            offset = start + byte_len;
        }
        Ok(Self { pickle: object, storages })
    }

    fn from_zip(bytes: &[u8]) -> Result<Self, FormatError> {
        let zip_error = |e: zip::result::ZipError| FormatError::Zip(e.to_string());
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
        let pkl_name = archive
            .file_names()
            .flatten()
            .find(|name| is_data_pkl(name))
            .map(|name| name.into_owned())
            .ok_or_else(|| FormatError::Torch("zip without data.pkl".to_owned()))?;
        let prefix = pkl_name.trim_end_matches("data.pkl").to_owned();
        let pkl = read_entry(&mut archive, &pkl_name)?;
        let object = pickle::load(&pkl, 0)?;
        let mut storages = HashMap::new();
        for key in storage_dtypes(&object).keys() {
            let name = format!("{prefix}data/{key}");
            storages.insert(key.clone(), read_entry(&mut archive, &name)?);
        }
        Ok(Self { pickle: object, storages })
    }

    /// The tensors of a saved state dict (a dict of name → tensor), in file order, with shapes.
    pub fn state_dict(&self) -> Result<Vec<(String, Vec<u64>, TensorData)>, FormatError> {
        let entries = self
            .pickle
            .dict(&self.pickle.value)
            .ok_or_else(|| FormatError::Torch("the saved object is not a state dict".to_owned()))?;
        entries
            .iter()
            .map(|(key, value)| match (key, value) {
                (Value::Str(name), Value::Tensor(tensor)) => {
                    Ok((name.to_string(), tensor.size.clone(), self.tensor(tensor)?))
                }
                _ => Err(FormatError::Torch("a state dict entry is not name → tensor".to_owned())),
            })
            .collect()
    }

    /// The elements of a tensor, in row-major order, widened to `i64` or `f64`.
    pub fn tensor(&self, tensor: &TensorRef) -> Result<TensorData, FormatError> {
        let storage = &tensor.storage;
        let raw = self
            .storages
            .get(&*storage.key)
            .ok_or_else(|| FormatError::Torch(format!("tensor refers to missing storage {}", storage.key)))?;
        let elements = raw.len() / storage.dtype.size();
        let indices = element_indices(tensor, elements)?;
        let at = |i: usize| &raw[i * storage.dtype.size()..(i + 1) * storage.dtype.size()];
        Ok(match storage.dtype {
            DType::I64 => TensorData::I64(indices.map(|i| i64::from_le_bytes(le8(at(i)))).collect()),
            DType::I32 => TensorData::I64(indices.map(|i| i64::from(i32::from_le_bytes(le4(at(i))))).collect()),
            DType::U8 | DType::Bool => TensorData::I64(indices.map(|i| i64::from(at(i)[0])).collect()),
            DType::F32 => TensorData::F64(indices.map(|i| f64::from(f32::from_le_bytes(le4(at(i))))).collect()),
            DType::F64 => TensorData::F64(indices.map(|i| f64::from_le_bytes(le8(at(i)))).collect()),
        })
    }
}

fn le4(b: &[u8]) -> [u8; 4] {
    [b[0], b[1], b[2], b[3]]
}

fn le8(b: &[u8]) -> [u8; 8] {
    [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// The storage indices of a strided view, checked against the storage's length.
fn element_indices(tensor: &TensorRef, storage_len: usize) -> Result<impl Iterator<Item = usize> + '_, FormatError> {
    let count = tensor.size.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let last = tensor
        .size
        .iter()
        .zip(&tensor.stride)
        .try_fold(tensor.offset, |acc, (&d, &s)| acc.checked_add(d.saturating_sub(1).checked_mul(s)?));
    match (count, last) {
        (Some(0), _) => {}
        (Some(_), Some(last)) if last < storage_len as u64 => {}
        _ => {
            return Err(FormatError::Torch(format!(
                "tensor of size {:?} with stride {:?} at offset {} does not fit its storage of {storage_len} elements",
                tensor.size, tensor.stride, tensor.offset
            )));
        }
    }
    let total = count.unwrap_or(0) as usize;
    Ok((0..total).map(move |flat| {
        let mut rest = flat as u64;
        let mut index = tensor.offset;
        for (&d, &s) in tensor.size.iter().zip(&tensor.stride).rev() {
            index += (rest % d) * s;
            rest /= d;
        }
        index as usize
    }))
}

/// Every storage key the object's tensors use, with its element type.
fn storage_dtypes(pickle: &Pickle) -> HashMap<String, DType> {
    let mut out = HashMap::new();
    let mut visit = |value: &Value| {
        if let Value::Tensor(t) = value {
            out.insert(t.storage.key.to_string(), t.storage.dtype);
        }
    };
    visit(&pickle.value);
    for object in &pickle.objects {
        match object {
            pickle::Object::List(items) => items.iter().for_each(&mut visit),
            pickle::Object::Dict(entries) => entries.iter().for_each(|(k, v)| {
                visit(k);
                visit(v);
            }),
            pickle::Object::Instance { state: Some(state), .. } => visit(state),
            pickle::Object::Instance { state: None, .. } => {}
        }
    }
    out
}

/// Reads one zip entry, refusing to decompress more than [`MAX_ENTRY_BYTES`].
pub fn read_entry<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Vec<u8>, FormatError> {
    let entry = archive.by_name(name).map_err(|e| FormatError::Zip(format!("entry {name:?}: {e}")))?;
    read_limited(entry, name, MAX_ENTRY_BYTES)
}

/// Reads at most `limit` bytes from an entry; more is an error (a zip bomb, or a lie in the header).
pub fn read_limited(entry: zip::read::ZipFile<'_, impl Read>, name: &str, limit: u64) -> Result<Vec<u8>, FormatError> {
    let declared = entry.size();
    if declared > limit {
        return Err(FormatError::Zip(format!(
            "entry {name:?} declares {declared} bytes, more than the {limit}-byte limit"
        )));
    }
    let mut out = Vec::with_capacity(declared.min(1 << 20) as usize);
    let read =
        entry.take(limit + 1).read_to_end(&mut out).map_err(|e| FormatError::Zip(format!("entry {name:?}: {e}")))?;
    if read as u64 > limit {
        return Err(FormatError::Zip(format!("entry {name:?} decompresses to more than the {limit}-byte limit")));
    }
    Ok(out)
}
