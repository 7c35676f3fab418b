//! `vsgae.Cell`, `vsgae.Cells`, `vsgae.read_cells` and `vsgae.space`: NAS-Bench-101 cells one
//! at a time and in bulk, with numpy arrays in and out.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use nasbench::{Cell, MAX_VERTICES, MetricKey, Op};
use numpy::{PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PySequence, PySlice};

use crate::errors::{Error, Result};

/// NAS-Bench-101's op names; a cell's ops as numbers are indices into this list.
pub const OPS: [Op; 5] = [Op::Input, Op::Conv1x1, Op::Conv3x3, Op::MaxPool3x3, Op::Output];

/// An op's number in [`OPS`].
fn op_code(op: Op) -> i64 {
    OPS.iter().position(|&o| o == op).map_or(-1, |k| k as i64)
}

/// A valid, pruned NAS-Bench-101 cell.
#[pyclass(module = "vsgae", name = "Cell", frozen, eq, hash)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyCell(pub Cell);

#[pymethods]
impl PyCell {
    #[new]
    #[pyo3(signature = (adjacency, ops, *, prune = false))]
    fn new(adjacency: &Bound<'_, PyAny>, ops: &Bound<'_, PyAny>, prune: bool) -> PyResult<Self> {
        let matrix = adjacency_matrix(adjacency)?;
        let ops = op_names(ops)?;
        let cell = if prune { Cell::from_spec(&matrix, &ops) } else { Cell::new(&matrix, &ops) };
        Ok(Self(cell.map_err(Error::from)?))
    }

    /// A cell written as `adjacency rows | ops`, e.g. `011,001,000 | input,conv3x3-bn-relu,output`.
    #[staticmethod]
    fn parse(text: &str) -> PyResult<Self> {
        nasbench::parse_line(text).map(Self).map_err(|e| Error::BadInput(format!("{text:?}: {e}")).into())
    }

    /// The official NAS-Bench-101 hash (32 hex digits).
    #[pyo3(name = "hash")]
    fn official_hash(&self) -> String {
        self.0.hash().to_string()
    }

    /// The adjacency matrix, `(n, n)` of 0/1 for a cell of `n` vertices.
    #[getter]
    fn adjacency<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<u8>>> {
        let n = self.0.n_vertices();
        let mut values = vec![0u8; n * n];
        for (from, to) in self.0.edges() {
            values[from * n + to] = 1;
        }
        PyArray1::from_vec(py, values).reshape([n, n])
    }

    #[getter]
    fn ops(&self) -> Vec<&'static str> {
        self.0.ops().iter().map(|op| op.name()).collect()
    }

    #[getter]
    fn num_vertices(&self) -> usize {
        self.0.n_vertices()
    }

    #[getter]
    fn num_edges(&self) -> usize {
        self.0.n_edges()
    }

    fn __str__(&self) -> String {
        format!("{} | {}", self.0.adjacency_rows_string(), self.0.operations_string(","))
    }

    fn __repr__(&self) -> String {
        format!("Cell.parse({:?})", self.__str__())
    }
}

/// Many cells, with the accuracies their file gave where it gave them.
#[pyclass(module = "vsgae", name = "Cells", frozen, sequence)]
#[derive(Debug, Clone, Default)]
pub struct PyCells {
    pub cells: Arc<Vec<Cell>>,
    /// One per cell (NaN where a cell has none), or none at all.
    pub accuracies: Option<Arc<Vec<f64>>>,
}

impl PyCells {
    pub fn new(cells: Vec<Cell>) -> Self {
        Self { cells: Arc::new(cells), accuracies: None }
    }
}

#[pymethods]
impl PyCells {
    #[new]
    #[pyo3(signature = (cells = None))]
    fn from_sequence(cells: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(match cells {
            Some(cells) => Self::new(cells_argument(cells)?),
            None => Self::default(),
        })
    }

