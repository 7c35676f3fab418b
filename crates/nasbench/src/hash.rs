//! nasbench's official module hash (`graph_util.hash_module`), bit for bit.

use std::fmt;
use std::str::FromStr;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::cell::{Cell, MAX_VERTICES};

/// The official NAS-Bench-101 hash of a cell: 16 bytes, shown as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleHash(pub [u8; 16]);

/// A string that is not 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a module hash (32 hex digits)")]
pub struct BadHash(pub String);

type Hex = [u8; 32];

fn md5_hex(bytes: &[u8]) -> Hex {
    hex_of(&Md5::digest(bytes).into())
}

fn hex_of(digest: &[u8; 16]) -> Hex {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, byte) in digest.iter().enumerate() {
        out[2 * i] = DIGITS[(byte >> 4) as usize];
        out[2 * i + 1] = DIGITS[(byte & 15) as usize];
    }
    out
}

impl Cell {
    /// The official hash: the same as nasbench's `hash_module(matrix, labeling)`.
    ///
    /// Each vertex starts as the MD5 of the Python tuple string `(out_degree, in_degree, label)`.
    /// Then, as many times as there are vertices, each vertex is re-hashed from its sorted
    /// in-neighbour hashes, `|`, its sorted out-neighbour hashes, `|`, and its own hash. The
    /// cell's hash is the MD5 of the Python repr of the sorted vertex hashes.
    pub fn hash(&self) -> ModuleHash {
        let n = self.n_vertices();
        let in_degrees = self.in_degrees();
        let mut hashes = [[0u8; 32]; MAX_VERTICES];
        let mut text = String::with_capacity(16);
        for (v, hash) in hashes.iter_mut().enumerate().take(n) {
            use std::fmt::Write as _;
            text.clear();
            let out_degree = self.rows()[v].count_ones();
            // Writing to a String cannot fail.
            let _ = write!(text, "({}, {}, {})", out_degree, in_degrees[v], self.ops()[v].hash_label());
            *hash = md5_hex(text.as_bytes());
        }

        let mut message = Vec::with_capacity(32 * (2 * MAX_VERTICES + 1) + 2);
        let mut neighbours: Vec<Hex> = Vec::with_capacity(MAX_VERTICES);
        for _ in 0..n {
            let mut next = [[0u8; 32]; MAX_VERTICES];
            for (v, next_hash) in next.iter_mut().enumerate().take(n) {
                message.clear();
                neighbours.clear();
                neighbours.extend((0..n).filter(|&w| self.has_edge(w, v)).map(|w| hashes[w]));
                neighbours.sort_unstable();
                neighbours.iter().for_each(|h| message.extend_from_slice(h));
                message.push(b'|');
                neighbours.clear();
                neighbours.extend((0..n).filter(|&w| self.has_edge(v, w)).map(|w| hashes[w]));
                neighbours.sort_unstable();
                neighbours.iter().for_each(|h| message.extend_from_slice(h));
                message.push(b'|');
                message.extend_from_slice(&hashes[v]);
                *next_hash = md5_hex(&message);
            }
            hashes = next;
        }

        let mut sorted = hashes[..n].to_vec();
        sorted.sort_unstable();
        // Python's str() of a list of str: ['a', 'b', ...]
        message.clear();
        message.push(b'[');
        for (i, h) in sorted.iter().enumerate() {
            if i > 0 {
                message.extend_from_slice(b", ");
            }
            message.push(b'\'');
            message.extend_from_slice(h);
            message.push(b'\'');
        }
        message.push(b']');
        ModuleHash(Md5::digest(&message).into())
    }
}

impl ModuleHash {
    /// The 32 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ModuleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = hex_of(&self.0);
        // The digits are ASCII by construction.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for ModuleHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleHash({self})")
    }
}

impl FromStr for ModuleHash {
    type Err = BadHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || BadHash(s.to_owned());
        if text.len() != 32 || !text.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

impl Serialize for ModuleHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModuleHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{parse_adjacency_rows, parse_operations};

    #[test]
    fn inception_like_cell_of_the_nasbench_readme() {
        let matrix = parse_adjacency_rows("0111010,0000001,0000001,0000100,0000001,0000001,0000000").unwrap();
        let ops =
            parse_operations("input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output")
                .unwrap();
        let cell = Cell::new(&matrix, &ops).unwrap();
        assert_eq!(cell.hash().to_string(), "28cfc7874f6d200472e1a9dcd8650aa0");
    }

    #[test]
    fn isomorphic_cells_share_a_hash_and_labels_matter() {
        let ops = parse_operations("input|conv1x1-bn-relu|maxpool3x3|output").unwrap();
        let swapped = parse_operations("input|maxpool3x3|conv1x1-bn-relu|output").unwrap();
        let diamond = parse_adjacency_rows("0110,0001,0001,0000").unwrap();
        let a = Cell::new(&diamond, &ops).unwrap();
        let b = Cell::new(&diamond, &swapped).unwrap();
        assert_eq!(a.hash(), b.hash());
        let chain = parse_adjacency_rows("0100,0010,0001,0000").unwrap();
        let c = Cell::new(&chain, &ops).unwrap();
        let d = Cell::new(&chain, &swapped).unwrap();
        assert_ne!(c.hash(), d.hash());
        assert_ne!(a.hash(), c.hash());
    }

    #[test]
    fn hex_round_trip_and_bad_text() {
        let hash: ModuleHash = "28cfc7874f6d200472e1a9dcd8650aa0".parse().unwrap();
        assert_eq!(hash.to_hex(), "28cfc7874f6d200472e1a9dcd8650aa0");
        assert!("28cfc7874f6d200472e1a9dcd8650aa".parse::<ModuleHash>().is_err());
        assert!("zzcfc7874f6d200472e1a9dcd8650aa0".parse::<ModuleHash>().is_err());
        assert!("é8cfc7874f6d200472e1a9dcd8650aa".parse::<ModuleHash>().is_err());
    }
}
