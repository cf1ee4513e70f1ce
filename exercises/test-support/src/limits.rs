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
    /// Makes the fourth thread this process starts from now on fail for real (until
    /// dropped). Three threads alive at once, then joined: the C library keeps their
    /// stacks for the next threads it starts. With the address space then limited to
    /// what is mapped now plus 256 KiB, the next three threads get those stacks (and
    /// a small signal stack each, which fits), and the fourth needs a new stack
    /// (2 MiB), which does not fit: the OS refuses it.
    ///
    /// `Err` says why that cannot be done here: the check is then "not checked".
    pub fn after_three_more_threads() -> Result<AddressSpaceLimit, String> {
        const CACHED: usize = 3;
        let before = mapped_bytes().ok_or("no /proc/self/status to read the address space from")?;
        let gate = std::sync::Arc::new(std::sync::Barrier::new(CACHED + 1));
        let probes: Vec<_> = (0..CACHED)
            .map(|_| {
                let gate = std::sync::Arc::clone(&gate);
                // Started as the code under test starts its threads: `Builder::spawn`.
                std::thread::Builder::new()
                    .spawn(move || {
                        gate.wait();
                    })
                    .expect("a few threads")
            })
            .collect();
        let during = mapped_bytes().unwrap_or(before);
        gate.wait();
        for probe in probes {
            let _ = probe.join();
        }
        let per_thread = during.saturating_sub(before) / CACHED as u64;
        if per_thread < 1024 * 1024 {
            return Err(format!(
                "threads start with stacks of about {} KiB here (RUST_MIN_STACK?): too \
                 small to make the OS refuse exactly one",
                per_thread / 1024
            ));
        }
        mapped_bytes()
            .and_then(|now| AddressSpaceLimit::set(now + 256 * 1024))
            .ok_or_else(|| "cannot lower this process's address-space limit here".to_string())
    }

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
