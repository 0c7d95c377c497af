//! A size-capped output buffer: a job may write gigabytes, but a run keeps only
//! the first half of the cap (how it started) and the last half (how it ended),
//! with a marker saying how much was dropped in between. Memory is constant: the
//! tail is a ring, and the middle is counted, never stored.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct CappedBuffer {
    head_cap: usize,
    tail_cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: u64,
}

impl CappedBuffer {
    /// Keeps at most `cap` bytes: `cap / 2` from the start, the rest from the end.
    pub fn new(cap: usize) -> Self {
        let head_cap = cap / 2;
        let tail_cap = cap - head_cap;
        Self {
            head_cap,
            tail_cap,
            head: Vec::with_capacity(head_cap.min(64 * 1024)),
            tail: VecDeque::with_capacity(tail_cap.min(64 * 1024)),
            omitted: 0,
        }
    }

    pub fn push(&mut self, mut chunk: &[u8]) {
        let room = self.head_cap - self.head.len();
        if room > 0 {
            let n = room.min(chunk.len());
            self.head.extend_from_slice(&chunk[..n]);
            chunk = &chunk[n..];
        }
        if chunk.len() >= self.tail_cap {
            // The whole ring is replaced by the end of this chunk.
            self.omitted += (self.tail.len() + chunk.len() - self.tail_cap) as u64;
            self.tail.clear();
            self.tail.extend(&chunk[chunk.len() - self.tail_cap..]);
        } else {
            let overflow = (self.tail.len() + chunk.len()).saturating_sub(self.tail_cap);
            self.tail.drain(..overflow);
            self.omitted += overflow as u64;
            self.tail.extend(chunk);
        }
    }

    /// Bytes seen but not kept.
    #[cfg(test)]
    pub fn omitted(&self) -> u64 {
        self.omitted
    }

    /// The kept bytes as (lossy) UTF-8, with the marker where the middle was cut.
    /// A multi-byte character cut in half at either side of the cut is dropped
    /// rather than shown as a replacement character.
    pub fn into_string(self) -> String {
        if self.omitted == 0 {
            let mut all = self.head;
            all.extend(self.tail);
            return String::from_utf8_lossy(&all).into_owned();
        }
        let head = trim_incomplete_end(&self.head);
        let tail: Vec<u8> = self.tail.into();
        let tail = trim_continuation_start(&tail);
        let mut s = String::from_utf8_lossy(head).into_owned();
        s.push_str(&format!("\n… [{} bytes omitted] …\n", self.omitted));
        s.push_str(&String::from_utf8_lossy(tail));
        s
    }
}

/// Bytes a [`LiveTail`] keeps.
pub const LIVE_TAIL_BYTES: usize = 4096;

/// The last [`LIVE_TAIL_BYTES`] a process wrote, readable while it still runs
/// (a consumer's `outputTail`, which would otherwise only be known at its exit).
#[derive(Debug, Clone, Default)]
pub struct LiveTail(Arc<Mutex<LiveTailInner>>);

#[derive(Debug, Default)]
struct LiveTailInner {
    ring: VecDeque<u8>,
    seen: u64,
}

impl LiveTail {
    pub(super) fn push(&self, chunk: &[u8]) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.seen += chunk.len() as u64;
        let chunk = &chunk[chunk.len().saturating_sub(LIVE_TAIL_BYTES)..];
        let overflow = (t.ring.len() + chunk.len()).saturating_sub(LIVE_TAIL_BYTES);
        t.ring.drain(..overflow);
        t.ring.extend(chunk);
    }

    /// Bytes written so far (to tell whether anything changed) and the tail as
    /// text, a character cut at its start dropped.
    pub fn snapshot(&self) -> (u64, String) {
        let t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let bytes: Vec<u8> = t.ring.iter().copied().collect();
        let start = if t.seen as usize > bytes.len() { trim_continuation_start(&bytes) } else { &bytes[..] };
        (t.seen, String::from_utf8_lossy(start).into_owned())
    }
}

/// Drops a UTF-8 sequence that was cut off at the end of `b`.
pub(super) fn trim_incomplete_end(b: &[u8]) -> &[u8] {
    // The last byte that starts a character is at most 4 bytes back.
    for back in 1..=b.len().min(4) {
        let start = b.len() - back;
        let lead = b[start];
        if lead & 0xC0 != 0x80 {
            let len = match lead {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if len > back { &b[..start] } else { b };
        }
    }
    b
}

/// Drops continuation bytes of a character whose start was cut off.
fn trim_continuation_start(b: &[u8]) -> &[u8] {
    let skip = b.iter().take(3).take_while(|&&c| c & 0xC0 == 0x80).count();
    &b[skip..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_kept_whole() {
        let mut b = CappedBuffer::new(16);
        b.push(b"hello ");
        b.push(b"world");
        assert_eq!(b.omitted(), 0);
        assert_eq!(b.into_string(), "hello world");
    }

    #[test]
    fn long_output_keeps_head_and_tail_with_a_marker() {
        let mut b = CappedBuffer::new(8);
        for chunk in [&b"0123"[..], b"456789", b"a", b"bcdefghij"] {
            b.push(chunk);
        }
        assert_eq!(b.omitted(), 20 - 8);
        assert_eq!(b.into_string(), "0123\n… [12 bytes omitted] …\nghij");
    }

    #[test]
    fn a_huge_single_chunk_is_cut_the_same_way() {
        let mut b = CappedBuffer::new(4);
        b.push(&[b'x'; 1000]);
        b.push(b"yz");
        assert_eq!(b.into_string(), "xx\n… [998 bytes omitted] …\nyz");
    }

    #[test]
    fn characters_cut_at_the_marker_are_dropped_not_mangled() {
        let mut b = CappedBuffer::new(8);
        b.push("aéé".as_bytes()); // head keeps "a", "é" and half of the second "é"
        b.push("€€".as_bytes()); // tail keeps the last byte of the first "€" and the second
        assert_eq!(b.into_string(), "aé\n… [3 bytes omitted] …\n€");
    }

    #[test]
    fn an_incomplete_character_is_found_behind_a_complete_four_byte_one() {
        let bytes = "x😀é".as_bytes();
        assert_eq!(trim_incomplete_end(&bytes[..bytes.len() - 1]), "x😀".as_bytes());
        assert_eq!(trim_incomplete_end(bytes), bytes);
        assert_eq!(trim_incomplete_end(&bytes[..3]), b"x");
        assert_eq!(trim_incomplete_end(b""), b"");
    }

    #[test]
    fn invalid_utf8_in_the_middle_of_kept_output_is_replaced() {
        let mut b = CappedBuffer::new(64);
        b.push(b"ok \xff ok");
        assert_eq!(b.into_string(), "ok \u{FFFD} ok");
    }

    #[test]
    fn the_live_tail_keeps_the_last_bytes_and_counts_all() {
        let live = LiveTail::default();
        assert_eq!(live.snapshot(), (0, String::new()));
        live.push(b"hello ");
        live.push(b"world");
        assert_eq!(live.snapshot(), (11, "hello world".to_string()));
        live.push("é".repeat(LIVE_TAIL_BYTES).as_bytes());
        live.push(b"end");
        let (seen, text) = live.snapshot();
        assert_eq!(seen, 11 + 2 * LIVE_TAIL_BYTES as u64 + 3);
        assert!(text.len() <= LIVE_TAIL_BYTES && text.ends_with("éend") && text.starts_with('é'), "{text}");
    }
}
