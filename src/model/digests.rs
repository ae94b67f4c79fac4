//! Every digest a build's events named (its vertexes' and their inputs'), each kept once and
//! known by a number. A `sha256:` digest is kept as the 32 bytes its hex spells, so a huge build
//! costs no string per vertex, and the index holds only numbers.

use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};

use hashbrown::HashTable;

/// A digest's number in its build.
pub type DigestId = u32;

/// What a digest is: `sha256:` and 64 lower-case hex digits as their bytes, anything else as it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Sha256([u8; 32]),
    Other(Box<str>),
}

/// A digest being looked up (no allocation for one that is not `sha256:`).
#[derive(Hash, PartialEq, Eq)]
enum Key<'a> {
    Sha256([u8; 32]),
    Other(&'a str),
}

impl<'a> Key<'a> {
    fn of(s: &'a str) -> Key<'a> {
        match s.strip_prefix("sha256:").and_then(sha256_bytes) {
            Some(b) => Key::Sha256(b),
            None => Key::Other(s),
        }
    }
}

impl Digest {
    fn key(&self) -> Key<'_> {
        match self {
            Digest::Sha256(b) => Key::Sha256(*b),
            Digest::Other(s) => Key::Other(s),
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Digest::Sha256(b) => {
                f.write_str("sha256:")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
            Digest::Other(s) => f.write_str(s),
        }
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The 32 bytes of 64 lower-case hex digits (upper case would not be written back the same).
fn sha256_bytes(hex: &str) -> Option<[u8; 32]> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let hex = hex.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        *o = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// The digests of one build, by number.
#[derive(Debug, Clone, Default)]
pub struct Digests {
    all: Vec<Digest>,
    index: HashTable<DigestId>,
    hasher: RandomState,
}

impl Digests {
    fn hash(hasher: &RandomState, key: &Key<'_>) -> u64 {
        let mut h = hasher.build_hasher();
        key.hash(&mut h);
        std::hash::Hasher::finish(&h)
    }

    /// The number of `digest`, if it was named.
    pub fn find(&self, digest: &str) -> Option<DigestId> {
        let key = Key::of(digest);
        let hash = Self::hash(&self.hasher, &key);
        self.index
            .find(hash, |&id| self.all[id as usize].key() == key)
            .copied()
    }

    /// The number of `digest`, given it one if it is new.
    pub fn intern(&mut self, digest: &str) -> DigestId {
        if let Some(id) = self.find(digest) {
            return id;
        }
        let id = self.all.len() as DigestId;
        self.all.push(match Key::of(digest) {
            Key::Sha256(b) => Digest::Sha256(b),
            Key::Other(s) => Digest::Other(s.into()),
        });
        let (all, hasher) = (&self.all, &self.hasher);
        let hash = Self::hash(hasher, &all[id as usize].key());
        self.index
            .insert_unique(hash, id, |&i| Self::hash(hasher, &all[i as usize].key()));
        id
    }

    pub fn get(&self, id: DigestId) -> &Digest {
        &self.all[id as usize]
    }

    /// Reading is over: the spare room goes back.
    pub fn settle(&mut self) {
        self.all.shrink_to_fit();
        let (all, hasher) = (&self.all, &self.hasher);
        self.index
            .shrink_to_fit(|&i| Self::hash(hasher, &all[i as usize].key()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_as_it_came() {
        let mut d = Digests::default();
        let sha = format!("sha256:{}", "0123456789abcdef".repeat(4));
        let upper = format!("sha256:{}", "0123456789ABCDEF".repeat(4));
        let names = [
            sha.as_str(),
            upper.as_str(),
            "x",
            "",
            "sha256:12",
            "sha256:ü",
        ];
        let ids: Vec<DigestId> = names.iter().map(|n| d.intern(n)).collect();
        for (n, &id) in names.iter().zip(&ids) {
            assert_eq!(d.get(id).to_string(), *n);
            assert_eq!(d.find(n), Some(id));
            assert_eq!(d.intern(n), id);
        }
        assert!(matches!(d.get(ids[0]), Digest::Sha256(_)));
        assert!(matches!(d.get(ids[1]), Digest::Other(_)));
        assert_eq!(d.find("y"), None);
        d.settle();
        assert_eq!(d.find(&sha), Some(ids[0]));
    }
}
