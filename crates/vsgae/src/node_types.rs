//! The reference's node types: the `node_atts` codes the models embed and the decoder writes
//! (output 0, input 1, conv1x1 2, conv3x3 3, maxpool 4; [`nasbench::Op::node_att`]).

/// How many node types there are: NAS-Bench-101's five ops, input and output included.
pub const NODE_TYPES: usize = nasbench::op::ALL_OPS.len();

/// The type code of the input node, which every generated graph starts from.
pub const INPUT_TYPE: u8 = 1;

/// The type code that ends a graph.
pub const OUTPUT_TYPE: u8 = 0;

#[cfg(test)]
mod tests {
    use nasbench::Op;

    use super::*;

    #[test]
    fn the_codes_are_nasbench_s_node_atts() {
        assert_eq!(INPUT_TYPE, Op::Input.node_att());
        assert_eq!(OUTPUT_TYPE, Op::Output.node_att());
        assert_eq!(NODE_TYPES, 5);
    }
}
