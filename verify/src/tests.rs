//! Bundles made from a small log in memory, checked whole and with each part changed.

use ring::rand::SystemRandom;
use ring::signature::Ed25519KeyPair;
use treiter_translog::checkpoint::{Checkpoint, NoteSigner, SignedCheckpoint};
use treiter_translog::hash::leaf_hash;
use treiter_translog::proof::{consistency_proof, inclusion_proof};
use treiter_translog::tree::MerkleTree;

use crate::bundle::*;
use crate::tar::{self, File};
use crate::{ExternalKey, Options, Problem, verify};

const ORIGIN: &str = "hub.test/decision-log";
const WITNESS: &str = "00000001234567890000.witness.treiteraanpak";

fn signer(name: &str) -> NoteSigner {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    NoteSigner::from_pkcs8(name, pkcs8.as_ref()).unwrap()
}

fn entry(i: u64) -> Vec<u8> {
    format!(
        r#"{{"covenant_version":1,"event":{{"case":"C-2026-000{}","kind":"share-decision"}},"salt":"{i:032x}","time":"2026-11-01T09:00:0{i}.000Z"}}"#,
        i % 2
    )
    .into_bytes()
}

struct Made {
    bytes: Vec<u8>,
    hub: NoteSigner,
    witness: NoteSigner,
}

/// A log of 6 entries, checkpoints at 4 and 6 (both cosigned), entries 1 and 3.
fn make() -> Made {
    let hub = signer(ORIGIN);
    let witness = signer(WITNESS);
    let mut tree = MerkleTree::new();
    for i in 0..6 {
        tree.push(leaf_hash(&entry(i)));
    }
    let mut files = vec![
        File {
            path: HUB_KEY.into(),
            bytes: format!("{}\n", hub.verifier()).into_bytes(),
        },
        File {
            path: witness_key_path(1),
            bytes: format!("{}\n", witness.verifier()).into_bytes(),
        },
    ];
    let mut checkpoints = Vec::new();
    for size in [4u64, 6] {
        let cp = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: tree.root_at(size).unwrap(),
        };
        let signed = SignedCheckpoint::sign(cp.clone(), &hub)
            .unwrap()
            .cosign(&witness);
        files.push(File {
            path: checkpoint_path(size),
            bytes: signed.to_bytes(),
        });
        checkpoints.push(CheckpointRef {
            tree_size: size,
            root_hash: cp.root.to_hex(),
            file: checkpoint_path(size),
            cosigned_by: vec![WITNESS.into()],
        });
    }
    let proof = consistency_proof(&tree, 4, 6).unwrap();
    files.push(File {
        path: consistency_path(4, 6),
        bytes: json_bytes(&ConsistencyFile {
            from_tree_size: 4,
            to_tree_size: 6,
            hashes: proof.iter().map(|h| h.to_hex()).collect(),
        }),
    });
    let mut entries = Vec::new();
    for i in [1u64, 3] {
        files.push(File {
            path: entry_path(i),
            bytes: entry(i),
        });
        let proof = inclusion_proof(&tree, i, 6).unwrap();
        files.push(File {
            path: proof_path(i),
            bytes: json_bytes(&ProofFile {
                leaf_index: i,
                tree_size: 6,
                hashes: proof.iter().map(|h| h.to_hex()).collect(),
            }),
        });
        entries.push(EntryRef {
            leaf_index: i,
            leaf_hash: leaf_hash(&entry(i)).to_hex(),
            kind: "share-decision".into(),
            case_id: "C-2026-0001".into(),
            logged_at: format!("2026-11-01T09:00:0{i}.000Z"),
            file: entry_path(i),
            proof: proof_path(i),
        });
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        log_origin: ORIGIN.into(),
        maker: Maker {
            person: "p-politie-090".into(),
            party_oin: "00000001234567890000".into(),
            party_name: "Politie".into(),
            created_at: "2026-12-06T08:00:00Z".into(),
            tool: "test".into(),
        },
        selection: "zaak C-2026-0001".into(),
        hub_key: HUB_KEY.into(),
        hub_key_sha256: sha256_hex(hub.verifier().public_key()),
        witnesses: vec![Witness {
            name: WITNESS.into(),
            party_oin: "00000001234567890000".into(),
            party_name: "Politie".into(),
            key_file: witness_key_path(1),
        }],
        checkpoints,
        consistency: vec![ConsistencyRef {
            from_tree_size: 4,
            to_tree_size: 6,
            file: consistency_path(4, 6),
        }],
        entries,
        files: Vec::new(),
    };
    let bytes = build(Parts { manifest, files }).unwrap();
    Made {
        bytes,
        hub,
        witness,
    }
}

