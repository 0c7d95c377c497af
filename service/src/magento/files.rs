//! Finding the crontab.xml (and cron_groups.xml) files to import.
//!
//! An argument may be a file or a directory. Directories are walked recursively so
//! that both a Magento tree (`app/code/*/*/etc/crontab.xml`,
//! `vendor/*/*/etc/crontab.xml`) and a flat reference directory of
//! `<Module>.crontab.xml` files work. Order matters because later definitions
//! override earlier ones, so it is made deterministic: the files found under one
//! directory are sorted by path, and arguments keep the order they were given in
//! (list an overrides directory last to let it win).
//!
//! Hidden directories (`.git`, `.idea`, ...) below an argument are skipped. Symlinked
//! directories are followed (Composer path repositories symlink modules into
//! `vendor/`), each real directory once, so a symlink loop cannot hang the walk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::ImportError;

/// `crontab.xml` or `<anything>.crontab.xml`.
fn is_crontab_name(name: &str) -> bool {
    name == "crontab.xml" || name.ends_with(".crontab.xml")
}

/// `cron_groups.xml` or `<anything>.cron_groups.xml`.
fn is_cron_groups_name(name: &str) -> bool {
    name == "cron_groups.xml" || name.ends_with(".cron_groups.xml")
}

/// `queue_consumer.xml` or `<anything>.queue_consumer.xml`.
fn is_queue_consumer_name(name: &str) -> bool {
    name == "queue_consumer.xml" || name.ends_with(".queue_consumer.xml")
}

fn file_name(path: &Path) -> &str {
    path.file_name().and_then(|n| n.to_str()).unwrap_or("")
}

/// The crontab files named by `paths`. A file argument is taken as is (whatever
/// its name) unless it is named like a cron_groups.xml, which belongs to
/// [`collect_cron_groups_files`]; so the same argument list can feed both. A
/// directory with no crontab file anywhere below it is an error, since it is
/// almost always a wrong path. A file reached twice is listed once, at its first place.
pub fn collect_crontab_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    collect(paths, is_crontab_name, |name| !is_cron_groups_name(name), true)
}

/// The cron_groups.xml files named by `paths`: explicit files only when named like
/// one, directories walked for them. Finding none is not an error: most modules
/// have no cron_groups.xml and Magento's own defaults still apply.
pub fn collect_cron_groups_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    collect(paths, is_cron_groups_name, is_cron_groups_name, false)
}

/// The queue_consumer.xml files named by `paths` (explicit files whatever
/// their name, directories walked for them), for `import magento-consumers`.
/// Finding none is for the caller to refuse.
pub fn collect_queue_consumer_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    collect(paths, is_queue_consumer_name, |_| true, false)
}

