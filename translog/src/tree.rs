//! The Merkle tree head (MTH, RFC 9162 §2.1.1) over the log's leaf hashes.
//!
//! [`MerkleTree`] keeps the leaf hashes and the hashes of complete subtrees of height 4
//! and up, so that:
//! - an append is O(1) amortised (O(log n) at worst, when it completes a subtree of
//!   every height at once);
//! - the root at any earlier size, and any subtree a proof needs, costs O(log n) hashes
//!   (plus at most 15 for a subtree below height 4);
//! - memory is about 36 bytes per leaf (32 for the leaf hash, 4 for the stored upper
//!   levels), about 36 MB for a million entries.
//!
//! Proof generation ([`super::proof`]) reads subtree hashes through the
//! [`SubtreeHashes`] trait, so another storage can serve it. [`CompactRange`] is the
//! "frontier" of a tree: the roots of its complete subtrees along the right edge, enough
//! to append and compute the root without the rest of the tree.

use super::hash::{Hash, empty_root, node_hash};

/// Complete subtrees at this height and above are stored; lower ones are recomputed
/// from the leaf hashes (at most 2^4 - 1 = 15 node hashes).
const STORED_FROM_LEVEL: u32 = 4;

/// Something that can give the hash of any complete subtree of a tree.
///
/// The subtree at `(level, index)` is the perfect subtree of height `level` whose
/// leaves are `[index << level, (index + 1) << level)`.
pub trait SubtreeHashes {
    /// The number of leaves.
    fn size(&self) -> u64;
    /// The hash of a complete subtree, or `None` if any of its leaves does not exist.
    fn subtree(&self, level: u32, index: u64) -> Option<Hash>;
}

/// A range of leaves a tree cannot give a hash for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The range ends beyond the tree.
    #[error("leaves [{start}, {end}) are not all in the tree of size {size}")]
    OutOfRange { start: u64, end: u64, size: u64 },
    /// A subtree hash the tree should have is missing (a bug in the tree's storage).
    #[error("the tree of size {size} has no hash for its subtree at level {level}, index {index}")]
    MissingSubtree { level: u32, index: u64, size: u64 },
}

/// The largest power of two strictly less than `n` (`n >= 2`): RFC 9162's `k`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    // n >= 2, so n - 1 >= 1 and the shift is at most 63.
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start:end])` (RFC 9162 §2.1.1) from the complete subtrees of `tree`. The
/// empty range gives the empty-tree hash. O(log n) subtree look-ups when `start` is a
/// multiple of the largest power of two not above `end - start`, which every range a
/// root or a proof asks for is.
pub fn range_root<T: SubtreeHashes + ?Sized>(
    tree: &T,
    start: u64,
    end: u64,
) -> Result<Hash, TreeError> {
    let size = tree.size();
    if start > end || end > size {
        return Err(TreeError::OutOfRange { start, end, size });
    }
    if start == end {
        return Ok(empty_root());
    }
    range_root_nonempty(tree, start, end)
}

fn range_root_nonempty<T: SubtreeHashes + ?Sized>(
    tree: &T,
    start: u64,
    end: u64,
) -> Result<Hash, TreeError> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let level = n.trailing_zeros();
        let index = start >> level;
        return tree.subtree(level, index).ok_or(TreeError::MissingSubtree {
            level,
            index,
            size: tree.size(),
        });
    }
    let k = split_point(n);
    let left = range_root_nonempty(tree, start, start + k)?;
    let right = range_root_nonempty(tree, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The log's Merkle tree: leaf hashes plus stored complete subtrees (module doc).
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    /// Level 0: one hash per leaf.
    leaves: Vec<Hash>,
    /// `upper[j]` holds the complete subtrees of height `STORED_FROM_LEVEL + j`, left
    /// to right.
    upper: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree of these leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The hash of leaf `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.leaves.get(usize::try_from(index).ok()?).copied()
    }

    /// Appends a leaf hash. O(1) amortised.
    pub fn push(&mut self, leaf: Hash) {
        self.leaves.push(leaf);
        let n = self.leaves.len() as u64;
        let width = 1u64 << STORED_FROM_LEVEL;
        if n.is_multiple_of(width) {
            // The new leaf completes a subtree of height STORED_FROM_LEVEL.
            if let Some(h) = self.subtree_from_leaves(STORED_FROM_LEVEL, n / width - 1) {
                self.push_upper(0, h);
            }
        }
    }

    fn push_upper(&mut self, mut j: usize, mut h: Hash) {
        loop {
            if self.upper.len() <= j {
                self.upper.push(Vec::new());
            }
            let Some(level) = self.upper.get_mut(j) else {
                return;
            };
            level.push(h);
            if level.len() % 2 != 0 {
                return;
            }
            // The new node completes its parent: hash the pair, one level up.
            let (Some(l), Some(r)) = (
                level.len().checked_sub(2).and_then(|i| level.get(i)),
                level.last(),
            ) else {
                return;
            };
            h = node_hash(l, r);
            j += 1;
        }
    }

    fn subtree_from_leaves(&self, level: u32, index: u64) -> Option<Hash> {
        if level == 0 {
            return self.leaf(index);
        }
        let left = self.subtree_from_leaves(level - 1, index.checked_mul(2)?)?;
        let right = self.subtree_from_leaves(level - 1, index.checked_mul(2)?.checked_add(1)?)?;
        Some(node_hash(&left, &right))
    }

    /// The root hash of the whole tree.
    pub fn root(&self) -> Hash {
        // range_root fails only on a range outside the tree or a missing subtree,
        // neither of which the tree itself can produce.
        range_root(self, 0, self.len()).unwrap_or_else(|_| empty_root())
    }

    /// The root hash of the tree as it was at `size` leaves (RFC 9162 `MTH(D[0:size])`).
    pub fn root_at(&self, size: u64) -> Result<Hash, TreeError> {
        range_root(self, 0, size)
    }

    /// The frontier of the tree, to compute roots after further appends without
    /// changing the tree.
    pub fn compact_range(&self) -> CompactRange {
        CompactRange::of(self, self.len())
    }
}