/// Changes one file with `change` and, when `reseal`, writes the manifest's hashes
/// again (what a careful forger would do).
fn tamper(bytes: &[u8], path: &str, reseal: bool, change: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut files = tar::read(bytes).unwrap();
    let f = files.iter_mut().find(|f| f.path == path).unwrap();
    change(&mut f.bytes);
    if reseal {
        let mut m: Manifest =
            serde_json::from_slice(&files.iter().find(|f| f.path == MANIFEST).unwrap().bytes)
                .unwrap();
        for r in &mut m.files {
            let f = files.iter().find(|f| f.path == r.path).unwrap();
            r.sha256 = sha256_hex(&f.bytes);
            r.bytes = f.bytes.len() as u64;
        }
        files.iter_mut().find(|f| f.path == MANIFEST).unwrap().bytes = m.to_bytes();
    }
    tar::write(&files)
}

fn with_hub_key(made: &Made) -> Options {
    Options {
        hub_key: Some(ExternalKey::Verifier(made.hub.verifier().clone())),
        witness_keys: vec![made.witness.verifier().clone()],
    }
}

#[test]
fn a_bundle_verifies_and_says_whose_keys_were_confirmed() {
    let made = make();
    let verdict = verify(&made.bytes, &with_hub_key(&made)).unwrap();
    assert!(verdict.hub_key_confirmed);
    assert!(verdict.witnesses[0].confirmed);
    assert_eq!(verdict.witnesses[0].cosigned, [4, 6]);
    let text = verdict.to_text();
    assert!(text.starts_with("VERIFIED: 2 entries"), "{text}");
    assert!(text.contains("Oordeel: de bundel is echt"), "{text}");

    let json = verdict.to_json();
    assert_eq!(json["verified"], true);
    assert_eq!(json["entries"][1]["leaf_index"], 3);
    assert_eq!(
        json["witnesses"][0]["cosigned_tree_sizes"],
        serde_json::json!([4, 6])
    );

    // Without keys from outside: verified, but said to rest on the bundle's own key.
    let bare = verify(&made.bytes, &Options::default()).unwrap();
    assert!(!bare.hub_key_confirmed);
    assert!(bare.to_text().contains("taken from the bundle only"));

    // By fingerprint.
    let fp = ExternalKey::parse(&format!(
        "sha256:{}",
        sha256_hex(made.hub.verifier().public_key())
    ))
    .unwrap();
    let by_fp = Options {
        hub_key: Some(fp),
        witness_keys: Vec::new(),
    };
    assert!(verify(&made.bytes, &by_fp).unwrap().hub_key_confirmed);

    let files = tar::read(&made.bytes).unwrap();
    assert_eq!(files[0].path, LEESMIJ);
    let leesmij = String::from_utf8(files[0].bytes.clone()).unwrap();
    assert!(leesmij.contains("WAT DEZE BUNDEL NIET BEWIJST"));
    assert!(leesmij.contains("regel        3"), "{leesmij}");
}

