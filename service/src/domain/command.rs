//! What a `command` job may ask of the process it starts, checked where a job
//! enters (the API and the config file) so a bad value is refused with its
//! field named, instead of failing every run later. The policy
//! (docs/reliability.md#job-definitions-that-try-to-escape):
//!
//! - **argv** is executed directly, never through a shell, so `;`, `|`, `$(…)`
//!   and friends are plain bytes of an argument. It must name a program, and no
//!   element may hold a NUL byte (the OS cannot pass one).
//! - **env** names are portable shell names (`[A-Za-z_][A-Za-z0-9_]*`), values
//!   hold no NUL byte. Names starting with `LD_` are refused: the dynamic loader
//!   reads them in every program the job starts (`LD_PRELOAD`, `LD_AUDIT`,
//!   `LD_LIBRARY_PATH` inject or swap code). Only admins define commands, so
//!   this is a guard against a copied-in value, not a wall; a job that really
//!   needs one says so in its argv (`env LD_LIBRARY_PATH=… program`), where it
//!   shows in the command line.
//! - **workingDir** is an absolute path without NUL bytes. Whether it exists is
//!   checked where the job runs, at each start (a run then fails, naming the
//!   directory, and is not retried): in a multi-node setup the node answering
//!   the API may not have the directory the workers have.

/// A refused value: the field (`argv[1]`, `env[0].name`, `workingDir`) and why.
pub type CommandError = (String, String);

/// Environment-name prefix the dynamic loader reads; see the module docs.
const LOADER_PREFIX: &str = "LD_";

/// Checks a command job's argv, environment and working directory.
pub fn check_command(argv: &[String], env: &[(String, String)], working_dir: Option<&str>) -> Result<(), CommandError> {
    if argv.first().map_or(true, |p| p.trim().is_empty()) {
        return Err(("argv".into(), "must name a program as its first element".into()));
    }
    if let Some(i) = argv.iter().position(|a| a.contains('\0')) {
        return Err((format!("argv[{i}]"), "must not contain a NUL byte".into()));
    }
    for (i, (name, value)) in env.iter().enumerate() {
        check_env_name(name).map_err(|m| (format!("env[{i}].name"), m))?;
        if value.contains('\0') {
            return Err((format!("env[{i}].value"), format!("the value of `{name}` must not contain a NUL byte")));
        }
    }
    if let Some(dir) = working_dir {
        if dir.contains('\0') {
            return Err(("workingDir".into(), "must not contain a NUL byte".into()));
        }
        if !dir.starts_with('/') {
            return Err(("workingDir".into(), format!("must be an absolute path (got `{dir}`)")));
        }
    }
    Ok(())
}

fn check_env_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let portable = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !portable {
        return Err(format!("`{}` is not a variable name: letters, digits and `_`, not starting with a digit", name.escape_debug()));
    }
    if name.starts_with(LOADER_PREFIX) {
        return Err(format!(
            "`{name}` is read by the dynamic loader of every program the job starts, so it is refused; \
             if the job needs it, put it in argv: [\"env\", \"{name}=…\", …]"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn env(name: &str, value: &str) -> Vec<(String, String)> {
        vec![(name.to_string(), value.to_string())]
    }

    #[test]
    fn shell_metacharacters_in_argv_are_plain_arguments() {
        assert_eq!(check_command(&argv(&["echo", "; touch /tmp/x", "$(id)", "`id`", "|", "&&"]), &[], None), Ok(()));
    }

    #[test]
    fn an_argv_without_a_program_or_with_a_nul_byte_is_refused() {
        assert_eq!(check_command(&[], &[], None).unwrap_err().0, "argv");
        assert_eq!(check_command(&argv(&[" "]), &[], None).unwrap_err().0, "argv");
        assert_eq!(check_command(&argv(&["echo", "a\0b"]), &[], None).unwrap_err().0, "argv[1]");
    }

    #[test]
    fn env_names_must_be_portable_names() {
        for bad in ["", "1ABC", "A=B", "A B", "A\0", "A-B", "É", "A;B"] {
            let err = check_command(&argv(&["true"]), &env(bad, "x"), None).unwrap_err();
            assert_eq!(err.0, "env[0].name", "{bad:?}: {err:?}");
        }
        for good in ["A", "_", "MAGE_MODE", "php_ini_scan_dir", "X1"] {
            assert_eq!(check_command(&argv(&["true"]), &env(good, "x"), None), Ok(()), "{good}");
        }
    }

    #[test]
    fn loader_variables_are_refused_and_the_message_says_how_to_set_one_anyway() {
        for name in ["LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH"] {
            let (field, message) = check_command(&argv(&["true"]), &env(name, "/tmp/evil.so"), None).unwrap_err();
            assert_eq!(field, "env[0].name");
            assert!(message.contains("dynamic loader") && message.contains("argv"), "{message}");
        }
    }

    #[test]
    fn an_env_value_with_a_nul_byte_is_refused() {
        assert_eq!(check_command(&argv(&["true"]), &env("A", "x\0y"), None).unwrap_err().0, "env[0].value");
    }

    #[test]
    fn the_working_dir_is_absolute_without_nul_bytes() {
        assert_eq!(check_command(&argv(&["true"]), &[], Some("/srv/magento")), Ok(()));
        for bad in ["relative/dir", "", "./x", "/srv\0/x", "~/x"] {
            assert_eq!(check_command(&argv(&["true"]), &[], Some(bad)).unwrap_err().0, "workingDir", "{bad:?}");
        }
    }
}
