//! Process identity from `/proc`, so a pid recorded in the database is never
//! mistaken for an unrelated process that later got the same pid.
//!
//! A pid alone is not an identity: pids are reused. The pair (pid, start time in
//! clock ticks since boot, `/proc/<pid>/stat` field 22) is, within one boot.
//! Across a reboot start ticks restart from zero, so a recorder that outlives a
//! reboot should also keep [`boot_id`] and treat a different boot as "not ours".

use std::fs;

/// The fields of `/proc/<pid>/stat` we care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Field 3: R, S, D, Z, T, t, X, I...
    pub state: char,
    /// Field 5: process group id.
    pub pgrp: i32,
    /// Field 22: start time in clock ticks after boot.
    pub start_ticks: u64,
}

impl ProcStat {
    /// A zombie (or a task being torn down) has finished running; it only waits
    /// for its parent to reap it, so for our purposes it is gone.
    pub fn is_dead(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses one `/proc/<pid>/stat` line.
///
/// Field 2 (`comm`) is in parentheses and may itself contain spaces,
/// parentheses and bytes that are not UTF-8 (a process can name itself
/// `a) b (c`), so the remaining fields, plain ASCII, are split only after the
/// *last* `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    parse_stat_bytes(line.as_bytes())
}

fn parse_stat_bytes(line: &[u8]) -> Option<ProcStat> {
    let close = line.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&line[close + 1..]).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    // `fields` starts at field 3 (state); field n is at index n - 3.
    let state = fields.next()?.chars().next()?;
    let _ppid = fields.next()?; // 4
    let pgrp = fields.next()?.parse().ok()?; // 5
    let start_ticks = fields.nth(22 - 6)?.parse().ok()?; // 22
    Some(ProcStat { state, pgrp, start_ticks })
}

/// Reads and parses `/proc/<pid>/stat`; `None` if there is no such process.
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    let mut buf = [0u8; STAT_BUF];
    read_stat(pid, &mut buf)
}

/// A stat line is about 300 bytes; `comm` is at most 64.
const STAT_BUF: usize = 1024;

/// One `open` + `read` into the caller's buffer: [`group_members`] does this
/// for every process on the machine after every run, so no allocation here.
fn read_stat(pid: i32, buf: &mut [u8; STAT_BUF]) -> Option<ProcStat> {
    use std::io::Read as _;
    let mut path = [0u8; 32];
    let path = {
        use std::io::Write as _;
        let mut cursor = std::io::Cursor::new(&mut path[..]);
        write!(cursor, "/proc/{pid}/stat").ok()?;
        let len = cursor.position() as usize;
        std::str::from_utf8(&path[..len]).ok()?
    };
    let mut file = fs::File::open(path).ok()?;
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(_) => return None,
        }
    }
    parse_stat_bytes(&buf[..len])
}

/// The start time of `pid` in clock ticks since boot (`/proc/<pid>/stat` field 22).
pub fn process_start_ticks(pid: i32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_ticks)
}

/// Whether `pid` is still *the* process that started at `start_ticks`, and has
/// not finished (a zombie counts as finished).
pub fn is_alive(pid: i32, start_ticks: u64) -> bool {
    matches!(proc_stat(pid), Some(s) if s.start_ticks == start_ticks && !s.is_dead())
}

/// The live (non-zombie) members of process group `pgid`, found by scanning
/// `/proc`. `kill(-pgid, 0)` cannot answer this: it also succeeds for zombies, and
/// our own unreaped leader is deliberately kept a zombie until the group is gone.
pub fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
    let mut buf = [0u8; STAT_BUF];
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| matches!(read_stat(pid, &mut buf), Some(s) if s.pgrp == pgid && !s.is_dead()))
        .collect()
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`): start ticks only identify
/// a process within one boot.
pub fn boot_id() -> Option<String> {
    Some(fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_spaces_and_parentheses_in_comm_parses_after_the_last_paren() {
        let line = "4242 (a) b (c) R) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        let s = parse_stat(line).unwrap();
        assert_eq!(s, ProcStat { state: 'S', pgrp: 4242, start_ticks: 987654 });
    }

    #[test]
    fn a_comm_that_is_not_utf8_still_parses() {
        let line = b"77 (bad\xff\xfe name) R 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 4242 1000 10";
        assert_eq!(parse_stat_bytes(line), Some(ProcStat { state: 'R', pgrp: 77, start_ticks: 4242 }));
    }

    #[test]
    fn group_members_finds_a_child_in_its_own_group() {
        use std::os::unix::process::CommandExt as _;
        let mut child = std::process::Command::new("sleep").arg("5").process_group(0).spawn().unwrap();
        let pid = child.id() as i32;
        assert_eq!(group_members(pid), vec![pid]);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(group_members(pid).is_empty());
    }

    #[test]
    fn truncated_or_garbage_stat_lines_are_rejected() {
        assert_eq!(parse_stat(""), None);
        assert_eq!(parse_stat("12 (x) S 1 2"), None);
        assert_eq!(parse_stat("12 x S 1 2 3"), None);
    }

    #[test]
    fn start_ticks_of_our_own_pid_parse_and_we_are_alive() {
        let me = std::process::id() as i32;
        let ticks = process_start_ticks(me).expect("own start ticks");
        assert!(is_alive(me, ticks));
        assert!(!is_alive(me, ticks + 1), "wrong start ticks must not count as ours");
    }

    #[test]
    fn a_dead_and_reaped_pid_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let ticks = process_start_ticks(pid).unwrap();
        child.wait().unwrap();
        assert!(!is_alive(pid, ticks));
        assert!(!is_alive(0, 0) && !is_alive(-1, 0));
    }

    #[test]
    fn boot_id_is_readable() {
        assert_eq!(boot_id().unwrap().len(), 36);
    }
}
