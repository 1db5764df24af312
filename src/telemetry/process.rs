//! The standard `process_*` metrics (CPU, memory, file descriptors, threads,
//! start time), named as every Prometheus client library names them, read
//! from `/proc` at each scrape. Elsewhere than Linux there are none.

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{counter::ConstCounter, gauge::ConstGauge},
};

/// Linux's `USER_HZ`: clock ticks in `/proc/*/stat` are hundredths of a second
/// on every architecture (the kernel fixes it for userspace; Prometheus'
/// own procfs library assumes the same).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Debug)]
pub struct ProcessCollector;

/// What `/proc` says about this process.
#[derive(Debug, Default, PartialEq)]
struct Sample {
    cpu_seconds: f64,
    threads: i64,
    virtual_bytes: i64,
    resident_bytes: i64,
    start_time_seconds: f64,
    open_fds: i64,
    max_fds: i64,
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = sample() else { return Ok(()) };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, f64); 6] = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                s.resident_bytes as f64,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                s.virtual_bytes as f64,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                s.open_fds as f64,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                s.max_fds as f64,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                s.threads as f64,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds",
                s.start_time_seconds,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

fn sample() -> Option<Sample> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let boot = std::fs::read_to_string("/proc/stat").ok()?;
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as i64;
    let mut sample = parse(&stat, &status, &boot, &limits)?;
    sample.open_fds = open_fds;
    Some(sample)
}

/// Reads `/proc/self/stat` (fields after the parenthesized command name, which
/// may hold spaces), `VmRSS` from `/proc/self/status`, `btime` from
/// `/proc/stat` and the soft open-files limit.
fn parse(stat: &str, status: &str, boot: &str, limits: &str) -> Option<Sample> {
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 2..)?
        .split_whitespace()
        .collect();
    // Field n of proc(5) is fields[n - 3]: the state is field 3.
    let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    let kib = |line: &str| -> Option<i64> { line.split_whitespace().nth(1)?.parse().ok() };
    let resident = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(kib)?;
    let boot_time: f64 = boot
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let max_fds = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    Some(Sample {
        cpu_seconds: (field(14)? + field(15)?) / TICKS_PER_SECOND,
        threads: field(20)? as i64,
        start_time_seconds: boot_time + field(22)? / TICKS_PER_SECOND,
        virtual_bytes: field(23)? as i64,
        resident_bytes: resident * 1024,
        open_fds: 0,
        max_fds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_files_are_read_as_proc5_describes_them() {
        let stat = "4242 (hind sight) S 1 4242 4242 0 -1 4194560 2861 0 0 0 150 25 0 0 20 0 9 0 12345 987654321 4321 18446744073709551615";
        let status = "Name:\thindsight\nVmRSS:\t   17284 kB\nThreads:\t9\n";
        let boot = "cpu  1 2 3\nbtime 1760000000\nprocesses 10\n";
        let limits = "Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n";
        let sample = parse(stat, status, boot, limits).unwrap();
        assert_eq!(
            sample,
            Sample {
                cpu_seconds: 1.75,
                threads: 9,
                virtual_bytes: 987_654_321,
                resident_bytes: 17_284 * 1024,
                start_time_seconds: 1_760_000_123.45,
                open_fds: 0,
                max_fds: 1024,
            }
        );
    }
}
