//! `SCHOLION_TIMINGS`: the time and memory of each stage of a build, for profiling. A leaf
//! module, so every stage can report without depending on the pipeline that runs it.

/// With `SCHOLION_TIMINGS` set, print how long a stage took (for profiling builds).
pub fn timing(stage: &str, since: std::time::Instant) {
    if std::env::var_os("SCHOLION_TIMINGS").is_some() {
        // Resident memory now, from /proc (Linux), to see where memory goes.
        let rss_mb = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or(0, |pages| pages * 4096 / (1 << 20));
        eprintln!(
            "timing: {stage}: {:.1} ms (resident {rss_mb} MB)",
            since.elapsed().as_secs_f64() * 1000.0
        );
    }
}
