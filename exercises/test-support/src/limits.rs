//! Making the operating system refuse a thread for real, so that a test can check
//! what the code under test does then (02/01, 06/01): lower this process's limit on
//! address space (`RLIMIT_AS`, Linux) until only a few more thread stacks fit.
//! No other test may run in the process meanwhile: such a test has a binary of its
//! own.

/// The address space this process has mapped, in bytes (Linux only: `None`
/// elsewhere, and wherever `/proc/self/status` cannot be read).
pub fn mapped_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmSize:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Lowers the soft limit on address space to `bytes` until dropped, then puts the old
/// limit back (also while a panic unwinds).
#[cfg(target_os = "linux")]
pub struct AddressSpaceLimit(libc::rlimit);

#[cfg(target_os = "linux")]
impl AddressSpaceLimit {
    /// `None` when the limit cannot be read or lowered that far.
    pub fn set(bytes: u64) -> Option<AddressSpaceLimit> {
        let mut old = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `old` is a valid, writable rlimit.
        if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut old) } != 0 || old.rlim_max < bytes {
            return None;
        }
        let new = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: old.rlim_max,
        };
        // SAFETY: a valid rlimit; lowering a soft limit is always allowed.
        (unsafe { libc::setrlimit(libc::RLIMIT_AS, &new) } == 0).then_some(AddressSpaceLimit(old))
    }
}

#[cfg(target_os = "linux")]
impl Drop for AddressSpaceLimit {
    fn drop(&mut self) {
        // SAFETY: the limit read before; raising the soft limit back up to the hard
        // limit is always allowed.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &self.0) };
    }
}