impl SubtreeHashes for MerkleTree {
    fn size(&self) -> u64 {
        self.len()
    }

    fn subtree(&self, level: u32, index: u64) -> Option<Hash> {
        if level == 0 {
            return self.leaf(index);
        }
        if level >= STORED_FROM_LEVEL {
            let j = usize::try_from(level - STORED_FROM_LEVEL).ok()?;
            return self
                .upper
                .get(j)?
                .get(usize::try_from(index).ok()?)
                .copied();
        }
        self.subtree_from_leaves(level, index)
    }
}

/// The frontier of a tree of `size` leaves: the roots of its maximal complete subtrees,
/// left to right (one per set bit of `size`). Enough to append and to compute the root.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<Hash>,
}

impl CompactRange {
    /// The empty range.
    pub fn new() -> Self {
        Self::default()
    }

    /// The frontier of `tree` at `size` leaves; empty if `tree` is smaller.
    pub fn of<T: SubtreeHashes + ?Sized>(tree: &T, size: u64) -> CompactRange {
        if size > tree.size() {
            return CompactRange::new();
        }
        let mut nodes = Vec::new();
        for level in (0..64u32).rev() {
            if size & (1u64 << level) != 0 {
                match tree.subtree(level, (size >> level) - 1) {
                    Some(h) => nodes.push(h),
                    None => return CompactRange::new(),
                }
            }
        }
        CompactRange { size, nodes }
    }

    /// The number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash: O(log n) at worst.
    pub fn push(&mut self, leaf: Hash) {
        self.nodes.push(leaf);
        let mut s = self.size;
        while s & 1 == 1 {
            let (Some(r), Some(l)) = (self.nodes.pop(), self.nodes.pop()) else {
                break;
            };
            self.nodes.push(node_hash(&l, &r));
            s >>= 1;
        }
        self.size += 1;
    }

