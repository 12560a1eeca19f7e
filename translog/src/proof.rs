//! Inclusion proofs (RFC 9162 §2.1.3) and consistency proofs (§2.1.4): generating them
//! from a tree, and verifying them with nothing but hashes.
//!
//! The verification functions are what agents and auditors run: free functions over
//! hashes and sizes, with no storage and no trust in the hub. Both check the proof's
//! length first (it is fixed by the sizes, and O(log n)), then follow the RFC's
//! algorithms. Every error names the sizes and the index it is about.

use super::hash::{Hash, empty_root, node_hash};
use super::tree::{SubtreeHashes, TreeError, range_root, split_point};

/// A proof that the tree cannot produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf is not in the tree of the requested size.
    #[error("leaf index {index} is not in a tree of size {tree_size}")]
    IndexOutOfRange { index: u64, tree_size: u64 },
    /// The requested tree size is larger than the log.
    #[error("tree size {tree_size} is larger than the log, which has {log_size} entries")]
    SizeBeyondLog { tree_size: u64, log_size: u64 },
    /// A consistency proof was asked from a larger to a smaller tree.
    #[error("a consistency proof goes from a smaller to a larger tree; asked from {from} to {to}")]
    SizesReversed { from: u64, to: u64 },
    /// The tree's storage is missing a hash.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// An inclusion proof that does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not in a tree of size {tree_size}")]
    IndexOutOfRange { index: u64, tree_size: u64 },
    /// The proof has the wrong number of hashes for this index and size.
    #[error(
        "an inclusion proof for leaf {index} in a tree of size {tree_size} has {expected} hashes; this one has {got}"
    )]
    WrongLength {
        index: u64,
        tree_size: u64,
        expected: usize,
        got: usize,
    },
    /// The proof leads to a different root: the entry, the proof or the root differs
    /// from what the log holds.
    #[error(
        "the inclusion proof for leaf {index} does not lead to the root of the tree of size {tree_size}: the entry, the proof or the root is not the log's"
    )]
    RootMismatch { index: u64, tree_size: u64 },
}

/// A consistency proof that does not verify: the two tree heads are not one history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    /// The first size is larger than the second: a log never shrinks.
    #[error(
        "tree size {to} is smaller than the size {from} already seen: the log would have shrunk"
    )]
    SizesReversed { from: u64, to: u64 },
    /// The proof has the wrong number of hashes for these sizes.
    #[error(
        "a consistency proof from tree size {from} to {to} has {expected} hashes; this one has {got}"
    )]
    WrongLength {
        from: u64,
        to: u64,
        expected: usize,
        got: usize,
    },
    /// Two heads of the same size with different roots: a fork.
    #[error("two different roots for the same tree size {size}: the log forked")]
    DifferentRootsForOneSize { size: u64 },
    /// A claimed empty tree whose root is not the empty-tree hash.
    #[error("the root given for the empty tree is not the empty-tree hash")]
    BadEmptyRoot,
    /// The proof does not reproduce the older root: the newer tree does not extend the
    /// older one (history rewritten or forked), or the proof is wrong.
    #[error(
        "the consistency proof from tree size {from} to {to} does not reproduce the root of size {from}: the newer tree does not extend the older one (rewritten or forked history)"
    )]
    OldRootMismatch { from: u64, to: u64 },
    /// The proof does not reproduce the newer root.
    #[error(
        "the consistency proof from tree size {from} to {to} does not reproduce the root of size {to}: the newer tree does not extend the older one (rewritten or forked history)"
    )]
    NewRootMismatch { from: u64, to: u64 },
}

fn bit_len(x: u64) -> u32 {
    64 - x.leading_zeros()
}

/// The number of hashes in an inclusion proof for `index` in a tree of `tree_size`
/// (`index < tree_size`): the levels where the path to the root has a sibling.
pub fn inclusion_proof_len(index: u64, tree_size: u64) -> usize {
    if index >= tree_size {
        return 0;
    }
    // Below `inner`, the leaf's path and the right edge of the tree differ, so every
    // level has a sibling; above it, only the levels where `index` has a 1 bit do.
    let inner = bit_len(index ^ (tree_size - 1));
    let border = (index.checked_shr(inner).unwrap_or(0)).count_ones();
    (inner + border) as usize
}

