//! The local cache of checkpoints: one file per input partition under
//! `<state.dir>/<group>/<input topic>/`, named `<partition>-<generation>.ckpt`.
//!
//! Invariant: a file with a `.ckpt` name is complete. It is written under a temporary name,
//! flushed to disk, then renamed (and the directory flushed), so a crash leaves either the old
//! file or the new one; older generations of the partition are removed after the rename. The
//! file's bytes are a checkpoint (`crate::checkpoint`), which carries its own checksum: a
//! truncated or corrupt file is detected when it is decoded, not here.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The checkpoint files of one consumer group and input topic.
#[derive(Debug, Clone)]
pub struct LocalStore {
    dir: PathBuf,
}

/// A checkpoint file found on disk.
#[derive(Debug)]
pub struct LocalCheckpoint {
    pub path: PathBuf,
    pub generation: u64,
    pub bytes: Vec<u8>,
}

/// Keeps a name usable as one path component.
fn component(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect()
}

impl LocalStore {
    pub fn new(root: &Path, group: &str, input_topic: &str) -> LocalStore {
        LocalStore { dir: root.join(component(group)).join(component(input_topic)) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files of `partition`, newest generation first.
    fn files_of(&self, partition: i32) -> io::Result<Vec<(u64, PathBuf)>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let prefix = format!("{partition}-");
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let generation = name.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(".ckpt"));
            if let Some(generation) = generation.and_then(|g| g.parse::<u64>().ok()) {
                files.push((generation, entry.path()));
            }
        }
        files.sort_unstable_by_key(|f| std::cmp::Reverse(f.0));
        Ok(files)
    }

    /// The newest checkpoint file of `partition`, if any.
    pub fn load(&self, partition: i32) -> io::Result<Option<LocalCheckpoint>> {
        let Some((generation, path)) = self.files_of(partition)?.into_iter().next() else { return Ok(None) };
        let bytes = fs::read(&path)?;
        Ok(Some(LocalCheckpoint { path, generation, bytes }))
    }

    /// Writes the checkpoint of `partition` atomically, then removes its older files.
    pub fn save(&self, partition: i32, generation: u64, bytes: &[u8]) -> io::Result<PathBuf> {
        fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(format!("{partition}-{generation}.ckpt"));
        let temporary = self.dir.join(format!(".{partition}-{generation}.ckpt.tmp"));
        {
            let mut file = fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        fs::rename(&temporary, &path)?;
        fs::File::open(&self.dir)?.sync_all()?;
        for (old, old_path) in self.files_of(partition)? {
            if old != generation {
                let _ = fs::remove_file(old_path);
            }
        }
        Ok(path)
    }

    /// Moves a file that failed to decode aside (`.corrupt`), so that it is kept for a look
    /// but never read again.
    pub fn quarantine(&self, path: &Path) {
        let mut aside = path.as_os_str().to_owned();
        aside.push(".corrupt");
        match fs::rename(path, &aside) {
            Ok(()) => tracing::warn!(path = %path.display(), "corrupt checkpoint moved aside (.corrupt)"),
            Err(error) => tracing::warn!(path = %path.display(), %error, "could not move the corrupt checkpoint aside"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("slad-local-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn saves_atomically_and_keeps_the_newest_generation_only() {
        let root = scratch("save");
        let store = LocalStore::new(&root, "grp/1", "support.events");
        assert!(store.load(0).unwrap().is_none(), "a missing directory is no checkpoint, not an error");
        store.save(0, 7, b"seven").unwrap();
        store.save(0, 8, b"eight").unwrap();
        store.save(1, 3, b"other partition").unwrap();
        let newest = store.load(0).unwrap().unwrap();
        assert_eq!((newest.generation, newest.bytes.as_slice()), (8, &b"eight"[..]));
        assert_eq!(store.files_of(0).unwrap().len(), 1, "generation 7 removed");
        assert_eq!(store.load(1).unwrap().unwrap().bytes, b"other partition");
        assert!(store.dir().ends_with("grp_1/support.events"));
        store.quarantine(&newest.path);
        assert!(store.load(0).unwrap().is_none());
        let _ = fs::remove_dir_all(root);
    }
}
