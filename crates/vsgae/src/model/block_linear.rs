//! A linear layer over an input laid out in blocks of columns, some of which repeat the rows of
//! a smaller table.
//!
//! The decoder's edge head reads, for every candidate edge, the candidate's state beside the new
//! node's state, the graph vector and the latent, each repeated over the step's candidates. The
//! map of the joined input is the sum of each block's map, so a repeated block can be mapped once
//! per table row and its rows picked afterwards: fewer multiplications, the same value up to
//! rounding.

use burn::nn::Linear;
use burn::tensor::module::linear;
use burn::tensor::{Device, Int, Tensor};

/// One block of columns of a [`Linear`]'s input.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant, reason = "a few blocks per call, each moved once")]
pub enum InputBlock {
    /// Every row, `[rows, width]`.
    Rows(Tensor<2>),
    /// Row `i` is row `rows[i]` of `table` (`[table rows, width]`; `rows`: `[rows]`).
    Selected {
        /// The distinct rows.
        table: Tensor<2>,
        /// Which row of the table each row of the block is.
        rows: Tensor<1, Int>,
    },
}

impl InputBlock {
    /// Width of the block.
    fn width(&self) -> usize {
        match self {
            Self::Rows(x) | Self::Selected { table: x, .. } => x.dims()[1],
        }
    }

    /// Rows the block's product is computed on: all of them, or the table's.
    fn product_rows(&self) -> usize {
        match self {
            Self::Rows(x) | Self::Selected { table: x, .. } => x.dims()[0],
        }
    }

    /// The block with its rows picked.
    ///
    /// # Shapes
    /// - output: `[rows, width]`
    fn into_rows(self) -> Tensor<2> {
        match self {
            Self::Rows(x) => x,
            Self::Selected { table, rows } => table.select(0, rows),
        }
    }
}

/// How [`forward_blocks`] computes the map; both give the same values up to rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockProduct {
    /// One product per block with its rows of the weight, a selected block on its table before
    /// the rows are picked, then the sum: the fewest multiplications, the fastest on Burn's CPU
    /// backend.
    PerBlock,
    /// The blocks joined, then one product: fewer, larger kernels, and no slice of the weight
    /// (whose gradient a GPU would zero-fill), the fastest on a GPU.
    Joined,
}

impl BlockProduct {
    /// The faster way on `device`.
    pub fn for_device(device: &Device) -> Self {
        if crate::parallel::is_cpu(device) { Self::PerBlock } else { Self::Joined }
    }
}

/// `layer.forward(cat(blocks, 1))`, the blocks in the order of the weight's input rows.
///
/// # Shapes
/// - each block: `[rows, width_k]` once its rows are picked, with `Σ width_k` the layer's input
/// - output: `[rows, output]` (no rows without blocks)
pub fn forward_blocks(layer: &Linear, blocks: Vec<InputBlock>, how: BlockProduct) -> Tensor<2> {
    // Without blocks there are no rows: the per-block path gives an empty output.
    if (how == BlockProduct::Joined && !blocks.is_empty()) || blocks.len() == 1 {
        let joined = Tensor::cat(blocks.into_iter().map(InputBlock::into_rows).collect(), 1);
        return layer.forward(joined);
    }
    // The bias goes with the block of the fewest rows, the cheapest place to add it.
    let biased = blocks.iter().enumerate().min_by_key(|(_, block)| block.product_rows()).map(|(k, _)| k);
    let weight = layer.weight.val();
    let mut start = 0;
    let mut map = |k: usize, block: InputBlock| {
        let width = block.width();
        let part = weight.clone().narrow(0, start, width);
        start += width;
        let bias = if Some(k) == biased { layer.bias.as_ref().map(|b| b.val()) } else { None };
        match block {
            InputBlock::Rows(x) => linear(x, part, bias),
            InputBlock::Selected { table, rows } => linear(table, part, bias).select(0, rows),
        }
    };
    let mut blocks = blocks.into_iter().enumerate();
    let Some((k, first)) = blocks.next() else {
        return Tensor::zeros([0, layer.weight.dims()[1]], &layer.weight.device());
    };
    let first = map(k, first);
    blocks.fold(first, |sum, (k, block)| sum + map(k, block))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::{Distribution, Gradients, TensorData};

    /// Three blocks of six rows: every row, and two selections from tables (inputs that need
    /// gradients); the tables, for their gradients.
    fn blocks(device: &Device) -> (Vec<InputBlock>, Vec<Tensor<2>>) {
        let every = Tensor::<2>::random([6, 3], Distribution::Normal(0.0, 1.0), device).require_grad();
        let table = Tensor::<2>::random([2, 4], Distribution::Normal(0.0, 1.0), device).require_grad();
        let latent = Tensor::<2>::random([3, 2], Distribution::Normal(0.0, 1.0), device).require_grad();
        let upload = |rows: Vec<i64>| Tensor::<1, Int>::from_data(TensorData::new(rows, [6]), device);
        let blocks = vec![
            InputBlock::Rows(every.clone()),
            InputBlock::Selected { table: table.clone(), rows: upload(vec![0, 0, 1, 1, 1, 0]) },
            InputBlock::Selected { table: latent.clone(), rows: upload(vec![2, 1, 0, 2, 1, 0]) },
        ];
        (blocks, vec![every, table, latent])
    }

    #[test]
    fn the_map_block_by_block_equals_the_map_of_the_joined_input_with_its_gradients() {
        let device = Device::flex().autodiff();
        let layer = LinearConfig::new(9, 5).init(&device);
        let (joined_blocks, joined_inputs) = blocks(&device);
        let per_block = joined_blocks.clone();
        let joined = forward_blocks(&layer, joined_blocks, BlockProduct::Joined);
        let separate = forward_blocks(&layer, per_block, BlockProduct::PerBlock);
        let read = |x: Tensor<2>| crate::readback::floats(x).expect("read back");
        let (a, b) = (read(joined.clone()), read(separate.clone()));
        assert_eq!(a.len(), 6 * 5);
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() <= 1e-6 * a.abs().max(1.0), "{a} vs {b}");
        }
        // Weigh the outputs unevenly, so that every gradient depends on which rows are picked.
        let weights = Tensor::<2>::random([6, 5], Distribution::Normal(0.0, 1.0), &device);
        let joined_grads = (joined * weights.clone()).sum().backward();
        let separate_grads = (separate * weights).sum().backward();
        let mut checked = 0;
        let mut compare = |of: &dyn Fn(&Gradients) -> Vec<f32>| {
            for (a, b) in of(&joined_grads).iter().zip(&of(&separate_grads)) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
                checked += 1;
            }
        };
        let floats = |x: Option<Tensor<2>>| crate::readback::floats(x.expect("a gradient")).expect("read back");
        for input in &joined_inputs {
            compare(&|grads| floats(input.grad(grads)));
        }
        compare(&|grads| floats(layer.weight.val().grad(grads)));
        let bias = layer.bias.as_ref().expect("a bias").val();
        compare(&|grads| crate::readback::floats(bias.grad(grads).expect("a gradient")).expect("read back"));
        assert_eq!(checked, 6 * 3 + 2 * 4 + 3 * 2 + 9 * 5 + 5);
    }
}