/// The number of hashes in a consistency proof from `from` to `to` (`0 < from < to`).
pub fn consistency_proof_len(from: u64, to: u64) -> usize {
    if from == 0 || from >= to {
        return 0;
    }
    // The proof is the inclusion path of the old tree's last complete subtree within
    // the new tree, plus that subtree's own hash unless the old tree is a perfect tree.
    let shift = from.trailing_zeros();
    let index = from - 1;
    let inner = bit_len(index ^ (to - 1));
    let border = (index.checked_shr(inner).unwrap_or(0)).count_ones();
    let seed = usize::from(!from.is_power_of_two());
    (inner.saturating_sub(shift) + border) as usize + seed
}

/// The inclusion proof for leaf `index` in the tree's first `tree_size` leaves
/// (RFC 9162 §2.1.3.1, `PATH(m, D[n])`), lowest level first.
pub fn inclusion_proof<T: SubtreeHashes + ?Sized>(
    tree: &T,
    index: u64,
    tree_size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if tree_size > tree.size() {
        return Err(ProofError::SizeBeyondLog {
            tree_size,
            log_size: tree.size(),
        });
    }
    if index >= tree_size {
        return Err(ProofError::IndexOutOfRange { index, tree_size });
    }
    let mut proof = Vec::with_capacity(inclusion_proof_len(index, tree_size));
    path(tree, index, 0, tree_size, &mut proof)?;
    Ok(proof)
}

/// `PATH(m, D[start:end])`, with `m` relative to `start`.
fn path<T: SubtreeHashes + ?Sized>(
    tree: &T,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split_point(n);
    if m < k {
        path(tree, m, start, start + k, out)?;
        out.push(range_root(tree, start + k, end)?);
    } else {
        path(tree, m - k, start + k, end, out)?;
        out.push(range_root(tree, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof from the tree's first `from` leaves to its first `to` leaves
/// (RFC 9162 §2.1.4.1, `PROOF(m, D[n])`). Empty when `from` is 0 or equals `to`.
pub fn consistency_proof<T: SubtreeHashes + ?Sized>(
    tree: &T,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, ProofError> {
    if to > tree.size() {
        return Err(ProofError::SizeBeyondLog {
            tree_size: to,
            log_size: tree.size(),
        });
    }
    if from > to {
        return Err(ProofError::SizesReversed { from, to });
    }
    let mut proof = Vec::with_capacity(consistency_proof_len(from, to));
    if from > 0 && from < to {
        subproof(tree, from, 0, to, true, &mut proof)?;
    }
    Ok(proof)
}

/// `SUBPROOF(m, D[start:end], complete)`.
fn subproof<T: SubtreeHashes + ?Sized>(
    tree: &T,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), TreeError> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(range_root(tree, start, end)?);
        }
        return Ok(());
    }
    let k = split_point(n);
    if m <= k {
        subproof(tree, m, start, start + k, complete, out)?;
        out.push(range_root(tree, start + k, end)?);
    } else {
        subproof(tree, m - k, start + k, end, false, out)?;
        out.push(range_root(tree, start, start + k)?);
    }
    Ok(())
}

/// The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–4).
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash, InclusionError> {
    if index >= tree_size {
        return Err(InclusionError::IndexOutOfRange { index, tree_size });
    }
    let expected = inclusion_proof_len(index, tree_size);
    if proof.len() != expected {
        return Err(InclusionError::WrongLength {
            index,
            tree_size,
            expected,
            got: proof.len(),
        });
    }
    let mut fn_ = index;
    let mut sn = tree_size - 1;
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return Err(InclusionError::RootMismatch { index, tree_size });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(InclusionError::RootMismatch { index, tree_size });
    }
    Ok(r)
}

/// Verifies that the entry with `leaf_hash` is leaf `index` of the tree of `tree_size`
/// leaves with root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)?;
    if computed == *root {
        Ok(())
    } else {
        Err(InclusionError::RootMismatch { index, tree_size })
    }
}

