//! PyTorch Geometric `Data` lists, as the reference saves them with `torch.save`, turned into records.
//!
//! Two layouts exist: PyG ≥ 2 keeps the fields in `_store._mapping` (a `GlobalStorage`), PyG
//! 1.x in the object's own `__dict__` (with `__num_nodes__`). The fields used are `edge_index`
//! (2×E, row 0 the source), `node_atts` (the reference's op coding), `num_nodes`, and the
//! measurements `acc` (validation accuracy at 108 epochs, the training target), `test_acc` and
//! `training_time` where present.

use super::pickle::{Object, Pickle, PygClass, Value};
use super::torch::{TensorData, TorchFile};
use super::{FormatError, RecordError};
use crate::cell::Cell;
use crate::dataset::{Dataset, Record};
use crate::metrics::{MetricKey, Quantity};

/// Which metric each PyG field holds.
const METRIC_FIELDS: [(&str, MetricKey); 3] = [
    ("acc", MetricKey::VAL_ACC_108),
    ("test_acc", MetricKey::TEST_ACC_108),
    ("training_time", MetricKey::final_at(Quantity::TrainingTime, 108)),
];

/// Reads a `.pth` file (either torch format) holding a list of PyG `Data`, merged by hash.
pub fn dataset_from_pth(bytes: &[u8]) -> Result<Dataset, FormatError> {
    Ok(records_from_pth(bytes)?.into_iter().collect())
}

/// Reads a `.pth` file holding a list of PyG `Data`: one record per list item, in file order,
/// isomorphic duplicates included (the reference trains on the list as it is).
pub fn records_from_pth(bytes: &[u8]) -> Result<Vec<Record>, FormatError> {
    let file = TorchFile::from_bytes(bytes)?;
    let Some(items) = file.pickle.list(&file.pickle.value) else {
        let what = match file.pickle.object(&file.pickle.value) {
            Some(super::pickle::Object::Dict(_)) => "a dict (a state dict?)",
            _ => "something else",
        };
        return Err(FormatError::Torch(format!("the saved object is {what}, not a list of PyTorch Geometric Data")));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            record_of_data(&file, item).map_err(|error| FormatError::Torch(format!("Data #{index}: {error}")))
        })
        .collect()
}

/// The dict of fields of a `Data` object in either PyG layout.
fn fields_of<'a>(pickle: &'a Pickle, data: &Value) -> Result<&'a Value, RecordError> {
    let Some(Object::Instance { class: PygClass::Data, state: Some(state) }) = pickle.object(data) else {
        return Err(RecordError::NotPygData("not a PyTorch Geometric Data object"));
    };
    match pickle.get(state, "_store") {
        Some(store) => match pickle.object(store) {
            Some(Object::Instance { class: PygClass::GlobalStorage, state: Some(store_state) }) => {
                pickle.get(store_state, "_mapping").ok_or(RecordError::NotPygData("GlobalStorage without _mapping"))
            }
            _ => Err(RecordError::NotPygData("_store is not a GlobalStorage")),
        },
        None => Ok(state),
    }
}

fn record_of_data(file: &TorchFile, data: &Value) -> Result<Record, RecordError> {
    let pickle = &file.pickle;
    let fields = fields_of(pickle, data)?;
    let field = |name: &str| pickle.get(fields, name).filter(|v| **v != Value::None);
    let bad = |field: &str, problem: String| RecordError::PygField { field: field.to_owned(), problem };
    let tensor = |name: &str| -> Result<Option<(Vec<u64>, TensorData)>, RecordError> {
        match field(name) {
            None => Ok(None),
            Some(Value::Tensor(t)) => {
                let values = file
                    .tensor(t)
                    .map_err(|error| RecordError::Tensor { field: name.to_owned(), error: Box::new(error) })?;
                Ok(Some((t.size.clone(), values)))
            }
            Some(Value::Float(f)) => Ok(Some((vec![], TensorData::F64(vec![*f])))),
            Some(Value::Int(i)) => Ok(Some((vec![], TensorData::I64(vec![*i])))),
            Some(_) => Err(bad(name, "is neither a tensor nor a number".to_owned())),
        }
    };

    let node_atts = match tensor("node_atts")? {
        Some((_, TensorData::I64(values))) => values,
        Some(_) => return Err(bad("node_atts", "is not an integer tensor".to_owned())),
        None => return Err(RecordError::NotPygData("no node_atts")),
    };
    let edges = match tensor("edge_index")? {
        Some((size, TensorData::I64(values))) if size.len() == 2 && size[0] == 2 => {
            let count = size[1] as usize;
            (0..count).map(|e| (values[e], values[count + e])).collect::<Vec<_>>()
        }
        Some((size, _)) => return Err(bad("edge_index", format!("has shape {size:?}, expected [2, E] of integers"))),
        None => Vec::new(),
    };
    let stated_nodes = field("num_nodes").or_else(|| field("__num_nodes__"));
    if let Some(Value::Int(n)) = stated_nodes
        && *n != node_atts.len() as i64
    {
        return Err(bad("num_nodes", format!("is {n} but node_atts has {} entries", node_atts.len())));
    }
    let cell = Cell::from_node_atts(&node_atts, &edges)?;
    let mut record = Record::new(cell);
    for (name, key) in METRIC_FIELDS {
        match tensor(name)? {
            Some((_, TensorData::F64(values))) if values.len() == 1 => record.push_metric(key, values[0]),
            Some((_, TensorData::I64(values))) if values.len() == 1 => record.push_metric(key, values[0] as f64),
            Some((size, _)) => return Err(bad(name, format!("has shape {size:?}, expected one number"))),
            None => {}
        }
    }
    Ok(record)
}