    /// Cells from numpy arrays: `adjacency` `(N, 7, 7)` of 0/1 and `ops` `(N, 7)` of indices
    /// into `vsgae.OPS`, −1 past a cell's last vertex.
    #[staticmethod]
    fn from_arrays(adjacency: &Bound<'_, PyAny>, ops: &Bound<'_, PyAny>) -> PyResult<Self> {
        let adjacency = integer_array(adjacency, "adjacency", "uint8")?;
        let adjacency: PyReadonlyArray3<'_, u8> = adjacency.extract().map_err(|_| {
            Error::BadInput(format!("adjacency: expected a (N, 7, 7) array, found {} dimensions", ndim(&adjacency)))
        })?;
        let ops = integer_array(ops, "ops", "int64")?;
        let ops: PyReadonlyArray2<'_, i64> = ops
            .extract()
            .map_err(|_| Error::BadInput(format!("ops: expected a (N, 7) array, found {} dimensions", ndim(&ops))))?;
        let [n, rows, cols] = <[usize; 3]>::try_from(adjacency.shape()).unwrap_or_default();
        let [n_ops, width] = <[usize; 2]>::try_from(ops.shape()).unwrap_or_default();
        if rows != MAX_VERTICES || cols != MAX_VERTICES || width != MAX_VERTICES || n != n_ops {
            return Err(Error::BadInput(format!(
                "expected adjacency (N, 7, 7) and ops (N, 7), found {:?} and {:?}",
                adjacency.shape(),
                ops.shape()
            ))
            .into());
        }
        let adjacency = adjacency.as_slice().map_err(|e| Error::BadInput(format!("adjacency: {e}")))?;
        let ops = ops.as_slice().map_err(|e| Error::BadInput(format!("ops: {e}")))?;
        let cells = (0..n)
            .map(|i| {
                cell_from_padded(
                    i,
                    &adjacency[i * MAX_VERTICES * MAX_VERTICES..(i + 1) * MAX_VERTICES * MAX_VERTICES],
                    &ops[i * MAX_VERTICES..(i + 1) * MAX_VERTICES],
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self::new(cells))
    }

    fn __len__(&self) -> usize {
        self.cells.len()
    }

    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = index.cast::<PySlice>() {
            let indices = slice.indices(self.cells.len() as isize)?;
            let picked: Vec<usize> =
                (0..indices.slicelength).map(|k| (indices.start + k as isize * indices.step) as usize).collect();
            let cells = picked.iter().map(|&i| self.cells[i]).collect();
            let accuracies = self.accuracies.as_ref().map(|a| Arc::new(picked.iter().map(|&i| a[i]).collect()));
            return Ok(Self { cells: Arc::new(cells), accuracies }.into_pyobject(py)?.into_any().unbind());
        }
        let k: isize = index
            .extract()
            .map_err(|_| Error::BadInput(format!("Cells indices are integers or slices, not {}", type_name(index))))?;
        let n = self.cells.len() as isize;
        let i = if k < 0 { k + n } else { k };
        if !(0..n).contains(&i) {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!("cell {k} of {n}")));
        }
        Ok(PyCell(self.cells[i as usize]).into_pyobject(py)?.into_any().unbind())
    }

    /// Adjacency matrices `(N, 7, 7)` of 0/1, zero past each cell's last vertex.
    #[getter]
    fn adjacency<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let mut values = vec![0u8; self.cells.len() * MAX_VERTICES * MAX_VERTICES];
        for (cell, matrix) in self.cells.iter().zip(values.chunks_mut(MAX_VERTICES * MAX_VERTICES)) {
            for (from, to) in cell.edges() {
                matrix[from * MAX_VERTICES + to] = 1;
            }
        }
        PyArray1::from_vec(py, values).reshape([self.cells.len(), MAX_VERTICES, MAX_VERTICES])
    }

    /// Ops `(N, 7)` as indices into `vsgae.OPS`, −1 past each cell's last vertex.
    #[getter]
    fn ops<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<i64>>> {
        let mut values = vec![-1i64; self.cells.len() * MAX_VERTICES];
        for (cell, row) in self.cells.iter().zip(values.chunks_mut(MAX_VERTICES)) {
            for (slot, &op) in row.iter_mut().zip(cell.ops()) {
                *slot = op_code(op);
            }
        }
        PyArray1::from_vec(py, values).reshape([self.cells.len(), MAX_VERTICES])
    }

    /// The accuracies read with the cells (NaN for a cell without one), or None.
    #[getter]
    fn accuracies<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.accuracies.as_ref().map(|a| PyArray1::from_slice(py, a))
    }

    /// Each cell's official hash.
    fn hashes(&self) -> Vec<String> {
        self.cells.iter().map(|c| c.hash().to_string()).collect()
    }

    fn __repr__(&self) -> String {
        let with = if self.accuracies.is_some() { ", with accuracies" } else { "" };
        format!("<vsgae.Cells: {} cells{with}>", self.cells.len())
    }
}