#[test]
fn a_changed_byte_in_any_file_fails_naming_the_file() {
    let made = make();
    for f in tar::read(&made.bytes).unwrap() {
        let bad = tamper(&made.bytes, &f.path, false, |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x20;
        });
        let failure = verify(&bad, &Options::default()).unwrap_err();
        if f.path == MANIFEST {
            assert_eq!(failure.problem, Problem::Manifest, "{failure}");
        } else {
            assert_eq!(failure.problem, Problem::FileHash, "{failure}");
            assert_eq!(failure.file, f.path);
        }
    }
}

#[test]
fn a_resealed_change_is_caught_by_the_check_it_touches() {
    let made = make();
    let opts = with_hub_key(&made);
    let check = |bad: Vec<u8>, problem: Problem, file: &str| {
        let failure = verify(&bad, &opts).unwrap_err();
        assert_eq!(
            (failure.problem, failure.file.as_str()),
            (problem, file),
            "{failure}"
        );
    };
    // A changed entry.
    check(
        tamper(&made.bytes, &entry_path(3), true, |b| b[20] = b'9'),
        Problem::Entry,
        &entry_path(3),
    );
    // A changed proof hash.
    check(
        tamper(&made.bytes, &proof_path(1), true, |b| {
            let at = b.iter().position(|&c| c == b'"').unwrap();
            let at = at + b[at..].windows(8).position(|w| w == b"\"hashes\"").unwrap() + 16;
            let pos = at + b[at..].iter().position(|c| c.is_ascii_hexdigit()).unwrap();
            b[pos] = if b[pos] == b'0' { b'1' } else { b'0' };
        }),
        Problem::Inclusion,
        &proof_path(1),
    );
    // A removed cosignature.
    check(
        tamper(&made.bytes, &checkpoint_path(6), true, |b| {
            let text = String::from_utf8(b.clone()).unwrap();
            let kept: String = text
                .split_inclusive('\n')
                .filter(|l| !l.contains(WITNESS))
                .collect();
            *b = kept.into_bytes();
        }),
        Problem::Cosignature,
        &checkpoint_path(6),
    );
    // A changed consistency proof.
    check(
        tamper(&made.bytes, &consistency_path(4, 6), true, |b| {
            let pos = b.iter().rposition(|c| c.is_ascii_hexdigit()).unwrap();
            b[pos] = if b[pos] == b'0' { b'1' } else { b'0' };
        }),
        Problem::Consistency,
        &consistency_path(4, 6),
    );
    // Another hub's key put in the bundle: the checkpoints do not verify with it.
    let other = signer(ORIGIN);
    let swapped = tamper(&made.bytes, HUB_KEY, true, |b| {
        *b = format!("{}\n", other.verifier()).into_bytes();
    });
    let failure = verify(&swapped, &Options::default()).unwrap_err();
    assert_eq!(failure.problem, Problem::HubKey, "{failure}");
    // The wrong key given from outside.
    let wrong = Options {
        hub_key: Some(ExternalKey::Verifier(other.verifier().clone())),
        witness_keys: Vec::new(),
    };
    let failure = verify(&made.bytes, &wrong).unwrap_err();
    assert_eq!(
        (failure.problem, failure.file.as_str()),
        (Problem::WrongHubKey, HUB_KEY)
    );
    assert_eq!(failure.to_json()["problem"], "wrong-hub-key");
    // A summary that says more than the bundle.
    check(
        tamper(&made.bytes, LEESMIJ, true, |b| {
            b.extend_from_slice(b"Alles is bewezen.\n")
        }),
        Problem::Summary,
        LEESMIJ,
    );
}

#[test]
fn a_manifest_text_with_a_control_character_is_refused() {
    let made = make();
    let bad = tamper(&made.bytes, MANIFEST, false, |b| {
        let text = String::from_utf8(b.clone()).unwrap();
        *b = text
            .replace("zaak C-2026-0001", "zaak C-2026-0001\\u001b[2J")
            .into_bytes();
    });
    let failure = verify(&bad, &Options::default()).unwrap_err();
    assert_eq!(failure.problem, Problem::Manifest);
    assert!(failure.reason.contains("control character"), "{failure}");
}