    /// The root hash of the tree this frontier describes.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// MTH straight from RFC 9162's recursive definition, over all leaf hashes. O(n): for
/// tests and for checking the fast paths.
#[cfg(test)]
pub(crate) fn reference_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// The leaf inputs of the RFC 6962 reference tree (transparency-dev/merkle
    /// `testonly/constants.go`, the same as google/certificate-transparency's).
    pub(crate) const RFC6962_LEAF_INPUTS: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];

    /// Roots of the reference tree at sizes 0..=8, pinned: computed here from the
    /// RFC's definitions and equal to the published reference values.
    pub(crate) const RFC6962_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Every complete subtree of the reference tree, by level and index.
    const RFC6962_NODES: [&[&str]; 4] = [
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
            "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
        ],
        &[
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        ],
        &[
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
        &["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
    ];

    pub(crate) fn h(hex: &str) -> Hash {
        Hash::from_hex(hex).unwrap()
    }

    pub(crate) fn rfc6962_leaves() -> Vec<Hash> {
        RFC6962_LEAF_INPUTS.iter().map(|d| leaf_hash(d)).collect()
    }

    pub(crate) fn synthetic_leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn reference_tree_roots_match_the_published_values() {
        let leaves = rfc6962_leaves();
        let mut tree = MerkleTree::new();
        assert_eq!(tree.root(), h(RFC6962_ROOTS[0]));
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            assert_eq!(tree.root(), h(RFC6962_ROOTS[i + 1]), "size {}", i + 1);
        }
        for (size, root) in RFC6962_ROOTS.iter().enumerate() {
            assert_eq!(tree.root_at(size as u64), Ok(h(root)), "root_at({size})");
            assert_eq!(reference_root(&leaves[..size]), h(root));
        }
    }

    #[test]
    fn reference_tree_subtrees_match_the_published_node_hashes() {
        let tree = MerkleTree::from_leaves(rfc6962_leaves());
        for (level, nodes) in RFC6962_NODES.iter().enumerate() {
            for (index, node) in nodes.iter().enumerate() {
                assert_eq!(
                    tree.subtree(level as u32, index as u64),
                    Some(h(node)),
                    "level {level}, index {index}"
                );
            }
            assert_eq!(tree.subtree(level as u32, nodes.len() as u64), None);
        }
    }

    #[test]
    fn every_range_root_equals_the_rfc_definition() {
        // Crosses the stored-level boundary (16) several times.
        let leaves = synthetic_leaves(70);
        let tree = MerkleTree::from_leaves(leaves.iter().copied());
        for start in 0..=70u64 {
            for end in start..=70u64 {
                assert_eq!(
                    range_root(&tree, start, end),
                    Ok(reference_root(&leaves[start as usize..end as usize])),
                    "range [{start}, {end})"
                );
            }
        }
        assert_eq!(
            range_root(&tree, 3, 71),
            Err(TreeError::OutOfRange {
                start: 3,
                end: 71,
                size: 70
            })
        );
        assert_eq!(
            range_root(&tree, 5, 4),
            Err(TreeError::OutOfRange {
                start: 5,
                end: 4,
                size: 70
            })
        );
    }

    #[test]
    fn stored_subtrees_equal_recomputed_ones() {
        let leaves = synthetic_leaves(300);
        let tree = MerkleTree::from_leaves(leaves.iter().copied());
        for level in 0..9u32 {
            let width = 1u64 << level;
            for index in 0..(300 / width) {
                let start = (index * width) as usize;
                assert_eq!(
                    tree.subtree(level, index),
                    Some(reference_root(&leaves[start..start + width as usize])),
                    "level {level}, index {index}"
                );
            }
            assert_eq!(tree.subtree(level, 300 / width), None);
        }
    }

    #[test]
    fn compact_range_tracks_the_tree() {
        let leaves = synthetic_leaves(100);
        let mut tree = MerkleTree::new();
        let mut range = CompactRange::new();
        assert_eq!(range.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            tree.push(*leaf);
            range.push(*leaf);
            assert_eq!(range.size(), i as u64 + 1);
            assert_eq!(range.root(), tree.root(), "size {}", i + 1);
            assert_eq!(CompactRange::of(&tree, i as u64 + 1), range);
        }
        // A frontier taken at an earlier size, then extended, reaches the same root.
        let mut from_middle = CompactRange::of(&tree, 37);
        for leaf in &leaves[37..] {
            from_middle.push(*leaf);
        }
        assert_eq!(from_middle.root(), tree.root());
        assert_eq!(CompactRange::of(&tree, 101), CompactRange::new());
    }

    #[test]
    fn a_large_tree_appends_in_amortised_constant_time() {
        // 2^18 + 5 leaves: every append touches O(1) stored nodes on average, and
        // the stored upper levels hold about n / 8 hashes.
        let n = (1u64 << 18) + 5;
        let mut tree = MerkleTree::new();
        let mut range = CompactRange::new();
        let start = std::time::Instant::now();
        for i in 0..n {
            let leaf = leaf_hash(&i.to_be_bytes());
            tree.push(leaf);
            range.push(leaf);
        }
        let upper: usize = tree.upper.iter().map(Vec::len).sum();
        assert!(
            upper as u64 <= n / 8,
            "{upper} stored upper nodes for {n} leaves"
        );
        assert_eq!(tree.root(), range.root());
        // Roots at earlier sizes need only O(log n) work each.
        for size in [1u64, 2, 3, 1000, 65_537, n - 1] {
            let mut r = CompactRange::new();
            for i in 0..size.min(2000) {
                r.push(leaf_hash(&i.to_be_bytes()));
            }
            if size <= 2000 {
                assert_eq!(tree.root_at(size), Ok(r.root()));
            } else {
                assert_eq!(tree.root_at(size), Ok(CompactRange::of(&tree, size).root()));
            }
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "appending {n} leaves took {:?}",
            start.elapsed()
        );
    }
}