/// Reads every cell of a file in any format the CLI reads, with the metric's values.
#[pyfunction]
#[pyo3(signature = (path, metric = "val_acc_108"))]
pub fn read_cells(py: Python<'_>, path: PathBuf, metric: &str) -> PyResult<PyCells> {
    let key: MetricKey = metric.parse().map_err(|e| Error::BadInput(format!("metric {metric:?}: {e}")))?;
    let dataset = crate::errors::detached(py, || Ok(nasbench::formats::read_file(&path)?.1))?;
    let records = dataset.records();
    let cells: Vec<Cell> = records.iter().map(|r| r.cell).collect();
    let accuracies: Vec<f64> = records.iter().map(|r| r.mean(key).unwrap_or(f64::NAN)).collect();
    let any = accuracies.iter().any(|a| !a.is_nan());
    Ok(PyCells { cells: Arc::new(cells), accuracies: any.then(|| Arc::new(accuracies)) })
}

/// Every cell of NAS-Bench-101's search space (423,624), in the app's order.
#[pyfunction]
pub fn space(py: Python<'_>) -> PyResult<PyCells> {
    static SPACE: OnceLock<Arc<Vec<Cell>>> = OnceLock::new();
    let cells = py.detach(|| {
        SPACE.get_or_init(|| Arc::new(nasbench::space::enumerate_space().iter().map(|c| c.cell).collect())).clone()
    });
    Ok(PyCells { cells, accuracies: None })
}

/// The cells an argument names: `Cells`, one `Cell`, or a sequence of `Cell`.
pub fn cells_argument(value: &Bound<'_, PyAny>) -> Result<Vec<Cell>> {
    if let Ok(cells) = value.cast::<PyCells>() {
        return Ok(cells.get().cells.as_ref().clone());
    }
    if let Ok(cell) = value.cast::<PyCell>() {
        return Ok(vec![cell.get().0]);
    }
    let wrong = || {
        Error::BadInput(format!(
            "cells: expected vsgae.Cells, a vsgae.Cell or a sequence of vsgae.Cell, found {}",
            type_name(value)
        ))
    };
    let sequence = value.cast::<PySequence>().map_err(|_| wrong())?;
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Err(wrong());
    }
    let mut cells = Vec::with_capacity(sequence.len().unwrap_or(0));
    for (k, item) in value.try_iter().map_err(|_| wrong())?.enumerate() {
        let item = item.map_err(|e| Error::BadInput(format!("cells: item {k}: {e}")))?;
        let cell = item
            .cast::<PyCell>()
            .map_err(|_| Error::BadInput(format!("cells: item {k} is {}, not a vsgae.Cell", type_name(&item))))?;
        cells.push(cell.get().0);
    }
    Ok(cells)
}

/// The name of a value's type, for messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value.get_type().name().map_or_else(|_| "an unknown type".to_owned(), |n| n.to_string())
}

fn ndim(value: &Bound<'_, PyAny>) -> String {
    value.getattr("ndim").map_or_else(|_| "an unknown number of".to_owned(), |n| n.to_string())
}

