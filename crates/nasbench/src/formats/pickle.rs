//! A small, safe pickle reader for the files `torch.save` wrote in the reference.
//!
//! It understands the opcodes of protocols 2–4 that such files use and only the globals they
//! reference: torch's tensor rebuild and storage types, `collections.OrderedDict`, and the
//! PyTorch Geometric `Data` classes. Any other global is refused with an error naming it, and
//! nothing is ever called: "calling" an allowed global only builds a plain value here.
//!
//! Memory stays bounded by the input: every value on the stack or in the memo was pushed by at
//! least one input byte, shared values (tuples, strings) are reference-counted instead of
//! copied, and mutable containers live in an arena addressed by index, so back-references
//! (PyG's `_parent`) form no reference cycles.

use std::collections::HashMap;
use std::rc::Rc;

use super::FormatError;

/// The element type of a torch storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// 64-bit signed integers (`torch.LongStorage`).
    I64,
    /// 32-bit signed integers (`torch.IntStorage`).
    I32,
    /// Bytes (`torch.ByteStorage`).
    U8,
    /// Booleans (`torch.BoolStorage`).
    Bool,
    /// 32-bit floats (`torch.FloatStorage`).
    F32,
    /// 64-bit floats (`torch.DoubleStorage`).
    F64,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::I64 | Self::F64 => 8,
            Self::I32 | Self::F32 => 4,
            Self::U8 | Self::Bool => 1,
        }
    }
}

/// The globals these files may reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    /// `torch._utils._rebuild_tensor_v2`, which rebuilds a tensor from its storage.
    RebuildTensorV2,
    /// A `torch` storage class of this element type.
    Storage(DType),
    /// `collections.OrderedDict`.
    OrderedDict,
    /// A PyTorch Geometric class (`Data`, `GlobalStorage`, `DataEdgeAttr`, `DataTensorAttr`).
    Pyg(PygClass),
}

/// The PyTorch Geometric classes a reference dataset pickles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PygClass {
    /// `torch_geometric.data.Data`, one graph.
    Data,
    /// `torch_geometric.data.storage.GlobalStorage`, a graph's attributes.
    GlobalStorage,
    /// `torch_geometric.data.data.DataEdgeAttr`.
    DataEdgeAttr,
    /// `torch_geometric.data.data.DataTensorAttr`.
    DataTensorAttr,
}

impl Global {
    fn resolve(module: &str, name: &str) -> Option<Self> {
        Some(match (module, name) {
            ("torch._utils", "_rebuild_tensor_v2") => Self::RebuildTensorV2,
            ("torch", "LongStorage") => Self::Storage(DType::I64),
            ("torch", "IntStorage") => Self::Storage(DType::I32),
            ("torch", "ByteStorage") => Self::Storage(DType::U8),
            ("torch", "BoolStorage") => Self::Storage(DType::Bool),
            ("torch", "FloatStorage") => Self::Storage(DType::F32),
            ("torch", "DoubleStorage") => Self::Storage(DType::F64),
            ("collections", "OrderedDict") => Self::OrderedDict,
            ("torch_geometric.data.data", "Data") => Self::Pyg(PygClass::Data),
            ("torch_geometric.data.data", "DataEdgeAttr") => Self::Pyg(PygClass::DataEdgeAttr),
            ("torch_geometric.data.data", "DataTensorAttr") => Self::Pyg(PygClass::DataTensorAttr),
            ("torch_geometric.data.storage", "GlobalStorage") => Self::Pyg(PygClass::GlobalStorage),
            _ => return None,
        })
    }
}

/// A storage named by a persistent id: `('storage', StorageType, key, location, numel, …)`.
#[derive(Clone, Debug, PartialEq)]
pub struct StorageRef {
    /// The storage's key: the name of its file in the archive.
    pub key: Rc<str>,
    /// The element type.
    pub dtype: DType,
    /// Number of elements.
    pub numel: u64,
}

/// A tensor view on a storage, as `_rebuild_tensor_v2` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct TensorRef {
    /// The storage the tensor views.
    pub storage: StorageRef,
    /// The tensor's first element in the storage.
    pub offset: u64,
    /// The tensor's shape.
    pub size: Vec<u64>,
    /// Elements between neighbours along each dimension.
    pub stride: Vec<u64>,
}