fn collect(
    paths: &[PathBuf],
    walk_matches: fn(&str) -> bool,
    explicit_matches: fn(&str) -> bool,
    empty_dir_is_error: bool,
) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    let mut seen_files = HashSet::new();
    for arg in paths {
        let meta = std::fs::metadata(arg).map_err(|source| ImportError::Io { path: arg.clone(), source })?;
        let found = if meta.is_dir() {
            let mut found = Vec::new();
            let mut seen_dirs = HashSet::new();
            walk(arg, walk_matches, &mut found, &mut seen_dirs)?;
            if found.is_empty() && empty_dir_is_error {
                return Err(ImportError::NoCrontabFiles { dir: arg.clone() });
            }
            found.sort();
            found
        } else if explicit_matches(file_name(arg)) {
            vec![arg.clone()]
        } else {
            Vec::new()
        };
        for file in found {
            let key = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if seen_files.insert(key) {
                out.push(file);
            }
        }
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    matches: fn(&str) -> bool,
    out: &mut Vec<PathBuf>,
    seen_dirs: &mut HashSet<PathBuf>,
) -> Result<(), ImportError> {
    let io_err = |source| ImportError::Io { path: dir.to_path_buf(), source };
    let real = std::fs::canonicalize(dir).map_err(io_err)?;
    if !seen_dirs.insert(real) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let path = entry.path();
        let name = file_name(&path);
        // metadata() follows symlinks, so a symlinked module directory is walked.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue; // dangling symlink: nothing to import there
        };
        if meta.is_dir() {
            if !name.starts_with('.') {
                walk(&path, matches, out, seen_dirs)?;
            }
        } else if meta.is_file() && matches(name) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(root: &Path, rel: &str) -> PathBuf {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, "<config/>").unwrap();
        p
    }

    #[test]
    fn a_magento_tree_is_walked_for_etc_crontab_xml_in_sorted_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let sales = touch(root, "app/code/Magento/Sales/etc/crontab.xml");
        let catalog = touch(root, "app/code/Magento/Catalog/etc/crontab.xml");
        let vendor = touch(root, "vendor/acme/module-x/etc/crontab.xml");
        touch(root, "app/code/Magento/Catalog/etc/di.xml");
        touch(root, "app/code/Magento/Catalog/etc/cron_groups.xml");
        touch(root, "app/code/Magento/Catalog/.git/crontab.xml");
        let files = collect_crontab_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(files, vec![catalog, sales, vendor]);
    }

    #[test]
    fn a_reference_directory_of_module_named_files_is_walked_too() {
        let tmp = tempfile::tempdir().unwrap();
        let b = touch(tmp.path(), "B.crontab.xml");
        let a = touch(tmp.path(), "A.crontab.xml");
        touch(tmp.path(), "A.cron_groups.xml");
        assert_eq!(collect_crontab_files(&[tmp.path().to_path_buf()]).unwrap(), vec![a, b]);
    }

    #[test]
    fn arguments_keep_their_order_so_a_later_one_can_override() {
        let tmp = tempfile::tempdir().unwrap();
        let core = tmp.path().join("core");
        let a = touch(&core, "Z.crontab.xml");
        let over = touch(tmp.path(), "override.xml");
        let files = collect_crontab_files(&[core.clone(), over.clone()]).unwrap();
        assert_eq!(files, vec![a, over.clone()]);
        let files = collect_crontab_files(&[over.clone(), core]).unwrap();
        assert_eq!(files[0], over);
    }

    #[test]
    fn a_file_named_twice_is_listed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let a = touch(tmp.path(), "A.crontab.xml");
        let files = collect_crontab_files(&[a.clone(), tmp.path().to_path_buf()]).unwrap();
        assert_eq!(files, vec![a]);
    }

    #[test]
    fn a_directory_without_crontab_files_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        touch(tmp.path(), "etc/di.xml");
        let err = collect_crontab_files(&[tmp.path().to_path_buf()]).unwrap_err();
        assert!(matches!(err, ImportError::NoCrontabFiles { .. }), "{err:?}");
    }

    #[test]
    fn a_missing_argument_is_an_error_naming_it() {
        let err = collect_crontab_files(&[PathBuf::from("/nonexistent/magento")]).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/magento"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_does_not_hang_the_walk() {
        let tmp = tempfile::tempdir().unwrap();
        let a = touch(tmp.path(), "m/etc/crontab.xml");
        std::os::unix::fs::symlink(tmp.path(), tmp.path().join("m/loop")).unwrap();
        assert_eq!(collect_crontab_files(&[tmp.path().to_path_buf()]).unwrap(), vec![a]);
    }

    #[test]
    fn cron_groups_files_are_collected_separately_and_may_be_absent() {
        let tmp = tempfile::tempdir().unwrap();
        let cron = touch(tmp.path(), "app/code/Magento/Cron/etc/cron_groups.xml");
        let idx = touch(tmp.path(), "Indexer.cron_groups.xml");
        touch(tmp.path(), "app/code/Magento/Cron/etc/crontab.xml");
        let files = collect_cron_groups_files(&[tmp.path().to_path_buf()]).unwrap();
        assert_eq!(files, vec![idx, cron]);
        let empty = tempfile::tempdir().unwrap();
        assert!(collect_cron_groups_files(&[empty.path().to_path_buf()]).unwrap().is_empty());
    }
}