/// A 0/1 matrix from nested lists or a numpy array.
fn adjacency_matrix(value: &Bound<'_, PyAny>) -> Result<Vec<Vec<u8>>> {
    let wrong = |found: String| {
        Error::BadInput(format!("adjacency: expected a square 0/1 matrix (nested lists or a numpy array), {found}"))
    };
    let rows: Vec<Vec<f64>> = value.extract().map_err(|_| wrong(format!("found {}", type_name(value))))?;
    if rows.len() > MAX_VERTICES {
        return Err(nasbench::CellError::TooManyVertices(rows.len()).into());
    }
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .map(|(j, &v)| match v {
                    0.0 => Ok(0),
                    1.0 => Ok(1),
                    _ => Err(wrong(format!("found {v} at ({i}, {j})"))),
                })
                .collect()
        })
        .collect()
}

/// Op names (`vsgae.OPS`) from a sequence of strings.
fn op_names(value: &Bound<'_, PyAny>) -> Result<Vec<Op>> {
    if value.is_instance_of::<pyo3::types::PyString>() {
        return Err(Error::BadInput("ops: expected a list of op names, found one string".to_owned()));
    }
    let names: Vec<String> = value
        .extract()
        .map_err(|_| Error::BadInput(format!("ops: expected a list of op names, found {}", type_name(value))))?;
    names.iter().map(|name| name.parse::<Op>().map_err(|e| Error::BadInput(format!("ops: {e}")))).collect()
}

/// `value` as a C-contiguous numpy array of `dtype`, if it holds integers or booleans.
fn integer_array<'py>(value: &Bound<'py, PyAny>, name: &str, dtype: &str) -> Result<Bound<'py, PyAny>> {
    let failed = |e: PyErr| Error::BadInput(format!("{name}: {e}"));
    let numpy = value.py().import("numpy").map_err(failed)?;
    let array = numpy.call_method1("asarray", (value,)).map_err(failed)?;
    let kind: String =
        array.getattr("dtype").and_then(|d| d.getattr("kind")).and_then(|k| k.extract()).map_err(failed)?;
    if !matches!(kind.as_str(), "b" | "i" | "u") {
        return Err(Error::BadInput(format!("{name}: expected integers or booleans, found dtype kind {kind:?}")));
    }
    numpy.call_method1("ascontiguousarray", (array, dtype)).map_err(failed)
}

/// Cell `index` of the padded arrays: rows of 7 and ops with −1 past the last vertex; errors
/// name the cell.
fn cell_from_padded(index: usize, adjacency: &[u8], ops: &[i64]) -> Result<Cell> {
    let bad = |message: String| Error::BadInput(format!("cell {index}: {message}"));
    let n = ops.iter().take_while(|&&code| code >= 0).count();
    if ops[n..].iter().any(|&code| code >= 0) {
        return Err(bad("ops: −1 must only pad after the last vertex".to_owned()));
    }
    let ops: Vec<Op> = ops[..n]
        .iter()
        .map(|&code| {
            usize::try_from(code)
                .ok()
                .and_then(|k| OPS.get(k).copied())
                .ok_or_else(|| bad(format!("op code {code} is not an index into vsgae.OPS")))
        })
        .collect::<Result<_>>()?;
    for (k, &v) in adjacency.iter().enumerate() {
        let (row, col) = (k / MAX_VERTICES, k % MAX_VERTICES);
        if v > 1 {
            return Err(bad(format!("adjacency entry ({row}, {col}) is {v}, expected 0 or 1")));
        }
        if v == 1 && (row >= n || col >= n) {
            return Err(bad(format!("edge {row}→{col} reaches past the cell's {n} vertices")));
        }
    }
    let matrix: Vec<Vec<u8>> =
        (0..n).map(|row| adjacency[row * MAX_VERTICES..row * MAX_VERTICES + n].to_vec()).collect();
    Cell::new(&matrix, &ops).map_err(|e| bad(e.to_string()))
}