/// An index into the [`Pickle`]'s arena of mutable objects.
pub type ObjectId = usize;

/// A value of the pickle machine.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Python's `None`.
    None,
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int` that fits `i64`.
    Int(i64),
    /// An integer too large for `i64`, as little-endian two's-complement bytes.
    BigInt(Rc<[u8]>),
    /// A Python `float`.
    Float(f64),
    /// A Python `str`.
    Str(Rc<str>),
    /// Python `bytes`.
    Bytes(Rc<[u8]>),
    /// A Python `tuple`.
    Tuple(Rc<Tuple>),
    /// An allowed global (a class or function the pickle names).
    Global(Global),
    /// A reference to a tensor storage.
    Storage(Box<StorageRef>),
    /// A tensor rebuilt from a storage.
    Tensor(Rc<TensorRef>),
    /// A list, dict or object in the arena.
    Object(ObjectId),
}

/// How deeply tuples may nest. Torch files nest three deep; a limit keeps dropping and comparing
/// values (which recurse) far from the end of the stack.
pub const MAX_TUPLE_DEPTH: u16 = 64;

/// An immutable tuple and how deeply it nests.
#[derive(Clone, Debug, PartialEq)]
pub struct Tuple {
    /// How deeply the tuple nests (1 for a tuple of no tuples).
    pub depth: u16,
    /// The tuple's items.
    pub items: Box<[Value]>,
}

impl std::ops::Deref for Tuple {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        &self.items
    }
}

/// A mutable object in the arena.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// A Python `list`.
    List(Vec<Value>),
    /// A Python `dict`, as key-value pairs in insertion order.
    Dict(Vec<(Value, Value)>),
    /// An instance of an allowed class, with the state that `BUILD` gave it.
    Instance {
        /// The instance's class.
        class: PygClass,
        /// Its state, once `BUILD` has set it.
        state: Option<Value>,
    },
}

/// The result of running one pickle: its value, the arena it refers to, and where it ended.
#[derive(Debug)]
pub struct Pickle {
    /// The pickle's value (the object on the stack at `STOP`).
    pub value: Value,
    /// The arena that [`Value::Object`] indexes.
    pub objects: Vec<Object>,
    /// The offset just past the `STOP` opcode.
    pub end: usize,
}

impl Pickle {
    /// The object a value refers to.
    pub fn object(&self, value: &Value) -> Option<&Object> {
        match value {
            Value::Object(id) => self.objects.get(*id),
            _ => None,
        }
    }

    /// The entries of a dict value.
    pub fn dict<'a>(&'a self, value: &Value) -> Option<&'a [(Value, Value)]> {
        match self.object(value)? {
            Object::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value of a string key in a dict value.
    pub fn get<'a>(&'a self, dict: &Value, key: &str) -> Option<&'a Value> {
        self.dict(dict)?.iter().find(|(k, _)| matches!(k, Value::Str(s) if &**s == key)).map(|(_, v)| v)
    }

    /// The items of a list value.
    pub fn list<'a>(&'a self, value: &Value) -> Option<&'a [Value]> {
        match self.object(value)? {
            Object::List(items) => Some(items),
            _ => None,
        }
    }
}

/// Runs the pickle that starts at `start` in `bytes`.
pub fn load(bytes: &[u8], start: usize) -> Result<Pickle, FormatError> {
    Machine {
        bytes,
        pos: start,
        op_start: start,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        objects: Vec::new(),
    }
    .run()
}

struct Machine<'a> {
    bytes: &'a [u8],
    pos: usize,
    op_start: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    objects: Vec<Object>,
}

type Step<T> = Result<T, FormatError>;

impl Machine<'_> {
    fn fail<T>(&self, message: impl Into<String>) -> Step<T> {
        Err(FormatError::Pickle { offset: self.op_start, message: message.into() })
    }

    fn take(&mut self, n: usize) -> Step<&[u8]> {
        if self.bytes.len() - self.pos < n {
            return self.fail(format!("truncated: needs {n} more bytes, {} left", self.bytes.len() - self.pos));
        }
        let slice = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Step<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Step<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Step<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Step<u64> {
        let mut word = [0u8; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(word))
    }

    fn length(&mut self, declared: u64) -> Step<usize> {
        let left = (self.bytes.len() - self.pos) as u64;
        if declared > left {
            return self.fail(format!("declares {declared} bytes but only {left} remain"));
        }
        Ok(declared as usize)
    }

    fn text(&mut self, n: usize) -> Step<Rc<str>> {
        let raw = self.take(n)?;
        match std::str::from_utf8(raw) {
            Ok(s) => Ok(Rc::from(s)),
            Err(_) => self.fail("string is not valid UTF-8"),
        }
    }

    fn line(&mut self) -> Step<String> {
        let rest = &self.bytes[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            return self.fail("unterminated line");
        };
        let line = String::from_utf8_lossy(&rest[..end]).into_owned();
        self.pos += end + 1;
        Ok(line)
    }

    fn push(&mut self, value: Value) {
        self.stack.push(value);
    }

    fn pop(&mut self) -> Step<Value> {
        match self.stack.pop() {
            Some(v) if self.marks.last().is_none_or(|&m| self.stack.len() >= m) => Ok(v),
            _ => self.fail("stack underflow"),
        }
    }

    fn top(&mut self) -> Step<&mut Value> {
        if self.marks.last().is_some_and(|&m| self.stack.len() <= m) {
            return self.fail("stack underflow");
        }
        match self.stack.last_mut() {
            Some(v) => Ok(v),
            None => Err(FormatError::Pickle { offset: self.op_start, message: "stack underflow".to_owned() }),
        }
    }

    fn pop_mark(&mut self) -> Step<Vec<Value>> {
        let Some(mark) = self.marks.pop() else {
            return self.fail("no MARK to pop to");
        };
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn tuple(&self, items: Vec<Value>) -> Step<Value> {
        let depth = 1 + items.iter().map(|v| if let Value::Tuple(t) = v { t.depth } else { 0 }).max().unwrap_or(0);
        if depth > MAX_TUPLE_DEPTH {
            return self.fail(format!("tuples nest more than {MAX_TUPLE_DEPTH} deep"));
        }
        Ok(Value::Tuple(Rc::new(Tuple { depth, items: items.into_boxed_slice() })))
    }

    fn new_object(&mut self, object: Object) -> Value {
        self.objects.push(object);
        Value::Object(self.objects.len() - 1)
    }

    fn memo_get(&mut self, key: u32) -> Step<()> {
        match self.memo.get(&key) {
            Some(v) => {
                let v = v.clone();
                self.push(v);
                Ok(())
            }
            None => self.fail(format!("memo key {key} was never stored")),
        }
    }

    fn memo_put(&mut self, key: u32) -> Step<()> {
        let value = self.top()?.clone();
        self.memo.insert(key, value);
        Ok(())
    }

    fn int_from_le(&self, raw: &[u8]) -> Value {
        if raw.is_empty() {
            return Value::Int(0);
        }
        if raw.len() <= 8 {
            let negative = raw[raw.len() - 1] & 0x80 != 0;
            let mut word = [if negative { 0xff } else { 0 }; 8];
            word[..raw.len()].copy_from_slice(raw);
            return Value::Int(i64::from_le_bytes(word));
        }
        Value::BigInt(Rc::from(raw))
    }

    fn append_to(&mut self, target: &Value, items: Vec<Value>) -> Step<()> {
        match target {
            Value::Object(id) => match self.objects.get_mut(*id) {
                Some(Object::List(list)) => {
                    list.extend(items);
                    Ok(())
                }
                _ => self.fail("APPEND to something that is not a list"),
            },
            _ => self.fail("APPEND to something that is not a list"),
        }
    }

    fn set_items(&mut self, target: &Value, items: Vec<Value>) -> Step<()> {
        if !items.len().is_multiple_of(2) {
            return self.fail("SETITEMS with an odd number of values");
        }
        let Value::Object(id) = target else {
            return self.fail("SETITEM on something that is not a dict");
        };
        let Some(Object::Dict(dict)) = self.objects.get_mut(*id) else {
            return self.fail("SETITEM on something that is not a dict");
        };
        let mut items = items.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            match dict.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => dict.push((key, value)),
            }
        }
        Ok(())
    }

    fn call(&mut self, callable: Value, args: Value) -> Step<Value> {
        let Value::Tuple(args) = args else {
            return self.fail("REDUCE arguments are not a tuple");
        };
        match callable {
            Value::Global(Global::OrderedDict) if args.is_empty() => Ok(self.new_object(Object::Dict(Vec::new()))),
            Value::Global(Global::RebuildTensorV2) => self.rebuild_tensor(&args),
            Value::Global(global) => self.fail(format!("refusing to call {global:?} with these arguments")),
            _ => self.fail("REDUCE on something that is not an allowed global"),
        }
    }

    fn rebuild_tensor(&self, args: &[Value]) -> Step<Value> {
        let (
            Some(Value::Storage(storage)),
            Some(Value::Int(offset)),
            Some(Value::Tuple(size)),
            Some(Value::Tuple(stride)),
        ) = (args.first(), args.get(1), args.get(2), args.get(3))
        else {
            return self.fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, …)");
        };
        let dims = |values: &[Value]| -> Option<Vec<u64>> {
            values.iter().map(|v| if let Value::Int(i) = v { u64::try_from(*i).ok() } else { None }).collect()
        };
        let (Some(size), Some(stride), Ok(offset)) = (dims(size), dims(stride), u64::try_from(*offset)) else {
            return self.fail("tensor offset, size and stride must be non-negative integers");
        };
        if size.len() != stride.len() {
            return self.fail("tensor size and stride differ in length");
        }
        Ok(Value::Tensor(Rc::new(TensorRef { storage: (**storage).clone(), offset, size, stride })))
    }

    fn persistent_load(&self, pid: Value) -> Step<Value> {
        let Value::Tuple(fields) = pid else {
            return self.fail("persistent id is not a tuple");
        };
        match (fields.first(), fields.get(1), fields.get(2), fields.get(4)) {
            (
                Some(Value::Str(tag)),
                Some(Value::Global(Global::Storage(dtype))),
                Some(Value::Str(key)),
                Some(Value::Int(numel)),
            ) if &**tag == "storage" && *numel >= 0 => {
                Ok(Value::Storage(Box::new(StorageRef { key: key.clone(), dtype: *dtype, numel: *numel as u64 })))
            }
            _ => self.fail("persistent id is not ('storage', StorageType, key, location, numel, …)"),
        }
    }

    fn run(mut self) -> Result<Pickle, FormatError> {
        loop {
            self.op_start = self.pos;
            let opcode = self.u8()?;
            match opcode {
                0x80 => {
                    let protocol = self.u8()?;
                    if protocol > 5 {
                        return self.fail(format!("unsupported pickle protocol {protocol}"));
                    }
                }
                0x95 => {
                    self.u64()?; // FRAME: a length hint only
                }
                b'.' => {
                    let value = self.pop()?;
                    return Ok(Pickle { value, objects: self.objects, end: self.pos });
                }
                b'(' => self.marks.push(self.stack.len()),
                b'N' => self.push(Value::None),
                0x88 => self.push(Value::Bool(true)),
                0x89 => self.push(Value::Bool(false)),
                b'J' => {
                    let v = self.u32()? as i32;
                    self.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(Value::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.u16()?;
                    self.push(Value::Int(i64::from(v)));
                }
                0x8a => {
                    let n = self.u8()? as usize;
                    let raw = self.take(n)?.to_vec();
                    let v = self.int_from_le(&raw);
                    self.push(v);
                }
                0x8b => {
                    let declared = self.u32()?;
                    let n = self.length(u64::from(declared))?;
                    let raw = self.take(n)?.to_vec();
                    let v = self.int_from_le(&raw);
                    self.push(v);
                }
                b'G' => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(self.take(8)?);
                    self.push(Value::Float(f64::from_be_bytes(word)));
                }
                b'X' => {
                    let declared = self.u32()?;
                    let n = self.length(u64::from(declared))?;
                    let s = self.text(n)?;
                    self.push(Value::Str(s));
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let s = self.text(n)?;
                    self.push(Value::Str(s));
                }
                0x8d => {
                    let declared = self.u64()?;
                    let n = self.length(declared)?;
                    let s = self.text(n)?;
                    self.push(Value::Str(s));
                }
                b'T' | b'B' => {
                    let declared = self.u32()?;
                    let n = self.length(u64::from(declared))?;
                    let raw: Rc<[u8]> = Rc::from(self.take(n)?);
                    self.push(Value::Bytes(raw));
                }
                b'U' | b'C' => {
                    let n = self.u8()? as usize;
                    let raw: Rc<[u8]> = Rc::from(self.take(n)?);
                    self.push(Value::Bytes(raw));
                }
                b')' => {
                    let v = self.tuple(Vec::new())?;
                    self.push(v);
                }
                b't' => {
                    let items = self.pop_mark()?;
                    let v = self.tuple(items)?;
                    self.push(v);
                }
                0x85..=0x87 => {
                    let n = (opcode - 0x84) as usize;
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    let v = self.tuple(items)?;
                    self.push(v);
                }
                b']' => {
                    let v = self.new_object(Object::List(Vec::new()));
                    self.push(v);
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    let v = self.new_object(Object::List(items));
                    self.push(v);
                }
                b'}' => {
                    let v = self.new_object(Object::Dict(Vec::new()));
                    self.push(v);
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let v = self.new_object(Object::Dict(Vec::new()));
                    self.set_items(&v, items)?;
                    self.push(v);
                }
                b'a' => {
                    let item = self.pop()?;
                    let target = self.top()?.clone();
                    self.append_to(&target, vec![item])?;
                }
                b'e' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    self.append_to(&target, items)?;
                }
                b's' => {
                    let value = self.pop()?;
                    let key = self.pop()?;
                    let target = self.top()?.clone();
                    self.set_items(&target, vec![key, value])?;
                }
                b'u' => {
                    let items = self.pop_mark()?;
                    let target = self.top()?.clone();
                    self.set_items(&target, items)?;
                }
                b'q' => {
                    let key = self.u8()?;
                    self.memo_put(u32::from(key))?;
                }
                b'r' => {
                    let key = self.u32()?;
                    self.memo_put(key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u32;
                    self.memo_put(key)?;
                }
                b'h' => {
                    let key = self.u8()?;
                    self.memo_get(u32::from(key))?;
                }
                b'j' => {
                    let key = self.u32()?;
                    self.memo_get(key)?;
                }
                b'p' | b'g' => {
                    let line = self.line()?;
                    let Ok(key) = line.trim().parse::<u32>() else {
                        return self.fail(format!("bad memo key {line:?}"));
                    };
                    if opcode == b'p' { self.memo_put(key)? } else { self.memo_get(key)? }
                }
                b'0' => {
                    self.pop()?;
                }
                b'1' => {
                    self.pop_mark()?;
                }
                b'2' => {
                    let v = self.top()?.clone();
                    self.push(v);
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push_global(&module, &name)?;
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    let (Value::Str(module), Value::Str(name)) = (module, name) else {
                        return self.fail("STACK_GLOBAL needs two strings");
                    };
                    self.push_global(&module, &name)?;
                }
                b'R' => {
                    let args = self.pop()?;
                    let callable = self.pop()?;
                    let v = self.call(callable, args)?;
                    self.push(v);
                }
                0x81 => {
                    let args = self.pop()?;
                    let class = self.pop()?;
                    match (class, args) {
                        (Value::Global(Global::Pyg(class)), Value::Tuple(args)) if args.is_empty() => {
                            let v = self.new_object(Object::Instance { class, state: None });
                            self.push(v);
                        }
                        (Value::Global(Global::OrderedDict), Value::Tuple(args)) if args.is_empty() => {
                            let v = self.new_object(Object::Dict(Vec::new()));
                            self.push(v);
                        }
                        _ => {
                            return self.fail("NEWOBJ is only allowed for PyTorch Geometric classes without arguments");
                        }
                    }
                }
                b'b' => {
                    let state = self.pop()?;
                    let target = self.top()?.clone();
                    match target {
                        Value::Object(id) => match self.objects.get_mut(id) {
                            Some(Object::Instance { state: slot, .. }) => *slot = Some(state),
                            // A state dict's OrderedDict gets its `_metadata` attribute this way;
                            // attributes of dicts carry nothing we read.
                            Some(Object::Dict(_)) => {}
                            _ => return self.fail("BUILD on something that is not an object"),
                        },
                        _ => return self.fail("BUILD on something that is not an object"),
                    }
                }
                b'Q' => {
                    let pid = self.pop()?;
                    let v = self.persistent_load(pid)?;
                    self.push(v);
                }
                b'P' => return self.fail("text persistent ids (PERSID) are not used by torch.save"),
                other => return self.fail(format!("unsupported opcode 0x{other:02x}")),
            }
        }
    }

    fn push_global(&mut self, module: &str, name: &str) -> Step<()> {
        match Global::resolve(module.trim(), name.trim()) {
            Some(global) => {
                self.push(Value::Global(global));
                Ok(())
            }
            None => self.fail(format!(
                "refusing global {}.{}: only torch tensors, OrderedDict and PyTorch Geometric Data are allowed",
                module.trim(),
                name.trim()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Result<Pickle, FormatError> {
        load(bytes, 0)
    }

    #[test]
    fn reads_the_sys_info_dict_of_a_legacy_file() {
        // pickle.dumps({'protocol_version': 1001, 'little_endian': True}, protocol=2)
        let bytes =
            b"\x80\x02}q\x00(X\x10\x00\x00\x00protocol_versionq\x01M\xe9\x03X\x0d\x00\x00\x00little_endianq\x02\x88u.";
        let pickle = run(bytes).unwrap();
        assert_eq!(pickle.get(&pickle.value, "protocol_version"), Some(&Value::Int(1001)));
        assert_eq!(pickle.get(&pickle.value, "little_endian"), Some(&Value::Bool(true)));
        assert_eq!(pickle.end, bytes.len());
    }

    #[test]
    fn big_and_negative_longs() {
        let magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.";
        assert!(matches!(run(magic).unwrap().value, Value::BigInt(ref raw) if raw.len() == 10));
        assert_eq!(run(b"\x80\x02\x8a\x01\xff.").unwrap().value, Value::Int(-1));
        assert_eq!(run(b"\x80\x02J\xfe\xff\xff\xff.").unwrap().value, Value::Int(-2));
    }

    #[test]
    fn refuses_code_execution_globals() {
        // pickle.dumps of os.system('echo pwned') in protocol 2 and protocol 0 style.
        let os_system = b"\x80\x02cposix\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.";
        let error = run(os_system).unwrap_err().to_string();
        assert!(error.contains("refusing global posix.system"), "{error}");
        let eval = b"cbuiltins\neval\n(S'1+1'\ntR.";
        assert!(run(eval).unwrap_err().to_string().contains("refusing global builtins.eval"));
        let stack_global = b"\x80\x04\x8c\x02os\x8c\x06system\x93.";
        assert!(run(stack_global).unwrap_err().to_string().contains("refusing global os.system"));
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let cases: [&[u8]; 10] = [
            b"",
            b"\x80\x02",
            b"\x80\x02X\xff\xff\xff\xff",
            b"\x80\x02h\x05.",
            b"\x80\x02t.",
            b"\x80\x02a.",
            b"\x80\x02\x8b\xff\xff\xff\x7f",
            b"\x80\x02K\x01K\x02R.",
            b"\x80\x02\xff",
            b"\x80\x02(K\x01u.",
        ];
        for case in cases {
            assert!(run(case).is_err(), "{case:?}");
        }
    }

    #[test]
    fn deeply_nested_tuples_are_refused_not_a_stack_overflow() {
        let mut bytes = b"\x80\x02N".to_vec();
        bytes.extend(std::iter::repeat_n(0x85u8, 200_000));
        bytes.push(b'.');
        let error = run(&bytes).unwrap_err().to_string();
        assert!(error.contains("nest more than 64 deep"), "{error}");
        let mut ok = b"\x80\x02N".to_vec();
        ok.extend(std::iter::repeat_n(0x85u8, 64));
        ok.push(b'.');
        assert!(matches!(run(&ok).unwrap().value, Value::Tuple(ref t) if t.depth == 64));
    }

    #[test]
    fn shared_memo_values_are_not_copied_per_reference() {
        // A 4-tuple memoised once and fetched 100,000 times stays one allocation.
        let mut bytes = b"\x80\x02(K\x01K\x02K\x03K\x04tq\x00".to_vec();
        bytes.push(b'(');
        for _ in 0..100_000 {
            bytes.extend_from_slice(b"h\x00");
        }
        bytes.extend_from_slice(b"l.");
        let pickle = run(&bytes).unwrap();
        let items = pickle.list(&pickle.value).unwrap();
        assert_eq!(items.len(), 100_000);
        let (Value::Tuple(a), Value::Tuple(b)) = (&items[0], &items[99_999]) else { panic!("tuples expected") };
        assert!(Rc::ptr_eq(a, b));
    }
}