/// Verifies that the tree of `to` leaves with root `to_root` extends the tree of `from`
/// leaves with root `from_root` (RFC 9162 §2.1.4.2). A witness runs this before it
/// accepts a newer checkpoint.
pub fn verify_consistency(
    from: u64,
    to: u64,
    from_root: &Hash,
    to_root: &Hash,
    proof: &[Hash],
) -> Result<(), ConsistencyError> {
    if from > to {
        return Err(ConsistencyError::SizesReversed { from, to });
    }
    let expected = consistency_proof_len(from, to);
    if proof.len() != expected {
        return Err(ConsistencyError::WrongLength {
            from,
            to,
            expected,
            got: proof.len(),
        });
    }
    if from == 0 {
        // Every tree extends the empty one.
        return if *from_root == empty_root() {
            Ok(())
        } else {
            Err(ConsistencyError::BadEmptyRoot)
        };
    }
    if from == to {
        return if from_root == to_root {
            Ok(())
        } else {
            Err(ConsistencyError::DifferentRootsForOneSize { size: from })
        };
    }
    // Step 2: a perfect old tree is its own first node.
    let mut path = proof.iter();
    let seed = if from.is_power_of_two() {
        *from_root
    } else {
        match path.next() {
            Some(first) => *first,
            None => return Err(ConsistencyError::OldRootMismatch { from, to }),
        }
    };
    // Steps 3–4.
    let mut fn_ = from - 1;
    let mut sn = to - 1;
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let mut fr = seed;
    let mut sr = seed;
    // Step 6.
    for c in path {
        if sn == 0 {
            return Err(ConsistencyError::NewRootMismatch { from, to });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if fr != *from_root {
        return Err(ConsistencyError::OldRootMismatch { from, to });
    }
    if sn != 0 || sr != *to_root {
        return Err(ConsistencyError::NewRootMismatch { from, to });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::MerkleTree;
    use crate::tree::tests::{
        RFC6962_LEAF_INPUTS, RFC6962_ROOTS, h, rfc6962_leaves, synthetic_leaves,
    };

    fn hs(hexes: &[&str]) -> Vec<Hash> {
        hexes.iter().map(|x| h(x)).collect()
    }

    fn flip(hash: &Hash) -> Hash {
        let mut b = hash.0;
        b[0] ^= 1;
        Hash(b)
    }

    #[test]
    fn inclusion_proofs_of_the_reference_tree() {
        // Published with the RFC 6962 reference tree (transparency-dev/merkle,
        // google/certificate-transparency); pinned here.
        let tree = MerkleTree::from_leaves(rfc6962_leaves());
        let cases: [(u64, u64, Vec<Hash>); 5] = [
            (0, 1, vec![]),
            (
                0,
                8,
                hs(&[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]),
            ),
            (
                5,
                8,
                hs(&[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]),
            ),
            (
                2,
                3,
                hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            ),
            (
                1,
                5,
                hs(&[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]),
            ),
        ];
        for (index, size, expected) in cases {
            let proof = inclusion_proof(&tree, index, size).unwrap();
            assert_eq!(proof, expected, "leaf {index} in size {size}");
            let leaf = leaf_hash(RFC6962_LEAF_INPUTS[index as usize]);
            let root = h(RFC6962_ROOTS[size as usize]);
            assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
        }
    }

    #[test]
    fn consistency_proofs_of_the_reference_tree() {
        let tree = MerkleTree::from_leaves(rfc6962_leaves());
        let cases: [(u64, u64, Vec<Hash>); 4] = [
            (
                1,
                8,
                hs(&[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]),
            ),
            (
                6,
                8,
                hs(&[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]),
            ),
            (
                2,
                5,
                hs(&[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]),
            ),
            (4, 4, vec![]),
        ];
        for (from, to, expected) in cases {
            let proof = consistency_proof(&tree, from, to).unwrap();
            assert_eq!(proof, expected, "from {from} to {to}");
            let from_root = h(RFC6962_ROOTS[from as usize]);
            let to_root = h(RFC6962_ROOTS[to as usize]);
            assert_eq!(
                verify_consistency(from, to, &from_root, &to_root, &proof),
                Ok(())
            );
        }
    }

    #[test]
    fn every_inclusion_proof_verifies_and_has_the_predicted_length() {
        let leaves = synthetic_leaves(70);
        let tree = MerkleTree::from_leaves(leaves.iter().copied());
        for size in 1..=70u64 {
            let root = tree.root_at(size).unwrap();
            for index in 0..size {
                let proof = inclusion_proof(&tree, index, size).unwrap();
                assert_eq!(proof.len(), inclusion_proof_len(index, size));
                assert!(proof.len() <= 7, "O(log n): {} hashes", proof.len());
                let leaf = leaves[index as usize];
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &root),
                    Ok(()),
                    "leaf {index} in size {size}"
                );
                // A different entry, the wrong index or a wrong root fails.
                assert_eq!(
                    verify_inclusion(&flip(&leaf), index, size, &proof, &root),
                    Err(InclusionError::RootMismatch {
                        index,
                        tree_size: size
                    })
                );
                if size > 1 {
                    let other = (index + 1) % size;
                    let r = verify_inclusion(&leaf, other, size, &proof, &root);
                    assert!(
                        matches!(
                            r,
                            Err(InclusionError::RootMismatch { .. }
                                | InclusionError::WrongLength { .. })
                        ),
                        "leaf {index} passed off as {other} in size {size}: {r:?}"
                    );
                }
                assert_eq!(
                    verify_inclusion(&leaf, index, size, &proof, &flip(&root)),
                    Err(InclusionError::RootMismatch {
                        index,
                        tree_size: size
                    })
                );
                // Every altered proof hash fails.
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i]);
                    assert_eq!(
                        verify_inclusion(&leaf, index, size, &bad, &root),
                        Err(InclusionError::RootMismatch {
                            index,
                            tree_size: size
                        })
                    );
                }
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_has_the_predicted_length() {
        let leaves = synthetic_leaves(70);
        let tree = MerkleTree::from_leaves(leaves.iter().copied());
        for to in 0..=70u64 {
            let to_root = tree.root_at(to).unwrap();
            for from in 0..=to {
                let from_root = tree.root_at(from).unwrap();
                let proof = consistency_proof(&tree, from, to).unwrap();
                assert_eq!(proof.len(), consistency_proof_len(from, to), "{from}->{to}");
                assert_eq!(
                    verify_consistency(from, to, &from_root, &to_root, &proof),
                    Ok(()),
                    "from {from} to {to}"
                );
                if from == 0 {
                    continue;
                }
                // A rewritten old tree, a different new tree or a tampered proof fails.
                let mismatch = |r: Result<(), ConsistencyError>| {
                    matches!(
                        r,
                        Err(ConsistencyError::OldRootMismatch { .. }
                            | ConsistencyError::NewRootMismatch { .. }
                            | ConsistencyError::DifferentRootsForOneSize { .. })
                    )
                };
                assert!(mismatch(verify_consistency(
                    from,
                    to,
                    &flip(&from_root),
                    &to_root,
                    &proof
                )));
                assert!(mismatch(verify_consistency(
                    from,
                    to,
                    &from_root,
                    &flip(&to_root),
                    &proof
                )));
                for i in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[i] = flip(&bad[i]);
                    assert!(
                        mismatch(verify_consistency(from, to, &from_root, &to_root, &bad)),
                        "tampered hash {i} of {from}->{to} accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn a_forked_history_is_refused() {
        // Same first 10 leaves, then two different continuations.
        let mut a = synthetic_leaves(20);
        let tree_a = MerkleTree::from_leaves(a.iter().copied());
        a[12] = leaf_hash(b"rewritten");
        let tree_b = MerkleTree::from_leaves(a.iter().copied());
        // A witness holding size 15 of history A is shown size 20 of history B.
        let held = tree_a.root_at(15).unwrap();
        let proof = consistency_proof(&tree_b, 15, 20).unwrap();
        assert_eq!(
            verify_consistency(15, 20, &held, &tree_b.root_at(20).unwrap(), &proof),
            Err(ConsistencyError::OldRootMismatch { from: 15, to: 20 })
        );
        // Histories that agree up to 10 are still consistent there.
        let proof = consistency_proof(&tree_b, 10, 20).unwrap();
        assert_eq!(
            verify_consistency(
                10,
                20,
                &tree_a.root_at(10).unwrap(),
                &tree_b.root_at(20).unwrap(),
                &proof
            ),
            Ok(())
        );
    }

    #[test]
    fn errors_name_the_sizes_and_indices() {
        let tree = MerkleTree::from_leaves(synthetic_leaves(10));
        assert_eq!(
            inclusion_proof(&tree, 10, 10),
            Err(ProofError::IndexOutOfRange {
                index: 10,
                tree_size: 10
            })
        );
        assert_eq!(
            inclusion_proof(&tree, 1, 11),
            Err(ProofError::SizeBeyondLog {
                tree_size: 11,
                log_size: 10
            })
        );
        assert_eq!(
            consistency_proof(&tree, 5, 3),
            Err(ProofError::SizesReversed { from: 5, to: 3 })
        );
        assert_eq!(
            consistency_proof(&tree, 5, 12),
            Err(ProofError::SizeBeyondLog {
                tree_size: 12,
                log_size: 10
            })
        );
        let root = tree.root();
        let leaf = tree.leaf(3).unwrap();
        let err = verify_inclusion(&leaf, 3, 10, &[], &root).unwrap_err();
        assert_eq!(
            err,
            InclusionError::WrongLength {
                index: 3,
                tree_size: 10,
                expected: 4,
                got: 0
            }
        );
        assert_eq!(
            err.to_string(),
            "an inclusion proof for leaf 3 in a tree of size 10 has 4 hashes; this one has 0"
        );
        assert_eq!(
            verify_inclusion(&leaf, 10, 10, &[], &root),
            Err(InclusionError::IndexOutOfRange {
                index: 10,
                tree_size: 10
            })
        );
        assert_eq!(
            verify_consistency(7, 3, &root, &root, &[]),
            Err(ConsistencyError::SizesReversed { from: 7, to: 3 })
        );
        assert_eq!(
            verify_consistency(3, 7, &root, &root, &[]),
            Err(ConsistencyError::WrongLength {
                from: 3,
                to: 7,
                expected: 4,
                got: 0
            })
        );
        assert_eq!(
            verify_consistency(7, 7, &root, &flip(&root), &[]),
            Err(ConsistencyError::DifferentRootsForOneSize { size: 7 })
        );
        assert_eq!(
            verify_consistency(0, 7, &root, &root, &[]),
            Err(ConsistencyError::BadEmptyRoot)
        );
        let msg = ConsistencyError::OldRootMismatch { from: 15, to: 20 }.to_string();
        assert!(msg.contains("from tree size 15 to 20"), "{msg}");
    }

    #[test]
    fn proofs_are_logarithmic_in_a_large_tree() {
        let n = 1u64 << 20;
        let mut tree = MerkleTree::new();
        for i in 0..n {
            tree.push(leaf_hash(&i.to_be_bytes()));
        }
        let root = tree.root();
        for index in [0, 1, 12_345, n / 2 + 7, n - 1] {
            let proof = inclusion_proof(&tree, index, n).unwrap();
            assert_eq!(proof.len(), 20);
            let leaf = leaf_hash(&index.to_be_bytes());
            assert_eq!(verify_inclusion(&leaf, index, n, &proof, &root), Ok(()));
        }
        for from in [1, 3, 1000, n - 1] {
            let proof = consistency_proof(&tree, from, n).unwrap();
            assert!(proof.len() <= 2 * 20 + 1, "{} hashes", proof.len());
            let from_root = tree.root_at(from).unwrap();
            assert_eq!(
                verify_consistency(from, n, &from_root, &root, &proof),
                Ok(())
            );
        }
    }
}
